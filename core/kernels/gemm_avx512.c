/* gemm_avx512.c - the AVX-512 indirect-GEMM convolution and depthwise convolution.
 * Compiled with -mavx512f; called only when mo_cpu_has_avx512(). See gemm.h for layouts. */
#include <immintrin.h>
#include <string.h>

#include "gemm.h"

#define MAX_TAPS 49

static inline __m512 activate(__m512 v, mo_act act) {
    if (act == MO_ACT_NONE) return v;
    v = _mm512_max_ps(v, _mm512_setzero_ps());
    return act == MO_ACT_RELU6 ? _mm512_min_ps(v, _mm512_set1_ps(6.0f)) : v;
}

/* C[m_count x n] (row stride ldc) = (first ? bias : C) + A[kc][MR] * B[kc][NR], activation on
 * the last depth block. Rows past m_count are computed from padding and not stored. */
static void kernel_14x32(int32_t kc, const float *a, const float *b, float *c, int64_t ldc,
                         int32_t m_count, __mmask16 mask0, __mmask16 mask1, const float *bias,
                         int first, int last, mo_act act) {
    __m512 acc0[GEMM_MR], acc1[GEMM_MR];
    if (first) {
        __m512 b0 = _mm512_loadu_ps(bias), b1 = _mm512_loadu_ps(bias + 16);
#pragma GCC unroll 14
        for (int m = 0; m < GEMM_MR; m++) acc0[m] = b0, acc1[m] = b1;
    } else {
#pragma GCC unroll 14
        for (int m = 0; m < GEMM_MR; m++) {
            int mm = m < m_count ? m : 0;
            acc0[m] = _mm512_maskz_loadu_ps(mask0, c + mm * ldc);
            acc1[m] = _mm512_maskz_loadu_ps(mask1, c + mm * ldc + 16);
        }
    }
    for (int32_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(b + (size_t)k * GEMM_NR);
        __m512 b1 = _mm512_loadu_ps(b + (size_t)k * GEMM_NR + 16);
        const float *ak = a + (size_t)k * GEMM_MR;
#pragma GCC unroll 14
        for (int m = 0; m < GEMM_MR; m++) {
            __m512 av = _mm512_set1_ps(ak[m]);
            acc0[m] = _mm512_fmadd_ps(av, b0, acc0[m]);
            acc1[m] = _mm512_fmadd_ps(av, b1, acc1[m]);
        }
    }
#pragma GCC unroll 14
    for (int m = 0; m < GEMM_MR; m++) {
        if (m >= m_count) break;
        __m512 v0 = acc0[m], v1 = acc1[m];
        if (last) v0 = activate(v0, act), v1 = activate(v1, act);
        _mm512_mask_storeu_ps(c + m * ldc, mask0, v0);
        _mm512_mask_storeu_ps(c + m * ldc + 16, mask1, v1);
    }
}

typedef struct igemm_job {
    const mo_conv_op *op;
    float *out;
    const float *in;
    int32_t in_h, in_w, out_w;
    int64_t pixels;
    int32_t k_total, panels, tiles, tiles_per_item, panels_per_item, panel_chunks;
    const float *zeros; /* cin zeros, for taps that fall in the padding */
} igemm_job;

/* Pointers to the cin input values each (pixel, tap) of a tile reads. */
static void gather_rows(const igemm_job *j, int64_t p0, int32_t m_count, const float **rows) {
    const mo_conv_geom *g = &j->op->geom;
    const int32_t taps = g->kernel * g->kernel;
    for (int32_t m = 0; m < GEMM_MR; m++) {
        int64_t p = p0 + (m < m_count ? m : m_count - 1);
        int32_t oy = (int32_t)(p / j->out_w), ox = (int32_t)(p % j->out_w);
        for (int32_t t = 0; t < taps; t++) {
            int32_t iy = oy * g->stride - g->pad + (t / g->kernel) * g->dilation;
            int32_t ix = ox * g->stride - g->pad + (t % g->kernel) * g->dilation;
            int inside = iy >= 0 && iy < j->in_h && ix >= 0 && ix < j->in_w;
            rows[m * taps + t] =
                inside ? j->in + ((int64_t)iy * j->in_w + ix) * g->cin : j->zeros;
        }
    }
}

/* A block [kc][MR] from depth k0 on: k = tap * cin + channel. One division per block; the
 * MR rows of each k are read through the tile's tap pointers. */
static void pack_a(const igemm_job *j, const float **rows, int32_t k0, int32_t kc, float *apack) {
    const int32_t cin = j->op->geom.cin, taps = j->op->geom.kernel * j->op->geom.kernel;
    int32_t t = k0 / cin, c = k0 % cin;
    for (int32_t kk = 0; kk < kc;) {
        int32_t len = cin - c < kc - kk ? cin - c : kc - kk;
        const float *src[GEMM_MR];
        for (int32_t m = 0; m < GEMM_MR; m++) src[m] = rows[m * taps + t] + c;
        for (int32_t i = 0; i < len; i++) {
            float *dst = apack + (size_t)(kk + i) * GEMM_MR;
#pragma GCC unroll 14
            for (int32_t m = 0; m < GEMM_MR; m++) dst[m] = src[m][i];
        }
        kk += len;
        c = 0;
        t++;
    }
}

static void igemm_item(void *ctx, int64_t item) {
    const igemm_job *j = ctx;
    const mo_conv_op *op = j->op;
    const int32_t cout = op->geom.cout, taps = op->geom.kernel * op->geom.kernel;
    const int32_t tile_begin = (int32_t)(item / j->panel_chunks) * j->tiles_per_item;
    const int32_t panel_begin = (int32_t)(item % j->panel_chunks) * j->panels_per_item;
    const int32_t tile_end = tile_begin + j->tiles_per_item < j->tiles
                                 ? tile_begin + j->tiles_per_item : j->tiles;
    const int32_t panel_end = panel_begin + j->panels_per_item < j->panels
                                  ? panel_begin + j->panels_per_item : j->panels;
    const float *bias = op->packed + (size_t)j->panels * j->k_total * GEMM_NR;
    _Alignas(64) float apack[GEMM_KC * GEMM_MR];
    const float *rows[GEMM_MR * MAX_TAPS];
    for (int32_t tile = tile_begin; tile < tile_end; tile++) {
        int64_t p0 = (int64_t)tile * GEMM_MR;
        int32_t m_count = j->pixels - p0 < GEMM_MR ? (int32_t)(j->pixels - p0) : GEMM_MR;
        gather_rows(j, p0, m_count, rows);
        for (int32_t k0 = 0; k0 < j->k_total; k0 += GEMM_KC) {
            int32_t kc = j->k_total - k0 < GEMM_KC ? j->k_total - k0 : GEMM_KC;
            pack_a(j, rows, k0, kc, apack);
            for (int32_t panel = panel_begin; panel < panel_end; panel++) {
                int32_t n0 = panel * GEMM_NR, n = cout - n0 < GEMM_NR ? cout - n0 : GEMM_NR;
                __mmask16 mask0 = n >= 16 ? 0xFFFF : (__mmask16)((1u << n) - 1);
                __mmask16 mask1 = n >= 32 ? 0xFFFF : n > 16 ? (__mmask16)((1u << (n - 16)) - 1) : 0;
                const float *b = op->packed + ((size_t)panel * j->k_total + k0) * GEMM_NR;
                kernel_14x32(kc, apack, b, j->out + p0 * cout + n0, cout, m_count, mask0, mask1,
                             bias + n0, k0 == 0, k0 + kc == j->k_total, op->act);
            }
        }
    }
    (void)taps;
}

void f32_igemm_run_avx512(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                          int32_t in_w, mo_threadpool *pool) {
    igemm_job j = {.op = op, .out = out, .in = in, .in_h = in_h, .in_w = in_w};
    int32_t out_h;
    mo_conv_op_out_size(op, in_h, in_w, &out_h, &j.out_w);
    j.pixels = (int64_t)out_h * j.out_w;
    j.k_total = op->geom.kernel * op->geom.kernel * op->geom.cin;
    j.panels = (op->geom.cout + GEMM_NR - 1) / GEMM_NR;
    j.tiles = (int32_t)((j.pixels + GEMM_MR - 1) / GEMM_MR);
    j.zeros = op->packed + (size_t)j.panels * j.k_total * GEMM_NR + (size_t)j.panels * GEMM_NR;
    /* Work items: a few tiles by a few panels, enough items to balance the threads while
     * each keeps its B panels in L2. The split never changes what a single output sums. */
    j.panels_per_item = j.panels < 8 ? j.panels : 8;
    j.panel_chunks = (j.panels + j.panels_per_item - 1) / j.panels_per_item;
    j.tiles_per_item = 4;
    int64_t items = (int64_t)((j.tiles + j.tiles_per_item - 1) / j.tiles_per_item) * j.panel_chunks;
    mo_threadpool_run(pool, items, igemm_item, &j);
}

typedef struct dw_job {
    const mo_conv_op *op;
    float *out;
    const float *in;
    int32_t in_h, in_w, out_w;
} dw_job;

/* Any kernel size, every tap bounds-checked: the border pixels, and kernels other than 3x3. */
static void dw_pixel_generic(const dw_job *j, int32_t oy, int32_t ox, int32_t c0, __mmask16 mask,
                             float *o) {
    const mo_conv_geom *g = &j->op->geom;
    const int32_t c = g->cout, cpad = (c + 15) / 16 * 16, k = g->kernel;
    const float *w = j->op->packed;
    __m512 acc = _mm512_maskz_loadu_ps(mask, w + (size_t)k * k * cpad + c0);
    for (int32_t ky = 0; ky < k; ky++) {
        int32_t iy = oy * g->stride - g->pad + ky * g->dilation;
        if (iy < 0 || iy >= j->in_h) continue;
        for (int32_t kx = 0; kx < k; kx++) {
            int32_t ix = ox * g->stride - g->pad + kx * g->dilation;
            if (ix < 0 || ix >= j->in_w) continue;
            __m512 x = _mm512_maskz_loadu_ps(mask, j->in + ((int64_t)iy * j->in_w + ix) * c + c0);
            acc = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(mask, w + (size_t)(ky * k + kx) * cpad + c0),
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
            if (ox < ox_lo || ox > ox_hi) {
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
