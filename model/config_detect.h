/* config_detect.h - the config's "detect" section and "category_ids", for config.c.
 *
 *   "detect": {"score_thresh": 0.001, "nms_thresh": 0.55, "topk": 300, "max_dets": 300,
 *              "first_stage": 3, "tta": "none",
 *              "anchors": {"aspect_ratios": [[2, 3]], "min_ratio": 0.2, "max_ratio": 0.95,
 *                          "scales": [s_0, ..., s_L]}}
 *   "category_ids": null | [id of label 0, id of label 1, ...]
 * aspect_ratios is a list of lists as torchvision writes it; one list (or six equal ones) is
 * accepted, since every level of our SSDLite uses the same ratios. first_stage 2 adds stage 2's
 * output (OS8) in front of the maps: 7 levels instead of 6. scales, when given, are the anchor
 * scales of the L levels plus one (DefaultBoxGenerator(scales=...)); min_ratio and max_ratio
 * then only describe them. The count is checked when the head is loaded (mo_detector_load).
 * tta is the test-time augmentation (mo_detect_tta: "none", "hflip", "flips" or "d8").
 * first_stage, scales and tta are written back only when they differ from the defaults.
 */
#ifndef MO_MODEL_CONFIG_DETECT_H
#define MO_MODEL_CONFIG_DETECT_H

#include <cjson/cJSON.h>

#include "config.h"

/* torchvision ssdlite320's values. */
void mo_config_detect_init(mo_config_detect *d);

/* Applies the fields of a "detect" object over c->detect. */
mo_status mo_config_detect_apply(mo_config *c, const cJSON *section, const char *origin,
                                 mo_error *err);

/* Applies "category_ids" (null or an array of integers). */
mo_status mo_config_category_ids_apply(mo_config *c, const cJSON *v, const char *origin,
                                       mo_error *err);
void mo_config_category_ids_free(mo_config *c);

/* Adds "detect" (and "category_ids" when set) to root. */
void mo_config_detect_to_json(const mo_config *c, cJSON *root);

#endif
