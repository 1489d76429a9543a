/* preprocess.c - image to normalized f32 NHWC network input. */
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "image.h"

mo_status mo_preprocess_classify(const mo_image *img, int32_t size, float crop_pct,
                                 const float mean[3], const float std[3], float *out,
                                 mo_error *err) {
    int32_t shorter = (int32_t)floor(size / (double)crop_pct);
    int32_t w, h;
    if (img->width <= img->height) {
        w = shorter;
        h = (int32_t)((int64_t)shorter * img->height / img->width);
    } else {
        h = shorter;
        w = (int32_t)((int64_t)shorter * img->width / img->height);
    }
    mo_image resized;
    mo_status s = mo_image_resize_pil_bilinear(img, w, h, &resized, err);
    if (s != MO_OK) return s;
    /* torchvision CenterCrop: top = int(round((h - size) / 2)), round half to even. */
    int32_t top = (int32_t)nearbyint((h - size) / 2.0), left = (int32_t)nearbyint((w - size) / 2.0);
    for (int32_t y = 0; y < size; y++)
        for (int32_t x = 0; x < size; x++)
            for (int c = 0; c < 3; c++) {
                float v = resized.rgb[((size_t)(y + top) * w + x + left) * 3 + c] / 255.0f;
                out[((size_t)y * size + x) * 3 + c] = (v - mean[c]) / std[c];
            }
    mo_image_free(&resized);
    return MO_OK;
}
