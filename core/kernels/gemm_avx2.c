/* gemm_avx2.c - the AVX2+FMA indirect-GEMM convolution: dense convs (groups = 1) of any kernel
 * up to 7x7, stride, padding and dilation, with the bias and the activation fused. Compiled
 * with -mavx2 -mfma; called only when mo_cpu_has_avx2(). See gemm.h for the layouts.
 *
 * B is f32_igemm_pack's: panels of GEMM_NR = 32 output channels, [panel][k][32]. The
 * micro-kernel computes MR = 6 output pixels by 16 channels (half a panel): 12 accumulators,
 * two B vectors and one broadcast fill 15 of the 16 ymm registers, and each k costs 2 loads and
 * 6 broadcasts for 12 FMAs, so the FMA units, not the loads, bound it. Per tile of MR pixels and
 * a depth block of GEMM_KC, A is packed row-major [MR][KC]: the taps' channels gathered through
 * per-pixel pointers, zeros for taps in the padding. No fused depthwise path here. */
#include <string.h>

#include "gemm.h"
#include "igemm_tiles.h"

#define MR 6          /* output pixels per micro-tile */
#define NR 16         /* output channels per micro-tile: half a GEMM_NR panel */
#define MAX_TAPS 49   /* 7x7, the largest kernel conv_op.c sends here */
#define ITEM_TILES 32 /* most tiles one work item sweeps per block of B */

/* C[m_count x n_count] (row stride ldc) = (first ? bias : C) + A[MR][kc] B[kc][NR] (B's rows
 * GEMM_NR apart), with the activation on the last depth block. Rows past m_count are computed
 * and not stored; columns past n_count are neither read nor written. */
static void kernel_6x16(int32_t kc, const float *a, const float *b, float *c, int64_t ldc,
                        int32_t m_count, int32_t n_count, const float *bias, int first, int last,
                        mo_act act) {
    const int full = n_count >= NR;
    const __m256i mask0 = lanes8(n_count), mask1 = lanes8(n_count - 8);
    __m256 acc0[MR], acc1[MR];
    if (first) {
        const __m256 b0 = _mm256_loadu_ps(bias), b1 = _mm256_loadu_ps(bias + 8);
#pragma GCC unroll 6
        for (int m = 0; m < MR; m++) acc0[m] = b0, acc1[m] = b1;
    } else {
#pragma GCC unroll 6
        for (int m = 0; m < MR; m++) {
            const float *cm = c + (m < m_count ? m : 0) * ldc;
            acc0[m] = full ? _mm256_loadu_ps(cm) : _mm256_maskload_ps(cm, mask0);
            acc1[m] = full ? _mm256_loadu_ps(cm + 8) : _mm256_maskload_ps(cm + 8, mask1);
        }
    }
    for (int32_t k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_load_ps(b + (size_t)k * GEMM_NR);
        const __m256 b1 = _mm256_load_ps(b + (size_t)k * GEMM_NR + 8);
#pragma GCC unroll 6
        for (int m = 0; m < MR; m++) {
            const __m256 av = _mm256_broadcast_ss(a + m * GEMM_KC + k);
            acc0[m] = _mm256_fmadd_ps(av, b0, acc0[m]);
            acc1[m] = _mm256_fmadd_ps(av, b1, acc1[m]);
        }
    }
#pragma GCC unroll 6
    for (int m = 0; m < MR; m++) {
        if (m >= m_count) break;
        __m256 v0 = acc0[m], v1 = acc1[m];
        if (last) v0 = activate8(v0, act), v1 = activate8(v1, act);
        float *cm = c + m * ldc;
        if (full) {
            _mm256_storeu_ps(cm, v0);
            _mm256_storeu_ps(cm + 8, v1);
        } else {
            _mm256_maskstore_ps(cm, mask0, v0);
            _mm256_maskstore_ps(cm + 8, mask1, v1);
        }
    }
}

typedef struct igemm_job {
    const mo_conv_op *op;
    float *out;
    const float *in;
    int32_t in_h, in_w, out_w;
    int64_t pixels;
    int32_t k_total, panels, tiles, tiles_per_item, panels_per_item, panel_chunks;
    const float *zeros; /* cin zeros (after the packed bias), for taps in the padding */
} igemm_job;

static void tile_pixels(const igemm_job *j, int64_t p0, int32_t m_count, int32_t *oy,
                        int32_t *ox) {
    igemm_tile_pixels(j->out_w, p0, m_count, MR, oy, ox);
}

static void gather_rows(const igemm_job *j, const int32_t *oy, const int32_t *ox,
                        const float **rows) {
    igemm_gather_rows(&j->op->geom, j->in, j->in_h, j->in_w, j->zeros, MR, oy, ox, rows);
}

/* A block [MR][KC] from depth k0 on, k = tap * cin + channel. Runs of up to 8 values (the
 * stem's 3 channels per tap) move as one masked load and a full store, not a memcpy call: the
 * store's spare lanes land past the run, in entries written next or never read (apack has 8
 * floats of slack after its last row). */
static void pack_a(const igemm_job *j, const float **rows, int32_t k0, int32_t kc, float *apack) {
    const int32_t cin = j->op->geom.cin, taps = j->op->geom.kernel * j->op->geom.kernel;
    for (int32_t m = 0; m < MR; m++) {
        float *dst = apack + m * GEMM_KC;
        int32_t t = k0 / cin, c = k0 % cin;
        for (int32_t kk = 0; kk < kc; t++, c = 0) {
            int32_t len = cin - c < kc - kk ? cin - c : kc - kk;
            const float *src = rows[m * taps + t] + c;
            if (len <= 8) _mm256_storeu_ps(dst + kk, _mm256_maskload_ps(src, lanes8(len)));
            else memcpy(dst + kk, src, sizeof(float) * (size_t)len);
            kk += len;
        }
    }
}

/* A tile's whole depth at once (k_total <= GEMM_KC: the stem, few input channels), each tap
 * resolved as it is copied, with no table of tap pointers in between. */
static void pack_a_whole(const igemm_job *j, const int32_t *oy, const int32_t *ox,
                         float *apack) {
    const mo_conv_geom *g = &j->op->geom;
    const int32_t cin = g->cin, k = g->kernel;
    const __m256i mask = lanes8(cin);
    for (int32_t m = 0; m < MR; m++) {
        float *dst = apack + m * GEMM_KC;
        for (int32_t ky = 0; ky < k; ky++) {
            const int32_t iy = oy[m] * g->stride - g->pad + ky * g->dilation;
            const float *row =
                iy >= 0 && iy < j->in_h ? j->in + (int64_t)iy * j->in_w * cin : NULL;
            for (int32_t kx = 0; kx < k; kx++, dst += cin) {
                const int32_t ix = ox[m] * g->stride - g->pad + kx * g->dilation;
                const float *src =
                    row && ix >= 0 && ix < j->in_w ? row + (int64_t)ix * cin : j->zeros;
                if (cin <= 8) _mm256_storeu_ps(dst, _mm256_maskload_ps(src, mask));
                else memcpy(dst, src, sizeof(float) * (size_t)cin);
            }
        }
    }
}

/* Multiplies the packed A block [MR][kc] into every panel half of the item. */
static void multiply_block(const igemm_job *j, const float *apack, int32_t k0, int32_t kc,
                           int64_t p0, int32_t m_count, int32_t panel_begin, int32_t panel_end,
                           int first, int last) {
    const mo_conv_op *op = j->op;
    const int32_t cout = op->geom.cout;
    const float *bias = op->packed + (size_t)j->panels * j->k_total * GEMM_NR;
    for (int32_t panel = panel_begin; panel < panel_end; panel++) {
        const float *b = op->packed + ((size_t)panel * j->k_total + k0) * GEMM_NR;
        for (int32_t n0 = panel * GEMM_NR; n0 < cout && n0 < (panel + 1) * GEMM_NR; n0 += NR)
            kernel_6x16(kc, apack, b + n0 % GEMM_NR, j->out + p0 * cout + n0, cout, m_count,
                        cout - n0, bias + n0, first, last, op->act);
    }
}

/* One work item: a few tiles by a few panels. Depth blocks are the outer loop, so each block
 * of B stays in cache while the item's tiles stream through it; partial sums wait in the output
 * between blocks. KxK convs with many input channels take their depth blocks one tap at a time
 * and a tile skips the taps that lie in the padding for all its pixels (ASPP's dilated convs on
 * small maps): such terms are exactly zero. */
static void igemm_item(void *ctx, int64_t item) {
    const igemm_job *j = ctx;
    const mo_conv_geom *g = &j->op->geom;
    const int32_t cin = g->cin, taps = g->kernel * g->kernel;
    const int32_t tile_begin = (int32_t)(item / j->panel_chunks) * j->tiles_per_item;
    const int32_t panel_begin = (int32_t)(item % j->panel_chunks) * j->panels_per_item;
    const int32_t tile_end = tile_begin + j->tiles_per_item < j->tiles
                                 ? tile_begin + j->tiles_per_item : j->tiles;
    const int32_t panel_end = panel_begin + j->panels_per_item < j->panels
                                  ? panel_begin + j->panels_per_item : j->panels;
    const int32_t n_tiles = tile_end - tile_begin;
    const int by_taps = taps > 1 && cin >= 64;
    _Alignas(64) float apack[MR * GEMM_KC + 8]; /* + 8: pack_a's slack */
    int32_t oy[ITEM_TILES][MR], ox[ITEM_TILES][MR], m_count[ITEM_TILES];
    int64_t p0[ITEM_TILES];
    uint8_t active[ITEM_TILES][MAX_TAPS]; /* by_taps: the taps each tile uses */
    int32_t first_tap[ITEM_TILES], last_tap[ITEM_TILES];
    const float *rows[MR * MAX_TAPS];
    for (int32_t i = 0; i < n_tiles; i++) {
        p0[i] = (int64_t)(tile_begin + i) * MR;
        m_count[i] = j->pixels - p0[i] < MR ? (int32_t)(j->pixels - p0[i]) : MR;
        tile_pixels(j, p0[i], m_count[i], oy[i], ox[i]);
        if (!by_taps) continue;
        gather_rows(j, oy[i], ox[i], rows);
        igemm_tap_span(rows, taps, m_count[i], j->zeros, active[i], &first_tap[i], &last_tap[i]);
        if (first_tap[i] < 0) /* every tap in the padding: the bias alone */
            multiply_block(j, apack, 0, 0, p0[i], m_count[i], panel_begin, panel_end, 1, 1);
    }
    if (by_taps) {
        for (int32_t t = 0; t < taps; t++)
            for (int32_t c0 = 0; c0 < cin; c0 += GEMM_KC) {
                const int32_t kc = cin - c0 < GEMM_KC ? cin - c0 : GEMM_KC;
                for (int32_t i = 0; i < n_tiles; i++) {
                    if (first_tap[i] < 0 || !active[i][t]) continue;
                    gather_rows(j, oy[i], ox[i], rows);
                    for (int32_t m = 0; m < MR; m++)
                        memcpy(apack + m * GEMM_KC, rows[m * taps + t] + c0,
                               sizeof(float) * (size_t)kc);
                    multiply_block(j, apack, t * cin + c0, kc, p0[i], m_count[i], panel_begin,
                                   panel_end, t == first_tap[i] && c0 == 0,
                                   t == last_tap[i] && c0 + kc == cin);
                }
            }
        return;
    }
    for (int32_t k0 = 0; k0 < j->k_total; k0 += GEMM_KC) {
        const int32_t kc = j->k_total - k0 < GEMM_KC ? j->k_total - k0 : GEMM_KC;
        for (int32_t i = 0; i < n_tiles; i++) {
            if (kc == j->k_total) {
                pack_a_whole(j, oy[i], ox[i], apack);
            } else {
                gather_rows(j, oy[i], ox[i], rows);
                pack_a(j, rows, k0, kc, apack);
            }
            multiply_block(j, apack, k0, kc, p0[i], m_count[i], panel_begin, panel_end, k0 == 0,
                           k0 + kc == j->k_total);
        }
    }
}

/* A 1x1 conv of one pixel (the classifier's linear layer) is a matrix-vector product, where
 * the 6-row tile would waste 5/6 of its work: two whole panels run side by side instead, eight
 * accumulators, enough independent FMA chains to hide the latency. Items are pairs of panels. */
#define GEMV_PANELS 2

static void gemv_item(void *ctx, int64_t item) {
    const igemm_job *j = ctx;
    const mo_conv_op *op = j->op;
    const int32_t cout = op->geom.cout, k_total = j->k_total;
    const float *bias = op->packed + (size_t)j->panels * k_total * GEMM_NR;
    const int32_t first = (int32_t)item * GEMV_PANELS;
    const int32_t count = j->panels - first < GEMV_PANELS ? j->panels - first : GEMV_PANELS;
    __m256 acc[GEMV_PANELS][4];
    const float *b[GEMV_PANELS];
    for (int p = 0; p < GEMV_PANELS; p++) {
        const int32_t panel = first + (p < count ? p : 0);
        b[p] = op->packed + (size_t)panel * k_total * GEMM_NR;
        for (int v = 0; v < 4; v++) acc[p][v] = _mm256_load_ps(bias + panel * GEMM_NR + 8 * v);
    }
    for (int32_t k = 0; k < k_total; k++) {
        const __m256 x = _mm256_broadcast_ss(j->in + k);
#pragma GCC unroll 2
        for (int p = 0; p < GEMV_PANELS; p++)
#pragma GCC unroll 4
            for (int v = 0; v < 4; v++)
                acc[p][v] = _mm256_fmadd_ps(x, _mm256_load_ps(b[p] + (size_t)k * GEMM_NR + 8 * v),
                                            acc[p][v]);
    }
    for (int p = 0; p < count; p++) {
        const int32_t n0 = (first + p) * GEMM_NR;
        for (int v = 0; v < 4; v++)
            _mm256_maskstore_ps(j->out + n0 + 8 * v, lanes8(cout - n0 - 8 * v),
                                activate8(acc[p][v], op->act));
    }
}

void f32_igemm_run_avx2(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                        int32_t in_w, mo_threadpool *pool) {
    igemm_job j = {.op = op, .out = out, .in = in, .in_h = in_h, .in_w = in_w};
    int32_t out_h;
    mo_conv_op_out_size(op, in_h, in_w, &out_h, &j.out_w);
    j.pixels = (int64_t)out_h * j.out_w;
    if (j.pixels < 1) return;
    j.k_total = op->geom.kernel * op->geom.kernel * op->geom.cin;
    j.panels = (op->geom.cout + GEMM_NR - 1) / GEMM_NR;
    j.tiles = (int32_t)((j.pixels + MR - 1) / MR);
    j.zeros = op->packed + (size_t)j.panels * j.k_total * GEMM_NR + (size_t)j.panels * GEMM_NR;
    if (j.pixels == 1 && op->geom.kernel == 1) {
        mo_threadpool_run(pool, (j.panels + GEMV_PANELS - 1) / GEMV_PANELS, gemv_item, &j);
        return;
    }
    /* Work items: a few tiles by up to 8 panels (256 channels: a depth block of B, 256 KiB,
     * stays in L2), enough items to balance the threads. The split never changes what one
     * output sums, so the bits do not depend on the thread count. */
    j.panels_per_item = j.panels < 8 ? j.panels : 8;
    j.panel_chunks = (j.panels + j.panels_per_item - 1) / j.panels_per_item;
    int32_t per_thread = j.tiles / (4 * mo_threadpool_size(pool) * j.panel_chunks);
    j.tiles_per_item = per_thread < 1 ? 1 : per_thread > ITEM_TILES ? ITEM_TILES : per_thread;
    int64_t items =
        (int64_t)((j.tiles + j.tiles_per_item - 1) / j.tiles_per_item) * j.panel_chunks;
    mo_threadpool_run(pool, items, igemm_item, &j);
}
