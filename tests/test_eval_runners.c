/* test_eval_runners.c - the dataset runners, `mobileone eval coco|voc|ade20k|miou --model`, as a
 * user runs them: on a 6-image synthetic data set (`mobileone synth`, 96x96, seed 5) made in a
 * temporary folder, with the small random-weight golden models (tests/golden/detect,
 * tests/golden/segment) and copies of them given 81, 21 and 150 classes. The scores are near 0:
 * what is checked is the plumbing (results files, image and category ids, tables) and exact
 * agreement with the saved-results path (`eval coco --dt`, `segment` + `eval --pred-dir`).
 * Needs $MO_SOURCE_DIR (the goldens); the binary's path comes from the build (MO_CLI_PATH). */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eval_model_reclass.h"

#ifndef MO_CLI_PATH
#error "MO_CLI_PATH must name the mobileone binary"
#endif

static char dir[256], syn[300];
static char det91[1024], det5[1024], seg6[1024];
static char det81[512], seg21[512], seg150[512];
static char *out_text, *err_text;

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = calloc((size_t)n + 1, 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) b[0] = '\0';
    fclose(f);
    return b;
}

/* Runs `mobileone <args>` (args formatted); stdout / stderr land in out_text / err_text.
 * Returns the exit code. */
__attribute__((format(printf, 1, 2))) static int cli(const char *fmt, ...) {
    char args[4096], cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s > '%s/out.txt' 2> '%s/err.txt'", MO_CLI_PATH, args, dir,
             dir);
    int st = system(cmd);
    free(out_text);
    free(err_text);
    char path[512];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    out_text = slurp(path);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    err_text = slurp(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Removes the temporary folder (the parent process only: Check's forked tests must not). */
static void remove_dir(void) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* Runs a setup command; on failure says which, cleans up and exits 1. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...) {
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) {
        fprintf(stderr, "setup failed: %s\n", cmd);
        remove_dir();
        exit(1);
    }
}

static int one_line(const char *s) {
    const char *nl = strchr(s, '\n');
    return nl && nl[1] == '\0';
}

static int count_lines_with(const char *s, const char *needle) {
    int n = 0;
    for (const char *line = s; *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[2048];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), line);
        n += strstr(buf, needle) != NULL;
        line += len + (nl != NULL);
    }
    return n;
}

/* The twelve lines of pycocotools' summarize(), and nothing else. */
static void assert_coco_summary(const char *text) {
    const char *p = text;
    for (int i = 0; i < 12; i++) {
        ck_assert_msg(!strncmp(p,
                               i < 6 ? " Average Precision  (AP) @[ IoU="
                                     : " Average Recall     (AR) @[ IoU=",
                               32),
                      "line %d of:\n%s", i, text);
        p = strchr(p, '\n');
        ck_assert(p != NULL);
        p++;
    }
    ck_assert_str_eq(p, "");
}

/* 1 when both files exist and hold the same bytes. */
static int same_file(const char *a, const char *b) {
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int x = fgetc(fa), y = fgetc(fb);
        same = x == y;
        if (x == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static cJSON *load_json(const char *path) {
    char *text = slurp(path);
    cJSON *j = cJSON_Parse(text);
    free(text);
    ck_assert_msg(j != NULL, "%s does not parse", path);
    return j;
}

/* 1 when every result's category_id is one of ids[0..n) (n = 0: any). Fails on malformed
 * results; *count receives the number of results. */
static int results_ids_within(const char *path, const int *ids, int n, int *count) {
    cJSON *r = load_json(path);
    ck_assert(cJSON_IsArray(r));
    int ok = 1;
    *count = cJSON_GetArraySize(r);
    const cJSON *d;
    cJSON_ArrayForEach(d, r) {
        const cJSON *c = cJSON_GetObjectItem(d, "category_id");
        ck_assert(cJSON_IsNumber(c));
        ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(d, "bbox")), 4);
        ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(d, "score")));
        int found = n == 0;
        for (int i = 0; i < n; i++)
            found |= c->valueint == ids[i];
        ok &= found;
    }
    cJSON_Delete(r);
    return ok;
}

START_TEST(coco_model_run_writes_results_for_the_gt_images_and_prints_the_summary) {
    ck_assert_msg(cli("eval coco --model %s --gt %s/annotations.json --images %s/images "
                      "--save-results %s/res.json --threads 1",
                      det91, syn, syn, dir) == 0,
                  "%s", err_text);
    assert_coco_summary(out_text);
    ck_assert(strstr(err_text, "eval coco: 6 images in") && strstr(err_text, "images/s"));
    /* the file is a results list whose image ids are exactly the ground truth's */
    char path[512];
    snprintf(path, sizeof path, "%s/annotations.json", syn);
    cJSON *gt = load_json(path);
    int gt_ids[64], n_gt = 0, seen[64] = {0};
    const cJSON *img;
    cJSON_ArrayForEach(img, cJSON_GetObjectItem(gt, "images")) {
        gt_ids[n_gt++] = cJSON_GetObjectItem(img, "id")->valueint;
    }
    cJSON_Delete(gt);
    ck_assert_int_eq(n_gt, 6);
    snprintf(path, sizeof path, "%s/res.json", dir);
    cJSON *res = load_json(path);
    ck_assert(cJSON_GetArraySize(res) > 0);
    const cJSON *d;
    cJSON_ArrayForEach(d, res) {
        int id = cJSON_GetObjectItem(d, "image_id")->valueint, k = 0;
        while (k < n_gt && gt_ids[k] != id)
            k++;
        ck_assert_msg(k < n_gt, "image_id %d is not in the ground truth", id);
        seen[k] = 1;
    }
    cJSON_Delete(res);
    for (int k = 0; k < n_gt; k++)
        ck_assert_msg(seen[k], "no results for image %d", gt_ids[k]);
    snprintf(path, sizeof path, "%s/res.json.tmp", dir);
    ck_assert(access(path, F_OK) != 0);
}
END_TEST

START_TEST(coco_model_run_prints_what_eval_of_the_saved_results_prints) {
    static const char *const modes[] = {"", "--json", "--per-class"};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        ck_assert_int_eq(cli("eval coco --model %s --gt %s/annotations.json --images %s/images "
                             "--save-results %s/res.json %s",
                             det91, syn, syn, dir, modes[m]),
                         0);
        char *first = strdup(out_text);
        ck_assert_int_eq(
            cli("eval coco --gt %s/annotations.json --dt %s/res.json %s", syn, dir, modes[m]), 0);
        ck_assert_str_eq(first, out_text);
        ck_assert_str_eq(err_text, "");
        free(first);
    }
}
END_TEST

START_TEST(coco_category_ids_come_from_the_config_or_the_80_to_91_map) {
    /* c5: category_ids [0, 3, 5, 7, 9] in its config */
    const int c5_ids[] = {3, 5, 7, 9};
    int count = 0;
    ck_assert_int_eq(cli("eval coco --model %s --gt %s/annotations.json --images %s/images "
                         "--save-results %s/c5.json",
                         det5, syn, syn, dir),
                     0);
    char path[512];
    snprintf(path, sizeof path, "%s/c5.json", dir);
    ck_assert(results_ids_within(path, c5_ids, 4, &count));
    ck_assert(count > 0);
    /* 81 classes without category_ids: labels 1..80 are COCO's 80 ids among 1..90 */
    const int coco80[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17,
                          18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36,
                          37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53,
                          54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73,
                          74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};
    ck_assert_int_eq(cli("eval coco --model %s --gt %s/annotations.json --images %s/images "
                         "--save-results %s/c81.json --json",
                         det81, syn, syn, dir),
                     0);
    snprintf(path, sizeof path, "%s/c81.json", dir);
    ck_assert(results_ids_within(path, coco80, 80, &count));
    ck_assert(count > 0);
    /* the 91-class model: the label is the id */
    ck_assert_int_eq(cli("eval coco --model %s --gt %s/annotations.json --images %s/images "
                         "--save-results %s/c91.json --json",
                         det91, syn, syn, dir),
                     0);
    snprintf(path, sizeof path, "%s/c91.json", dir);
    ck_assert(!results_ids_within(path, coco80, 80, &count)); /* it also emits 12, 26, ... */
}
END_TEST

START_TEST(coco_missing_image_is_named_counted_and_exits_1) {
    ck_assert_int_eq(cli("eval coco --model %s --gt %s/annotations.json --images %s/images_missing "
                         "--save-results %s/res.json",
                         det91, syn, syn, dir),
                     1);
    ck_assert_int_eq(count_lines_with(err_text, "000003.jpg"), 1);
    ck_assert(strstr(err_text, "1 image could not be read"));
    assert_coco_summary(out_text); /* the others are still evaluated */
    int count;
    char path[512];
    snprintf(path, sizeof path, "%s/res.json", dir);
    ck_assert(results_ids_within(path, NULL, 0, &count));
}
END_TEST

START_TEST(coco_usage_and_model_errors_are_one_line) {
    ck_assert_int_eq(cli("eval coco --model %s --gt %s/annotations.json", det91, syn), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "--images"));
    ck_assert_int_eq(cli("eval coco --model %s --gt a.json --dt b.json --images x", det91), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "alternatives"));
    ck_assert_int_eq(cli("eval coco --gt a.json --dt b.json --images x"), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "needs --model"));
    ck_assert_int_eq(cli("eval --model %s", det91), 2);
    ck_assert(one_line(err_text));
    ck_assert_int_eq(
        cli("eval coco --model %s --gt %s/annotations.json --images %s/images", seg6, syn, syn), 1);
    ck_assert(one_line(err_text) && strstr(err_text, "not a detection model"));
    ck_assert_int_eq(cli("eval coco --model %s/nope.safetensors --gt %s/annotations.json "
                         "--images %s/images",
                         dir, syn, syn),
                     1);
    ck_assert(one_line(err_text) && strstr(err_text, "nope.safetensors"));
}
END_TEST

START_TEST(miou_model_run_prints_the_table_and_agrees_with_segment_then_eval) {
    ck_assert_msg(cli("eval miou --model %s --images %s/images --gt-dir %s/masks --num-classes 6 "
                      "--save-pred %s/pred_eval",
                      seg6, syn, syn, dir) == 0,
                  "%s", err_text);
    ck_assert(strstr(out_text, "per class results:") && strstr(out_text, "Summary:"));
    ck_assert(strstr(err_text, "eval miou: 6 images in"));
    char *table = strdup(out_text);
    /* the class count defaults to the model's */
    ck_assert_int_eq(
        cli("eval miou --model %s --images %s/images --gt-dir %s/masks", seg6, syn, syn), 0);
    ck_assert_str_eq(out_text, table);
    /* `segment` then `eval --pred-dir`: the same table, the same PNG files */
    ck_assert_int_eq(cli("segment --model %s --output %s/pred_segment %s/images", seg6, dir, syn),
                     0);
    ck_assert_int_eq(
        cli("eval miou --num-classes 6 --gt-dir %s/masks --pred-dir %s/pred_segment", syn, dir), 0);
    ck_assert_str_eq(out_text, table);
    for (int i = 1; i <= 6; i++) {
        char a[512], b[512];
        snprintf(a, sizeof a, "%s/pred_eval/%06d.png", dir, i);
        snprintf(b, sizeof b, "%s/pred_segment/%06d.png", dir, i);
        ck_assert_msg(same_file(a, b), "%s differs from %s", a, b);
    }
    /* --json: the same numbers as the saved-predictions path */
    ck_assert_int_eq(
        cli("eval miou --model %s --images %s/images --gt-dir %s/masks --json", seg6, syn, syn), 0);
    char *json = strdup(out_text);
    ck_assert_int_eq(cli("eval miou --num-classes 6 --gt-dir %s/masks --pred-dir %s/pred_segment "
                         "--json",
                         syn, dir),
                     0);
    ck_assert_str_eq(out_text, json);
    free(json);
    free(table);
}
END_TEST

START_TEST(voc_and_ade20k_run_from_their_root_folders) {
    ck_assert_msg(cli("eval voc --model %s --root %s/VOC2012", seg21, dir) == 0, "%s", err_text);
    ck_assert(strstr(out_text, "aeroplane") && strstr(out_text, "Summary:"));
    char *table = strdup(out_text);
    ck_assert_int_eq(cli("segment --model %s --output %s/voc_pred %s/images", seg21, dir, syn), 0);
    ck_assert_int_eq(cli("eval voc --root %s/VOC2012 --pred-dir %s/voc_pred", dir, dir), 0);
    ck_assert_str_eq(out_text, table);
    free(table);

    ck_assert_msg(cli("eval ade20k --model %s --root %s/ADE --json", seg150, dir) == 0, "%s",
                  err_text);
    table = strdup(out_text);
    cJSON *j = cJSON_Parse(table);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "IoU")), 150);
    cJSON_Delete(j);
    ck_assert_int_eq(cli("segment --model %s --output %s/ade_pred %s/images", seg150, dir, syn), 0);
    ck_assert_int_eq(cli("eval ade20k --gt-dir %s/masks --pred-dir %s/ade_pred --json", syn, dir),
                     0);
    ck_assert_str_eq(out_text, table);
    free(table);
}
END_TEST

START_TEST(seg_class_count_mismatch_is_one_line) {
    ck_assert_int_eq(cli("eval miou --model %s --images %s/images --gt-dir %s/masks "
                         "--num-classes 7",
                         seg6, syn, syn),
                     1);
    ck_assert(one_line(err_text) && strstr(err_text, "has 6 classes") &&
              strstr(err_text, "--num-classes is 7"));
    ck_assert_str_eq(out_text, "");
    ck_assert_int_eq(cli("eval voc --model %s --root %s/VOC2012", seg6, dir), 1);
    ck_assert(one_line(err_text) && strstr(err_text, "has 6 classes but VOC has 21"));
    ck_assert_int_eq(cli("eval ade20k --model %s --root %s/ADE", seg21, dir), 1);
    ck_assert(one_line(err_text) && strstr(err_text, "ADE20K has 150"));
    ck_assert_int_eq(cli("eval voc --model %s --root %s/VOC2012", det91, dir), 1);
    ck_assert(one_line(err_text) && strstr(err_text, "not 'segment'"));
}
END_TEST

START_TEST(seg_missing_root_files_are_one_line) {
    ck_assert_int_eq(cli("eval voc --model %s --root %s/nowhere", seg21, dir), 1);
    ck_assert(one_line(err_text) && strstr(err_text, "nowhere/SegmentationClass"));
    ck_assert_int_eq(cli("eval voc --model %s --root %s/VOC2012 --split test", seg21, dir), 1);
    ck_assert(one_line(err_text) && strstr(err_text, "ImageSets/Segmentation/test.txt"));
    ck_assert_int_eq(cli("eval ade20k --model %s --root %s/VOC2012", seg150, dir), 1);
    ck_assert(one_line(err_text) && strstr(err_text, "annotations/validation"));
    ck_assert_int_eq(cli("eval voc --model %s --images x", seg21), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "--root"));
    ck_assert_int_eq(cli("eval miou --model %s --root %s", seg6, dir), 2);
    ck_assert(one_line(err_text));
    ck_assert_int_eq(cli("eval miou --num-classes 6 --gt-dir a --pred-dir b --save-pred c"), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "needs --model"));
}
END_TEST

START_TEST(seg_missing_image_or_gt_is_named_and_exits_1) {
    ck_assert_int_eq(cli("eval miou --model %s --images %s/images_missing --gt-dir %s/masks "
                         "--list %s/all.txt",
                         seg6, syn, syn, dir),
                     1);
    ck_assert_int_eq(count_lines_with(err_text, "000003"), 1);
    ck_assert(strstr(err_text, "1 image failed"));
    ck_assert(strstr(out_text, "Summary:")); /* the other five are evaluated */
    ck_assert_int_eq(
        cli("eval miou --model %s --images %s/images --gt-dir %s/masks_missing", seg6, syn, syn),
        1);
    ck_assert_int_eq(count_lines_with(err_text, "000004.png"), 1);
    ck_assert(strstr(out_text, "Summary:"));
}
END_TEST

/* The data set, models and folder layouts every test uses. */
static void setup_data(void) {
    const char *src = getenv("MO_SOURCE_DIR");
    if (!src) src = ".";
    snprintf(det91, sizeof det91, "%s/tests/golden/detect/coco91_64/model_fused.safetensors", src);
    snprintf(det5, sizeof det5, "%s/tests/golden/detect/c5_64x96/model_fused.safetensors", src);
    snprintf(seg6, sizeof seg6, "%s/tests/golden/segment/os16_k4/model_fused.safetensors", src);
    snprintf(syn, sizeof syn, "%s/syn", dir);
    sh("'%s' synth --out '%s' --images 6 --size 96x96 --seed 5 2> /dev/null", MO_CLI_PATH, syn);
    snprintf(det81, sizeof det81, "%s/det81.safetensors", dir);
    snprintf(seg21, sizeof seg21, "%s/seg21.safetensors", dir);
    snprintf(seg150, sizeof seg150, "%s/seg150.safetensors", dir);
    if (eval_model_reclass(det91, det81, 81) || eval_model_reclass(seg6, seg21, 21) ||
        eval_model_reclass(seg6, seg150, 150)) {
        remove_dir();
        exit(1);
    }
    /* images_missing: all but 000003.jpg; masks_missing: all but 000004.png */
    sh("mkdir '%s/images_missing' '%s/masks_missing' && cp '%s'/images/*.jpg '%s/images_missing' "
       "&& rm '%s/images_missing/000003.jpg' && cp '%s'/masks/*.png '%s/masks_missing' && "
       "rm '%s/masks_missing/000004.png'",
       syn, syn, syn, syn, syn, syn, syn, syn);
    sh("cd '%s' && ls images | sed 's/[.]jpg$//' > all.txt", syn);
    sh("cp '%s/all.txt' '%s/all.txt'", syn, dir);
    /* VOCdevkit/VOC2012 and ADEChallengeData2016 layouts over the same files */
    sh("mkdir -p '%s/VOC2012/ImageSets/Segmentation' && ln -s '%s/images' '%s/VOC2012/JPEGImages' "
       "&& ln -s '%s/masks' '%s/VOC2012/SegmentationClass' && "
       "cp '%s/all.txt' '%s/VOC2012/ImageSets/Segmentation/val.txt'",
       dir, syn, dir, syn, dir, syn, dir);
    sh("mkdir -p '%s/ADE/images' '%s/ADE/annotations' && ln -s '%s/images' "
       "'%s/ADE/images/validation' && ln -s '%s/masks' '%s/ADE/annotations/validation'",
       dir, dir, syn, dir, syn, dir);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/mo_test_eval_runners_%d", (int)getpid());
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        return 1;
    }
    setup_data();
    Suite *s = suite_create("eval_runners");
    TCase *tc = tcase_create("runners");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, coco_model_run_writes_results_for_the_gt_images_and_prints_the_summary);
    tcase_add_test(tc, coco_model_run_prints_what_eval_of_the_saved_results_prints);
    tcase_add_test(tc, coco_category_ids_come_from_the_config_or_the_80_to_91_map);
    tcase_add_test(tc, coco_missing_image_is_named_counted_and_exits_1);
    tcase_add_test(tc, coco_usage_and_model_errors_are_one_line);
    tcase_add_test(tc, miou_model_run_prints_the_table_and_agrees_with_segment_then_eval);
    tcase_add_test(tc, voc_and_ade20k_run_from_their_root_folders);
    tcase_add_test(tc, seg_class_count_mismatch_is_one_line);
    tcase_add_test(tc, seg_missing_root_files_are_one_line);
    tcase_add_test(tc, seg_missing_image_or_gt_is_named_and_exits_1);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    remove_dir();
    return failed ? 1 : 0;
}
