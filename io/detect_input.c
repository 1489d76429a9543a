/* detect_input.c - normalize, then bilinear resize as torch's upsample_bilinear2d (CPU). */
#include "detect_input.h"

#include <math.h>
#include <stdlib.h>

/* ATen's compute_indices_weights_linear for one output index. */
static void source_index(int32_t dst, int32_t in_size, float scale, int32_t *i0, int32_t *i1,
                         float *w0, float *w1) {
    float src = scale * ((float)dst + 0.5f) - 0.5f;
    if (src < 0.0f) src = 0.0f;
    int32_t index = (int32_t)floorf(src);
    if (index > in_size - 1) index = in_size - 1;
    float lambda = src - (float)index;
    lambda = lambda < 0.0f ? 0.0f : lambda > 1.0f ? 1.0f : lambda;
    *i0 = index;
    *i1 = index + (index < in_size - 1 ? 1 : 0);
    *w1 = lambda;
    *w0 = 1.0f - lambda;
}

/* The normalized value of every u8 level per channel, and the horizontal taps per output
 * column, are computed once: the same arithmetic as per pixel, so the same bits. */
void mo_preprocess_detect(const mo_image *img, int32_t out_h, int32_t out_w, const float mean[3],
                          const float std[3], float *out) {
    const float sy = (float)img->height / (float)out_h, sx = (float)img->width / (float)out_w;
    const int32_t stride = img->width * 3;
    float level[3][256];
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++) level[c][v] = ((float)v / 255.0f - mean[c]) / std[c];
    /* Horizontal taps per output column (a small allocation per frame, outside the network). */
    int32_t *xs = malloc(sizeof(int32_t) * 2 * (size_t)out_w);
    float *ws = malloc(sizeof(float) * 2 * (size_t)out_w);
    if (!xs || !ws) { /* out of memory: compute the taps per pixel instead */
        free(xs), free(ws);
        xs = NULL, ws = NULL;
    }
    for (int32_t x = 0; xs && x < out_w; x++)
        source_index(x, img->width, sx, &xs[2 * x], &xs[2 * x + 1], &ws[2 * x], &ws[2 * x + 1]);
    for (int32_t y = 0; y < out_h; y++) {
        int32_t y0, y1;
        float h0, h1;
        source_index(y, img->height, sy, &y0, &y1, &h0, &h1);
        const uint8_t *r0 = img->rgb + (size_t)y0 * stride, *r1 = img->rgb + (size_t)y1 * stride;
        for (int32_t x = 0; x < out_w; x++) {
            int32_t x0, x1;
            float w0, w1;
            if (xs) x0 = xs[2 * x], x1 = xs[2 * x + 1], w0 = ws[2 * x], w1 = ws[2 * x + 1];
            else source_index(x, img->width, sx, &x0, &x1, &w0, &w1);
            for (int c = 0; c < 3; c++) {
                const float v00 = level[c][r0[x0 * 3 + c]], v01 = level[c][r0[x1 * 3 + c]];
                const float v10 = level[c][r1[x0 * 3 + c]], v11 = level[c][r1[x1 * 3 + c]];
                out[((size_t)y * out_w + x) * 3 + c] =
                    (v00 * w0 + v01 * w1) * h0 + (v10 * w0 + v11 * w1) * h1;
            }
        }
    }
    free(xs);
    free(ws);
}
