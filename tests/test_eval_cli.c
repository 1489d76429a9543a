/* test_eval_cli.c - `mobileone eval ...` as a user runs it: pycocotools' summary text, --json
 * shapes, --help everywhere, one-line errors with the right exit codes, the reserved --model,
 * and the mmseg tables, on inputs written to a temporary folder. Needs nothing from
 * $MO_SHARED_DIR. The binary's path comes from the build (MO_CLI_PATH). */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "label_png.h"

#ifndef MO_CLI_PATH
#error "MO_CLI_PATH must name the mobileone binary"
#endif

static char dir[256];
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

/* Runs `mobileone <args>`; stdout / stderr land in out_text / err_text. Returns the exit code. */
static int cli(const char *args) {
    char cmd[8192];
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

static void write_file(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    fputs(text, f);
    fclose(f);
}

static int one_line(const char *s) {
    const char *nl = strchr(s, '\n');
    return nl && nl[1] == '\0';
}

static const char *const GT_SMALL =
    "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1,\"name\":\"thing\"},{\"id\":5}],"
    "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],"
    "\"area\":100,\"iscrowd\":0}]}";

START_TEST(coco_summary_is_pycocotools_text) {
    write_file("gt.json", GT_SMALL);
    write_file("dt.json", "[]");
    char args[1024];
    snprintf(args, sizeof args, "eval coco --gt %s/gt.json --dt %s/dt.json", dir, dir);
    ck_assert_int_eq(cli(args), 0);
    const char *want =
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.000\n"
        " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.000\n"
        " Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.000\n"
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.000\n"
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000\n"
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000\n"
        " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.000\n"
        " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 0.000\n"
        " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.000\n"
        " Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.000\n"
        " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000\n"
        " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000\n";
    ck_assert_str_eq(out_text, want);
    ck_assert_str_eq(err_text, "");
    /* a detection: AP = 1/(1+eps) printed as 1.000; --per-class adds the table */
    write_file("dt.json",
               "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5}]");
    snprintf(args, sizeof args, "eval coco --gt=%s/gt.json --dt %s/dt.json --per-class", dir, dir);
    ck_assert_int_eq(cli(args), 0);
    const char *line0 =
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000\n";
    ck_assert(strncmp(out_text, line0, strlen(line0)) == 0);
    ck_assert(strstr(out_text, "thing") && strstr(out_text, "-1.000"));
}
END_TEST

START_TEST(coco_json_has_12_stats_and_per_category_ap) {
    write_file("gt.json", GT_SMALL);
    write_file("dt.json",
               "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5}]");
    char args[1024];
    snprintf(args, sizeof args, "eval coco --gt %s/gt.json --dt %s/dt.json --json --timing", dir,
             dir);
    ck_assert_int_eq(cli(args), 0);
    ck_assert(one_line(out_text));
    cJSON *j = cJSON_Parse(out_text);
    ck_assert(j != NULL);
    cJSON *stats = cJSON_GetObjectItem(j, "stats"), *pc = cJSON_GetObjectItem(j, "per_category");
    ck_assert_int_eq(cJSON_GetArraySize(stats), 12);
    ck_assert(cJSON_GetArrayItem(stats, 4)->valuedouble == -1.0);
    ck_assert(fabs(cJSON_GetObjectItem(pc, "1")->valuedouble - 1.0) < 1e-15);
    ck_assert(cJSON_GetObjectItem(pc, "5")->valuedouble == -1.0);
    ck_assert(strstr(err_text, "timing: parse gt") && strstr(err_text, "accumulate"));
    cJSON_Delete(j);
}
END_TEST

START_TEST(help_works_on_every_subcommand) {
    static const char *const subs[] = {"eval --help", "eval coco --help", "eval voc -h",
                                       "eval ade20k --help", "eval miou --help"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        ck_assert_int_eq(cli(subs[i]), 0);
        ck_assert_msg(strstr(out_text, "usage: mobileone eval"), "%s", subs[i]);
    }
}
END_TEST

START_TEST(bad_input_gives_one_line_naming_the_file_and_exit_1) {
    write_file("gt.json", GT_SMALL);
    write_file("dt.json", "[{\"image_id\":42,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1}]");
    char args[1024];
    snprintf(args, sizeof args, "eval coco --gt %s/gt.json --dt %s/dt.json", dir, dir);
    ck_assert_int_eq(cli(args), 1);
    ck_assert(one_line(err_text));
    ck_assert(strncmp(err_text, "mobileone eval coco: ", 21) == 0);
    ck_assert(strstr(err_text, "dt.json") && strstr(err_text, "image_id 42"));
    ck_assert_str_eq(out_text, "");
    write_file("gt.json", "{\"images\":[{\"id\":1}],\"categories\":[],\"annotations\":[{\"id\":1,"
                          "\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1],\"area\":1}]}");
    ck_assert_int_eq(cli(args), 1);
    ck_assert(one_line(err_text) && strstr(err_text, "gt.json") && strstr(err_text, "iscrowd"));
    snprintf(args, sizeof args, "eval coco --gt %s/missing.json --dt %s/dt.json", dir, dir);
    ck_assert_int_eq(cli(args), 1);
    ck_assert(one_line(err_text) && strstr(err_text, "missing.json"));
}
END_TEST

START_TEST(usage_errors_exit_2_with_one_line_naming_what_is_missing) {
    ck_assert_int_eq(cli("eval"), 2);
    ck_assert_int_eq(cli("eval coco"), 2);
    ck_assert(strstr(err_text, "--gt"));
    ck_assert_int_eq(cli("eval coco --gt"), 2);
    ck_assert_int_eq(cli("eval coco --gt a --dt b --bogus"), 2);
    ck_assert(strstr(err_text, "--bogus"));
    ck_assert_int_eq(cli("eval nope"), 2);
    ck_assert_int_eq(cli("eval coco --gt a --dt b --zoom 2"), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "--zoom"));
    ck_assert_int_eq(cli("eval coco --gt a --model m --images i --zoom 9"), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "--zoom"));
    ck_assert_int_eq(cli("eval coco --model m.safetensors --images imgs"), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "--gt"));
    ck_assert_int_eq(cli("eval voc --model=m.safetensors --images imgs"), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "--root"));
    ck_assert_int_eq(cli("eval miou --gt-dir a --pred-dir b"), 2);
    ck_assert(strstr(err_text, "--num-classes"));
    ck_assert_int_eq(cli("eval miou --num-classes 0 --gt-dir a --pred-dir b"), 2);
}
END_TEST

/* Two VOC pairs: gt palette PNGs, predictions grey. */
static void write_voc_pairs(void) {
    char path[512];
    mo_error err = {0};
    snprintf(path, sizeof path, "%s/gt", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/pred", dir);
    mkdir(path, 0700);
    const uint8_t g1[6] = {0, 0, 15, 15, 255, 3}, p1[6] = {0, 15, 15, 15, 7, 3};
    const uint8_t g2[4] = {0, 0, 0, 0}, p2[4] = {0, 0, 0, 1};
    snprintf(path, sizeof path, "%s/gt/a.png", dir);
    ck_assert(mo_label_png_write(path, g1, 3, 2, 1, &err) == MO_OK);
    snprintf(path, sizeof path, "%s/pred/a.png", dir);
    ck_assert(mo_label_png_write(path, p1, 3, 2, 0, &err) == MO_OK);
    snprintf(path, sizeof path, "%s/gt/b.png", dir);
    ck_assert(mo_label_png_write(path, g2, 2, 2, 1, &err) == MO_OK);
    snprintf(path, sizeof path, "%s/pred/b.png", dir);
    ck_assert(mo_label_png_write(path, p2, 2, 2, 0, &err) == MO_OK);
}

START_TEST(voc_json_and_tables_follow_mmseg) {
    write_voc_pairs();
    char args[1024];
    snprintf(args, sizeof args, "eval voc --gt-dir %s/gt --pred-dir %s/pred --json", dir, dir);
    ck_assert_int_eq(cli(args), 0);
    ck_assert(one_line(out_text));
    cJSON *j = cJSON_Parse(out_text);
    ck_assert(j != NULL);
    /* valid pixels: a: (0,0) (0,15) (15,15) (15,15) (3,3); b: (0,0)x3 (0,1).
     * I0 = 4, L0 = 6, P0 = 4 -> IoU0 = 4/6; I15 = 2, L15 = 2, P15 = 3 -> 2/3; I3 = 1 -> 1;
     * class 1: predicted only -> IoU 0, Acc null; class 2: absent -> null; aAcc = 7/9 */
    ck_assert(cJSON_GetObjectItem(j, "aAcc")->valuedouble == 7.0 / 9.0);
    cJSON *iou = cJSON_GetObjectItem(j, "IoU"), *acc = cJSON_GetObjectItem(j, "Acc");
    ck_assert_int_eq(cJSON_GetArraySize(iou), 21);
    ck_assert(cJSON_GetArrayItem(iou, 0)->valuedouble == 4.0 / 6.0);
    ck_assert(cJSON_GetArrayItem(iou, 1)->valuedouble == 0.0);
    ck_assert(cJSON_IsNull(cJSON_GetArrayItem(acc, 1)));
    ck_assert(cJSON_IsNull(cJSON_GetArrayItem(iou, 2)));
    ck_assert(cJSON_GetArrayItem(iou, 3)->valuedouble == 1.0);
    ck_assert(cJSON_GetArrayItem(iou, 15)->valuedouble == 2.0 / 3.0);
    char *first = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    /* the generic form gives the same numbers */
    snprintf(args, sizeof args,
             "eval miou --num-classes 21 --ignore-index 255 --gt-dir %s/gt --pred-dir %s/pred "
             "--json",
             dir, dir);
    ck_assert_int_eq(cli(args), 0);
    j = cJSON_Parse(out_text);
    char *second = cJSON_PrintUnformatted(j);
    ck_assert_str_eq(first, second);
    free(first);
    free(second);
    cJSON_Delete(j);
    /* text: mmseg's PrettyTable with VOC's names, then the summary */
    snprintf(args, sizeof args, "eval voc --gt-dir %s/gt --pred-dir %s/pred", dir, dir);
    ck_assert_int_eq(cli(args), 0);
    ck_assert(strstr(out_text, "per class results:\n\n+-------------+-------+-------+\n"
                               "|    Class    |  IoU  |  Acc  |\n"));
    ck_assert(strstr(out_text, "|  background | 66.67 | 66.67 |\n"));
    ck_assert(strstr(out_text, "|  aeroplane  |  0.0  |  nan  |\n"));
    ck_assert(strstr(out_text, "|   bicycle   |  nan  |  nan  |\n"));
    ck_assert(strstr(out_text, "|     bird    | 100.0 | 100.0 |\n"));
    ck_assert(
        strstr(out_text, "Summary:\n\n+-------+-------+-------+\n|  aAcc |  mIoU |  mAcc |\n"));
}
END_TEST

START_TEST(seg_lists_names_and_missing_files) {
    write_voc_pairs();
    write_file("list.txt", "  b  \n\n");
    char args[1024];
    snprintf(args, sizeof args,
             "eval voc --gt-dir %s/gt --pred-dir %s/pred --list %s/list.txt "
             "--json",
             dir, dir, dir);
    ck_assert_int_eq(cli(args), 0);
    cJSON *j = cJSON_Parse(out_text);
    ck_assert(cJSON_GetObjectItem(j, "aAcc")->valuedouble == 0.75);
    cJSON_Delete(j);
    write_file("list.txt", "a\nzzz\n");
    ck_assert_int_eq(cli(args), 1);
    ck_assert(one_line(err_text) && strstr(err_text, "zzz.png"));
    write_file("names.txt", "x\ny\n");
    snprintf(args, sizeof args,
             "eval miou --num-classes 3 --names %s/names.txt --gt-dir %s/gt "
             "--pred-dir %s/pred",
             dir, dir, dir);
    ck_assert_int_eq(cli(args), 1);
    ck_assert(strstr(err_text, "2 names for 3 classes"));
    write_file("names.txt", "zero\none\ntwo\n");
    ck_assert_int_eq(cli(args), 0);
    ck_assert(strstr(out_text, "|  zero |"));
    snprintf(args, sizeof args, "eval ade20k --gt-dir %s/gt --pred-dir %s/pred", dir, dir);
    ck_assert_int_eq(cli(args), 0);
    ck_assert(strstr(out_text, "wall") && strstr(out_text, "flag"));
}
END_TEST

static void cleanup(void) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/mo_eval_cli_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("eval_cli");
    TCase *tc = tcase_create("mobileone eval");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, coco_summary_is_pycocotools_text);
    tcase_add_test(tc, coco_json_has_12_stats_and_per_category_ap);
    tcase_add_test(tc, help_works_on_every_subcommand);
    tcase_add_test(tc, bad_input_gives_one_line_naming_the_file_and_exit_1);
    tcase_add_test(tc, usage_errors_exit_2_with_one_line_naming_what_is_missing);
    tcase_add_test(tc, voc_json_and_tables_follow_mmseg);
    tcase_add_test(tc, seg_lists_names_and_missing_files);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(out_text);
    free(err_text);
    cleanup();
    return failed ? 1 : 0;
}
