/* dwconv_avx512.c - the AVX-512 depthwise convolution (channels in the vector lanes).
 * Compiled with -mavx512f; called only when mo_cpu_has_avx512(). */
#include <immintrin.h>

#include "avx512_util.h"
#include "gemm.h"

typedef struct dw_job {
    const mo_conv_op *op;
    float *out;
    const float *in;
    int32_t in_h, in_w, out_w;
} dw_job;

/* Border pixels (and kernels other than 3x3): every tap bounds-checked. A 3x3 tap outside the
 * input reads zeros and still adds its term, exactly as the fused kernel in gemm_avx512.c
 * does, so that both give the same bits; other kernel sizes skip such taps in both. */
static void dw_pixel_generic(const dw_job *j, int32_t oy, int32_t ox, int32_t c0, __mmask16 mask,
                             float *o) {
    const mo_conv_geom *g = &j->op->geom;
    const int32_t c = g->cout, cpad = (c + 15) / 16 * 16, k = g->kernel;
    const float *w = j->op->packed, *zeros = w + (size_t)(k * k + 1) * cpad;
    __m512 acc = _mm512_maskz_loadu_ps(mask, w + (size_t)k * k * cpad + c0);
    for (int32_t ky = 0; ky < k; ky++) {
        int32_t iy = oy * g->stride - g->pad + ky * g->dilation;
        int row_inside = iy >= 0 && iy < j->in_h;
        if (!row_inside && k != 3) continue;
        for (int32_t kx = 0; kx < k; kx++) {
            int32_t ix = ox * g->stride - g->pad + kx * g->dilation;
            int inside = row_inside && ix >= 0 && ix < j->in_w;
            if (!inside && k != 3) continue;
            const float *x = inside ? j->in + ((int64_t)iy * j->in_w + ix) * c + c0 : zeros;
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, x),
                                  _mm512_maskz_loadu_ps(mask, w + (size_t)(ky * k + kx) * cpad + c0),
                                  acc);
        }
    }
    _mm512_mask_storeu_ps(o, mask, activate(acc, j->op->act));
}

/* One output row of a 3x3 depthwise conv: per block of 16 channels the 9 weights stay in
 * registers while the row is swept; interior pixels skip all bounds checks. */
static void dw_row(void *ctx, int64_t oy64) {
    const dw_job *j = ctx;
    const mo_conv_geom *g = &j->op->geom;
    const int32_t c = g->cout, cpad = (c + 15) / 16 * 16, s = g->stride, d = g->dilation;
    const int32_t oy = (int32_t)oy64;
    float *out_row = j->out + (int64_t)oy * j->out_w * c;
    if (g->kernel != 3) {
        for (int32_t c0 = 0; c0 < c; c0 += 16) {
            __mmask16 mask = c - c0 >= 16 ? 0xFFFF : (__mmask16)((1u << (c - c0)) - 1);
            for (int32_t ox = 0; ox < j->out_w; ox++)
                dw_pixel_generic(j, oy, ox, c0, mask, out_row + (int64_t)ox * c + c0);
        }
        return;
    }
    /* The input rows this output row reads, and the taps' rows in the weights. */
    const float *rows[3];
    int32_t tap_row[3], n_rows = 0;
    for (int32_t ky = 0; ky < 3; ky++) {
        int32_t iy = oy * s - g->pad + ky * d;
        if (iy >= 0 && iy < j->in_h) {
            rows[n_rows] = j->in + (int64_t)iy * j->in_w * c;
            tap_row[n_rows++] = ky;
        }
    }
    /* Output columns whose three taps all fall inside the input. */
    int32_t ox_lo = (g->pad + s - 1) / s, ox_hi = (j->in_w - 1 - 2 * d + g->pad);
    ox_hi = ox_hi < 0 ? -1 : ox_hi / s;
    if (ox_hi > j->out_w - 1) ox_hi = j->out_w - 1;
    const float *w = j->op->packed;
    for (int32_t c0 = 0; c0 < c; c0 += 16) {
        __mmask16 mask = c - c0 >= 16 ? 0xFFFF : (__mmask16)((1u << (c - c0)) - 1);
        __m512 wt[9];
        for (int t = 0; t < 9; t++) wt[t] = _mm512_maskz_loadu_ps(mask, w + (size_t)t * cpad + c0);
        const __m512 bias = _mm512_maskz_loadu_ps(mask, w + (size_t)9 * cpad + c0);
        for (int32_t ox = 0; ox < j->out_w; ox++) {
            float *o = out_row + (int64_t)ox * c + c0;
            if (n_rows < 3 || ox < ox_lo || ox > ox_hi) {
                dw_pixel_generic(j, oy, ox, c0, mask, o);
                continue;
            }
            const int64_t x0 = (int64_t)(ox * s - g->pad) * c + c0, step = (int64_t)d * c;
            __m512 acc = bias;
            for (int32_t r = 0; r < n_rows; r++) {
                const float *in = rows[r] + x0;
                const __m512 *wr = wt + 3 * tap_row[r];
                acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, in), wr[0], acc);
                acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, in + step), wr[1], acc);
                acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, in + 2 * step), wr[2], acc);
            }
            _mm512_mask_storeu_ps(o, mask, activate(acc, j->op->act));
        }
    }
}

void f32_dwconv_run_avx512(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                           int32_t in_w, mo_threadpool *pool) {
    dw_job j = {.op = op, .out = out, .in = in, .in_h = in_h, .in_w = in_w};
    int32_t out_h;
    mo_conv_op_out_size(op, in_h, in_w, &out_h, &j.out_w);
    mo_threadpool_run(pool, out_h, dw_row, &j);
}
