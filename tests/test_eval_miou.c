/* test_eval_miou.c - mIoU against the mmseg IoUMetric reference on every case of
 * $MO_SHARED_DIR/testdata/miou: expected.json (exact counts, float64 metrics, to 1e-12, and the
 * reported np.round percentages) and expected_f32.json (mmseg 1.x float32 numerics, bit for bit
 * as float32). Without the folder the suite reports itself skipped (exit 77). */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/test_util.h"
#include "label_png.h"
#include "miou.h"

#define TOL 1e-12

static char miou_dir[4096];
static char cases[32][256];
static int num_cases;

/* Runs a shared case: names from list.txt (else every PNG), params from expected.json. */
static void run_case(const char *name, int float32, mo_miou_result *res, cJSON **expected) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s/%s", miou_dir, name,
             float32 ? "expected_f32.json" : "expected.json");
    *expected = et_read_json(path);
    ck_assert_msg(*expected != NULL, "%s: cannot read", path);
    mo_miou_params p =
        mo_miou_default_params((int32_t)cJSON_GetObjectItem(*expected, "num_classes")->valuedouble);
    p.ignore_index = (int32_t)cJSON_GetObjectItem(*expected, "ignore_index")->valuedouble;
    p.reduce_zero_label = cJSON_IsTrue(cJSON_GetObjectItem(*expected, "reduce_zero_label"));
    mo_miou *m;
    mo_error err = {0};
    ck_assert(mo_miou_create(&m, &p, &err) == MO_OK);
    snprintf(path, sizeof path, "%s/%s/list.txt", miou_dir, name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s: cannot read", path);
    char line[512];
    mo_label_map gt = {0}, pred = {0};
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) continue;
        snprintf(path, sizeof path, "%s/%s/gt/%s.png", miou_dir, name, line);
        ck_assert_msg(mo_label_png_read(path, &gt, &err) == MO_OK, "%s", err.message);
        snprintf(path, sizeof path, "%s/%s/pred/%s.png", miou_dir, name, line);
        ck_assert_msg(mo_label_png_read(path, &pred, &err) == MO_OK, "%s", err.message);
        ck_assert_msg(mo_miou_add(m, &gt, &pred, line, &err) == MO_OK, "%s", err.message);
    }
    fclose(f);
    ck_assert_int_eq(mo_miou_num_images(m),
                     (int64_t)cJSON_GetObjectItem(*expected, "num_images")->valuedouble);
    ck_assert(mo_miou_compute(m, float32, res, &err) == MO_OK);
    mo_label_map_free(&gt);
    mo_label_map_free(&pred);
    mo_miou_free(m);
}

/* NaN <-> null; otherwise |got - want| <= tol. */
static int same(double got, const cJSON *want, double tol) {
    if (cJSON_IsNull(want)) return isnan(got);
    return !isnan(got) && fabs(got - want->valuedouble) <= tol;
}

START_TEST(shared_case_matches_mmseg_float64_reference) {
    const char *name = cases[_i];
    mo_miou_result r;
    cJSON *ex;
    run_case(name, 0, &r, &ex);
    static const char *const keys[3] = {"aAcc", "mIoU", "mAcc"};
    double got3[3] = {r.aAcc, r.mIoU, r.mAcc};
    cJSON *pct = cJSON_GetObjectItem(ex, "reported_percent");
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(same(got3[i], cJSON_GetObjectItem(ex, keys[i]), TOL), "%s: %s = %.17g", name,
                      keys[i], got3[i]);
        ck_assert_msg(mo_miou_percent(got3[i], 0) == cJSON_GetObjectItem(pct, keys[i])->valuedouble,
                      "%s: reported %s", name, keys[i]);
    }
    cJSON *iou = cJSON_GetObjectItem(ex, "IoU"), *acc = cJSON_GetObjectItem(ex, "Acc");
    static const char *const areas[4] = {"area_intersect", "area_union", "area_pred", "area_label"};
    const int64_t *got_areas[4] = {r.area_intersect, r.area_union, r.area_pred, r.area_label};
    ck_assert_int_eq(cJSON_GetArraySize(iou), r.num_classes);
    for (int c = 0; c < r.num_classes; c++) {
        ck_assert_msg(same(r.iou[c], cJSON_GetArrayItem(iou, c), TOL), "%s: IoU[%d] = %.17g", name,
                      c, r.iou[c]);
        ck_assert_msg(same(r.acc[c], cJSON_GetArrayItem(acc, c), TOL), "%s: Acc[%d] = %.17g", name,
                      c, r.acc[c]);
        for (int a = 0; a < 4; a++)
            ck_assert_int_eq(
                got_areas[a][c],
                (int64_t)cJSON_GetArrayItem(cJSON_GetObjectItem(ex, areas[a]), c)->valuedouble);
    }
    printf("%s: aAcc %.4f mIoU %.4f mAcc %.4f match expected.json (1e-12)\n", name, r.aAcc, r.mIoU,
           r.mAcc);
    mo_miou_result_free(&r);
    cJSON_Delete(ex);
}
END_TEST

START_TEST(shared_case_float32_flavour_matches_mmseg_1x_numerics) {
    const char *name = cases[_i];
    char path[8192];
    snprintf(path, sizeof path, "%s/%s/expected_f32.json", miou_dir, name);
    if (access(path, R_OK) != 0) {
        printf("%s: no expected_f32.json, float32 check skipped\n", name);
        return;
    }
    mo_miou_result r;
    cJSON *ex;
    run_case(name, 1, &r, &ex);
    /* float32 values: compare as float32 (exact) */
    ck_assert((float)r.aAcc == (float)cJSON_GetObjectItem(ex, "aAcc")->valuedouble);
    ck_assert((float)r.mIoU == (float)cJSON_GetObjectItem(ex, "mIoU")->valuedouble);
    ck_assert((float)r.mAcc == (float)cJSON_GetObjectItem(ex, "mAcc")->valuedouble);
    cJSON *iou = cJSON_GetObjectItem(ex, "IoU"), *acc = cJSON_GetObjectItem(ex, "Acc");
    for (int c = 0; c < r.num_classes; c++) {
        ck_assert(same(r.iou[c], cJSON_GetArrayItem(iou, c), 0.0));
        ck_assert(same(r.acc[c], cJSON_GetArrayItem(acc, c), 0.0));
    }
    cJSON *pct = cJSON_GetObjectItem(ex, "reported_percent");
    ck_assert(mo_miou_percent(r.mIoU, 1) == (float)cJSON_GetObjectItem(pct, "mIoU")->valuedouble);
    printf("%s: float32 flavour identical to expected_f32.json\n", name);
    mo_miou_result_free(&r);
    cJSON_Delete(ex);
}
END_TEST

int main(void) {
    const char *why = NULL;
    if (!et_shared_subdir("testdata/miou", miou_dir, sizeof miou_dir, &why)) {
        printf("SKIPPED: %s\n", why);
        return 77;
    }
    num_cases = et_list_subdirs(miou_dir, cases, 32);
    if (num_cases <= 0) {
        printf("SKIPPED: no case folders in %s\n", miou_dir);
        return 77;
    }
    Suite *s = suite_create("eval_miou_cases");
    TCase *tc = tcase_create("mmseg reference");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, shared_case_matches_mmseg_float64_reference, 0, num_cases);
    tcase_add_loop_test(tc, shared_case_float32_flavour_matches_mmseg_1x_numerics, 0, num_cases);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
