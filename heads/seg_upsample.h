/* seg_upsample.h - bilinear resizing of NHWC maps and the label map of upsampled logits.
 *
 * Resizing mirrors torch.nn.functional.interpolate(x, size=(H, W), mode="bilinear",
 * align_corners=False) on CPU (PyTorch 1.13, no antialias): per axis the scale is the float
 * in / out, the source coordinate is scale * (dst + 0.5) - 0.5 (in double) clamped at 0, the
 * taps are floor(src) and the next one (the last index repeats), weights 1 - lambda and lambda
 * (float); a pixel is (a * wx0 + b * wx1) * wy0 + (c * wx0 + d * wx1) * wy1, in that order.
 *
 * Layout: (H, W, C) row-major f32 (NHWC with N = 1). Nothing here allocates.
 */
#ifndef MO_HEADS_SEG_UPSAMPLE_H
#define MO_HEADS_SEG_UPSAMPLE_H

#include <stdint.h>

#include "threadpool.h"

/* The two source indices and weights of output index dst along one axis (in -> out). */
typedef struct mo_bilinear_tap {
    int32_t i0, i1;
    float w0, w1;
} mo_bilinear_tap;

mo_bilinear_tap mo_bilinear_tap_at(int32_t dst, int32_t in, int32_t out);

/* One output row: out (out_w, c) from the source rows row0 (tap i0) and row1 (tap i1), each
 * (in_w, c), with the row tap's weights. */
void f32_resize_bilinear_row(float *out, const float *row0, const float *row1,
                             mo_bilinear_tap ty, int32_t in_w, int32_t out_w, int32_t c);

/* out: (out_h, out_w, c); in: (in_h, in_w, c). Rows are split over pool (may be NULL). */
void f32_resize_bilinear(float *out, int32_t out_h, int32_t out_w, const float *in, int32_t in_h,
                         int32_t in_w, int32_t c, mo_threadpool *pool);

/* Floats of scratch mo_seg_labels needs per thread for a middle width mid_w and c classes. */
int64_t mo_seg_labels_scratch_floats(int32_t mid_w, int32_t c);

/* The label map of logits resized twice, as a PyTorch pipeline does: the network's own upsample
 * to the input size (mid_h, mid_w), then to the original image size (out_h, out_w), then
 * argmax over classes (the first maximum wins, as torch.argmax). small: (small_h, small_w, c)
 * logits; labels: (out_h, out_w), caller-owned, values < c <= 256. The middle map is never
 * stored whole: each worker keeps two of its rows in scratch (threads x scratch_floats, threads
 * = mo_threadpool_size(pool), 1 when pool is NULL). The result does not depend on threads. */
void mo_seg_labels(uint8_t *labels, int32_t out_h, int32_t out_w, const float *small,
                   int32_t small_h, int32_t small_w, int32_t mid_h, int32_t mid_w, int32_t c,
                   float *scratch, mo_threadpool *pool);

/* The argmax over c classes of each of n pixels of (n, c) logits (the first maximum wins). */
void mo_seg_argmax(uint8_t *labels, const float *logits, int64_t n, int32_t c);

#endif
