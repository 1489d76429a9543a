/* igemm_tiles.h - what the indirect GEMMs of gemm_avx512.c and gemm_avx2.c share, whatever the
 * vector width: the output pixels of a micro-tile, where each (pixel, tap) reads its input, and
 * which taps a tile needs at all. Static inline, so each kernel file compiles them with its own
 * flags and its own tile height mr. */
#ifndef MO_CORE_KERNELS_IGEMM_TILES_H
#define MO_CORE_KERNELS_IGEMM_TILES_H

#include <stdint.h>

#include "conv_ref.h"

/* The output pixels (oy[m], ox[m]) of the tile starting at pixel p0 of an out_w-wide output;
 * rows past m_count repeat the last pixel. */
static inline void igemm_tile_pixels(int32_t out_w, int64_t p0, int32_t m_count, int32_t mr,
                                     int32_t *oy, int32_t *ox) {
    int32_t y = (int32_t)(p0 / out_w), x = (int32_t)(p0 % out_w);
    for (int32_t m = 0; m < mr; m++) {
        oy[m] = y;
        ox[m] = x;
        if (m + 1 < m_count && ++x == out_w) x = 0, y++;
    }
}

/* rows[m * taps + t]: the cin input values (NHWC, in_h x in_w) that pixel m reads at tap t,
 * or `zeros` where the tap lies in the padding. */
static inline void igemm_gather_rows(const mo_conv_geom *g, const float *in, int32_t in_h,
                                     int32_t in_w, const float *zeros, int32_t mr,
                                     const int32_t *oy, const int32_t *ox, const float **rows) {
    const int32_t k = g->kernel;
    for (int32_t m = 0; m < mr; m++) {
        const float **r = rows + m * k * k;
        for (int32_t ky = 0; ky < k; ky++) {
            const int32_t iy = oy[m] * g->stride - g->pad + ky * g->dilation;
            const int row_inside = iy >= 0 && iy < in_h;
            for (int32_t kx = 0; kx < k; kx++) {
                const int32_t ix = ox[m] * g->stride - g->pad + kx * g->dilation;
                const int inside = row_inside && ix >= 0 && ix < in_w;
                *r++ = inside ? in + ((int64_t)iy * in_w + ix) * g->cin : zeros;
            }
        }
    }
}

/* Which of the taps the first m_count pixels of a gathered tile read outside the padding:
 * active[t], and the first and last such tap (both -1 when every tap is padding). */
static inline void igemm_tap_span(const float *const *rows, int32_t taps, int32_t m_count,
                                  const float *zeros, uint8_t *active, int32_t *first,
                                  int32_t *last) {
    *first = *last = -1;
    for (int32_t t = 0; t < taps; t++) {
        int used = 0;
        for (int32_t m = 0; m < m_count && !used; m++) used = rows[m * taps + t] != zeros;
        active[t] = (uint8_t)used;
        if (used && *first < 0) *first = t;
        if (used) *last = t;
    }
}

#endif
