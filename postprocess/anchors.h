/* anchors.h - SSD default boxes, as torchvision 0.14's DefaultBoxGenerator (steps = None).
 *
 * Scales: s_k = min + (max - min) k / (L - 1) for k < L, then 1.0 (L levels, L > 1), or the
 * L + 1 scales given (DefaultBoxGenerator(scales=...), e.g. an OS8 map in front). Per
 * location, in this order: (s_k, s_k), (s'_k, s'_k) with s'_k = sqrt(s_k s_{k+1}), then for each
 * aspect ratio r: (s_k sqrt(r), s_k / sqrt(r)), (s_k / sqrt(r), s_k sqrt(r)); w and h clamped to
 * [0, 1] when clip. Centres ((i + 0.5) / W_k, (j + 0.5) / H_k), locations row-major (y outer).
 * Output boxes are xyxy in input pixels: (c - wh / 2) * (W, H), computed in f32 as torchvision
 * does (architecture.md section 2.1, pitfalls 12-13). Levels are concatenated.
 */
#ifndef MO_POSTPROCESS_ANCHORS_H
#define MO_POSTPROCESS_ANCHORS_H

#include <stdint.h>

#include "mobileone.h"

#define MO_ANCHOR_MAX_LEVELS 8
#define MO_ANCHOR_MAX_RATIOS 4

typedef struct mo_anchor_params {
    int32_t num_levels;
    int32_t num_ratios;                         /* aspect ratios per level (the same for all) */
    double ratios[MO_ANCHOR_MAX_RATIOS];        /* e.g. {2, 3} */
    double min_ratio, max_ratio;                /* 0.2, 0.95 */
    int32_t num_scales;                         /* 0: from min/max; else num_levels + 1 */
    double scales[MO_ANCHOR_MAX_LEVELS + 1];    /* explicit scales (min/max then unused) */
    int32_t clip;                               /* clamp w, h to [0, 1] */
} mo_anchor_params;

/* torchvision ssdlite320's: 6 levels, ratios {2, 3}, 0.2 .. 0.95, clip. */
mo_anchor_params mo_anchor_default_params(void);

/* Anchors per location: 2 + 2 * num_ratios. */
int32_t mo_anchors_per_location(const mo_anchor_params *p);

/* Total anchors for the given grids (grids[k] = {h, w}). */
int64_t mo_anchor_count(const mo_anchor_params *p, const int32_t (*grids)[2]);

/* p with explicit scales, each of p's divided by zoom: on an input zoom times larger, anchors
 * of the same sizes in pixels (as DefaultBoxGenerator(scales=[s / zoom for s in scales])). */
mo_anchor_params mo_anchor_params_zoomed(const mo_anchor_params *p, int32_t zoom);

/* Writes mo_anchor_count() boxes, xyxy, into out (caller-owned, 4 floats each) for an input
 * of image_h x image_w. Checks p (levels 2..8, ratios > 0, 0 < min <= max, or num_levels + 1
 * positive scales). */
mo_status mo_anchors_generate(const mo_anchor_params *p, const int32_t (*grids)[2],
                              int32_t image_h, int32_t image_w, float *out, mo_error *err);

#endif
