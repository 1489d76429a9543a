/* ssd_post.h - SSD.postprocess_detections (torchvision 0.14) for one image.
 *
 * From head outputs cls_logits (N, K) and bbox_regression (N, 4) over N anchors (xyxy pixels of
 * the network input, H x W): softmax over the K classes (0 is background), decode with the box
 * coder, clip to [0, W] x [0, H]; then for each class c >= 1 keep scores > score_thresh, the
 * top `topk` of them (score descending, ties by anchor order), per-class NMS (IoU > nms_thresh
 * suppresses), and the first max_dets by score. Boxes stay in network-input pixels; rescaling to
 * the original image is the caller's (x * W0 / W).
 *
 * Ownership: mo_ssd_post_init allocates the workspace for N anchors and K classes (plan time);
 * mo_ssd_post_run allocates nothing; mo_ssd_post_free releases it.
 */
#ifndef MO_POSTPROCESS_SSD_POST_H
#define MO_POSTPROCESS_SSD_POST_H

#include <stdint.h>

#include "box_coder.h"
#include "mobileone.h"
#include "nms.h"

typedef struct mo_ssd_post_params {
    float score_thresh; /* 0.001 */
    float nms_thresh;   /* 0.55 */
    int32_t topk;       /* candidates per class, 300 */
    int32_t max_dets;   /* detections per image, 300 */
} mo_ssd_post_params;

mo_ssd_post_params mo_ssd_post_default_params(void);

/* One detection in network-input pixels. */
typedef struct mo_ssd_det {
    float x1, y1, x2, y2;
    float score;
    int32_t label;
} mo_ssd_det;

typedef struct mo_ssd_post {
    int64_t num_anchors; /* what run() reads: up to capacity */
    int64_t capacity;    /* the anchors the workspace was made for */
    int32_t num_classes;
    int32_t max_dets;
    float *row;          /* (K) one anchor's exp(x - max) */
    int32_t *per_class;  /* (K) candidates per class, then placement offsets */
    float *boxes;        /* (N, 4) decoded, clipped */
    mo_nms_item *candidates, *kept; /* each N * (K - 1) */
} mo_ssd_post;

/* Allocates the workspace; max_dets bounds what run() writes. */
mo_status mo_ssd_post_init(mo_ssd_post *p, int64_t num_anchors, int32_t num_classes,
                           int32_t max_dets, mo_error *err);
void mo_ssd_post_free(mo_ssd_post *p);

/* Runs the next run() over n <= p->capacity anchors (a smaller input than the workspace's). */
void mo_ssd_post_set_anchors(mo_ssd_post *p, int64_t n);

/* Writes up to min(params->max_dets, p->max_dets) detections, best first; returns the count. */
int32_t mo_ssd_post_run(mo_ssd_post *p, const mo_ssd_post_params *params,
                        const mo_box_coder *coder, const float *cls_logits,
                        const float *bbox_regression, const float *anchors, int32_t in_h,
                        int32_t in_w, mo_ssd_det *out);

/* The same from class probabilities (N, K) instead of logits: no softmax. */
int32_t mo_ssd_post_run_scores(mo_ssd_post *p, const mo_ssd_post_params *params,
                               const mo_box_coder *coder, const float *cls_scores,
                               const float *bbox_regression, const float *anchors, int32_t in_h,
                               int32_t in_w, mo_ssd_det *out);

#endif
