/* test_kernels.c - every fast kernel against the scalar reference on awkward sizes, and the
 * same output whatever the thread count. */
#include <check.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv_op.h"
#include "kernels/conv_ref.h"
#include "threadpool.h"

static float *random_floats(size_t n, uint32_t seed) {
    float *v = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / (float)(1u << 23) - 1.0f;
    }
    return v;
}

/* Runs g through the fast op (threads as given) and the reference; returns max relative diff. */
static double compare(const mo_conv_geom *g, mo_act act, mo_threadpool *pool, float **out_fast) {
    const int32_t taps = g->kernel * g->kernel;
    size_t wn = (size_t)g->cout * (g->cin / g->groups) * taps;
    float *w = random_floats(wn, 11), *b = random_floats((size_t)g->cout, 12);
    float *in = random_floats((size_t)g->in_h * g->in_w * g->cin, 13);
    mo_conv_op op;
    mo_error err;
    ck_assert_msg(mo_conv_op_init(&op, g, w, b, act, MO_KERNEL_AUTO, &err) == MO_OK, "%s",
                  err.message);
    int32_t oh, ow;
    mo_conv_op_out_size(&op, g->in_h, g->in_w, &oh, &ow);
    size_t on = (size_t)oh * ow * g->cout;
    float *fast = malloc(sizeof(float) * on + 4), *ref = malloc(sizeof(float) * on + 4);
    mo_conv_op_run(&op, fast, in, g->in_h, g->in_w, pool);
    f32_conv2d_ref(ref, in, w, b, g, act);
    double max_ref = 1e-30, max_diff = 0;
    for (size_t i = 0; i < on; i++) {
        max_ref = fmax(max_ref, fabs(ref[i]));
        max_diff = fmax(max_diff, fabs((double)fast[i] - ref[i]));
    }
    mo_conv_op_free(&op);
    free(w), free(b), free(in), free(ref);
    if (out_fast) *out_fast = fast;
    else free(fast);
    return max_diff / max_ref;
}

START_TEST(pointwise_and_dense_match_the_reference_on_awkward_sizes) {
    static const int32_t channels[] = {1, 3, 13, 17, 32, 33, 300};
    static const int32_t widths[] = {1, 3, 7, 15};
    static const int32_t kernels[][4] = {/* kernel, stride, pad, dilation */
                                         {1, 1, 0, 1}, {3, 2, 1, 1}, {3, 1, 1, 1},
                                         {3, 1, 2, 2}, {3, 1, 6, 6}, {1, 2, 0, 1}};
    for (size_t ci = 0; ci < 7; ci++)
        for (size_t co = 0; co < 7; co += 2)
            for (size_t wi = 0; wi < 4; wi++)
                for (size_t ki = 0; ki < 6; ki++) {
                    mo_conv_geom g = {.in_h = widths[(wi + 1) % 4], .in_w = widths[wi],
                                      .cin = channels[ci], .cout = channels[co],
                                      .kernel = kernels[ki][0], .stride = kernels[ki][1],
                                      .pad = kernels[ki][2], .dilation = kernels[ki][3],
                                      .groups = 1};
                    if (mo_conv_out_size(g.in_h, g.kernel, g.stride, g.pad, g.dilation) < 1 ||
                        mo_conv_out_size(g.in_w, g.kernel, g.stride, g.pad, g.dilation) < 1)
                        continue;
                    double rel = compare(&g, ki % 2 ? MO_ACT_RELU : MO_ACT_RELU6, NULL, NULL);
                    ck_assert_msg(rel < 1e-5, "cin %d cout %d %dx%d k%d s%d d%d: rel %g", g.cin,
                                  g.cout, g.in_w, g.in_h, g.kernel, g.stride, g.dilation, rel);
                }
}
END_TEST

START_TEST(a_deep_pointwise_conv_spans_several_depth_blocks) {
    mo_conv_geom g = {.in_h = 5, .in_w = 9, .cin = 700, .cout = 70, .kernel = 1, .stride = 1,
                      .pad = 0, .dilation = 1, .groups = 1};
    ck_assert(compare(&g, MO_ACT_NONE, NULL, NULL) < 1e-5);
}
END_TEST

START_TEST(a_single_pixel_pointwise_conv_matches_the_reference) {
    static const int32_t couts[] = {1, 17, 33, 130, 1000};
    for (int i = 0; i < 5; i++) {
        mo_conv_geom g = {.in_h = 1, .in_w = 1, .cin = 300, .cout = couts[i], .kernel = 1,
                          .stride = 1, .pad = 0, .dilation = 1, .groups = 1};
        double rel = compare(&g, i % 2 ? MO_ACT_RELU : MO_ACT_NONE, NULL, NULL);
        ck_assert_msg(rel < 1e-5, "1x1 pixel, cout %d: rel %g", couts[i], rel);
    }
}
END_TEST

START_TEST(depthwise_matches_the_reference_on_awkward_sizes) {
    static const int32_t channels[] = {1, 3, 13, 16, 17, 48};
    static const int32_t widths[] = {1, 3, 7, 12};
    static const int32_t kernels[][4] = {{3, 1, 1, 1}, {3, 2, 1, 1}, {3, 1, 2, 2}, {3, 2, 2, 2}};
    for (size_t ci = 0; ci < 6; ci++)
        for (size_t wi = 0; wi < 4; wi++)
            for (size_t ki = 0; ki < 4; ki++) {
                int32_t c = channels[ci];
                mo_conv_geom g = {.in_h = widths[3 - wi], .in_w = widths[wi], .cin = c,
                                  .cout = c, .kernel = kernels[ki][0], .stride = kernels[ki][1],
                                  .pad = kernels[ki][2], .dilation = kernels[ki][3], .groups = c};
                double rel = compare(&g, MO_ACT_RELU, NULL, NULL);
                ck_assert_msg(rel < 1e-5, "dw c %d %dx%d s%d d%d: rel %g", c, g.in_w, g.in_h,
                              g.stride, g.dilation, rel);
            }
}
END_TEST

START_TEST(outputs_are_identical_for_any_thread_count) {
    mo_conv_geom geoms[2] = {
        {.in_h = 23, .in_w = 19, .cin = 40, .cout = 72, .kernel = 1, .stride = 1, .pad = 0,
         .dilation = 1, .groups = 1},
        {.in_h = 23, .in_w = 19, .cin = 40, .cout = 40, .kernel = 3, .stride = 2, .pad = 1,
         .dilation = 1, .groups = 40}};
    for (int gi = 0; gi < 2; gi++) {
        float *one, *many;
        mo_threadpool *pool;
        mo_error err;
        compare(&geoms[gi], MO_ACT_RELU, NULL, &one);
        for (int32_t threads = 2; threads <= 5; threads++) {
            ck_assert_int_eq(mo_threadpool_create(&pool, threads, &err), MO_OK);
            compare(&geoms[gi], MO_ACT_RELU, pool, &many);
            int32_t oh = mo_conv_out_size(23, geoms[gi].kernel, geoms[gi].stride, geoms[gi].pad, 1);
            int32_t ow = mo_conv_out_size(19, geoms[gi].kernel, geoms[gi].stride, geoms[gi].pad, 1);
            ck_assert_msg(!memcmp(one, many, sizeof(float) * (size_t)oh * ow * geoms[gi].cout),
                          "%d threads differ", threads);
            free(many);
            mo_threadpool_free(pool);
        }
        free(one);
    }
}
END_TEST

/* dw (3x3) then pw (1x1) run as two ops and fused into one give the same bits. */
static void check_fused(int32_t h, int32_t w, int32_t c, int32_t cout, int32_t stride,
                        int32_t dilation, mo_threadpool *pool) {
    mo_conv_geom gd = {.cin = c, .cout = c, .kernel = 3, .stride = stride, .pad = dilation,
                       .dilation = dilation, .groups = c};
    mo_conv_geom gp = {.cin = c, .cout = cout, .kernel = 1, .stride = 1, .pad = 0, .dilation = 1,
                       .groups = 1};
    float *wd = random_floats((size_t)c * 9, 21), *bd = random_floats((size_t)c, 22);
    float *wp = random_floats((size_t)c * cout, 23), *bp = random_floats((size_t)cout, 24);
    float *in = random_floats((size_t)h * w * c, 25);
    mo_conv_op dw, pw;
    mo_error err;
    ck_assert_int_eq(mo_conv_op_init(&dw, &gd, wd, bd, MO_ACT_RELU, MO_KERNEL_AUTO, &err), MO_OK);
    ck_assert_int_eq(mo_conv_op_init(&pw, &gp, wp, bp, MO_ACT_RELU, MO_KERNEL_AUTO, &err), MO_OK);
    if (mo_conv_op_can_fuse(&dw, &pw)) {
        int32_t oh, ow;
        mo_conv_op_out_size(&dw, h, w, &oh, &ow);
        size_t mid_n = (size_t)oh * ow * c, out_n = (size_t)oh * ow * cout;
        float *mid = malloc(sizeof(float) * mid_n), *two = malloc(sizeof(float) * out_n);
        float *one = malloc(sizeof(float) * out_n);
        mo_conv_op_run(&dw, mid, in, h, w, pool);
        mo_conv_op_run(&pw, two, mid, oh, ow, pool);
        mo_conv_op_run_fused(&dw, &pw, one, in, h, w, pool);
        ck_assert_msg(!memcmp(one, two, sizeof(float) * out_n),
                      "fused differs: %dx%d c %d -> %d s%d d%d", w, h, c, cout, stride, dilation);
        free(mid), free(two), free(one);
    }
    mo_conv_op_free(&dw);
    mo_conv_op_free(&pw);
    free(wd), free(bd), free(wp), free(bp), free(in);
}

START_TEST(a_fused_depthwise_pointwise_pair_gives_the_same_bits) {
    static const int32_t channels[] = {1, 13, 16, 17, 48, 300};
    mo_threadpool *pool;
    mo_error err;
    ck_assert_int_eq(mo_threadpool_create(&pool, 3, &err), MO_OK);
    for (int i = 0; i < 6; i++)
        for (int32_t stride = 1; stride <= 2; stride++)
            for (int32_t dil = 1; dil <= 2; dil++) {
                check_fused(7, 3, channels[i], 33, stride, dil, NULL);
                check_fused(15, 16, channels[i], 20, stride, dil, pool);
                check_fused(1, 1, channels[i], 5, stride, dil, NULL);
            }
    mo_threadpool_free(pool);
}
END_TEST

static void count_item(void *ctx, int64_t item) {
    atomic_int *counts = ctx;
    atomic_fetch_add(&counts[item], 1);
}

START_TEST(the_thread_pool_runs_every_item_once) {
    mo_threadpool *pool;
    mo_error err;
    ck_assert_int_eq(mo_threadpool_create(&pool, 3, &err), MO_OK);
    static atomic_int counts[1000];
    for (int round = 0; round < 50; round++) mo_threadpool_run(pool, 1000, count_item, counts);
    for (int i = 0; i < 1000; i++) ck_assert_int_eq(atomic_load(&counts[i]), 50);
    mo_threadpool_free(pool);
}
END_TEST

int main(void) {
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("fast_vs_reference");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, pointwise_and_dense_match_the_reference_on_awkward_sizes);
    tcase_add_test(tc, a_deep_pointwise_conv_spans_several_depth_blocks);
    tcase_add_test(tc, a_single_pixel_pointwise_conv_matches_the_reference);
    tcase_add_test(tc, depthwise_matches_the_reference_on_awkward_sizes);
    tcase_add_test(tc, outputs_are_identical_for_any_thread_count);
    tcase_add_test(tc, the_thread_pool_runs_every_item_once);
    tcase_add_test(tc, a_fused_depthwise_pointwise_pair_gives_the_same_bits);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
