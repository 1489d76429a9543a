/* resize_pil.c - PIL-compatible antialiased bilinear resampling of RGB u8 images
 * (Pillow's ImagingResample with the bilinear filter, support 1). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "image.h"

#define PRECISION_BITS (32 - 8 - 2)

/* The taps of one axis: for each output index, the first input index, the count, and the
 * fixed-point weights (ksize per output). Caller frees bounds and weights. */
typedef struct taps {
    int32_t ksize;
    int32_t *bounds;  /* (first, count) per output */
    int32_t *weights; /* ksize per output */
} taps;

static double triangle(double x) {
    x = fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

static int make_taps(taps *t, int32_t in_size, int32_t out_size) {
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale;
    t->ksize = (int32_t)ceil(support) * 2 + 1;
    t->bounds = malloc(sizeof(int32_t) * 2 * (size_t)out_size);
    t->weights = malloc(sizeof(int32_t) * (size_t)t->ksize * out_size);
    double *k = malloc(sizeof(double) * (size_t)t->ksize);
    if (!t->bounds || !t->weights || !k) {
        free(t->bounds), free(t->weights), free(k);
        return 0;
    }
    for (int32_t o = 0; o < out_size; o++) {
        double center = (o + 0.5) * scale, ss = 1.0 / filterscale, ww = 0.0;
        int32_t xmin = (int32_t)(center - support + 0.5), xmax = (int32_t)(center + support + 0.5);
        if (xmin < 0) xmin = 0;
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        for (int32_t x = 0; x < xmax; x++) {
            k[x] = triangle((x + xmin - center + 0.5) * ss);
            ww += k[x];
        }
        int32_t *kk = t->weights + (size_t)o * t->ksize;
        for (int32_t x = 0; x < t->ksize; x++) {
            double v = x < xmax && ww != 0.0 ? k[x] / ww : 0.0;
            kk[x] = (int32_t)(v < 0 ? v * (1 << PRECISION_BITS) - 0.5
                                    : v * (1 << PRECISION_BITS) + 0.5);
        }
        t->bounds[2 * o] = xmin;
        t->bounds[2 * o + 1] = xmax;
    }
    free(k);
    return 1;
}

static uint8_t clip8(int64_t v) {
    v >>= PRECISION_BITS;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* One pass along x (horizontal) or y (vertical) from src (sw x sh) to dst. */
static void resample(const uint8_t *src, int32_t sw, int32_t sh, uint8_t *dst, int32_t dw,
                     int32_t dh, const taps *t, int horizontal) {
    for (int32_t y = 0; y < dh; y++) {
        for (int32_t x = 0; x < dw; x++) {
            int32_t o = horizontal ? x : y;
            int32_t first = t->bounds[2 * o], count = t->bounds[2 * o + 1];
            const int32_t *kk = t->weights + (size_t)o * t->ksize;
            for (int c = 0; c < 3; c++) {
                int64_t acc = 1 << (PRECISION_BITS - 1);
                for (int32_t i = 0; i < count; i++) {
                    int32_t sx = horizontal ? first + i : x, sy = horizontal ? y : first + i;
                    acc += (int64_t)src[((size_t)sy * sw + sx) * 3 + c] * kk[i];
                }
                dst[((size_t)y * dw + x) * 3 + c] = clip8(acc);
            }
        }
    }
    (void)sh;
}

mo_status mo_image_resize_pil_bilinear(const mo_image *src, int32_t width, int32_t height,
                                       mo_image *dst, mo_error *err) {
    mo_image mid = {0};
    taps tx = {0}, ty = {0};
    mo_status s = mo_image_alloc(dst, width, height, err);
    if (s == MO_OK) s = mo_image_alloc(&mid, width, src->height, err);
    if (s == MO_OK && (!make_taps(&tx, src->width, width) || !make_taps(&ty, src->height, height)))
        s = mo_error_set(err, MO_ERR_MEMORY, "out of memory resizing an image");
    if (s == MO_OK) {
        if (width == src->width) /* PIL skips a pass whose size does not change */
            memcpy(mid.rgb, src->rgb, (size_t)width * src->height * 3);
        else
            resample(src->rgb, src->width, src->height, mid.rgb, width, src->height, &tx, 1);
        if (height == src->height)
            memcpy(dst->rgb, mid.rgb, (size_t)width * height * 3);
        else
            resample(mid.rgb, width, src->height, dst->rgb, width, height, &ty, 0);
    }
    free(tx.bounds), free(tx.weights), free(ty.bounds), free(ty.weights);
    mo_image_free(&mid);
    if (s != MO_OK) mo_image_free(dst);
    return s;
}
