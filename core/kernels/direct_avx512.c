/* direct_avx512.c - direct convolution for few input channels (the RGB stem): each output
 * pixel's cout (<= 64) channels sit in up to four vectors; every (tap, input channel) adds a
 * broadcast input value times a weight vector. Four pixels share each weight load.
 * Compiled with -mavx512f; called only when mo_cpu_has_avx512(). Weights packed by
 * f32_direct_pack as [tap * cin + ci][cout rounded up to 16], then the bias. */
#include <immintrin.h>

#include "avx512_util.h"
#include "gemm.h"

#define MAX_VECS 4
#define PIXELS 4

typedef struct direct_job {
    const mo_conv_op *op;
    float *out;
    const float *in;
    int32_t in_h, in_w, out_w;
    int32_t out_row0; /* out holds output rows from this one on */
} direct_job;

/* One output row; nv (vectors per pixel), k and cin are constants at each call site, so the
 * accumulators unroll into registers. A group of PIXELS outputs whose window lies inside the
 * image reads it in place; one at the border reads a copy of its window with zeros in the
 * padding (rows or columns outside the image), so that every pixel takes the vector path: taps
 * in the padding add 0 * w, as the reference does. */
static inline __attribute__((always_inline)) void row_body(const direct_job *j, int64_t oy64,
                                                           const int nv, const int k,
                                                           const int cin) {
    const mo_conv_geom *g = &j->op->geom;
    const int32_t cpad = (g->cout + 15) / 16 * 16;
    const int32_t oy = (int32_t)oy64, s = g->stride, d = g->dilation;
    const float *w = j->op->packed, *bias = w + (size_t)k * k * cin * cpad;
    float *out_row = j->out + (int64_t)(oy - j->out_row0) * j->out_w * g->cout;
    const int32_t y0 = oy * s - g->pad, window = (PIXELS - 1) * s + (k - 1) * d + 1;
    const int rows_inside = y0 >= 0 && y0 + (k - 1) * d < j->in_h;
    float patch[k][window * cin]; /* a border group's window */
    for (int32_t ox = 0; ox < j->out_w; ox += PIXELS) {
        const int32_t x0 = ox * s - g->pad;
        const float *rows[k];
        if (rows_inside && x0 >= 0 && x0 + window <= j->in_w) {
            for (int ky = 0; ky < k; ky++)
                rows[ky] = j->in + ((int64_t)(y0 + ky * d) * j->in_w + x0) * cin;
        } else {
            for (int ky = 0; ky < k; ky++) {
                const int32_t iy = y0 + ky * d;
                for (int32_t xi = 0; xi < window; xi++) {
                    const int32_t ix = x0 + xi;
                    const int inside = iy >= 0 && iy < j->in_h && ix >= 0 && ix < j->in_w;
                    for (int ci = 0; ci < cin; ci++)
                        patch[ky][xi * cin + ci] =
                            inside ? j->in[((int64_t)iy * j->in_w + ix) * cin + ci] : 0.0f;
                }
                rows[ky] = patch[ky];
            }
        }
        __m512 acc[PIXELS][MAX_VECS];
        for (int p = 0; p < PIXELS; p++)
            for (int v = 0; v < nv; v++) acc[p][v] = _mm512_loadu_ps(bias + 16 * v);
        for (int32_t ky = 0; ky < k; ky++) {
            for (int32_t kx = 0; kx < k; kx++) {
                const float *x = rows[ky] + (int64_t)kx * d * cin;
                const float *wt = w + (size_t)(ky * k + kx) * cin * cpad;
#pragma GCC unroll 8
                for (int32_t ci = 0; ci < cin; ci++) {
                    __m512 wv[MAX_VECS];
                    for (int v = 0; v < nv; v++) wv[v] = _mm512_loadu_ps(wt + ci * cpad + 16 * v);
                    for (int p = 0; p < PIXELS; p++) {
                        __m512 xv = _mm512_set1_ps(x[(int64_t)p * s * cin + ci]);
                        for (int v = 0; v < nv; v++) acc[p][v] = _mm512_fmadd_ps(xv, wv[v], acc[p][v]);
                    }
                }
            }
        }
        /* a constant trip count, so that acc stays in registers */
        for (int p = 0; p < PIXELS; p++)
            if (ox + p < j->out_w)
                for (int v = 0; v < nv; v++)
                    _mm512_mask_storeu_ps(out_row + (int64_t)(ox + p) * g->cout + 16 * v,
                                          lanes(g->cout - 16 * v), activate(acc[p][v], j->op->act));
    }
}

static void direct_row(void *ctx, int64_t oy) {
    const direct_job *j = ctx;
    const mo_conv_geom *g = &j->op->geom;
    const int nv = (g->cout + 15) / 16;
    if (g->kernel == 3 && g->cin == 3) { /* the RGB stem: everything known at compile time */
        switch (nv) {
        case 1: row_body(j, oy, 1, 3, 3); break;
        case 2: row_body(j, oy, 2, 3, 3); break;
        case 3: row_body(j, oy, 3, 3, 3); break;
        default: row_body(j, oy, 4, 3, 3); break;
        }
        return;
    }
    switch (nv) {
    case 1: row_body(j, oy, 1, g->kernel, g->cin); break;
    case 2: row_body(j, oy, 2, g->kernel, g->cin); break;
    case 3: row_body(j, oy, 3, g->kernel, g->cin); break;
    default: row_body(j, oy, 4, g->kernel, g->cin); break;
    }
}

void f32_direct_rows_avx512(const mo_conv_op *op, float *out, int32_t row_begin, int32_t row_end,
                            const float *in, int32_t in_h, int32_t in_w) {
    direct_job j = {.op = op, .out = out, .in = in, .in_h = in_h, .in_w = in_w,
                    .out_row0 = row_begin};
    int32_t out_h;
    mo_conv_op_out_size(op, in_h, in_w, &out_h, &j.out_w);
    for (int32_t oy = row_begin; oy < row_end; oy++) direct_row(&j, oy);
}

void f32_direct_run_avx512(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                           int32_t in_w, mo_threadpool *pool) {
    direct_job j = {.op = op, .out = out, .in = in, .in_h = in_h, .in_w = in_w};
    int32_t out_h;
    mo_conv_op_out_size(op, in_h, in_w, &out_h, &j.out_w);
    mo_threadpool_run(pool, out_h, direct_row, &j);
}
