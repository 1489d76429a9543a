/* config.c - parsing, merging and writing the model config with cJSON. */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_detect.h"
#include "error.h"

void mo_config_init(mo_config *c) {
    memset(c, 0, sizeof *c);
    const double mean[3] = {0.485, 0.456, 0.406}, std[3] = {0.229, 0.224, 0.225};
    memcpy(c->mean, mean, sizeof mean);
    memcpy(c->std, std, sizeof std);
    c->output_stride = 16;
    c->ignore_index = 255;
    mo_config_detect_init(&c->detect);
}

static void free_names(mo_config *c) {
    for (int32_t i = 0; i < c->num_class_names; i++) free(c->class_names[i]);
    free(c->class_names);
    c->class_names = NULL;
    c->num_class_names = 0;
}

void mo_config_free(mo_config *c) {
    free_names(c);
    mo_config_category_ids_free(c);
}

static mo_status read_numbers(const cJSON *v, double *out, int n, const char *origin,
                             const char *key, mo_error *err) {
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != n)
        return mo_error_set(err, MO_ERR_FORMAT, "%s: config '%s' must be an array of %d numbers",
                            origin, key, n);
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(v, i);
        if (!cJSON_IsNumber(e))
            return mo_error_set(err, MO_ERR_FORMAT, "%s: config '%s'[%d] is not a number",
                                origin, key, i);
        out[i] = e->valuedouble;
    }
    return MO_OK;
}

static mo_status read_int(const cJSON *v, int32_t min, int32_t max, int32_t *out,
                          const char *origin, const char *key, mo_error *err) {
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int32_t)v->valuedouble ||
        v->valuedouble < min || v->valuedouble > max)
        return mo_error_set(err, MO_ERR_FORMAT, "%s: config '%s' must be an integer in %d..%d",
                            origin, key, min, max);
    *out = (int32_t)v->valuedouble;
    return MO_OK;
}

static mo_status read_string(const cJSON *v, char *out, size_t size, const char *origin,
                             const char *key, mo_error *err) {
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= size)
        return mo_error_set(err, MO_ERR_FORMAT, "%s: config '%s' must be a short string",
                            origin, key);
    snprintf(out, size, "%s", v->valuestring);
    return MO_OK;
}

static mo_status read_names(mo_config *c, const cJSON *v, const char *origin, mo_error *err) {
    if (cJSON_IsNull(v)) {
        free_names(c);
        return MO_OK;
    }
    if (!cJSON_IsArray(v))
        return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'class_names' must be an array",
                            origin);
    int n = cJSON_GetArraySize(v);
    char **names = calloc((size_t)n + 1, sizeof *names);
    if (!names) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(v, i);
        if (!cJSON_IsString(e) || !(names[i] = strdup(e->valuestring))) {
            for (int j = 0; j < i; j++) free(names[j]);
            free(names);
            return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'class_names'[%d] is not a string",
                                origin, i);
        }
    }
    free_names(c);
    c->class_names = names;
    c->num_class_names = n;
    return MO_OK;
}

/* Sections for later tasks are accepted as objects; their fields are read by the heads. */
static int is_section(const char *key) {
    return !strcmp(key, "detect") || !strcmp(key, "segment") || !strcmp(key, "category_ids");
}

/* The "segment" section: output_stride, aspp_rates, ignore_index, palette, flip. */
static mo_status apply_segment(mo_config *c, const cJSON *section, const char *origin,
                               mo_error *err) {
    const cJSON *v;
    cJSON_ArrayForEach(v, section) {
        const char *k = v->string;
        mo_status s = MO_OK;
        if (!strcmp(k, "output_stride")) {
            s = read_int(v, 8, 16, &c->output_stride, origin, "segment.output_stride", err);
            if (s == MO_OK && c->output_stride != 8 && c->output_stride != 16)
                s = mo_error_set(err, MO_ERR_FORMAT,
                                 "%s: config 'segment.output_stride' must be 8 or 16", origin);
        } else if (!strcmp(k, "aspp_rates")) {
            double r[3];
            s = read_numbers(v, r, 3, origin, "segment.aspp_rates", err);
            for (int i = 0; s == MO_OK && i < 3; i++) {
                if (r[i] != (int32_t)r[i] || r[i] < 1 || r[i] > 1024)
                    s = mo_error_set(err, MO_ERR_FORMAT, "%s: config 'segment.aspp_rates' must "
                                     "be 3 integers in 1..1024", origin);
                else
                    c->aspp_rates[i] = (int32_t)r[i];
            }
        } else if (!strcmp(k, "ignore_index")) {
            s = read_int(v, -1, 65535, &c->ignore_index, origin, "segment.ignore_index", err);
        } else if (!strcmp(k, "palette")) {
            s = read_string(v, c->palette, sizeof c->palette, origin, "segment.palette", err);
        } else if (!strcmp(k, "flip")) {
            if (!cJSON_IsBool(v))
                s = mo_error_set(err, MO_ERR_FORMAT,
                                 "%s: config 'segment.flip' must be true or false", origin);
            c->flip = cJSON_IsTrue(v);
        } else {
            s = mo_error_set(err, MO_ERR_FORMAT, "%s: config has an unknown field 'segment.%s'",
                             origin, k);
        }
        if (s != MO_OK) return s;
    }
    return MO_OK;
}

static mo_status apply_field(mo_config *c, const cJSON *v, const char *origin, mo_error *err) {
    const char *k = v->string;
    if (!strcmp(k, "task")) {
        mo_status s = read_string(v, c->task, sizeof c->task, origin, k, err);
        if (s == MO_OK && strcmp(c->task, "classify") && strcmp(c->task, "detect") &&
            strcmp(c->task, "segment"))
            return mo_error_set(err, MO_ERR_FORMAT,
                                "%s: config 'task' is '%s'; expected classify, detect or segment",
                                origin, c->task);
        return s;
    }
    if (!strcmp(k, "variant")) return read_string(v, c->variant, sizeof c->variant, origin, k, err);
    if (!strcmp(k, "input_size")) {
        double hw[2] = {0, 0};
        mo_status s = read_numbers(v, hw, 2, origin, k, err);
        if (s != MO_OK) return s;
        if (hw[0] < 1 || hw[1] < 1 || hw[0] > 16384 || hw[1] > 16384 || hw[0] != (int)hw[0] ||
            hw[1] != (int)hw[1])
            return mo_error_set(err, MO_ERR_FORMAT,
                                "%s: config 'input_size' must be [H, W] integers in 1..16384",
                                origin);
        c->input_size[0] = (int32_t)hw[0];
        c->input_size[1] = (int32_t)hw[1];
        return MO_OK;
    }
    if (!strcmp(k, "num_classes")) return read_int(v, 1, 1000000, &c->num_classes, origin, k, err);
    if (!strcmp(k, "class_names")) return read_names(c, v, origin, err);
    if (!strcmp(k, "mean")) return read_numbers(v, c->mean, 3, origin, k, err);
    if (!strcmp(k, "std")) {
        mo_status s = read_numbers(v, c->std, 3, origin, k, err);
        if (s == MO_OK && (c->std[0] <= 0 || c->std[1] <= 0 || c->std[2] <= 0))
            return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'std' must be positive", origin);
        return s;
    }
    if (!strcmp(k, "crop_pct")) {
        if (!cJSON_IsNumber(v) || v->valuedouble <= 0 || v->valuedouble > 1)
            return mo_error_set(err, MO_ERR_FORMAT, "%s: config 'crop_pct' must be in (0, 1]",
                                origin);
        c->crop_pct = v->valuedouble;
        return MO_OK;
    }
    if (is_section(k)) {
        if (!strcmp(k, "segment") && cJSON_IsObject(v)) return apply_segment(c, v, origin, err);
        if (!strcmp(k, "detect")) return mo_config_detect_apply(c, v, origin, err);
        if (!strcmp(k, "category_ids")) return mo_config_category_ids_apply(c, v, origin, err);
        return MO_OK;
    }
    return mo_error_set(err, MO_ERR_FORMAT, "%s: config has an unknown field '%s'", origin, k);
}

mo_status mo_config_apply(mo_config *c, const char *json, const char *origin, mo_error *err) {
    cJSON *root = cJSON_Parse(json);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return mo_error_set(err, MO_ERR_FORMAT, "%s: the config is not a JSON object", origin);
    }
    mo_status s = MO_OK;
    const cJSON *v;
    cJSON_ArrayForEach(v, root) {
        s = apply_field(c, v, origin, err);
        if (s != MO_OK) break;
    }
    cJSON_Delete(root);
    return s;
}

mo_status mo_config_apply_file(mo_config *c, const char *path, mo_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return mo_error_set(err, MO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *grown = realloc(text, cap);
            if (!grown) {
                free(text);
                fclose(f);
                return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
            }
            text = grown;
        }
        size_t n = fread(text + len, 1, 4096, f);
        len += n;
        if (n < 4096) break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(text);
        return mo_error_set(err, MO_ERR_IO, "%s: read error", path);
    }
    text[len] = '\0';
    mo_status s = mo_config_apply(c, text, path, err);
    free(text);
    return s;
}

char *mo_config_to_json(const mo_config *c) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    if (c->task[0]) cJSON_AddStringToObject(root, "task", c->task);
    if (c->variant[0]) cJSON_AddStringToObject(root, "variant", c->variant);
    if (c->input_size[0]) {
        const int hw[2] = {c->input_size[0], c->input_size[1]};
        cJSON_AddItemToObject(root, "input_size", cJSON_CreateIntArray(hw, 2));
    }
    if (c->num_classes) cJSON_AddNumberToObject(root, "num_classes", c->num_classes);
    if (c->num_class_names)
        cJSON_AddItemToObject(root, "class_names",
                              cJSON_CreateStringArray((const char *const *)c->class_names,
                                                      c->num_class_names));
    cJSON_AddItemToObject(root, "mean", cJSON_CreateDoubleArray(c->mean, 3));
    cJSON_AddItemToObject(root, "std", cJSON_CreateDoubleArray(c->std, 3));
    if (c->crop_pct > 0) cJSON_AddNumberToObject(root, "crop_pct", c->crop_pct);
    if (!strcmp(c->task, "segment")) {
        cJSON *seg = cJSON_AddObjectToObject(root, "segment");
        cJSON_AddNumberToObject(seg, "output_stride", c->output_stride);
        if (c->aspp_rates[0])
            cJSON_AddItemToObject(seg, "aspp_rates", cJSON_CreateIntArray(c->aspp_rates, 3));
        cJSON_AddNumberToObject(seg, "ignore_index", c->ignore_index);
        if (c->palette[0]) cJSON_AddStringToObject(seg, "palette", c->palette);
        cJSON_AddBoolToObject(seg, "flip", c->flip);
    }
    if (!strcmp(c->task, "detect")) mo_config_detect_to_json(c, root);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}
