/* detector.h - the detect task inside an mo_model: SSDLite extras and heads, anchors and the
 * postprocess workspace. For model.c; the public functions (mo_detect, ...) are in detector.c.
 *
 * Ownership: mo_detector_load allocates the head; mo_detector_plan allocates anchors, feature
 * taps, head outputs and the postprocess workspace for one input size (replacing the previous
 * plan); mo_detect allocates nothing; mo_detector_free releases everything.
 */
#ifndef MO_MODEL_DETECTOR_H
#define MO_MODEL_DETECTOR_H

#include "anchors.h"
#include "mobileone.h"
#include "ssd_post.h"
#include "ssdlite.h"

struct mo_model;

/* An input size the detector runs at: the planned one, or the zoomed pass's. */
typedef struct mo_detector_scale {
    int32_t h, w;
    int32_t zoom; /* 1, or the enlargement of the planned input */
    int32_t grids[MO_SSD_LEVELS][2];
    int64_t num_anchors;
    float *anchors; /* (num_anchors, 4) xyxy at h x w */
} mo_detector_scale;

typedef struct mo_detector {
    int32_t first_stage;            /* the first map's backbone stage: 3 (OS16) or 2 (OS8) */
    mo_ssdlite head;
    mo_anchor_params anchor_params;
    mo_ssd_post_params post_params;
    mo_box_coder coder;
    /* The plan. Buffers shared by the scales are sized for the largest. */
    int32_t plan_h, plan_w, plan_zoom;
    int32_t num_scales; /* 1, or 2 with the zoomed pass (detect.zoom > 1) */
    mo_detector_scale scales[2];
    float *block;                     /* one allocation: the views below and the anchors */
    float *taps[MO_SSD_MAX_MAPS - 1]; /* the backbone maps before stage4's, tapped */
    float *scratch;                 /* the head's */
    float *cls_logits, *bbox_regression;
    float *tta_input;                  /* a pass's transformed input (test-time augmentation) */
    float *tta_probs, *tta_regression; /* the passes' mean probabilities and regressions */
    float *zoom_input;                 /* the input enlarged for the zoomed pass */
    float *merge_boxes;                /* (2 max_dets, 4): both passes' boxes, for their NMS */
    mo_ssd_post post;
    mo_ssd_det *dets;         /* 3 max_dets: each scale's, then the merged ones */
    mo_nms_item *merge_items; /* 4 max_dets: candidates, then the kept ones */
    double network_s, postprocess_s;
} mo_detector;

/* Loads extras and heads (backbone.extra.*, head.*) over m's loaded backbone, checks the
 * config's num_classes and category_ids against the head, sets m->detector. On error
 * m->detector stays NULL. */
mo_status mo_detector_load(struct mo_model *m, mo_weights *w, const char *path,
                           mo_kernel_choice kernels, mo_error *err);
void mo_detector_free(mo_detector *d);

/* Plans for the model's planned size (m->plan_h x m->plan_w). */
mo_status mo_detector_plan(struct mo_model *m, mo_error *err);

/* Runs backbone + head into d->cls_logits / d->bbox_regression (mo_model_forward). */
mo_status mo_detector_forward(struct mo_model *m, const float *input, mo_error *err);

/* MO_OK when tta is a mode that can run at input h x w (d8: a square one). */
mo_status mo_detector_check_tta(mo_detect_tta tta, int32_t h, int32_t w, mo_error *err);

/* Fills the head's part of info (classes, parameters, MACs) at input h x w. */
void mo_detector_info(const struct mo_model *m, int32_t h, int32_t w, mo_model_info *info);

#endif
