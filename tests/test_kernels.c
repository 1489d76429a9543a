/* test_kernels.c - every fast kernel against the scalar reference on awkward sizes, and the
 * same output whatever the thread count. Each check runs the fastest kernels for this CPU
 * (MO_KERNEL_AUTO: AVX-512 here when present) and the AVX2 kernels forced (MO_KERNEL_AVX2). */
#include <check.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv_op.h"
#include "kernels/conv_ref.h"
#include "kernels/gemm.h"
#include "threadpool.h"

static float *random_floats(size_t n, uint32_t seed) {
    float *v = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / (float)(1u << 23) - 1.0f;
    }
    return v;
}

/* The kernel families every check runs, and their names for messages. */
static const mo_kernel_choice fast_kernels[] = {MO_KERNEL_AUTO, MO_KERNEL_AVX2};
static const char *const fast_names[] = {"auto", "avx2"};
#define N_FAST 2

/* Runs g through the fast op of the given family (threads as given) and the reference; returns
 * max relative diff. */
static double compare(const mo_conv_geom *g, mo_act act, mo_kernel_choice choice,
                      mo_threadpool *pool, float **out_fast) {
    const int32_t taps = g->kernel * g->kernel;
    size_t wn = (size_t)g->cout * (g->cin / g->groups) * taps;
    float *w = random_floats(wn, 11), *b = random_floats((size_t)g->cout, 12);
    float *in = random_floats((size_t)g->in_h * g->in_w * g->cin, 13);
    mo_conv_op op;
    mo_error err;
    ck_assert_msg(mo_conv_op_init(&op, g, w, b, act, choice, &err) == MO_OK, "%s",
                  err.message);
    /* Forced AVX2 must really run a packed AVX2 kernel, not fall back to the reference. */
    if (choice == MO_KERNEL_AVX2 && mo_cpu_has_avx2())
        ck_assert_msg(op.packed != NULL, "AVX2 not chosen for %d->%d k%d g%d", g->cin, g->cout,
                      g->kernel, g->groups);
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
                    for (int f = 0; f < N_FAST; f++) {
                        double rel = compare(&g, ki % 2 ? MO_ACT_RELU : MO_ACT_RELU6,
                                             fast_kernels[f], NULL, NULL);
                        ck_assert_msg(rel < 1e-5, "%s: cin %d cout %d %dx%d k%d s%d d%d: rel %g",
                                      fast_names[f], g.cin, g.cout, g.in_w, g.in_h, g.kernel,
                                      g.stride, g.dilation, rel);
                    }
                }
}
END_TEST

START_TEST(a_deep_pointwise_conv_spans_several_depth_blocks) {
    mo_conv_geom g = {.in_h = 5, .in_w = 9, .cin = 700, .cout = 70, .kernel = 1, .stride = 1,
                      .pad = 0, .dilation = 1, .groups = 1};
    for (int f = 0; f < N_FAST; f++)
        ck_assert_msg(compare(&g, MO_ACT_NONE, fast_kernels[f], NULL, NULL) < 1e-5, "%s",
                      fast_names[f]);
}
END_TEST

START_TEST(a_single_pixel_pointwise_conv_matches_the_reference) {
    static const int32_t couts[] = {1, 17, 33, 130, 1000};
    for (int i = 0; i < 5; i++) {
        mo_conv_geom g = {.in_h = 1, .in_w = 1, .cin = 300, .cout = couts[i], .kernel = 1,
                          .stride = 1, .pad = 0, .dilation = 1, .groups = 1};
        for (int f = 0; f < N_FAST; f++) {
            double rel = compare(&g, i % 2 ? MO_ACT_RELU : MO_ACT_NONE, fast_kernels[f], NULL,
                                 NULL);
            ck_assert_msg(rel < 1e-5, "%s: 1x1 pixel, cout %d: rel %g", fast_names[f], couts[i],
                          rel);
        }
    }
}
END_TEST

START_TEST(depthwise_matches_the_reference_on_awkward_sizes) {
    static const int32_t channels[] = {1, 3, 13, 16, 17, 48};
    static const int32_t widths[] = {1, 3, 7, 12, 23}; /* 23: interior runs of 8, 4 and 1 */
    static const int32_t kernels[][4] = {/* kernel, stride, pad, dilation */
                                         {3, 1, 1, 1}, {3, 2, 1, 1}, {3, 1, 2, 2},
                                         {3, 2, 2, 2}, {5, 1, 2, 1}, {5, 2, 4, 2}};
    for (size_t ci = 0; ci < 6; ci++)
        for (size_t wi = 0; wi < 5; wi++)
            for (size_t ki = 0; ki < 6; ki++) {
                int32_t c = channels[ci];
                mo_conv_geom g = {.in_h = widths[4 - wi], .in_w = widths[wi], .cin = c,
                                  .cout = c, .kernel = kernels[ki][0], .stride = kernels[ki][1],
                                  .pad = kernels[ki][2], .dilation = kernels[ki][3], .groups = c};
                if (mo_conv_out_size(g.in_h, g.kernel, g.stride, g.pad, g.dilation) < 1 ||
                    mo_conv_out_size(g.in_w, g.kernel, g.stride, g.pad, g.dilation) < 1)
                    continue;
                for (int f = 0; f < N_FAST; f++) {
                    double rel = compare(&g, ki % 2 ? MO_ACT_RELU : MO_ACT_RELU6,
                                         fast_kernels[f], NULL, NULL);
                    ck_assert_msg(rel < 1e-5, "%s: dw c %d %dx%d k%d s%d d%d: rel %g",
                                  fast_names[f], c, g.in_w, g.in_h, g.kernel, g.stride,
                                  g.dilation, rel);
                }
            }
}
END_TEST

START_TEST(outputs_are_identical_for_any_thread_count) {
    const mo_conv_geom geoms[4] = {
        {.in_h = 23, .in_w = 19, .cin = 40, .cout = 72, .kernel = 1, .stride = 1, .pad = 0,
         .dilation = 1, .groups = 1},
        {.in_h = 23, .in_w = 19, .cin = 40, .cout = 40, .kernel = 3, .stride = 2, .pad = 1,
         .dilation = 1, .groups = 40},
        /* the stem, and a dilated 3x3 deep enough to take its taps one at a time */
        {.in_h = 23, .in_w = 19, .cin = 3, .cout = 48, .kernel = 3, .stride = 2, .pad = 1,
         .dilation = 1, .groups = 1},
        {.in_h = 23, .in_w = 19, .cin = 70, .cout = 40, .kernel = 3, .stride = 1, .pad = 2,
         .dilation = 2, .groups = 1}};
    for (int f = 0; f < N_FAST; f++)
        for (int gi = 0; gi < 4; gi++) {
            const mo_conv_geom *g = &geoms[gi];
            float *one, *many;
            mo_threadpool *pool;
            mo_error err;
            compare(g, MO_ACT_RELU, fast_kernels[f], NULL, &one);
            for (int32_t threads = 2; threads <= 5; threads++) {
                ck_assert_int_eq(mo_threadpool_create(&pool, threads, &err), MO_OK);
                compare(g, MO_ACT_RELU, fast_kernels[f], pool, &many);
                int32_t oh = mo_conv_out_size(23, g->kernel, g->stride, g->pad, g->dilation);
                int32_t ow = mo_conv_out_size(19, g->kernel, g->stride, g->pad, g->dilation);
                ck_assert_msg(!memcmp(one, many, sizeof(float) * (size_t)oh * ow * g->cout),
                              "%s: geometry %d, %d threads differ", fast_names[f], gi, threads);
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
            for (int32_t dil = 1; dil <= 4; dil *= 2) {
                check_fused(7, 3, channels[i], 33, stride, dil, NULL);
                check_fused(15, 16, channels[i], 20, stride, dil, pool);
                check_fused(1, 1, channels[i], 5, stride, dil, NULL);
                /* Tile heights 10 and 7 (10x10 and 7x7 maps), rows longer than a run. */
                check_fused(10, 10 * stride, channels[i], 48, stride, dil, pool);
                check_fused(7 * stride, 7, channels[i], 17, stride, dil, NULL);
                check_fused(3, 37, channels[i], 64, stride, dil, NULL);
                /* Runs whose inputs lie wholly inside, at every stride and dilation. */
                check_fused(6, 75, channels[i], 24, stride, dil, pool);
            }
    mo_threadpool_free(pool);
}
END_TEST

/* The RGB stem (3x3, stride 2), then dw, then pw, as three ops and as one stem-fused pass,
 * give the same bits; bands overlap and clip at the top and bottom of the image. */
static void check_stem_fused(int32_t h, int32_t w, int32_t c, int32_t cout, int32_t stride,
                             mo_threadpool *pool) {
    mo_conv_geom gs = {.cin = 3, .cout = c, .kernel = 3, .stride = 2, .pad = 1, .dilation = 1,
                       .groups = 1};
    mo_conv_geom gd = {.cin = c, .cout = c, .kernel = 3, .stride = stride, .pad = 1,
                       .dilation = 1, .groups = c};
    mo_conv_geom gp = {.cin = c, .cout = cout, .kernel = 1, .stride = 1, .pad = 0, .dilation = 1,
                       .groups = 1};
    float *ws = random_floats((size_t)c * 27, 41), *bs = random_floats((size_t)c, 42);
    float *wd = random_floats((size_t)c * 9, 43), *bd = random_floats((size_t)c, 44);
    float *wp = random_floats((size_t)c * cout, 45), *bp = random_floats((size_t)cout, 46);
    float *in = random_floats((size_t)h * w * 3, 47);
    mo_conv_op stem, dw, pw;
    mo_error err;
    ck_assert_int_eq(mo_conv_op_init(&stem, &gs, ws, bs, MO_ACT_RELU, MO_KERNEL_AUTO, &err), MO_OK);
    ck_assert_int_eq(mo_conv_op_init(&dw, &gd, wd, bd, MO_ACT_RELU, MO_KERNEL_AUTO, &err), MO_OK);
    ck_assert_int_eq(mo_conv_op_init(&pw, &gp, wp, bp, MO_ACT_RELU, MO_KERNEL_AUTO, &err), MO_OK);
    /* wherever dw and pw fuse (AVX-512), a stem of up to 64 channels fuses too */
    ck_assert_int_eq(mo_conv_op_can_fuse_stem(&stem, &dw, &pw), mo_conv_op_can_fuse(&dw, &pw));
    if (mo_conv_op_can_fuse_stem(&stem, &dw, &pw)) {
        int32_t sh, sw, oh, ow;
        mo_conv_op_out_size(&stem, h, w, &sh, &sw);
        mo_conv_op_out_size(&dw, sh, sw, &oh, &ow);
        size_t stem_n = (size_t)sh * sw * c, out_n = (size_t)oh * ow * cout;
        float *s = malloc(sizeof(float) * stem_n), *two = malloc(sizeof(float) * out_n);
        float *one = malloc(sizeof(float) * out_n);
        mo_conv_op_run(&stem, s, in, h, w, pool);
        mo_conv_op_run_fused(&dw, &pw, two, s, sh, sw, pool);
        ck_assert(mo_conv_op_run_stem_fused(&stem, &dw, &pw, one, in, h, w, pool));
        ck_assert_msg(!memcmp(one, two, sizeof(float) * out_n),
                      "stem-fused differs: %dx%d c %d -> %d s%d", w, h, c, cout, stride);
        free(s), free(two), free(one);
    }
    mo_conv_op_free(&stem);
    mo_conv_op_free(&dw);
    mo_conv_op_free(&pw);
    free(ws), free(bs), free(wd), free(bd), free(wp), free(bp), free(in);
}

START_TEST(a_stem_fused_into_its_depthwise_pointwise_pair_gives_the_same_bits) {
    static const int32_t channels[] = {13, 48, 64};
    mo_threadpool *pools[3] = {NULL};
    mo_error err;
    ck_assert_int_eq(mo_threadpool_create(&pools[1], 2, &err), MO_OK);
    ck_assert_int_eq(mo_threadpool_create(&pools[2], 5, &err), MO_OK);
    for (int i = 0; i < 3; i++)
        for (int32_t stride = 1; stride <= 2; stride++)
            for (int p = 0; p < 3; p++) {
                check_stem_fused(224, 224, channels[i], 48 + 16 * i, stride, pools[p]);
                check_stem_fused(37, 23, channels[i], 33, stride, pools[p]);
                check_stem_fused(2, 9, channels[i], 20, stride, pools[p]);
                check_stem_fused(61, 200, channels[i], 96, stride, pools[p]);
            }
    mo_threadpool_free(pools[1]);
    mo_threadpool_free(pools[2]);
}
END_TEST

/* A band of stem rows that would not fit the stack budget: nothing runs, 0 comes back (the
 * backbone then runs the three ops apart). */
START_TEST(a_stem_too_wide_to_fuse_runs_nothing) {
    const int32_t h = 6, w = 9000, c = 64;
    mo_conv_geom gs = {.cin = 3, .cout = c, .kernel = 3, .stride = 2, .pad = 1, .dilation = 1,
                       .groups = 1};
    mo_conv_geom gd = {.cin = c, .cout = c, .kernel = 3, .stride = 1, .pad = 1, .dilation = 1,
                       .groups = c};
    mo_conv_geom gp = {.cin = c, .cout = 16, .kernel = 1, .stride = 1, .pad = 0, .dilation = 1,
                       .groups = 1};
    float *ws = random_floats((size_t)c * 27, 51), *wd = random_floats((size_t)c * 9, 52);
    float *wp = random_floats((size_t)c * 16, 53), *in = random_floats((size_t)h * w * 3, 54);
    mo_conv_op stem, dw, pw;
    mo_error err;
    ck_assert_int_eq(mo_conv_op_init(&stem, &gs, ws, NULL, MO_ACT_RELU, MO_KERNEL_AUTO, &err), MO_OK);
    ck_assert_int_eq(mo_conv_op_init(&dw, &gd, wd, NULL, MO_ACT_RELU, MO_KERNEL_AUTO, &err), MO_OK);
    ck_assert_int_eq(mo_conv_op_init(&pw, &gp, wp, NULL, MO_ACT_RELU, MO_KERNEL_AUTO, &err), MO_OK);
    if (mo_conv_op_can_fuse_stem(&stem, &dw, &pw)) {
        const size_t n = (size_t)3 * 4500 * 16;
        float *out = malloc(sizeof(float) * n);
        for (size_t i = 0; i < n; i++) out[i] = -1.0f;
        ck_assert(!mo_conv_op_run_stem_fused(&stem, &dw, &pw, out, in, h, w, NULL));
        for (size_t i = 0; i < n; i++) ck_assert(out[i] == -1.0f);
        free(out);
    }
    mo_conv_op_free(&stem);
    mo_conv_op_free(&dw);
    mo_conv_op_free(&pw);
    free(ws), free(wd), free(wp), free(in);
}
END_TEST

START_TEST(avx2_ops_run_depthwise_and_pointwise_apart) {
    mo_conv_geom gd = {.cin = 16, .cout = 16, .kernel = 3, .stride = 1, .pad = 1, .dilation = 1,
                       .groups = 16};
    mo_conv_geom gp = {.cin = 16, .cout = 32, .kernel = 1, .stride = 1, .pad = 0, .dilation = 1,
                       .groups = 1};
    float *wd = random_floats(16 * 9, 31), *wp = random_floats(16 * 32, 32);
    mo_conv_op dw, pw;
    mo_error err;
    ck_assert_int_eq(mo_conv_op_init(&dw, &gd, wd, NULL, MO_ACT_RELU, MO_KERNEL_AVX2, &err), MO_OK);
    ck_assert_int_eq(mo_conv_op_init(&pw, &gp, wp, NULL, MO_ACT_RELU, MO_KERNEL_AVX2, &err), MO_OK);
    ck_assert(!mo_conv_op_can_fuse(&dw, &pw));
    mo_conv_op_free(&dw);
    mo_conv_op_free(&pw);
    free(wd), free(wp);
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
    tcase_add_test(tc, a_stem_fused_into_its_depthwise_pointwise_pair_gives_the_same_bits);
    tcase_add_test(tc, a_stem_too_wide_to_fuse_runs_nothing);
    tcase_add_test(tc, avx2_ops_run_depthwise_and_pointwise_apart);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
