/* test_seg_upsample.c - bilinear resize against torch's F.interpolate (align_corners=False) on
 * odd sizes, label maps of a double resize against torch's argmax, and argmax ties.
 * Goldens: tests/golden/seg_resize.safetensors (tools/deeplabv3_ref.py --resize). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"
#include "seg_upsample.h"

static st_file golden;

static float *read_nhwc(const char *name, int32_t *c, int32_t *h, int32_t *w) {
    const st_tensor *t = st_find(&golden, name);
    ck_assert_msg(t != NULL, "no tensor '%s'", name);
    float *nchw = malloc(sizeof(float) * (size_t)t->numel);
    mo_error err;
    ck_assert_msg(st_read_f32(&golden, t, nchw, &err) == MO_OK, "%s", err.message);
    *c = t->ndim == 4 ? (int32_t)t->shape[1] : 1;
    *h = (int32_t)t->shape[t->ndim - 2];
    *w = (int32_t)t->shape[t->ndim - 1];
    const int64_t hw = (int64_t)*h * *w;
    float *out = calloc((size_t)t->numel, sizeof(float));
    for (int64_t ch = 0; ch < *c; ch++)
        for (int64_t p = 0; p < hw; p++) out[p * *c + ch] = nchw[ch * hw + p];
    free(nchw);
    return out;
}

START_TEST(resize_matches_f_interpolate) {
    char name[32];
    snprintf(name, sizeof name, "in_%d", _i);
    if (!st_find(&golden, name)) return; /* fewer cases than the loop's bound */
    int32_t c, ih, iw, c2, oh, ow;
    float *in = read_nhwc(name, &c, &ih, &iw);
    snprintf(name, sizeof name, "out_%d", _i);
    float *ref = read_nhwc(name, &c2, &oh, &ow);
    ck_assert_int_eq(c, c2);
    float *out = malloc(sizeof(float) * (size_t)c * oh * ow);
    mo_threadpool *pool;
    mo_error err;
    ck_assert_int_eq(mo_threadpool_create(&pool, 3, &err), MO_OK);
    f32_resize_bilinear(out, oh, ow, in, ih, iw, c, _i % 2 ? pool : NULL);
    double max_diff = 0, max_ref = 0;
    for (int64_t i = 0; i < (int64_t)c * oh * ow; i++) {
        max_diff = fmax(max_diff, fabs((double)out[i] - ref[i]));
        max_ref = fmax(max_ref, fabs(ref[i]));
    }
    printf("resize %d: (%d, %d, %d) -> (%d, %d): max|diff| %.2e (max|ref| %.2f)\n", _i, c, ih, iw,
           oh, ow, max_diff, max_ref);
    ck_assert_msg(max_diff <= 1e-6 * max_ref, "resize %d: max|diff| %g", _i, max_diff);
    mo_threadpool_free(pool);
    free(in), free(ref), free(out);
}
END_TEST

START_TEST(labels_match_torch_argmax_of_a_double_resize) {
    char name[32];
    snprintf(name, sizeof name, "small_%d", _i);
    if (!st_find(&golden, name)) return;
    int32_t c, sh, sw, one, oh, ow, two, mid_n;
    float *small = read_nhwc(name, &c, &sh, &sw);
    snprintf(name, sizeof name, "labels_%d", _i);
    float *ref = read_nhwc(name, &one, &oh, &ow);
    snprintf(name, sizeof name, "mid_size_%d", _i);
    const st_tensor *t = st_find(&golden, name);
    ck_assert(t && t->numel == 2);
    float mid[2];
    mo_error err;
    ck_assert_int_eq(st_read_f32(&golden, t, mid, &err), MO_OK);
    (void)two, (void)mid_n;
    const int32_t mh = (int32_t)mid[0], mw = (int32_t)mid[1];
    for (int32_t threads = 1; threads <= 4; threads += 3) {
        mo_threadpool *pool;
        ck_assert_int_eq(mo_threadpool_create(&pool, threads, &err), MO_OK);
        float *scratch = malloc(sizeof(float) * (size_t)(threads * mo_seg_labels_scratch_floats(mw, c)));
        uint8_t *labels = malloc((size_t)oh * (size_t)ow);
        mo_seg_labels(labels, oh, ow, small, sh, sw, mh, mw, c, scratch, pool);
        int64_t wrong = 0;
        for (int64_t p = 0; p < (int64_t)oh * ow; p++) wrong += labels[p] != (int)ref[p];
        printf("labels %d, %d thread(s): (%d, %d, %d) -> (%d, %d) -> (%d, %d): %lld differ\n", _i,
               threads, c, sh, sw, mh, mw, oh, ow, (long long)wrong);
        ck_assert_int_eq(wrong, 0);
        free(scratch), free(labels);
        mo_threadpool_free(pool);
    }
    free(small), free(ref);
}
END_TEST

START_TEST(argmax_ties_go_to_the_lowest_class) {
    const float logits[4][5] = {{1, 3, 3, 2, 0}, {7, 7, 7, 7, 7}, {-1, -2, -1, -3, -1},
                                {0, 0, 0, 0, 0.5f}};
    uint8_t labels[4];
    mo_seg_argmax(labels, &logits[0][0], 4, 5);
    ck_assert_int_eq(labels[0], 1);
    ck_assert_int_eq(labels[1], 0);
    ck_assert_int_eq(labels[2], 0);
    ck_assert_int_eq(labels[3], 4);
}
END_TEST

START_TEST(upsampled_ties_go_to_the_lowest_class) {
    /* Classes 1 and 2 carry the same map (exact ties everywhere after any resize), above class
     * 0 on the left half; class 3 equals class 0. The label is 1 where they win, else 0. */
    enum { SH = 3, SW = 4, C = 4, OH = 11, OW = 13 };
    float small[SH][SW][C];
    for (int y = 0; y < SH; y++)
        for (int x = 0; x < SW; x++) {
            float v = x < 2 ? 2.0f + 0.1f * y : -1.0f - 0.25f * x;
            small[y][x][0] = small[y][x][3] = 0.5f;
            small[y][x][1] = small[y][x][2] = v;
        }
    float scratch[2 * 9 * C];
    uint8_t labels[OH * OW];
    mo_seg_labels(labels, OH, OW, &small[0][0][0], SH, SW, 7, 9, C, scratch, NULL);
    int ones = 0;
    for (int p = 0; p < OH * OW; p++) {
        ck_assert_msg(labels[p] == 0 || labels[p] == 1, "pixel %d: label %d", p, labels[p]);
        ones += labels[p] == 1;
    }
    ck_assert(ones > 0 && ones < OH * OW);
    ck_assert_int_eq(labels[0], 1);          /* top left: the tied pair, lowest wins */
    ck_assert_int_eq(labels[OW - 1], 0);     /* top right: class 0 ties class 3 */
}
END_TEST

START_TEST(tap_of_equal_sizes_is_the_identity) {
    for (int32_t n = 1; n < 40; n += 7)
        for (int32_t i = 0; i < n; i++) {
            mo_bilinear_tap t = mo_bilinear_tap_at(i, n, n);
            ck_assert_int_eq(t.i0, i);
            ck_assert(t.w0 == 1.0f && t.w1 == 0.0f);
        }
}
END_TEST

int main(void) {
    const char *src = getenv("MO_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/seg_resize.safetensors", src ? src : ".");
    mo_error err;
    if (st_open(&golden, path, &err) != MO_OK) {
        printf("%s\n", err.message);
        return 1;
    }
    Suite *s = suite_create("seg_upsample");
    TCase *tc = tcase_create("upsample");
    tcase_add_loop_test(tc, resize_matches_f_interpolate, 0, 16);
    tcase_add_loop_test(tc, labels_match_torch_argmax_of_a_double_resize, 0, 8);
    tcase_add_test(tc, argmax_ties_go_to_the_lowest_class);
    tcase_add_test(tc, upsampled_ties_go_to_the_lowest_class);
    tcase_add_test(tc, tap_of_equal_sizes_is_the_identity);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    st_close(&golden);
    return failed ? 1 : 0;
}
