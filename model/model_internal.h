/* model_internal.h - what is inside an mo_model, for the files of model/ (one per task). */
#ifndef MO_MODEL_INTERNAL_H
#define MO_MODEL_INTERNAL_H

#include "backbone.h"
#include "classifier.h"
#include "config.h"
#include "mobileone.h"

struct mo_model {
    char *source;             /* the model file's path: save_fused copies a head from it */
    mo_config config;
    mo_backbone backbone;
    mo_classifier classifier; /* task "classify" */
    struct mo_segmenter *segmenter; /* task "segment" (model/segmenter.h), or NULL */
    struct mo_detector *detector;   /* task "detect" (model/detector.h), or NULL */
    mo_threadpool *pool;
    mo_profile profile;       /* attached to the backbone while profiling */
    /* The plan: one arena holding two ping-pong activations, SE scratch and pooled features. */
    int32_t plan_h, plan_w;
    float *arena;
    int64_t arena_floats;
    float *buf_a, *buf_b, *scratch, *pooled;
};

/* Plans the planned size again (after a change that the plan depends on, as detect.zoom). */
mo_status mo_model_replan(struct mo_model *m, mo_error *err);

#endif
