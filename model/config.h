/* config.h - the model config (DESIGN.md section 3): JSON, every field with a default.
 *
 * Sources, applied in order, later fields win: defaults, the JSON embedded in the model file's
 * __metadata__["mobileone.config"], a JSON file given by the user. Fields a source does not
 * name keep their value. Unknown fields are errors (a typo should not be silently ignored).
 */
#ifndef MO_MODEL_CONFIG_H
#define MO_MODEL_CONFIG_H

#include "mobileone.h"

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
