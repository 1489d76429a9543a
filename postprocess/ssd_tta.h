/* ssd_tta.h - test-time augmentation for SSD: the symmetries of a square that a pass applies to
 * the network input, and the head outputs of that pass carried back onto the original anchors.
 *
 * A pass's transform is T = flips after transpose: the transformed input is
 * out[y][x] = in[y'][x'] with (y', x') the transpose of (vflip ? H-1-y : y, hflip ? W-1-x : x)
 * when transpose is set. The anchors (anchors.h) are symmetric under each T: location (y, x)
 * maps to T's location, and a transpose swaps each aspect ratio's wide anchor with its tall
 * one. A regression (dx, dy, dw, dh) found at T's anchor is carried back by undoing T: the flips
 * negate dx or dy, then the transpose swaps x with y.
 */
#ifndef MO_POSTPROCESS_SSD_TTA_H
#define MO_POSTPROCESS_SSD_TTA_H

#include <stdint.h>

typedef struct mo_tta_transform {
    int hflip, vflip, transpose;
} mo_tta_transform;

/* Pass i (0..7): bit 0 the mirror, bit 1 the vertical flip, bit 2 the transpose; pass 0 is the
 * input itself. */
mo_tta_transform mo_tta_pass(int32_t i);

/* out = T(in) for an (h, w, c) map; with a transpose, h == w. out and in do not overlap. */
void mo_tta_transform_map(mo_tta_transform t, const float *in, int32_t h, int32_t w, int32_t c,
                          float *out);

/* Adds the softmax of each anchor's K logits and its regression, found at T's anchor in
 * cls_logits (N, K) and bbox_regression (N, 4), into probs (N, K) and regression (N, 4) at the
 * original anchor. Levels are concatenated, grids[l] = {h, w}, A anchors per location ordered as
 * anchors.h writes them; with a transpose every grid is square. */
void mo_tta_add(mo_tta_transform t, int32_t levels, const int32_t (*grids)[2], int32_t A, int32_t K,
                const float *cls_logits, const float *bbox_regression, float *probs,
                float *regression);

#endif
