/* test_eval_coco.c - the COCO bbox evaluator against pycocotools 2.0.11's output on every case in
 * $MO_SHARED_DIR/testdata/coco/<case>/ (gt.json, dt.json, expected.json: the 12 stats and the
 * per-category AP; handmade/matches.json: the fate of every detection for area 'all').
 * Without MO_SHARED_DIR or the folder the suite reports itself skipped (exit 77). */
#include <check.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coco.h"
#include "eval/test_util.h"

#define TOL 1e-12

static char coco_dir[4096];
static char cases[32][256];
static int num_cases;

typedef struct loaded {
    mo_coco_gt *gt;
    mo_coco_dets *dt;
    mo_coco_eval *ev;
    cJSON *expected;
} loaded;

static void load_case(const char *name, int keep, loaded *L) {
    char gt_path[4400], dt_path[4400], ex_path[4400];
    snprintf(gt_path, sizeof gt_path, "%s/%s/gt.json", coco_dir, name);
    snprintf(dt_path, sizeof dt_path, "%s/%s/dt.json", coco_dir, name);
    snprintf(ex_path, sizeof ex_path, "%s/%s/expected.json", coco_dir, name);
    mo_error err = {0};
    ck_assert_msg(mo_coco_gt_load(&L->gt, gt_path, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_coco_dets_load(&L->dt, dt_path, L->gt, &err) == MO_OK, "%s", err.message);
    mo_coco_params p = mo_coco_default_params();
    p.keep_matches = keep;
    ck_assert_msg(mo_coco_evaluate(&L->ev, L->gt, L->dt, &p, &err) == MO_OK, "%s", err.message);
    L->expected = et_read_json(ex_path);
    ck_assert_msg(L->expected != NULL, "%s: cannot read", ex_path);
}

static void free_case(loaded *L) {
    mo_coco_eval_free(L->ev);
    mo_coco_dets_free(L->dt);
    mo_coco_gt_free(L->gt);
    cJSON_Delete(L->expected);
}

START_TEST(the_12_stats_equal_pycocotools) {
    const char *name = cases[_i];
    loaded L;
    load_case(name, 0, &L);
    double stats[12];
    mo_coco_stats(L.ev, stats);
    cJSON *ex = cJSON_GetObjectItem(L.expected, "stats");
    ck_assert_int_eq(cJSON_GetArraySize(ex), 12);
    int exact = 1;
    for (int i = 0; i < 12; i++) {
        double want = cJSON_GetArrayItem(ex, i)->valuedouble;
        ck_assert_msg(fabs(stats[i] - want) <= TOL, "%s: stats[%d] = %.17g, pycocotools %.17g",
                      name, i, stats[i], want);
        exact &= stats[i] == want;
    }
    printf("%s: 12 stats within %g%s\n", name, TOL, exact ? " (bit-identical)" : "");
    free_case(&L);
}
END_TEST

START_TEST(per_category_ap_equals_pycocotools) {
    const char *name = cases[_i];
    loaded L;
    load_case(name, 0, &L);
    cJSON *pc = cJSON_GetObjectItem(L.expected, "per_category");
    int32_t K = mo_coco_gt_num_categories(L.gt);
    ck_assert_int_eq(cJSON_GetArraySize(pc), K);
    int exact = 1;
    for (int32_t k = 0; k < K; k++) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)mo_coco_gt_category_id(L.gt, k));
        cJSON *item = cJSON_GetObjectItem(pc, key);
        ck_assert_msg(item != NULL, "%s: category %s missing in expected.json", name, key);
        double got = mo_coco_category_ap(L.ev, k);
        ck_assert_msg(fabs(got - item->valuedouble) <= TOL, "%s: category %s AP %.17g, want %.17g",
                      name, key, got, item->valuedouble);
        exact &= got == item->valuedouble;
    }
    printf("%s: %d per-category APs within %g%s\n", name, K, TOL, exact ? " (bit-identical)" : "");
    free_case(&L);
}
END_TEST

static int64_t json_i64(const cJSON *a, int i) {
    return (int64_t)cJSON_GetArrayItem(a, i)->valuedouble;
}

START_TEST(handmade_detections_meet_the_fate_matches_json_records) {
    char path[4400];
    snprintf(path, sizeof path, "%s/handmade/matches.json", coco_dir);
    cJSON *m = et_read_json(path);
    if (!m) {
        printf("skipped: %s not found\n", path);
        return;
    }
    loaded L;
    load_case("handmade", 1, &L);
    cJSON *evals = cJSON_GetObjectItem(m, "evals");
    int n = cJSON_GetArraySize(evals);
    ck_assert_int_eq(mo_coco_num_img_evals(L.ev), n);
    for (int i = 0; i < n; i++) {
        cJSON *e = cJSON_GetArrayItem(evals, i);
        mo_coco_img_eval got;
        ck_assert(mo_coco_img_eval_get(L.ev, i, &got));
        long long img = (long long)cJSON_GetObjectItem(e, "image_id")->valuedouble;
        long long cat = (long long)cJSON_GetObjectItem(e, "category_id")->valuedouble;
        ck_assert_int_eq(got.image_id, img);
        ck_assert_int_eq(got.category_id, cat);
        cJSON *dt_ids = cJSON_GetObjectItem(e, "dt_ids"),
              *gt_ids = cJSON_GetObjectItem(e, "gt_ids");
        cJSON *scores = cJSON_GetObjectItem(e, "dt_scores");
        cJSON *match = cJSON_GetObjectItem(e, "dt_match_gt_id");
        cJSON *dig = cJSON_GetObjectItem(e, "dt_ignore"),
              *gig = cJSON_GetObjectItem(e, "gt_ignore");
        ck_assert_int_eq(got.num_dt, cJSON_GetArraySize(dt_ids));
        ck_assert_int_eq(got.num_gt, cJSON_GetArraySize(gt_ids));
        for (int d = 0; d < got.num_dt; d++) {
            ck_assert_int_eq(got.dt_ids[d], json_i64(dt_ids, d));
            ck_assert(got.dt_scores[d] == cJSON_GetArrayItem(scores, d)->valuedouble);
            for (int t = 0; t < MO_COCO_T; t++) {
                cJSON *mt = cJSON_GetArrayItem(match, t), *it = cJSON_GetArrayItem(dig, t);
                ck_assert_msg(got.dt_match[t * got.num_dt + d] == json_i64(mt, d),
                              "image %lld cat %lld det %lld t %d: matched GT %lld, want %lld", img,
                              cat, (long long)got.dt_ids[d], t,
                              (long long)got.dt_match[t * got.num_dt + d],
                              (long long)json_i64(mt, d));
                ck_assert_msg(got.dt_ignore[t * got.num_dt + d] == json_i64(it, d),
                              "image %lld cat %lld det %lld t %d: ignore %d, want %lld", img, cat,
                              (long long)got.dt_ids[d], t, got.dt_ignore[t * got.num_dt + d],
                              (long long)json_i64(it, d));
            }
        }
        for (int g = 0; g < got.num_gt; g++) {
            ck_assert_int_eq(got.gt_ids[g], json_i64(gt_ids, g));
            ck_assert_int_eq(got.gt_ignore[g], json_i64(gig, g));
        }
    }
    cJSON_Delete(m);
    free_case(&L);
}
END_TEST

int main(void) {
    const char *why = NULL;
    if (!et_shared_subdir("testdata/coco", coco_dir, sizeof coco_dir, &why)) {
        printf("SKIPPED: %s\n", why);
        return 77;
    }
    num_cases = et_list_subdirs(coco_dir, cases, 32);
    if (num_cases <= 0) {
        printf("SKIPPED: no case folders in %s\n", coco_dir);
        return 77;
    }
    Suite *s = suite_create("eval_coco_cases");
    TCase *tc = tcase_create("pycocotools");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, the_12_stats_equal_pycocotools, 0, num_cases);
    tcase_add_loop_test(tc, per_category_ap_equals_pycocotools, 0, num_cases);
    tcase_add_test(tc, handmade_detections_meet_the_fate_matches_json_records);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
