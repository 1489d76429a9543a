/* test_eval_json_fuzz.c - robustness of the COCO JSON readers: every truncation, random byte
 * mutations, wrong types, huge and tiny numbers, deep nesting, escapes. Every input must give
 * MO_OK or a clean MO_ERR_FORMAT with a one-line message naming the file; nothing may crash (run
 * it under -DMO_SANITIZE=ON too). Needs nothing from $MO_SHARED_DIR. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coco.h"

static const char *const GT =
    "{\"info\":{\"description\":\"fuzz\",\"nested\":[1,2.5e3,-0.0,true,false,null,\"s\\u00e9\"]},"
    "\"images\":[{\"id\":7,\"width\":100,\"height\":80},{\"id\":3,\"file_name\":\"a b.jpg\"}],"
    "\"annotations\":[{\"id\":1,\"image_id\":7,\"category_id\":2,\"bbox\":[1.5,2,30,40],"
    "\"area\":1000.25,\"iscrowd\":0,\"segmentation\":[[1,2,3,4,5,6]]},"
    "{\"id\":2,\"image_id\":3,\"category_id\":1,\"bbox\":[0,0,100,100],\"area\":9216,"
    "\"iscrowd\":1,\"segmentation\":{\"counts\":[1,2,3],\"size\":[10,10]}},"
    "{\"id\":3,\"image_id\":3,\"category_id\":2,\"bbox\":[10,10,5,5],\"area\":25,\"iscrowd\":false}"
    "],"
    "\"categories\":[{\"id\":1,\"name\":\"caf\\u00e9 \\\"x\\\"\"},{\"id\":2,\"name\":\"b\"}]}\n";

static const char *const DT =
    "[{\"image_id\":7,\"category_id\":2,\"bbox\":[1,2,30,40],\"score\":0.9},\n"
    " {\"image_id\":3,\"category_id\":1,\"bbox\":[5,5,10,10],\"score\":1e-1,\"extra\":[{}]},\n"
    " {\"image_id\":3,\"category_id\":2,\"bbox\":[10,10,5,5],\"score\":5E-1},\n"
    " {\"image_id\":3,\"category_id\":9,\"bbox\":[0,0,1,1],\"score\":0.3}]\n";

static mo_status parse_gt(const char *text, size_t len, mo_coco_gt **gt, mo_error *err) {
    char *buf = malloc(len + 1); /* exact size, so ASan sees any read past the end */
    memcpy(buf, text, len);
    buf[len] = '\0';
    mo_status st = mo_coco_gt_parse(gt, buf, len, "gt.json", err);
    free(buf);
    return st;
}

static mo_status parse_dt(const char *text, size_t len, const mo_coco_gt *gt, mo_coco_dets **dt,
                          mo_error *err) {
    char *buf = malloc(len + 1);
    memcpy(buf, text, len);
    buf[len] = '\0';
    mo_status st = mo_coco_dets_parse(dt, buf, len, "dt.json", gt, err);
    free(buf);
    return st;
}

static void check_error(mo_status st, const mo_error *err, const char *file) {
    ck_assert_msg(st == MO_ERR_FORMAT, "status %s: %s", mo_status_name(st), err->message);
    ck_assert_msg(strstr(err->message, file) != NULL, "message '%s' does not name %s", err->message,
                  file);
    ck_assert_msg(strchr(err->message, '\n') == NULL, "message is not one line");
}

/* Evaluates and summarizes; the numbers must be finite or -1. */
static void evaluate_ok(const mo_coco_gt *gt, const mo_coco_dets *dt) {
    mo_coco_eval *ev;
    mo_error err = {0};
    ck_assert(mo_coco_evaluate(&ev, gt, dt, NULL, &err) == MO_OK);
    double stats[12];
    mo_coco_stats(ev, stats);
    for (int i = 0; i < 12; i++)
        ck_assert(isfinite(stats[i]) && stats[i] >= -1 && stats[i] <= 1);
    mo_coco_eval_free(ev);
}

START_TEST(the_valid_inputs_parse) {
    mo_coco_gt *gt;
    mo_coco_dets *dt;
    mo_error err = {0};
    ck_assert_msg(parse_gt(GT, strlen(GT), &gt, &err) == MO_OK, "%s", err.message);
    ck_assert_str_eq(mo_coco_gt_category_name(gt, 0), "caf\xc3\xa9 \"x\"");
    ck_assert_int_eq(mo_coco_gt_num_annotations(gt), 3);
    ck_assert_msg(parse_dt(DT, strlen(DT), gt, &dt, &err) == MO_OK, "%s", err.message);
    ck_assert_int_eq(mo_coco_dets_count(dt), 4);
    evaluate_ok(gt, dt);
    mo_coco_dets_free(dt);
    mo_coco_gt_free(gt);
}
END_TEST

START_TEST(every_truncation_of_a_gt_file_fails_cleanly) {
    size_t len = strlen(GT);
    for (size_t n = 0; n < len - 1; n++) { /* len - 1: only the final newline missing is valid */
        mo_coco_gt *gt = (mo_coco_gt *)1;
        mo_error err = {0};
        mo_status st = parse_gt(GT, n, &gt, &err);
        check_error(st, &err, "gt.json");
        ck_assert(gt == NULL);
    }
}
END_TEST

START_TEST(every_truncation_of_a_results_file_fails_cleanly) {
    mo_coco_gt *gt;
    mo_error err = {0};
    ck_assert(parse_gt(GT, strlen(GT), &gt, &err) == MO_OK);
    size_t len = strlen(DT);
    for (size_t n = 0; n < len - 1; n++) {
        mo_coco_dets *dt = (mo_coco_dets *)1;
        mo_status st = parse_dt(DT, n, gt, &dt, &err);
        check_error(st, &err, "dt.json");
        ck_assert(dt == NULL);
    }
    mo_coco_gt_free(gt);
}
END_TEST

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t mutate(const char *src, char *dst, size_t cap) {
    static const char interesting[] = "{}[],:\"\\0123456789eE.-+ untfalse\x01\xff";
    size_t len = strlen(src);
    memcpy(dst, src, len);
    int edits = 1 + (int)(rng() % 4);
    for (int e = 0; e < edits; e++) {
        size_t pos = len ? (size_t)(rng() % len) : 0;
        char c = interesting[rng() % (sizeof interesting - 1)];
        switch (rng() % 3) {
        case 0: /* replace */
            if (len) dst[pos] = c;
            break;
        case 1: /* delete */
            if (len) {
                memmove(dst + pos, dst + pos + 1, len - pos - 1);
                len--;
            }
            break;
        default: /* insert */
            if (len + 1 < cap) {
                memmove(dst + pos + 1, dst + pos, len - pos);
                dst[pos] = c;
                len++;
            }
        }
    }
    return len;
}

START_TEST(random_mutations_never_crash) {
    char buf[4096];
    mo_coco_gt *good;
    mo_error err = {0};
    ck_assert(parse_gt(GT, strlen(GT), &good, &err) == MO_OK);
    int ok_gt = 0, ok_dt = 0;
    for (int i = 0; i < 4000; i++) {
        size_t n = mutate(GT, buf, sizeof buf);
        mo_coco_gt *gt = NULL;
        mo_status st = parse_gt(buf, n, &gt, &err);
        if (st == MO_OK) {
            ok_gt++;
            mo_coco_dets *dt = NULL;
            if (parse_dt(DT, strlen(DT), gt, &dt, &err) == MO_OK) {
                evaluate_ok(gt, dt);
                mo_coco_dets_free(dt);
            }
            mo_coco_gt_free(gt);
        } else {
            check_error(st, &err, "gt.json");
        }
        n = mutate(DT, buf, sizeof buf);
        mo_coco_dets *dt = NULL;
        st = parse_dt(buf, n, good, &dt, &err);
        if (st == MO_OK) {
            ok_dt++;
            evaluate_ok(good, dt);
            mo_coco_dets_free(dt);
        } else {
            check_error(st, &err, "dt.json");
        }
    }
    printf("mutations: %d of 4000 GT and %d of 4000 results still valid\n", ok_gt, ok_dt);
    mo_coco_gt_free(good);
}
END_TEST

typedef struct bad_case {
    const char *gt;     /* NULL: use GT */
    const char *dt;     /* NULL: GT case */
    const char *needle; /* in the message */
} bad_case;

#define IMG "\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}]"
#define ANN_OK                                                                                     \
    "{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1],\"area\":1,\"iscrowd\":0}"

static const bad_case bad_cases[] = {
    {"", NULL, "found end of input"},
    {"[]", NULL, "must be a JSON object"},
    {"{\"images\":{},\"categories\":[]}", NULL, "\"images\" must be an array"},
    {"{\"images\":[],\"categories\":[]", NULL, "unexpected end"},
    {"{\"categories\":[]}", NULL, "no \"images\""},
    {"{\"images\":[]}", NULL, "no \"categories\""},
    {"{\"images\":[{\"id\":\"1\"}],\"categories\":[]}", NULL, "\"id\" must be an integer"},
    {"{\"images\":[{\"id\":1.5}],\"categories\":[]}", NULL, "integer"},
    {"{\"images\":[{\"id\":1e30}],\"categories\":[]}", NULL, "integer"},
    {"{\"images\":[{\"id\":123456789012345678901234567890}],\"categories\":[]}", NULL, "integer"},
    {"{\"images\":[{\"width\":1}],\"categories\":[]}", NULL, "has no \"id\""},
    {"{\"images\":[7],\"categories\":[]}", NULL, "must be an object"},
    {"{" IMG ",\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1],"
     "\"area\":1,\"iscrowd\":0}]}",
     NULL, "3 numbers, not 4"},
    {"{" IMG ",\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":\"0,0,1,1\","
     "\"area\":1,\"iscrowd\":0}]}",
     NULL, "\"bbox\" must be an array"},
    {"{" IMG ",\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,null],"
     "\"area\":1,\"iscrowd\":0}]}",
     NULL, "must hold numbers"},
    {"{" IMG ",\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1],"
     "\"area\":null,\"iscrowd\":0}]}",
     NULL, "\"area\" must be a number"},
    {"{" IMG ",\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1],"
     "\"area\":1,\"iscrowd\":\"0\"}]}",
     NULL, "\"iscrowd\" must be a number"},
    {"{" IMG ",\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1e400],"
     "\"area\":1,\"iscrowd\":0}]}",
     NULL, "out of range"},
    {"{" IMG ",\"annotations\":[" ANN_OK ",]}", NULL, "trailing comma"},
    {"{" IMG ",\"annotations\":[" ANN_OK "]} x", NULL, "extra data"},
    {"{" IMG ",\"x\":NaN}", NULL, "invalid character"},
    {"{" IMG ",\"x\":01}", NULL, "leading zero"},
    {"{" IMG ",\"x\":1.}", NULL, "digits must follow"},
    {"{" IMG ",\"x\":-}", NULL, "malformed number"},
    {"{" IMG ",\"x\":\"a\\qb\"}", NULL, "bad escape"},
    {"{" IMG ",\"x\":\"a\nb\"}", NULL, "control character"},
    {"{" IMG ",\"x\":\"\\u12G4\"}", NULL, "hex digit"},
    {"{" IMG ",\"x\":tru}", NULL, "invalid literal"},
    {"{" IMG ",/*c*/\"x\":1}", NULL, "expected a string key"},
    {"\xef\xbb\xbf{" IMG "}", NULL, "invalid character"},
    {"{" IMG " \"x\":1}", NULL, "expected ',' or '}'"},
    {NULL, "{}", "must be a JSON list"},
    {NULL, "[1]", "result 0 must be an object"},
    {NULL, "[{\"image_id\":7,\"category_id\":1,\"bbox\":[0,0,1,1]}]", "no \"score\""},
    {NULL, "[{\"image_id\":7,\"category_id\":1,\"score\":0.5}]", "no \"bbox\""},
    {NULL, "[{\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1}]", "no \"image_id\""},
    {NULL, "[{\"image_id\":7,\"bbox\":[0,0,1,1],\"score\":1}]", "no \"category_id\""},
    {NULL, "[{\"image_id\":7,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":\"0.5\"}]",
     "\"score\" must be a number"},
    {NULL, "[{\"image_id\":7,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":true}]",
     "\"score\" must be a number"},
    {NULL, "[{\"image_id\":7.5,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1}]", "integer"},
    {NULL, "[{\"image_id\":8,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1}]",
     "image_id 8, which is not in the ground truth"},
    {NULL, "[{\"image_id\":7,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1}", "unexpected end"},
};

START_TEST(wrong_types_and_malformed_json_are_rejected_with_a_message) {
    const bad_case *c = &bad_cases[_i];
    mo_error err = {0};
    mo_coco_gt *gt = NULL;
    const char *gtext = c->gt ? c->gt : GT;
    mo_status st = parse_gt(gtext, strlen(gtext), &gt, &err);
    if (!c->dt) {
        check_error(st, &err, "gt.json");
        ck_assert_msg(strstr(err.message, c->needle), "case %d: '%s' lacks '%s'", _i, err.message,
                      c->needle);
        return;
    }
    ck_assert(st == MO_OK);
    mo_coco_dets *dt = NULL;
    st = parse_dt(c->dt, strlen(c->dt), gt, &dt, &err);
    check_error(st, &err, "dt.json");
    ck_assert_msg(strstr(err.message, c->needle), "case %d: '%s' lacks '%s'", _i, err.message,
                  c->needle);
    mo_coco_gt_free(gt);
}
END_TEST

START_TEST(huge_and_tiny_numbers_are_handled) {
    mo_coco_gt *gt;
    mo_error err = {0};
    ck_assert(parse_gt(GT, strlen(GT), &gt, &err) == MO_OK);
    const char *dt_text =
        "[{\"image_id\":7,\"category_id\":2,\"bbox\":[1e-400,0,1e308,1e308],\"score\":1e308},"
        "{\"image_id\":7,\"category_id\":2,\"bbox\":[-1e308,-1e308,1e308,1e308],\"score\":-1e308},"
        "{\"image_id\":7,\"category_id\":2,\"bbox\":[0.1234567890123456789012345,2,3,4],"
        "\"score\":4.9e-324},"
        "{\"image_id\":7,\"category_id\":-9223372036854775808,\"bbox\":[1,2,3,4],\"score\":0}]";
    mo_coco_dets *dt;
    ck_assert_msg(parse_dt(dt_text, strlen(dt_text), gt, &dt, &err) == MO_OK, "%s", err.message);
    evaluate_ok(gt, dt);
    mo_coco_dets_free(dt);
    mo_coco_gt_free(gt);
}
END_TEST

START_TEST(deep_nesting_is_rejected_without_overflowing_the_stack) {
    size_t depth = 200000, n = 0;
    char *buf = malloc(depth * 2 + 64);
    n += (size_t)sprintf(buf, "{\"x\":");
    for (size_t i = 0; i < depth; i++)
        buf[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        buf[n++] = ']';
    n += (size_t)sprintf(buf + n, "}");
    mo_coco_gt *gt = NULL;
    mo_error err = {0};
    check_error(parse_gt(buf, n, &gt, &err), &err, "gt.json");
    ck_assert(strstr(err.message, "nesting") != NULL);
    free(buf);
}
END_TEST

START_TEST(duplicate_keys_keep_the_last_value_as_python_json) {
    const char *gt_text = "{\"images\":[{\"id\":1,\"id\":2}],\"categories\":[{\"id\":1}],"
                          "\"annotations\":[]}";
    mo_coco_gt *gt;
    mo_error err = {0};
    ck_assert(parse_gt(gt_text, strlen(gt_text), &gt, &err) == MO_OK);
    const char *dt_ok = "[{\"image_id\":2,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1}]";
    const char *dt_bad = "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1}]";
    mo_coco_dets *dt;
    ck_assert(parse_dt(dt_ok, strlen(dt_ok), gt, &dt, &err) == MO_OK);
    mo_coco_dets_free(dt);
    ck_assert(parse_dt(dt_bad, strlen(dt_bad), gt, &dt, &err) == MO_ERR_FORMAT);
    mo_coco_gt_free(gt);
}
END_TEST

START_TEST(missing_files_are_io_errors_naming_the_file) {
    mo_coco_gt *gt;
    mo_error err = {0};
    ck_assert(mo_coco_gt_load(&gt, "/nonexistent/gt.json", &err) == MO_ERR_IO);
    ck_assert(strstr(err.message, "/nonexistent/gt.json") != NULL);
}
END_TEST

int main(void) {
    Suite *s = suite_create("eval_json_fuzz");
    TCase *tc = tcase_create("readers");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, the_valid_inputs_parse);
    tcase_add_test(tc, every_truncation_of_a_gt_file_fails_cleanly);
    tcase_add_test(tc, every_truncation_of_a_results_file_fails_cleanly);
    tcase_add_test(tc, random_mutations_never_crash);
    tcase_add_loop_test(tc, wrong_types_and_malformed_json_are_rejected_with_a_message, 0,
                        (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, huge_and_tiny_numbers_are_handled);
    tcase_add_test(tc, deep_nesting_is_rejected_without_overflowing_the_stack);
    tcase_add_test(tc, duplicate_keys_keep_the_last_value_as_python_json);
    tcase_add_test(tc, missing_files_are_io_errors_naming_the_file);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
