/* config_detect.c - parsing and writing the detection fields of the model config. */
#include "config_detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void mo_config_detect_init(mo_config_detect *d) {
    *d = (mo_config_detect){.score_thresh = 0.001,
                            .nms_thresh = 0.55,
                            .topk = 300,
                            .max_dets = 300,
                            .first_stage = 3,
                            .num_ratios = 2,
                            .ratios = {2, 3},
                            .min_ratio = 0.2,
                            .max_ratio = 0.95,
                            .zoom = 1,
                            .zoom_max_side = 0.2};
}

static mo_status number(const cJSON *v, double min, double max, double *out, const char *origin,
                        const char *key, mo_error *err) {
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= min && v->valuedouble <= max))
        return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'detect.%s' must be a number in "
                            "%g..%g", origin, key, min, max);
    *out = v->valuedouble;
    return MO_OK;
}

static mo_status integer(const cJSON *v, int32_t min, int32_t max, int32_t *out,
                         const char *origin, const char *key, mo_error *err) {
    double d = 0;
    mo_status s = number(v, min, max, &d, origin, key, err);
    if (s == MO_OK && d != (double)(int32_t)d)
        s = mo_error_set(err, MO_ERR_FORMAT, "%s: config 'detect.%s' must be an integer",
                         origin, key);
    if (s == MO_OK) *out = (int32_t)d;
    return s;
}

/* [[2, 3]] or [[2, 3], [2, 3], ...] (all lists equal). */
static mo_status ratios(mo_config_detect *d, const cJSON *v, const char *origin, mo_error *err) {
    const char *key = "anchors.aspect_ratios";
    int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
    if (n < 1)
        return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'detect.%s' must be a list of lists "
                            "of numbers, e.g. [[2, 3]]", origin, key);
    double first[4];
    int32_t count = 0;
    for (int l = 0; l < n; l++) {
        const cJSON *list = cJSON_GetArrayItem(v, l);
        int m = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1;
        if (m < 0 || m > 4 || (l > 0 && m != count))
            return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'detect.%s'[%d] must be a list of "
                                "up to 4 numbers, the same at every level", origin, key, l);
        for (int i = 0; i < m; i++) {
            double r = 0;
            mo_status s = number(cJSON_GetArrayItem(list, i), 1e-3, 1e3, &r, origin, key, err);
            if (s != MO_OK) return s;
            if (l > 0 && r != first[i])
                return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'detect.%s': every level "
                                    "must use the same ratios", origin, key);
            first[i] = r;
        }
        count = m;
    }
    d->num_ratios = count;
    memcpy(d->ratios, first, sizeof(double) * (size_t)count);
    return MO_OK;
}

/* Explicit scales, torchvision's DefaultBoxGenerator(scales=...): positive numbers, one per
 * level and one more; their count is checked against the levels when the head is loaded. */
static mo_status scales(mo_config_detect *d, const cJSON *v, const char *origin, mo_error *err) {
    const int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
    if (n < 3 || n > MO_CONFIG_MAX_SCALES)
        return mo_error_set(err, MO_ERR_FORMAT,
                            "%s: config 'detect.anchors.scales' must be a list of 3..%d "
                            "numbers (one per feature map, then one more)",
                            origin, MO_CONFIG_MAX_SCALES);
    for (int i = 0; i < n; i++) {
        mo_status s = number(cJSON_GetArrayItem(v, i), 1e-6, 10, &d->scales[i], origin,
                             "anchors.scales", err);
        if (s != MO_OK) return s;
    }
    d->num_scales = n;
    return MO_OK;
}

static mo_status tta(mo_config_detect *d, const cJSON *v, const char *origin, mo_error *err) {
    const int mode = cJSON_IsString(v) ? mo_detect_tta_parse(v->valuestring) : -1;
    if (mode < 0)
        return mo_error_set(err, MO_ERR_FORMAT,
                            "%s: config 'detect.tta' must be \"none\", "
                            "\"hflip\", \"flips\" or \"d8\"",
                            origin);
    d->tta = mode;
    return MO_OK;
}

static mo_status anchors(mo_config_detect *d, const cJSON *section, const char *origin,
                         mo_error *err) {
    if (!cJSON_IsObject(section))
        return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'detect.anchors' must be an object",
                            origin);
    const cJSON *v;
    cJSON_ArrayForEach(v, section) {
        const char *k = v->string;
        mo_status s;
        if (!strcmp(k, "aspect_ratios")) s = ratios(d, v, origin, err);
        else if (!strcmp(k, "min_ratio"))
            s = number(v, 1e-6, 10, &d->min_ratio, origin, "anchors.min_ratio", err);
        else if (!strcmp(k, "max_ratio"))
            s = number(v, 1e-6, 10, &d->max_ratio, origin, "anchors.max_ratio", err);
        else if (!strcmp(k, "scales"))
            s = scales(d, v, origin, err);
        else
            s = mo_error_set(err, MO_ERR_FORMAT, "%s: config has an unknown field "
                             "'detect.anchors.%s'", origin, k);
        if (s != MO_OK) return s;
    }
    if (d->min_ratio > d->max_ratio)
        return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'detect.anchors': min_ratio %g > "
                            "max_ratio %g", origin, d->min_ratio, d->max_ratio);
    return MO_OK;
}

mo_status mo_config_detect_apply(mo_config *c, const cJSON *section, const char *origin,
                                 mo_error *err) {
    mo_config_detect *d = &c->detect;
    if (!cJSON_IsObject(section))
        return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'detect' must be an object", origin);
    const cJSON *v;
    cJSON_ArrayForEach(v, section) {
        const char *k = v->string;
        mo_status s;
        if (!strcmp(k, "score_thresh")) s = number(v, 0, 1, &d->score_thresh, origin, k, err);
        else if (!strcmp(k, "nms_thresh")) s = number(v, 0, 1, &d->nms_thresh, origin, k, err);
        else if (!strcmp(k, "topk")) s = integer(v, 1, 1000000, &d->topk, origin, k, err);
        else if (!strcmp(k, "max_dets")) s = integer(v, 1, 1000000, &d->max_dets, origin, k, err);
        else if (!strcmp(k, "anchors")) s = anchors(d, v, origin, err);
        else if (!strcmp(k, "first_stage"))
            s = integer(v, 2, 3, &d->first_stage, origin, k, err);
        else if (!strcmp(k, "tta"))
            s = tta(d, v, origin, err);
        else if (!strcmp(k, "zoom"))
            s = integer(v, 1, MO_DETECT_MAX_ZOOM, &d->zoom, origin, k, err);
        else if (!strcmp(k, "zoom_max_side"))
            s = number(v, 0, 1, &d->zoom_max_side, origin, k, err);
        else
            s = mo_error_set(err, MO_ERR_FORMAT, "%s: config has an unknown field 'detect.%s'",
                             origin, k);
        if (s != MO_OK) return s;
    }
    return MO_OK;
}

void mo_config_category_ids_free(mo_config *c) {
    free(c->category_ids);
    c->category_ids = NULL;
    c->num_category_ids = 0;
}

mo_status mo_config_category_ids_apply(mo_config *c, const cJSON *v, const char *origin,
                                       mo_error *err) {
    if (cJSON_IsNull(v)) {
        mo_config_category_ids_free(c);
        return MO_OK;
    }
    int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
    if (n < 1)
        return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'category_ids' must be null or a "
                            "non-empty array of integers", origin);
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)n);
    if (!ids) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(v, i);
        if (!cJSON_IsNumber(e) || e->valuedouble != (double)(int32_t)e->valuedouble ||
            e->valuedouble < 0) {
            free(ids);
            return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'category_ids'[%d] is not a "
                                "non-negative integer", origin, i);
        }
        ids[i] = (int32_t)e->valuedouble;
    }
    mo_config_category_ids_free(c);
    c->category_ids = ids;
    c->num_category_ids = n;
    return MO_OK;
}

/* The numbers as a JSON array that reads back to the same doubles (cJSON's own printing may
 * drop the last bit: 0.43999999999999995 becomes 0.44): the shortest %g form that does. */
static cJSON *exact_numbers(const double *v, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        char text[32];
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(text, sizeof text, "%.*g", digits, v[i]);
            if (strtod(text, NULL) == v[i]) break;
        }
        cJSON_AddItemToArray(a, cJSON_CreateRaw(text));
    }
    return a;
}

void mo_config_detect_to_json(const mo_config *c, cJSON *root) {
    const mo_config_detect *d = &c->detect;
    cJSON *det = cJSON_AddObjectToObject(root, "detect");
    if (det) {
        cJSON_AddNumberToObject(det, "score_thresh", d->score_thresh);
        cJSON_AddNumberToObject(det, "nms_thresh", d->nms_thresh);
        cJSON_AddNumberToObject(det, "topk", d->topk);
        cJSON_AddNumberToObject(det, "max_dets", d->max_dets);
        if (d->first_stage != 3) cJSON_AddNumberToObject(det, "first_stage", d->first_stage);
        if (d->tta != MO_TTA_NONE) cJSON_AddStringToObject(det, "tta", mo_detect_tta_name(d->tta));
        if (d->zoom != 1) cJSON_AddNumberToObject(det, "zoom", d->zoom);
        if (d->zoom_max_side != 0.2)
            cJSON_AddNumberToObject(det, "zoom_max_side", d->zoom_max_side);
        cJSON *a = cJSON_AddObjectToObject(det, "anchors");
        cJSON *outer = a ? cJSON_AddArrayToObject(a, "aspect_ratios") : NULL;
        if (outer) cJSON_AddItemToArray(outer, cJSON_CreateDoubleArray(d->ratios, d->num_ratios));
        if (a) {
            cJSON_AddNumberToObject(a, "min_ratio", d->min_ratio);
            cJSON_AddNumberToObject(a, "max_ratio", d->max_ratio);
            if (d->num_scales)
                cJSON_AddItemToObject(a, "scales", exact_numbers(d->scales, d->num_scales));
        }
    }
    if (c->num_category_ids)
        cJSON_AddItemToObject(root, "category_ids",
                              cJSON_CreateIntArray(c->category_ids, c->num_category_ids));
}
