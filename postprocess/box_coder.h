/* box_coder.h - torchvision's BoxCoder: box deltas relative to anchors, weights (wx, wy, ww, wh).
 *
 * Boxes are xyxy in pixels. decode: w_a = x2 - x1, cx_a = x1 + 0.5 w_a (same for y);
 * cx = d0 / wx * w_a + cx_a, w = exp(min(d2 / ww, clip)) * w_a; out (cx - w/2, cy - h/2,
 * cx + w/2, cy + h/2). SSD uses (10, 10, 5, 5) and clip = log(1000 / 16). encode is its inverse
 * (torchvision's encode_boxes), used by tests and training tools. f32 throughout, in
 * torchvision's order of operations.
 */
#ifndef MO_POSTPROCESS_BOX_CODER_H
#define MO_POSTPROCESS_BOX_CODER_H

#include <stdint.h>

typedef struct mo_box_coder {
    float wx, wy, ww, wh;
    float clip; /* upper bound of dw, dh before exp */
} mo_box_coder;

/* (10, 10, 5, 5), clip log(1000 / 16). */
mo_box_coder mo_box_coder_ssd(void);

/* boxes[i] = decode(deltas[i], anchors[i]) for i < n; 4 floats each. */
void mo_box_decode(const mo_box_coder *c, const float *deltas, const float *anchors, int64_t n,
                   float *boxes);

/* deltas[i] = encode(boxes[i], anchors[i]); boxes and anchors need positive width and height. */
void mo_box_encode(const mo_box_coder *c, const float *boxes, const float *anchors, int64_t n,
                   float *deltas);

/* Clamps x to [0, width] and y to [0, height] (torchvision clip_boxes_to_image). */
void mo_boxes_clip(float *boxes, int64_t n, float width, float height);

#endif
