/* dwconv_avx2.c - the AVX2+FMA depthwise convolution (groups = cin = cout), kernels up to
 * DW_AVX2_MAX_K, any stride, padding and dilation, bias and activation fused. Compiled with
 * -mavx2 -mfma; called only when mo_cpu_has_avx2().
 *
 * Channels sit in the vector lanes, 8 at a time; weights are f32_dwconv_pack's [tap][channels
 * padded to 16], then the bias, so weight and bias loads never need a mask. Per output row and
 * block of 8 channels, the columns whose taps all lie inside the input run in groups of 8, 4
 * and 1 pixels: one weight load feeds up to 8 independent FMA chains, which hides the FMA
 * latency. Border columns check every tap. Each output sums the bias, then the taps inside the
 * input row by row, left to right. Threads split output rows. */
#include "gemm.h"

typedef struct dw_job {
    const mo_conv_op *op;
    float *out;
    const float *in;
    int32_t in_h, in_w, out_w;
    int32_t ox_lo, ox_hi; /* the output columns whose taps all lie inside the input's width */
} dw_job;

/* Input channels c0.. at p: 8, or the first lanes of mask for the last block (full is a
 * constant where this inlines, so the interior loads carry no mask). */
static inline __m256 load_in(const float *p, __m256i mask, int full) {
    return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}

/* One output pixel (oy, ox), channels c0.., every tap bounds-checked. */
static void dw_pixel_checked(const dw_job *j, int32_t oy, int32_t ox, int32_t c0, __m256i mask,
                             float *o) {
    const mo_conv_geom *g = &j->op->geom;
    const int32_t c = g->cout, cpad = (c + 15) / 16 * 16, k = g->kernel;
    const float *w = j->op->packed;
    __m256 acc = _mm256_load_ps(w + (size_t)k * k * cpad + c0);
    for (int32_t ky = 0; ky < k; ky++) {
        const int32_t iy = oy * g->stride - g->pad + ky * g->dilation;
        if (iy < 0 || iy >= j->in_h) continue;
        for (int32_t kx = 0; kx < k; kx++) {
            const int32_t ix = ox * g->stride - g->pad + kx * g->dilation;
            if (ix < 0 || ix >= j->in_w) continue;
            const float *x = j->in + ((int64_t)iy * j->in_w + ix) * c + c0;
            acc = _mm256_fmadd_ps(_mm256_maskload_ps(x, mask),
                                  _mm256_load_ps(w + (size_t)(ky * k + kx) * cpad + c0), acc);
        }
    }
    _mm256_maskstore_ps(o, mask, activate8(acc, j->op->act));
}

/* U interior output pixels from column ox, channels c0..: rows[ky] is the input row tap row ky
 * reads, or NULL when it lies in the padding (its taps add nothing). U and full are constants
 * at each call, so the accumulators live in registers. */
static inline __attribute__((always_inline)) void dw_block(const dw_job *j,
                                                           const float *const *rows, int32_t ox,
                                                           int32_t c0, __m256i mask, float *o,
                                                           const int U, const int full,
                                                           const int32_t k) {
    const mo_conv_geom *g = &j->op->geom;
    const int32_t c = g->cout, cpad = (c + 15) / 16 * 16;
    const int64_t pixel_step = (int64_t)g->stride * c, tap_step = (int64_t)g->dilation * c;
    const int64_t x0 = (int64_t)(ox * g->stride - g->pad) * c + c0;
    const float *w = j->op->packed + c0;
    __m256 acc[8];
    const __m256 bias = _mm256_load_ps(w + (size_t)k * k * cpad);
#pragma GCC unroll 8
    for (int u = 0; u < U; u++) acc[u] = bias;
#pragma GCC unroll 3
    for (int32_t ky = 0; ky < k; ky++) {
        if (!rows[ky]) continue;
        const float *x = rows[ky] + x0;
#pragma GCC unroll 3
        for (int32_t kx = 0; kx < k; kx++, x += tap_step) {
            const __m256 wv = _mm256_load_ps(w + (size_t)(ky * k + kx) * cpad);
#pragma GCC unroll 8
            for (int u = 0; u < U; u++)
                acc[u] = _mm256_fmadd_ps(load_in(x + u * pixel_step, mask, full), wv, acc[u]);
        }
    }
#pragma GCC unroll 8
    for (int u = 0; u < U; u++) {
        const __m256 v = activate8(acc[u], j->op->act);
        if (full) _mm256_storeu_ps(o + (int64_t)u * c, v);
        else _mm256_maskstore_ps(o + (int64_t)u * c, mask, v);
    }
}

/* The interior columns of one row for one channel block: 8 pixels at a time, then 4, then 1.
 * k is a constant (3, unrolled) or the op's kernel size. */
static inline __attribute__((always_inline)) void dw_interior(const dw_job *j,
                                                              const float *const *rows,
                                                              int32_t c0, __m256i mask,
                                                              float *out_row, const int full,
                                                              const int32_t k) {
    const int32_t c = j->op->geom.cout;
    int32_t ox = j->ox_lo;
    for (; ox + 8 <= j->ox_hi + 1; ox += 8)
        dw_block(j, rows, ox, c0, mask, out_row + (int64_t)ox * c + c0, 8, full, k);
    for (; ox + 4 <= j->ox_hi + 1; ox += 4)
        dw_block(j, rows, ox, c0, mask, out_row + (int64_t)ox * c + c0, 4, full, k);
    for (; ox <= j->ox_hi; ox++)
        dw_block(j, rows, ox, c0, mask, out_row + (int64_t)ox * c + c0, 1, full, k);
}

static void dw_row(void *ctx, int64_t item) {
    const dw_job *j = ctx;
    const mo_conv_geom *g = &j->op->geom;
    const int32_t c = g->cout, k = g->kernel, oy = (int32_t)item;
    float *out_row = j->out + (int64_t)oy * j->out_w * c;
    const float *rows[DW_AVX2_MAX_K];
    for (int32_t ky = 0; ky < k; ky++) {
        const int32_t iy = oy * g->stride - g->pad + ky * g->dilation;
        rows[ky] = iy >= 0 && iy < j->in_h ? j->in + (int64_t)iy * j->in_w * c : NULL;
    }
    for (int32_t c0 = 0; c0 < c; c0 += 8) {
        const __m256i mask = lanes8(c - c0);
        for (int32_t ox = 0; ox < j->out_w && ox < j->ox_lo; ox++)
            dw_pixel_checked(j, oy, ox, c0, mask, out_row + (int64_t)ox * c + c0);
        if (k == 3 && c - c0 >= 8) dw_interior(j, rows, c0, mask, out_row, 1, 3);
        else if (c - c0 >= 8) dw_interior(j, rows, c0, mask, out_row, 1, k);
        else dw_interior(j, rows, c0, mask, out_row, 0, k);
        for (int32_t ox = j->ox_hi + 1 > j->ox_lo ? j->ox_hi + 1 : j->ox_lo; ox < j->out_w; ox++)
            dw_pixel_checked(j, oy, ox, c0, mask, out_row + (int64_t)ox * c + c0);
    }
}

void f32_dwconv_run_avx2(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                         int32_t in_w, mo_threadpool *pool) {
    const mo_conv_geom *g = &op->geom;
    dw_job j = {.op = op, .out = out, .in = in, .in_h = in_h, .in_w = in_w};
    int32_t out_h;
    mo_conv_op_out_size(op, in_h, in_w, &out_h, &j.out_w);
    /* Columns ox with ox * s - pad >= 0 and ox * s - pad + (k - 1) d <= in_w - 1. */
    j.ox_lo = (g->pad + g->stride - 1) / g->stride;
    const int32_t span = in_w - 1 - (g->kernel - 1) * g->dilation + g->pad;
    j.ox_hi = span < 0 ? -1 : span / g->stride;
    if (j.ox_hi > j.out_w - 1) j.ox_hi = j.out_w - 1;
    mo_threadpool_run(pool, out_h, dw_row, &j);
}
