/* gemm_avx512.c - the AVX-512 indirect-GEMM convolution, optionally fused with the depthwise
 * convolution that produces its input. Compiled with -mavx512f; called only when
 * mo_cpu_has_avx512(). See gemm.h for the layouts.
 *
 * Per micro-tile of up to GEMM_MR output pixels and a depth block of up to A_KC, A is packed
 * row-major [MR][KC]: for a 1x1 conv a copy of each pixel's channels, for a KxK conv the taps'
 * channels gathered through per-pixel pointers (zeros outside the image; with many input
 * channels one tap at a time, over only the pixels it reads inside the image), and for a fused
 * dw -> pw pair the depthwise outputs computed right there, so they never travel through
 * memory. The kernel writes its rows through pointers, so a tile's pixels need not be
 * adjacent. */
#include <immintrin.h>
#include <string.h>

#include "avx512_util.h"
#include "gemm.h"
#include "igemm_tiles.h"

#define MAX_TAPS 49

/* The row stride of A in floats, which bounds a depth block: A_KC, or for 1x1 convs deeper than
 * that over many tiles A_KC_DEEP. Deep blocks save round trips of the partial sums through the
 * output (S3 and S4 run 1-2 % faster); the shallow stride keeps A compact where the depth is
 * small (S0's layers ran 2-3 % slower at the deep stride). A_KC_DEEP is a multiple of 16, so
 * rows stay 64-byte aligned, but not of 256; an item's A (ITEM_TILES tiles) fits L2. */
#define A_KC 256
#define A_KC_DEEP 528

/* C[m_count x n] = (first ? bias : C) + A[MR][KC] B[kc][NR], with the activation on the last
 * depth block, where C's row m starts at c[m] + col (output pixels need not be adjacent). Rows
 * past m_count are computed and not stored. MR (the
 * tile height) and halves are constants at each call site; with halves = 1 only the panel's
 * first 16 columns are computed: the last panel of a layer whose width is 16 more than a
 * multiple of 32 (48, 546). With prefetch set, lines of the next block of B from there on are
 * fetched into L2 along the way -- two a depth step (pf_shift -1) or one every 2^pf_shift:
 * wide layers on small maps stream their weights from memory, and the hardware prefetcher
 * alone stalls at each new panel. */
static inline __attribute__((always_inline)) void
kernel_mxn(int32_t kc, const float *a, const float *b, float *const *c, int32_t col,
           int32_t m_count, __mmask16 mask0, __mmask16 mask1, const float *bias, int first,
           int last, mo_act act, const float *prefetch, int pf_shift, const int MR,
           const int halves, const int AS) {
    __m512 acc0[GEMM_MR], acc1[GEMM_MR];
    if (first) {
        __m512 b0 = _mm512_loadu_ps(bias), b1 = _mm512_loadu_ps(bias + 16);
#pragma GCC unroll 14
        for (int m = 0; m < MR; m++) {
            acc0[m] = b0;
            if (halves == 2) acc1[m] = b1;
        }
    } else {
#pragma GCC unroll 14
        for (int m = 0; m < MR; m++) {
            int mm = m < m_count ? m : 0;
            acc0[m] = _mm512_maskz_loadu_ps(mask0, c[mm] + col);
            if (halves == 2) acc1[m] = _mm512_maskz_loadu_ps(mask1, c[mm] + col + 16);
        }
    }
    for (int32_t k = 0; k < kc; k++) {
        if (prefetch && pf_shift < 0) {
            _mm_prefetch((const char *)(prefetch + (size_t)k * GEMM_NR), _MM_HINT_T1);
            _mm_prefetch((const char *)(prefetch + (size_t)k * GEMM_NR + 16), _MM_HINT_T1);
        } else if (prefetch && (k & ((1 << pf_shift) - 1)) == 0) {
            _mm_prefetch((const char *)(prefetch + (size_t)(k >> pf_shift) * 16), _MM_HINT_T1);
        }
        __m512 b0 = _mm512_loadu_ps(b + (size_t)k * GEMM_NR);
        __m512 b1 = halves == 2 ? _mm512_loadu_ps(b + (size_t)k * GEMM_NR + 16) : b0;
#pragma GCC unroll 14
        for (int m = 0; m < MR; m++) {
            __m512 av = _mm512_set1_ps(a[m * AS + k]);
            acc0[m] = _mm512_fmadd_ps(av, b0, acc0[m]);
            if (halves == 2) acc1[m] = _mm512_fmadd_ps(av, b1, acc1[m]);
        }
    }
#pragma GCC unroll 14
    for (int m = 0; m < MR; m++) {
        if (m >= m_count) break;
        __m512 v0 = acc0[m];
        if (last) v0 = activate(v0, act);
        _mm512_mask_storeu_ps(c[m] + col, mask0, v0);
        if (halves == 2) {
            __m512 v1 = acc1[m];
            if (last) v1 = activate(v1, act);
            _mm512_mask_storeu_ps(c[m] + col + 16, mask1, v1);
        }
    }
}

#define KERNEL(MR, HALVES, AS)                                                                     \
    static void kernel_##MR##x##HALVES##_##AS(                                                     \
        int32_t kc, const float *a, const float *b, float *const *c, int32_t col, int32_t m_count, \
        __mmask16 mask0, __mmask16 mask1, const float *bias, int first, int last, mo_act act,      \
        const float *prefetch, int pf_shift) {                                                     \
        kernel_mxn(kc, a, b, c, col, m_count, mask0, mask1, bias, first, last, act, prefetch,      \
                   pf_shift, MR, HALVES, AS);                                                      \
    }
#define KERNELS(AS)                                                                                \
    KERNEL(14, 2, AS)                                                                              \
    KERNEL(14, 1, AS)                                                                              \
    KERNEL(10, 2, AS)                                                                              \
    KERNEL(10, 1, AS)                                                                              \
    KERNEL(7, 2, AS)                                                                               \
    KERNEL(7, 1, AS)                                                                               \
    KERNEL(4, 2, AS)                                                                               \
    KERNEL(4, 1, AS)
KERNELS(256)
KERNELS(528)
_Static_assert(A_KC == 256 && A_KC_DEEP == 528, "the kernels are instantiated for these strides");

typedef void (*kernel_fn)(int32_t kc, const float *a, const float *b, float *const *c, int32_t col,
                          int32_t m_count, __mmask16 mask0, __mmask16 mask1, const float *bias,
                          int first, int last, mo_act act, const float *prefetch, int pf_shift);

/* The tile heights there are kernels for; choose_mr picks one per layer. */
static const int32_t mr_options[] = {14, 10, 7, 4};

/* [deep stride][tile height, as mr_options][one half] */
static const kernel_fn kernels[2][4][2] = {
    {{kernel_14x2_256, kernel_14x1_256},
     {kernel_10x2_256, kernel_10x1_256},
     {kernel_7x2_256, kernel_7x1_256},
     {kernel_4x2_256, kernel_4x1_256}},
    {{kernel_14x2_528, kernel_14x1_528},
     {kernel_10x2_528, kernel_10x1_528},
     {kernel_7x2_528, kernel_7x1_528},
     {kernel_4x2_528, kernel_4x1_528}},
};

static kernel_fn kernel_for(int32_t mr, int32_t n, int32_t a_stride) {
    const int height = mr == 14 ? 0 : mr == 10 ? 1 : mr == 7 ? 2 : 3;
    return kernels[a_stride == A_KC_DEEP][height][n <= 16];
}

/* The tile height for a layer of `pixels` outputs: the tallest tile (it loads B least often
 * per FMA) unless a shorter one cuts the rows computed past the last pixel by more than 5 %,
 * as 10 does for a 10x10 map (100 rows, not 112) and 7 for 7x7. */
static int32_t choose_mr(int64_t pixels) {
    int32_t best = mr_options[0];
    int64_t best_rows = (pixels + best - 1) / best * best;
    for (size_t i = 1; i < sizeof mr_options / sizeof mr_options[0]; i++) {
        const int32_t mr = mr_options[i];
        const int64_t rows = (pixels + mr - 1) / mr * mr;
        if (rows * 100 < best_rows * 95) best = mr, best_rows = rows;
    }
    return best;
}

typedef struct igemm_job {
    const mo_conv_op *op;
    const mo_conv_op *dw; /* the depthwise conv computing A on the fly, or NULL */
    float *out;
    const float *in;    /* the op's input, or the depthwise conv's input when fused */
    int32_t in_h, in_w; /* the op's input size (the depthwise output size when fused) */
    int32_t dw_in_h, dw_in_w;
    int32_t out_h, out_w;
    int64_t pixels;
    int32_t mr;                /* tile height, from choose_mr */
    int32_t a_stride, a_depth; /* A's row stride (A_KC or A_KC_DEEP) and deepest block */
    int32_t k_total, panels, tiles, panels_per_item, panel_chunks;
    int32_t tiles_per_item; /* per item: tiles, or output rows for tap-major items */
    const float *zeros;     /* cin zeros, for taps that fall in the padding */
    /* Stem fusion: the depthwise conv's input is the output of the direct op `stem` on
     * `image`, computed band by band; `in` then holds that output's rows from in_row0 on. */
    const mo_conv_op *stem;
    const float *image;
    int32_t image_h, image_w, in_row0;
    int32_t stem_items, stem_runs, band_rows; /* items, runs of them (one a thread), band */
} igemm_job;

static void tile_pixels(const igemm_job *j, int64_t p0, int32_t m_count, int32_t *oy, int32_t *ox) {
    igemm_tile_pixels(j->out_w, p0, m_count, j->mr, oy, ox);
}

static void gather_rows(const igemm_job *j, const int32_t *oy, const int32_t *ox,
                        const float **rows) {
    igemm_gather_rows(&j->op->geom, j->in, j->in_h, j->in_w, j->zeros, j->mr, oy, ox, rows);
}

/* A block [MR][KC] from depth k0 on, k = tap * cin + channel. */
static void pack_a(const igemm_job *j, const float **rows, int32_t k0, int32_t kc, float *apack) {
    const int32_t cin = j->op->geom.cin, taps = j->op->geom.kernel * j->op->geom.kernel;
    for (int32_t m = 0; m < j->mr; m++) {
        float *dst = apack + m * j->a_stride;
        int32_t t = k0 / cin, c = k0 % cin;
        for (int32_t kk = 0; kk < kc; t++, c = 0) {
            int32_t len = cin - c < kc - kk ? cin - c : kc - kk;
            memcpy(dst + kk, rows[m * taps + t] + c, sizeof(float) * (size_t)len);
            kk += len;
        }
    }
}

/* One depthwise output vector (16 channels from ch) at input origin (y0, x0), every tap
 * bounds-checked: pixels at the border, kernels other than 3x3. */
static __m512 depthwise_generic(const igemm_job *j, int32_t y0, int32_t x0, int32_t ch,
                                __mmask16 mask) {
    const mo_conv_geom *g = &j->dw->geom;
    const int32_t c = g->cout, cpad = (c + 15) / 16 * 16, k = g->kernel;
    const float *w = j->dw->packed;
    __m512 acc = _mm512_maskz_loadu_ps(mask, w + (size_t)k * k * cpad + ch);
    for (int32_t ky = 0; ky < k; ky++) {
        int32_t iy = y0 + ky * g->dilation;
        if (iy < 0 || iy >= j->dw_in_h) continue;
        const float *row = j->in + (int64_t)(iy - j->in_row0) * j->dw_in_w * c + ch;
        for (int32_t kx = 0; kx < k; kx++) {
            int32_t ix = x0 + kx * g->dilation;
            if (ix < 0 || ix >= j->dw_in_w) continue;
            acc = _mm512_fmadd_ps(
                _mm512_maskz_loadu_ps(mask, row + (int64_t)ix * c),
                _mm512_maskz_loadu_ps(mask, w + (size_t)(ky * k + kx) * cpad + ch), acc);
        }
    }
    return acc;
}

#define DW_MAX_SPAN (2 * (GEMM_MR - 1) + 3) /* the widest: stride 2, dilation 1 */

/* The channel loop of depthwise_run over blocks of 16 channels: the input vector of row ky,
 * span column xi, block i is at rows[ky] + xi * c + i (direct, rows given) or at
 * src[ky][xi] + i (table, rows NULL). */
static inline __attribute__((always_inline)) void
depthwise_channels(const mo_conv_op *dw, int32_t n, int32_t k0, int32_t kc, float *a, int32_t as,
                   const float *const (*src)[DW_MAX_SPAN], const float *const *rows, const int S,
                   const int D) {
    const int span = S * (GEMM_MR - 1) + 2 * D + 1;
    const int32_t c = dw->geom.cout, cpad = (c + 15) / 16 * 16;
    const float *w = dw->packed;
    for (int32_t i = 0; i < kc; i += 16) {
        const __mmask16 mask = lanes(kc - i);
        const int32_t ch = k0 + i;
        __m512 acc[GEMM_MR];
        const __m512 bias = _mm512_maskz_loadu_ps(mask, w + (size_t)9 * cpad + ch);
#pragma GCC unroll 14
        for (int m = 0; m < GEMM_MR; m++)
            acc[m] = bias;
        for (int ky = 0; ky < 3; ky++) {
            __m512 wk[3];
            for (int kx = 0; kx < 3; kx++)
                wk[kx] = _mm512_maskz_loadu_ps(mask, w + (size_t)(3 * ky + kx) * cpad + ch);
#pragma GCC unroll 32
            for (int xi = 0; xi < span; xi++) {
                const float *x = rows ? rows[ky] + (int64_t)xi * c + i : src[ky][xi] + i;
                const __m512 v = _mm512_maskz_loadu_ps(mask, x);
#pragma GCC unroll 3
                for (int kx = 0; kx < 3; kx++) {
                    const int o = xi - kx * D; /* the output this input meets at tap kx */
                    if (o >= 0 && o % S == 0 && o / S < GEMM_MR)
                        acc[o / S] = _mm512_fmadd_ps(v, wk[kx], acc[o / S]);
                }
            }
        }
#pragma GCC unroll 14
        for (int m = 0; m < GEMM_MR; m++)
            if (m < n) _mm512_store_ps(a + m * as + i, activate(acc[m], dw->act));
    }
}

/* Up to GEMM_MR depthwise outputs of output row oy from column ox0 on, channels [k0, k0 + kc),
 * the first n of them stored at a, a + j->a_stride, ...: a 3x3 kernel at stride S and dilation D
 * (constants at each call site, so the loops unroll and the accumulators stay in registers).
 * Each input vector is loaded once and added to every output that reads it. Per output the
 * terms arrive as in every other depthwise path here -- bias, then taps row by row, left to
 * right, zeros for taps outside the input -- so the bits are the same. */
static inline __attribute__((always_inline)) void depthwise_run(const igemm_job *j, int32_t oy,
                                                                int32_t ox0, int32_t n, int32_t k0,
                                                                int32_t kc, float *a, const int S,
                                                                const int D) {
    const int span = S * (GEMM_MR - 1) + 2 * D + 1; /* input columns the outputs read */
    const mo_conv_op *dw = j->dw;
    const mo_conv_geom *g = &dw->geom;
    const int32_t c = g->cout, cpad = (c + 15) / 16 * 16, x0 = ox0 * S - g->pad;
    const int32_t y0 = oy * S - g->pad;
    const float *zeros = dw->packed + (size_t)10 * cpad;
    /* At stride 2 inside the input, each row's columns lie one after another: address them
     * directly (3 % faster than the table for S3's stem group). At stride 1 the table below is
     * the faster even inside (1-9 % on 56x56 and 112x112 layers of 16-128 channels). */
    if (S == 2 && y0 >= 0 && y0 + 2 * D < j->dw_in_h && x0 >= 0 && x0 + span <= j->dw_in_w) {
        const float *rows[3];
        for (int ky = 0; ky < 3; ky++)
            rows[ky] = j->in + ((int64_t)(y0 + ky * D - j->in_row0) * j->dw_in_w + x0) * c + k0;
        depthwise_channels(dw, n, k0, kc, a, j->a_stride, NULL, rows, S, D);
        return;
    }
    /* At the border, where each input column of the three rows starts (at channel k0), or
     * zeros in the padding: no branches in the channel loop. */
    const float *src[3][DW_MAX_SPAN];
    const int32_t lo = x0 < 0 ? -x0 : 0; /* span columns [lo, hi) lie inside the input */
    const int32_t hi = j->dw_in_w - x0 < span ? j->dw_in_w - x0 : span;
    for (int ky = 0; ky < 3; ky++) {
        const int32_t iy = y0 + ky * D;
        int xi = 0;
        if (iy >= 0 && iy < j->dw_in_h) {
            const float *row = j->in + ((int64_t)(iy - j->in_row0) * j->dw_in_w + x0) * c + k0;
            for (; xi < lo; xi++)
                src[ky][xi] = zeros;
            for (; xi < hi; xi++)
                src[ky][xi] = row + (int64_t)xi * c;
        }
        for (; xi < span; xi++)
            src[ky][xi] = zeros;
    }
    depthwise_channels(dw, n, k0, kc, a, j->a_stride, (const float *const(*)[DW_MAX_SPAN])src, NULL,
                       S, D);
}

/* The depthwise conv's outputs (with its activation) at the output pixels [p_begin, p_end), in
 * row-major order, channels [k0, k0 + kc): a[(p - p_begin) * j->a_stride + i]. Runs of up to
 * GEMM_MR pixels within one row take the sliding-window path; kernels and strides it does not
 * cover go pixel by pixel. */
static void depthwise_pixels(const igemm_job *j, int64_t p_begin, int64_t p_end, int32_t k0,
                             int32_t kc, float *a) {
    const mo_conv_geom *g = &j->dw->geom;
    const int32_t s = g->stride, d = g->dilation;
    const int sliding =
        g->kernel == 3 && ((s == 1 && (d == 1 || d == 2 || d == 4)) || (s == 2 && d == 1));
    for (int64_t p = p_begin; p < p_end;) {
        const int32_t oy = (int32_t)(p / j->in_w), ox = (int32_t)(p % j->in_w);
        int32_t n = j->in_w - ox < GEMM_MR ? j->in_w - ox : GEMM_MR;
        if (p_end - p < n) n = (int32_t)(p_end - p);
        float *dst = a + (p - p_begin) * j->a_stride;
        if (sliding && s == 2)
            depthwise_run(j, oy, ox, n, k0, kc, dst, 2, 1);
        else if (sliding && d == 1)
            depthwise_run(j, oy, ox, n, k0, kc, dst, 1, 1);
        else if (sliding && d == 2)
            depthwise_run(j, oy, ox, n, k0, kc, dst, 1, 2);
        else if (sliding)
            depthwise_run(j, oy, ox, n, k0, kc, dst, 1, 4);
        else
            for (int32_t m = 0; m < n; m++)
                for (int32_t i = 0; i < kc; i += 16) {
                    __mmask16 mask = lanes(kc - i);
                    __m512 acc =
                        depthwise_generic(j, oy * s - g->pad, (ox + m) * s - g->pad, k0 + i, mask);
                    _mm512_store_ps(dst + m * j->a_stride + i, activate(acc, j->dw->act));
                }
        p += n;
    }
}

/* Where the output rows of the tile of m_count pixels from p0 start (the last repeated). */
static void tile_rows(const igemm_job *j, int64_t p0, int32_t m_count, float **c) {
    for (int32_t m = 0; m < j->mr; m++)
        c[m] = j->out + (p0 + (m < m_count ? m : m_count - 1)) * j->op->geom.cout;
}

/* Multiplies the packed A block [MR][kc] into panel `panel` of output rows c; with pf set, the
 * kernel prefetches a line of B from pf on every 2^pf_shift depth steps along the way. */
static void multiply_panel(const igemm_job *j, const float *apack, int32_t k0, int32_t kc,
                           float *const *c, int32_t m_count, int32_t panel, int first, int last,
                           const float *pf, int pf_shift) {
    const mo_conv_op *op = j->op;
    const int32_t cout = op->geom.cout;
    const float *bias = op->packed + (size_t)j->panels * j->k_total * GEMM_NR;
    const int32_t n0 = panel * GEMM_NR, n = cout - n0 < GEMM_NR ? cout - n0 : GEMM_NR;
    const float *b = op->packed + ((size_t)panel * j->k_total + k0) * GEMM_NR;
    kernel_for(j->mr, n, j->a_stride)(kc, apack, b, c, n0, m_count, lanes(n), lanes(n - 16),
                                      bias + n0, first, last, op->act, pf, pf_shift);
}

/* The same over panels [panel_begin, panel_end); with prefetch, each panel's kernel fetches the
 * next panel's block of B, two lines a depth step. */
static void multiply_block(const igemm_job *j, const float *apack, int32_t k0, int32_t kc,
                           float *const *c, int32_t m_count, int32_t panel_begin, int32_t panel_end,
                           int first, int last, int prefetch) {
    for (int32_t panel = panel_begin; panel < panel_end; panel++) {
        const float *next = NULL;
        if (prefetch && panel + 1 < j->panels)
            next = j->op->packed + ((size_t)(panel + 1) * j->k_total + k0) * GEMM_NR;
        multiply_panel(j, apack, k0, kc, c, m_count, panel, first, last, next, -1);
    }
}

#define ITEM_TILES 16   /* most tiles one work item sweeps per block of B */
/* Fewest tiles per item for deep blocks of A: a block of B (A_KC_DEEP x GEMM_NR, 66 KB) no
 * longer fits L1 and comes from L2 once per tile; S0's 7x7 layers (7 tiles) ran slower. */
#define DEEP_MIN_TILES 14
#define DW_INPUT_COST 5 /* see run() */

/* The A blocks of an item's tiles at depth [k0, k0 + kc), one after another (tile i at
 * a + i * mr * a_stride): the depthwise outputs of a fused op, computed right here, or the
 * input rows gathered through the taps. Rows past the last pixel are zeros (fused) or repeat
 * it (gathered). */
static void fill_a(const igemm_job *j, int32_t tile_begin, int32_t n_tiles, int64_t p_end,
                   int32_t k0, int32_t kc, float *a) {
    const int64_t p_begin = (int64_t)tile_begin * j->mr;
    if (j->dw) {
        depthwise_pixels(j, p_begin, p_end, k0, kc, a);
        for (int64_t r = p_end - p_begin; r < (int64_t)n_tiles * j->mr; r++)
            memset(a + r * j->a_stride, 0, sizeof(float) * (size_t)kc);
        return;
    }
    const float *rows[GEMM_MR * MAX_TAPS];
    for (int32_t i = 0; i < n_tiles; i++) {
        const int64_t p0 = p_begin + (int64_t)i * j->mr;
        int32_t oy[GEMM_MR], ox[GEMM_MR];
        tile_pixels(j, p0, p_end - p0 < j->mr ? (int32_t)(p_end - p0) : j->mr, oy, ox);
        gather_rows(j, oy, ox, rows);
        pack_a(j, rows, k0, kc, a + (size_t)i * j->mr * j->a_stride);
    }
}

/* The tiles [*tile_begin, *tile_end) of a work item, and the end of its output pixels (which
 * begin at tile_begin * mr). */
static void item_tiles(const igemm_job *j, int64_t item, int32_t *tile_begin, int32_t *tile_end,
                       int64_t *p_end) {
    *tile_begin = (int32_t)(item / j->panel_chunks) * j->tiles_per_item;
    *tile_end =
        *tile_begin + j->tiles_per_item < j->tiles ? *tile_begin + j->tiles_per_item : j->tiles;
    *p_end = (int64_t)*tile_end * j->mr < j->pixels ? (int64_t)*tile_end * j->mr : j->pixels;
}

/* The part of the next block of B (kc rows of GEMM_NR floats, from next; NULL: none) that
 * tile `tile` of `tiles` prefetches, one line every 2^*shift depth steps: the tiles share it in
 * slices, so that the requests spread over the current block's whole time instead of crowding
 * the first tile's (S3's 14x14 layers ran 3-5 % faster, its stage 4.0 16 %). A lone tile
 * takes two lines a step (*shift = -1). NULL when the slice is past the block. */
static const float *prefetch_slice(const float *next, int32_t kc, int32_t tile, int32_t tiles,
                                   int *shift) {
    *shift = -1;
    if (!next || tiles < 2) return tile == 0 ? next : NULL;
    *shift = 0;
    while ((4 << *shift) <= tiles)
        ++*shift; /* 2^shift <= tiles / 2 */
    const int64_t lines = (kc + (1 << *shift) - 1) >> *shift;
    return tile * lines < 2 * (int64_t)kc ? next + (size_t)(tile * lines) * 16 : NULL;
}

/* One work item: a few tiles by a few panels. Per depth block the A blocks of all the item's
 * tiles go into one buffer (L2), then each panel's block of B is multiplied by every tile
 * while it sits in L1, so the weights are read once per item; partial sums wait in the output
 * between depth blocks. */
static void igemm_item(void *ctx, int64_t item) {
    const igemm_job *j = ctx;
    int32_t tile_begin, tile_end;
    int64_t p_end;
    item_tiles(j, item, &tile_begin, &tile_end, &p_end);
    const int32_t panel_begin = (int32_t)(item % j->panel_chunks) * j->panels_per_item;
    const int32_t panel_end =
        panel_begin + j->panels_per_item < j->panels ? panel_begin + j->panels_per_item : j->panels;
    const int32_t n_tiles = tile_end - tile_begin;
    _Alignas(64) float a[ITEM_TILES * GEMM_MR * A_KC_DEEP];
    float *c[ITEM_TILES][GEMM_MR];
    int32_t m_count[ITEM_TILES];
    for (int32_t i = 0; i < n_tiles; i++) {
        const int64_t p0 = (int64_t)(tile_begin + i) * j->mr;
        m_count[i] = p_end - p0 < j->mr ? (int32_t)(p_end - p0) : j->mr;
        tile_rows(j, p0, m_count[i], c[i]);
    }
    for (int32_t k0 = 0; k0 < j->k_total; k0 += j->a_depth) {
        const int32_t kc = j->k_total - k0 < j->a_depth ? j->k_total - k0 : j->a_depth;
        fill_a(j, tile_begin, n_tiles, p_end, k0, kc, a);
        for (int32_t panel = panel_begin; panel < panel_end; panel++) {
            /* The block of B after this one: the next panel's, or the next depth's first. */
            const float *next = NULL;
            if (panel + 1 < panel_end)
                next = j->op->packed + ((size_t)(panel + 1) * j->k_total + k0) * GEMM_NR;
            else if (k0 + kc < j->k_total)
                next = j->op->packed + ((size_t)panel_begin * j->k_total + k0 + kc) * GEMM_NR;
            int shift;
            for (int32_t i = 0; i < n_tiles; i++) {
                const float *pf = prefetch_slice(next, kc, i, n_tiles, &shift);
                multiply_panel(j, a + (size_t)i * j->mr * j->a_stride, k0, kc, c[i], m_count[i],
                               panel, k0 == 0, k0 + kc == j->k_total, pf, shift);
            }
        }
    }
}

/* The rows [*lo, *hi) of the depthwise conv's input that a work item's outputs read. */
static void dw_input_rows(const igemm_job *j, int64_t item, int32_t *lo, int32_t *hi) {
    const mo_conv_geom *g = &j->dw->geom;
    int32_t tile_begin, tile_end;
    int64_t p_end;
    item_tiles(j, item, &tile_begin, &tile_end, &p_end);
    const int64_t p_begin = (int64_t)tile_begin * j->mr;
    const int32_t y0 = (int32_t)(p_begin / j->in_w), y1 = (int32_t)((p_end - 1) / j->in_w);
    *lo = y0 * g->stride - g->pad;
    *hi = y1 * g->stride - g->pad + (g->kernel - 1) * g->dilation + 1;
    if (*lo < 0) *lo = 0;
    if (*hi > j->dw_in_h) *hi = j->dw_in_h;
}

/* A run of consecutive work items of a stem-fused job, in one thread: each item's outputs
 * read a band of the stem's output rows, computed into this thread's stack (L2), then the item
 * runs as a fused one reading them. Stride-2 windows make neighbouring bands share a row: it
 * is moved to the front of the band, not computed again (the stem did 1/8 more work). */
static void stem_igemm_run(void *ctx, int64_t run) {
    const igemm_job *j = ctx;
    const int64_t begin = run * j->stem_items / j->stem_runs;
    const int64_t end = (run + 1) * j->stem_items / j->stem_runs;
    const size_t row = (size_t)j->dw_in_w * j->stem->geom.cout;
    float band[(size_t)j->band_rows * row];
    int32_t band_lo = 0, band_hi = 0; /* the stem rows the band holds */
    for (int64_t item = begin; item < end; item++) {
        int32_t lo, hi;
        dw_input_rows(j, item, &lo, &hi);
        int32_t kept = band_lo <= lo && lo < band_hi ? band_hi - lo : 0;
        if (kept > hi - lo) kept = hi - lo;
        if (kept > 0)
            memmove(band, band + (size_t)(lo - band_lo) * row, sizeof(float) * kept * row);
        f32_direct_rows_avx512(j->stem, band + kept * row, lo + kept, hi, j->image, j->image_h,
                               j->image_w);
        band_lo = lo, band_hi = hi;
        igemm_job local = *j;
        local.in = band;
        local.in_row0 = lo;
        igemm_item(&local, item);
    }
}

/* The output rows or columns [lo, hi) whose tap at offset `at` (tap index x dilation) reads
 * inside an input of `size`. */
static void tap_valid_range(const mo_conv_geom *g, int32_t at, int32_t size, int32_t out_size,
                            int32_t *lo, int32_t *hi) {
    /* o * stride - pad + at in [0, size)  <=>  o in [ceil((pad - at) / s), (size - 1 + pad - at) /
     * s] */
    const int32_t s = g->stride, first = g->pad - at, last = size - 1 + g->pad - at;
    *lo = first <= 0 ? 0 : (first + s - 1) / s;
    *hi = last < 0 ? 0 : last / s + 1;
    if (*hi > out_size) *hi = out_size;
    if (*lo > *hi) *lo = *hi;
}

/* A tap-major work item for KxK convs with many input channels (ASPP's dilated 3x3s, the
 * DeepLabv3 head's 3x3): output rows [y0, y1) x panels [panel_begin, panel_end). The outputs
 * start as the bias; then each tap, one at a time, adds its products over exactly the output
 * pixels for which it reads inside the input -- a rectangle, tiled without regard to rows since
 * the kernel writes through row pointers -- so taps in the zero padding cost nothing (a dilated
 * conv on a small map skips most of its taps). Each output still sums bias, then taps in order,
 * whatever the split; the activation comes last. */
static void igemm_taps_item(void *ctx, int64_t item) {
    const igemm_job *j = ctx;
    const mo_conv_geom *g = &j->op->geom;
    const int32_t cin = g->cin, cout = g->cout, k = g->kernel;
    const int32_t rows = j->tiles_per_item;
    const int32_t y0 = (int32_t)(item / j->panel_chunks) * rows;
    const int32_t y1 = y0 + rows < j->out_h ? y0 + rows : j->out_h;
    const int32_t panel_begin = (int32_t)(item % j->panel_chunks) * j->panels_per_item;
    const int32_t panel_end =
        panel_begin + j->panels_per_item < j->panels ? panel_begin + j->panels_per_item : j->panels;
    const int32_t n0 = panel_begin * GEMM_NR;
    const int32_t n1 = panel_end * GEMM_NR < cout ? panel_end * GEMM_NR : cout;
    const float *bias = j->op->packed + (size_t)j->panels * j->k_total * GEMM_NR;
    for (int64_t p = (int64_t)y0 * j->out_w; p < (int64_t)y1 * j->out_w; p++)
        memcpy(j->out + p * cout + n0, bias + n0, sizeof(float) * (size_t)(n1 - n0));
    _Alignas(64) float apack[GEMM_MR * A_KC];
    for (int32_t t = 0; t < k * k; t++) {
        int32_t ylo, yhi, xlo, xhi;
        tap_valid_range(g, (t / k) * g->dilation, j->in_h, j->out_h, &ylo, &yhi);
        tap_valid_range(g, (t % k) * g->dilation, j->in_w, j->out_w, &xlo, &xhi);
        if (ylo < y0) ylo = y0;
        if (yhi > y1) yhi = y1;
        if (ylo >= yhi || xlo >= xhi) continue;
        const int32_t width = xhi - xlo;
        const int64_t count = (int64_t)(yhi - ylo) * width;
        for (int32_t c0 = 0; c0 < cin; c0 += A_KC) {
            const int32_t kc = cin - c0 < A_KC ? cin - c0 : A_KC;
            for (int64_t q0 = 0; q0 < count; q0 += j->mr) {
                const int32_t m_count = count - q0 < j->mr ? (int32_t)(count - q0) : j->mr;
                float *c[GEMM_MR];
                for (int32_t m = 0; m < j->mr; m++) {
                    const int64_t q = q0 + (m < m_count ? m : m_count - 1);
                    const int32_t oy = ylo + (int32_t)(q / width), ox = xlo + (int32_t)(q % width);
                    const int32_t iy = oy * g->stride - g->pad + (t / k) * g->dilation;
                    const int32_t ix = ox * g->stride - g->pad + (t % k) * g->dilation;
                    c[m] = j->out + ((int64_t)oy * j->out_w + ox) * cout;
                    memcpy(apack + m * A_KC, j->in + ((int64_t)iy * j->in_w + ix) * cin + c0,
                           sizeof(float) * (size_t)kc);
                }
                multiply_block(j, apack, t * cin + c0, kc, c, m_count, panel_begin, panel_end, 0, 0,
                               q0 == 0);
            }
        }
    }
    if (j->op->act == MO_ACT_NONE) return;
    for (int64_t p = (int64_t)y0 * j->out_w; p < (int64_t)y1 * j->out_w; p++)
        for (int32_t n = n0; n < n1; n += 16) {
            float *o = j->out + p * cout + n;
            const __mmask16 mask = lanes(n1 - n);
            _mm512_mask_storeu_ps(o, mask, activate(_mm512_maskz_loadu_ps(mask, o), j->op->act));
        }
}

/* A 1x1 conv of a single pixel (the classifier's linear layer) is a matrix-vector product:
 * the 14-row micro-tile would waste 13/14 of its work, so four panels run side by side with one
 * accumulator pair each. Items are groups of panels. */
#define GEMV_PANELS 4

static void gemv_item(void *ctx, int64_t item) {
    const igemm_job *j = ctx;
    const mo_conv_op *op = j->op;
    const int32_t cout = op->geom.cout, k_total = j->k_total;
    const float *bias = op->packed + (size_t)j->panels * k_total * GEMM_NR;
    const int32_t first = (int32_t)item * GEMV_PANELS;
    const int32_t count = j->panels - first < GEMV_PANELS ? j->panels - first : GEMV_PANELS;
    __m512 acc[GEMV_PANELS][2];
    const float *b[GEMV_PANELS];
    for (int p = 0; p < GEMV_PANELS; p++) {
        int32_t panel = first + (p < count ? p : 0);
        b[p] = op->packed + (size_t)panel * k_total * GEMM_NR;
        acc[p][0] = _mm512_loadu_ps(bias + panel * GEMM_NR);
        acc[p][1] = _mm512_loadu_ps(bias + panel * GEMM_NR + 16);
    }
    for (int32_t k = 0; k < k_total; k++) {
        const __m512 x = _mm512_set1_ps(j->in[k]);
#pragma GCC unroll 4
        for (int p = 0; p < GEMV_PANELS; p++) {
            acc[p][0] = _mm512_fmadd_ps(x, _mm512_loadu_ps(b[p] + (size_t)k * GEMM_NR), acc[p][0]);
            acc[p][1] =
                _mm512_fmadd_ps(x, _mm512_loadu_ps(b[p] + (size_t)k * GEMM_NR + 16), acc[p][1]);
        }
    }
    for (int p = 0; p < count; p++) {
        const int32_t n0 = (first + p) * GEMM_NR, n = cout - n0 < GEMM_NR ? cout - n0 : GEMM_NR;
        _mm512_mask_storeu_ps(j->out + n0, lanes(n), activate(acc[p][0], op->act));
        _mm512_mask_storeu_ps(j->out + n0 + 16, lanes(n - 16), activate(acc[p][1], op->act));
    }
}

/* How many chunks of pixels (tiles or rows, from min_chunks to max_chunks) and of panels to
 * cut a layer's work into. Each item reads all of its panels' weights and all of its pixels'
 * input, so the cut with the least traffic -- pixel chunks x the weights + panel chunks x the
 * input -- wins among those with an item per thread. Maps with few pixels and wide weights
 * (10x10 x 1024 -> 546, ASPP) split by panels, large maps by pixels. More, smaller items
 * balance better in theory but cost more than they save: S2 at two threads ran 7.0 ms with
 * four items per thread, 6.5 ms with one. A split never changes what a single output sums. */
static void least_traffic_split(igemm_job *j, int32_t threads, int64_t input, int32_t min_chunks,
                                int32_t max_chunks, int32_t *chunks) {
    const int64_t weights = (int64_t)j->k_total * j->panels * GEMM_NR;
    int32_t best_chunks = 0, best_pc = 0;
    int64_t best_cost = 0;
    for (int32_t pc = 1; pc <= j->panels; pc++) {
        int32_t n = (threads + pc - 1) / pc;
        if (n < min_chunks) n = min_chunks;
        if (n > max_chunks) n = max_chunks;
        const int64_t cost = n * weights + pc * input;
        if (best_pc == 0 || cost < best_cost) best_chunks = n, best_pc = pc, best_cost = cost;
    }
    *chunks = best_chunks;
    j->panels_per_item = (j->panels + best_pc - 1) / best_pc;
    j->panel_chunks = (j->panels + j->panels_per_item - 1) / j->panels_per_item;
}

/* Splits a stem-fused job into pixel bands only (a panel split would compute the stem twice),
 * at least one per thread, and runs it; 0 when a band would not fit STEM_BAND_MAX_BYTES. */
static int run_stem_fused(igemm_job *j, mo_threadpool *pool) {
    const int32_t threads = mo_threadpool_size(pool);
    int32_t chunks = (j->tiles + ITEM_TILES - 1) / ITEM_TILES;
    if (chunks < threads) chunks = threads;
    if (chunks > j->tiles) chunks = j->tiles;
    j->tiles_per_item = (j->tiles + chunks - 1) / chunks;
    j->panels_per_item = j->panels;
    j->panel_chunks = 1;
    j->stem_items = (j->tiles + j->tiles_per_item - 1) / j->tiles_per_item;
    j->stem_runs = threads < j->stem_items ? threads : j->stem_items;
    j->band_rows = 0;
    for (int64_t item = 0; item < j->stem_items; item++) {
        int32_t lo, hi;
        dw_input_rows(j, item, &lo, &hi);
        if (hi - lo > j->band_rows) j->band_rows = hi - lo;
    }
    if ((int64_t)j->band_rows * j->dw_in_w * j->stem->geom.cout * (int64_t)sizeof(float) >
        STEM_BAND_MAX_BYTES)
        return 0;
    mo_threadpool_run(pool, j->stem_runs, stem_igemm_run, j);
    return 1;
}

static int run(igemm_job *j, mo_threadpool *pool) {
    const mo_conv_op *op = j->op;
    mo_conv_op_out_size(op, j->in_h, j->in_w, &j->out_h, &j->out_w);
    j->pixels = (int64_t)j->out_h * j->out_w;
    j->k_total = op->geom.kernel * op->geom.kernel * op->geom.cin;
    j->panels = (op->geom.cout + GEMM_NR - 1) / GEMM_NR;
    j->mr = choose_mr(j->pixels);
    j->tiles = (int32_t)((j->pixels + j->mr - 1) / j->mr);
    j->zeros = op->packed + (size_t)j->panels * j->k_total * GEMM_NR + (size_t)j->panels * GEMM_NR;
    j->a_stride = j->a_depth = A_KC;
    if (j->stem) return run_stem_fused(j, pool);
    if (j->pixels == 1 && !j->dw && op->geom.kernel == 1) {
        mo_threadpool_run(pool, (j->panels + GEMV_PANELS - 1) / GEMV_PANELS, gemv_item, j);
        return 1;
    }
    const int32_t threads = mo_threadpool_size(pool);
    int32_t chunks;
    if (!j->dw && op->geom.kernel > 1 && op->geom.cin >= 64) {
        /* Tap-major: items are bands of output rows. */
        least_traffic_split(j, threads, (int64_t)j->in_h * j->in_w * op->geom.cin, 1, j->out_h,
                            &chunks);
        j->tiles_per_item = (j->out_h + chunks - 1) / chunks; /* rows per band */
        chunks = (j->out_h + j->tiles_per_item - 1) / j->tiles_per_item;
        mo_threadpool_run(pool, (int64_t)chunks * j->panel_chunks, igemm_taps_item, j);
        return 1;
    }
    /* The input an item reads: the A rows, or for a fused op the depthwise conv's input, which
     * the item also convolves (9 MACs an element) and writes into A: about as costly as moving
     * DW_INPUT_COST floats. Counting it as one made two threads split 14x14 layers by panels,
     * each convolving every pixel: S0 and S1 at two threads ran 5 % slower than now. */
    const int64_t input = j->dw ? (int64_t)j->dw_in_h * j->dw_in_w * j->k_total * DW_INPUT_COST
                                : j->pixels * j->k_total;
    least_traffic_split(j, threads, input, (j->tiles + ITEM_TILES - 1) / ITEM_TILES, j->tiles,
                        &chunks);
    j->tiles_per_item = (j->tiles + chunks - 1) / chunks;
    if (j->k_total > A_KC && j->tiles_per_item >= DEEP_MIN_TILES) {
        /* Depth blocks of equal size (to 16), as few as A_KC_DEEP allows: a short last block
         * would pay a round trip of the partial sums for little work. */
        const int32_t blocks = (j->k_total + A_KC_DEEP - 1) / A_KC_DEEP;
        j->a_stride = A_KC_DEEP;
        j->a_depth = ((j->k_total + blocks - 1) / blocks + 15) / 16 * 16;
    }
    int64_t items =
        (int64_t)((j->tiles + j->tiles_per_item - 1) / j->tiles_per_item) * j->panel_chunks;
    mo_threadpool_run(pool, items, igemm_item, j);
    return 1;
}

void f32_igemm_run_avx512(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                          int32_t in_w, mo_threadpool *pool) {
    igemm_job j = {.op = op, .out = out, .in = in, .in_h = in_h, .in_w = in_w};
    run(&j, pool);
}

void f32_dw_igemm_run_avx512(const mo_conv_op *dw, const mo_conv_op *op, float *out,
                             const float *in, int32_t in_h, int32_t in_w, mo_threadpool *pool) {
    igemm_job j = {.op = op, .dw = dw, .out = out, .in = in, .dw_in_h = in_h, .dw_in_w = in_w};
    mo_conv_op_out_size(dw, in_h, in_w, &j.in_h, &j.in_w);
    run(&j, pool);
}

int f32_stem_dw_igemm_run_avx512(const mo_conv_op *stem, const mo_conv_op *dw, const mo_conv_op *op,
                                 float *out, const float *image, int32_t in_h, int32_t in_w,
                                 mo_threadpool *pool) {
    igemm_job j = {.op = op,
                   .dw = dw,
                   .out = out,
                   .stem = stem,
                   .image = image,
                   .image_h = in_h,
                   .image_w = in_w};
    mo_conv_op_out_size(stem, in_h, in_w, &j.dw_in_h, &j.dw_in_w);
    mo_conv_op_out_size(dw, j.dw_in_h, j.dw_in_w, &j.in_h, &j.in_w);
    return run(&j, pool);
}
