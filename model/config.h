/* config.h - the model config (DESIGN.md section 3): JSON, every field with a default.
 *
 * Sources, applied in order, later fields win: defaults, the JSON embedded in the model file's
 * __metadata__["mobileone.config"], a JSON file given by the user. Fields a source does not
 * name keep their value. Unknown fields are errors (a typo should not be silently ignored).
 */
#ifndef MO_MODEL_CONFIG_H
#define MO_MODEL_CONFIG_H

#include "mobileone.h"

#define MO_CONFIG_MAX_SCALES 9 /* anchors.scales: levels + 1 (8 levels at most) */

/* The "detect" section (DESIGN.md section 3); torchvision ssdlite320's values by default. */
typedef struct mo_config_detect {
    double score_thresh, nms_thresh; /* 0.001, 0.55 */
    int32_t topk, max_dets;          /* 300, 300 */
    int32_t first_stage;             /* the first map: stage 3 (OS16, default) or 2 (OS8) */
    int32_t num_ratios;              /* anchors.aspect_ratios: one list, used at every level */
    double ratios[4];                /* {2, 3} */
    double min_ratio, max_ratio;     /* anchors: 0.2, 0.95 */
    int32_t num_scales;              /* anchors.scales: 0, or levels + 1 explicit scales */
    double scales[MO_CONFIG_MAX_SCALES];
    int32_t tta; /* test-time augmentation, an mo_detect_tta: none */
    int32_t zoom;         /* a second pass on the input enlarged this many times: 1 (off) */
    double zoom_max_side; /* ...which adds its detections below this side (of the input's) */
} mo_config_detect;

typedef struct mo_config {
    char task[16];          /* "classify", "detect", "segment"; "" = from the tensors */
    char variant[16];       /* "s0".."s4", "custom" or "" (not checked) */
    int32_t input_size[2];  /* H, W; 0 = the task's default */
    int32_t num_classes;    /* 0 = from the tensors */
    int32_t num_class_names;
    char **class_names;     /* owned */
    double mean[3], std[3];
    double crop_pct;        /* 0 = the variant's default (0.875 for S0, 0.9 otherwise) */
    int32_t output_stride;  /* segmentation backbone: 16 or 8 */
    int32_t aspp_rates[3];  /* segmentation ASPP dilations; 0 = (6, 12, 18) at OS16, x2 at OS8 */
    int32_t ignore_index;   /* segmentation: the label of unlabelled pixels in data sets (255) */
    char palette[256];      /* segmentation: "voc", "ade20k", a palette file; "" = by classes */
    int32_t flip;           /* segmentation: also run the mirrored input and average the logits */
    mo_config_detect detect;  /* the "detect" section */
    int32_t num_category_ids; /* 0 when null: the label is the category id */
    int32_t *category_ids;    /* owned; label -> dataset category id */
} mo_config;

void mo_config_init(mo_config *c);
void mo_config_free(mo_config *c);

/* Applies the fields of `json` over c. `origin` names the source in messages. */
mo_status mo_config_apply(mo_config *c, const char *json, const char *origin, mo_error *err);

/* Reads a JSON file and applies it. */
mo_status mo_config_apply_file(mo_config *c, const char *path, mo_error *err);

/* The config as JSON text (malloc'ed, caller frees), or NULL when out of memory. */
char *mo_config_to_json(const mo_config *c);

#endif
