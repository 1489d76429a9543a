/* segmenter.h - the segment task inside an mo_model: the DeepLabv3 head, its plan and the
 * last result. For model.c; the public functions (mo_segment, ...) are in segmenter.c. */
#ifndef MO_MODEL_SEGMENTER_H
#define MO_MODEL_SEGMENTER_H

#include "deeplabv3.h"
#include "mobileone.h"

struct mo_model;

typedef struct mo_segmenter {
    mo_deeplabv3 head;
    /* The plan, inside the model's arena: head workspace, logits at the feature resolution,
     * per-thread rows for mo_segment_labels. */
    float *work, *small_logits, *label_rows;
    float *flip_logits, *flip_input; /* test-time flipping: the mirror's logits and input */
    int32_t has_result;   /* mo_segment ran since the last plan */
} mo_segmenter;

/* Loads the head (names `classifier.*`) over the loaded backbone of m, with the config's ASPP
 * rates (defaults by output stride), and sets m->segmenter. On error m->segmenter stays NULL. */
mo_status mo_segmenter_load(struct mo_model *m, mo_weights *w, const char *path,
                            mo_kernel_choice kernels, mo_error *err);
void mo_segmenter_free(mo_segmenter *s);

/* Floats the plan needs for input h x w beyond the backbone's, and placing them at `at`. */
int64_t mo_segmenter_floats(const struct mo_model *m, int32_t h, int32_t w);
void mo_segmenter_plan(struct mo_model *m, float *at);

/* mo_segment with test-time flipping on or off whatever the config (mo_model_forward, which
 * times the network, runs one pass). */
mo_status mo_segmenter_run(struct mo_model *m, const float *input, float *logits, int flip,
                           mo_error *err);

/* Fills the head's part of info (classes, parameters, MACs) at input h x w. */
void mo_segmenter_info(const struct mo_model *m, int32_t h, int32_t w, mo_model_info *info);

#endif
