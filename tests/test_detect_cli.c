/* test_detect_cli.c - `mobileone detect` end to end with the small golden model (random
 * weights): video in, annotated video, COCO JSON and JSON Lines out, each read back; a corrupt
 * or missing video fails with one line and leaves no output file.
 *
 * usage: test_detect_cli          the suite (needs $MO_BINARY_DIR/mobileone, $MO_SOURCE_DIR)
 *        test_detect_cli vtest    OpenCV's vtest.avi (Debian opencv-doc) through detect;
 *                                 exit 77 (skipped) when the file is absent
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <check.h>
#include <limits.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "video.h"

#define VTEST "/usr/share/doc/opencv-doc/examples/data/vtest.avi"

static char dir[256], binary[1024], model[1024];

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Runs `mobileone detect ARGS` with stderr to dir/stderr.txt; returns the exit status. */
static int run_detect(const char *args) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s detect %s > %s/stdout.txt 2> %s/stderr.txt", binary, args, dir,
             dir);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static int count_frames(const char *path) {
    mo_video_reader *r;
    mo_error err;
    ck_assert_msg(mo_video_open(&r, path, &err) == MO_OK, "%s", err.message);
    mo_image frame = {0};
    int n = 0;
    while (mo_video_read(r, &frame)) n++;
    mo_image_free(&frame);
    mo_video_close(r);
    return n;
}

static void make_video(const char *path, int frames) {
    mo_video_writer *w;
    mo_error err;
    ck_assert_msg(mo_video_writer_open(&w, path, 10.0, 96, 64, &err) == MO_OK, "%s", err.message);
    mo_image img;
    ck_assert_int_eq(mo_image_alloc(&img, 96, 64, &err), MO_OK);
    for (int i = 0; i < frames; i++) {
        for (int32_t p = 0; p < 96 * 64 * 3; p++) img.rgb[p] = (uint8_t)((p * 7 + i * 13) % 251);
        ck_assert_int_eq(mo_video_write(w, &img, &err), MO_OK);
    }
    ck_assert_int_eq(mo_video_writer_finish(w, &err), MO_OK);
    mo_image_free(&img);
}

static void check_detection(const cJSON *d, int with_name) {
    const cJSON *bbox = cJSON_GetObjectItemCaseSensitive(d, "bbox");
    ck_assert(cJSON_IsArray(bbox) && cJSON_GetArraySize(bbox) == 4);
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(d, "category_id")));
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(d, "score");
    ck_assert(cJSON_IsNumber(score) && score->valuedouble > 0.3 && score->valuedouble <= 1);
    if (with_name) ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(d, "name"));
}

START_TEST(video_in_video_and_json_out) {
    char in[512], args[2048], path[512];
    snprintf(in, sizeof in, "%s/in.avi", dir);
    make_video(in, 20);
    snprintf(args, sizeof args, "--model %s --conf 0.3 --every 2 --output %s/out.avi --json "
             "%s/r.json --jsonl %s/r.jsonl %s", model, dir, dir, dir, in);
    ck_assert_int_eq(run_detect(args), 0);
    snprintf(path, sizeof path, "%s/out.avi", dir);
    ck_assert_int_eq(count_frames(path), 20);
    /* JSON Lines: every 2nd frame, frames 0, 2, ..., t_ms = frame / fps. */
    snprintf(path, sizeof path, "%s/r.jsonl", dir);
    char *text = slurp(path);
    ck_assert_ptr_nonnull(text);
    int lines = 0, total = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cJSON *o = cJSON_Parse(line);
        ck_assert_msg(cJSON_IsObject(o), "not JSON: %s", line);
        ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(o, "frame")->valueint, 2 * lines);
        ck_assert_double_eq_tol(cJSON_GetObjectItemCaseSensitive(o, "t_ms")->valuedouble,
                                200.0 * lines, 1e-3);
        const cJSON *dets = cJSON_GetObjectItemCaseSensitive(o, "detections"), *d;
        ck_assert(cJSON_IsArray(dets));
        cJSON_ArrayForEach(d, dets) check_detection(d, 1), total++;
        cJSON_Delete(o);
    }
    free(text);
    ck_assert_int_eq(lines, 10);
    /* COCO results: the same detections, image ids = frame indices. */
    snprintf(path, sizeof path, "%s/r.json", dir);
    text = slurp(path);
    cJSON *arr = cJSON_Parse(text);
    free(text);
    ck_assert(cJSON_IsArray(arr));
    ck_assert_int_eq(cJSON_GetArraySize(arr), total);
    const cJSON *d;
    cJSON_ArrayForEach(d, arr) {
        check_detection(d, 0);
        ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(d, "image_id")->valueint % 2, 0);
    }
    cJSON_Delete(arr);
    printf("video: 20 frames, 10 through the network, %d detections\n", total);
}
END_TEST

START_TEST(corrupt_or_missing_video_fails_without_output) {
    char in[512], args[2048], path[512];
    snprintf(in, sizeof in, "%s/corrupt.mp4", dir);
    FILE *f = fopen(in, "wb");
    for (int i = 0; i < 4096; i++) fputc((i * 31) & 0xff, f);
    fclose(f);
    const char *sources[2] = {in, "/nonexistent/video.avi"};
    for (int k = 0; k < 2; k++) {
        snprintf(args, sizeof args, "--model %s --output %s/bad.avi --json %s/bad.json "
                 "--jsonl %s/bad.jsonl %s", model, dir, dir, dir, sources[k]);
        ck_assert_int_eq(run_detect(args), 1);
        const char *outs[4] = {"bad.avi", "bad.tmp.avi", "bad.json", "bad.jsonl"};
        for (int j = 0; j < 4; j++) {
            snprintf(path, sizeof path, "%s/%s", dir, outs[j]);
            ck_assert_msg(!exists(path), "%s was left behind", path);
        }
        snprintf(path, sizeof path, "%s/stderr.txt", dir);
        char *err = slurp(path);
        ck_assert_msg(strstr(err, "mobileone detect: ") == err && strchr(err, '\n') ==
                      err + strlen(err) - 1, "expected one error line, got: %s", err);
        free(err);
    }
    remove(in);
}
END_TEST

/* Without --model, detect takes models/ssdlite_s0_synth.safetensors, or the one in
 * $MOBILEONE_MODELS; with neither it is a usage error naming where it looked. */
START_TEST(default_model_comes_from_mobileone_models) {
    char models[512], link[600], in[512], args[1024];
    snprintf(models, sizeof models, "%s/models", dir);
    mkdir(models, 0777);
    snprintf(in, sizeof in, "%s/default.avi", dir);
    make_video(in, 3);
    snprintf(args, sizeof args, "--jsonl %s/default.jsonl %s", dir, in);
    setenv("MOBILEONE_MODELS", models, 1);
    ck_assert_int_eq(run_detect(args), 2);
    snprintf(link, sizeof link, "%s/stderr.txt", dir);
    char *err = slurp(link);
    ck_assert_ptr_nonnull(strstr(err, "ssdlite_s0_synth.safetensors"));
    ck_assert_ptr_nonnull(strstr(err, models));
    free(err);
    snprintf(link, sizeof link, "%s/ssdlite_s0_synth.safetensors", models);
    char target[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(model, target));
    ck_assert_int_eq(symlink(target, link), 0);
    int rc = run_detect(args);
    snprintf(link, sizeof link, "%s/stderr.txt", dir);
    err = slurp(link);
    ck_assert_msg(rc == 0, "detect with the default model: exit %d: %s", rc, err);
    free(err);
    unsetenv("MOBILEONE_MODELS");
    snprintf(link, sizeof link, "%s/default.jsonl", dir);
    char *jsonl = slurp(link);
    int lines = 0;
    for (const char *c = jsonl; *c; c++) lines += *c == '\n';
    ck_assert_int_eq(lines, 3);
    free(jsonl);
}
END_TEST

START_TEST(bad_arguments_are_usage_errors) {
    char args[2048];
    setenv("MOBILEONE_MODELS", "/nonexistent", 1); /* no default model either */
    ck_assert_int_eq(run_detect("--conf 0.3 x.avi"), 2);
    unsetenv("MOBILEONE_MODELS");
    snprintf(args, sizeof args, "--model %s --conf 2 x.avi", model);
    ck_assert_int_eq(run_detect(args), 2);
    snprintf(args, sizeof args, "--model %s --tta d4 x.avi", model);
    ck_assert_int_eq(run_detect(args), 2);
    snprintf(args, sizeof args, "--model %s --zoom 5 x.avi", model);
    ck_assert_int_eq(run_detect(args), 2);
    ck_assert_int_eq(run_detect("--model /nonexistent.safetensors /nonexistent.avi"), 1);
}
END_TEST

/* OpenCV's sample video through `detect`: an annotated video with every frame and one JSON
 * line per frame. */
START_TEST(vtest_avi_gives_an_annotated_video_and_a_json_line_per_frame) {
    char args[2048], path[512];
    snprintf(args, sizeof args, "--model %s --output %s/vtest_out.avi --jsonl %s/vtest.jsonl %s",
             model, dir, dir, VTEST);
    int rc = run_detect(args);
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    char *err = slurp(path);
    printf("%s", err ? err : "");
    ck_assert_msg(rc == 0, "detect exited %d", rc);
    ck_assert_msg(err && strstr(err, "fps"), "no frames-per-second figure on stderr");
    free(err);
    snprintf(path, sizeof path, "%s/vtest_out.avi", dir);
    int n_out = count_frames(path), n_in = count_frames(VTEST);
    printf("vtest.avi: %d frames in, %d frames out\n", n_in, n_out);
    ck_assert_int_eq(n_in, 795);
    ck_assert_int_eq(n_out, n_in);
    snprintf(path, sizeof path, "%s/vtest.jsonl", dir);
    char *jsonl = slurp(path);
    ck_assert_ptr_nonnull(jsonl);
    int lines = 0;
    for (const char *c = jsonl; *c; c++) lines += *c == '\n';
    ck_assert_int_eq(lines, n_in);
    ck_assert_ptr_nonnull(strstr(jsonl, "{\"frame\":794,"));
    free(jsonl);
}
END_TEST

static int run_vtest(void) {
    if (!exists(VTEST)) {
        printf("SKIPPED: %s is absent (Debian package opencv-doc)\n", VTEST);
        return 77;
    }
    Suite *s = suite_create("detect_vtest");
    TCase *tc = tcase_create("vtest");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, vtest_avi_gives_an_annotated_video_and_a_json_line_per_frame);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

int main(int argc, char **argv) {
    const char *bin = getenv("MO_BINARY_DIR"), *src = getenv("MO_SOURCE_DIR");
    snprintf(binary, sizeof binary, "%s/mobileone", bin ? bin : ".");
    snprintf(model, sizeof model, "%s/tests/golden/detect/coco91_64/model_fused.safetensors",
             src ? src : ".");
    snprintf(dir, sizeof dir, "/tmp/mo_test_detect_cli_%d", (int)getpid());
    mkdir(dir, 0777);
    if (argc > 1 && !strcmp(argv[1], "vtest")) {
        int rc = run_vtest();
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0) rc = rc ? rc : 1;
        return rc;
    }
    Suite *s = suite_create("detect_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, video_in_video_and_json_out);
    tcase_add_test(tc, corrupt_or_missing_video_fails_without_output);
    tcase_add_test(tc, bad_arguments_are_usage_errors);
    tcase_add_test(tc, default_model_comes_from_mobileone_models);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) failed++;
    return failed ? 1 : 0;
}
