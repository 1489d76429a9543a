/* eval_model_reclass.c - a golden model with another class count, for the runner tests. */
#include "eval_model_reclass.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"

/* Rows per anchor of a class tensor (1 for segmentation); 0 when t holds no classes. */
static int64_t anchors_of(const st_tensor *t, int32_t old_classes) {
    if (!strcmp(t->name, "classifier.4.weight") || !strcmp(t->name, "classifier.4.bias")) return 1;
    const char *p = "head.classification_head.module_list.";
    size_t n = strlen(p);
    if (strncmp(t->name, p, n)) return 0;
    const char *rest = strchr(t->name + n, '.');
    if (!rest || (strcmp(rest, ".1.weight") && strcmp(rest, ".1.bias"))) return 0;
    return t->shape[0] / old_classes;
}

int eval_model_reclass(const char *src, const char *dst, int32_t num_classes) {
    st_file f;
    mo_error err;
    if (st_open(&f, src, &err) != MO_OK) {
        fprintf(stderr, "%s\n", err.message);
        return -1;
    }
    cJSON *cfg = cJSON_Parse(f.config_json ? f.config_json : "{}");
    const cJSON *nc = cJSON_GetObjectItem(cfg, "num_classes");
    int32_t old_classes = cJSON_IsNumber(nc) ? nc->valueint : 0;
    st_write_tensor *w = calloc((size_t)f.num_tensors, sizeof *w);
    float **bufs = calloc((size_t)f.num_tensors, sizeof *bufs);
    int32_t count = 0, rc = old_classes > 0 ? 0 : -1;
    for (int32_t i = 0; rc == 0 && i < f.num_tensors; i++) {
        const st_tensor *t = &f.tensors[i];
        if (t->dtype == ST_I64) continue; /* num_batches_tracked: bookkeeping */
        float *data = malloc(sizeof(float) * (size_t)t->numel);
        if (!data || st_read_f32(&f, t, data, &err) != MO_OK) {
            free(data);
            rc = -1;
            break;
        }
        st_write_tensor *o = &w[count];
        o->name = t->name;
        o->ndim = t->ndim;
        memcpy(o->shape, t->shape, sizeof o->shape);
        int64_t anchors = anchors_of(t, old_classes);
        if (anchors) {
            int64_t row = t->numel / t->shape[0];
            float *grown = malloc(sizeof(float) * (size_t)(anchors * num_classes * row));
            for (int64_t a = 0; grown && a < anchors; a++)
                for (int64_t c = 0; c < num_classes; c++)
                    memcpy(grown + (a * num_classes + c) * row,
                           data + (a * old_classes + c % old_classes) * row,
                           sizeof(float) * (size_t)row);
            free(data);
            if (!(data = grown)) {
                rc = -1;
                break;
            }
            o->shape[0] = anchors * num_classes;
        }
        o->data = bufs[count++] = data;
    }
    cJSON_DeleteItemFromObject(cfg, "class_names");
    cJSON_DeleteItemFromObject(cfg, "category_ids");
    cJSON_ReplaceItemInObject(cfg, "num_classes", cJSON_CreateNumber(num_classes));
    char *json = cJSON_PrintUnformatted(cfg);
    if (rc == 0 && st_write(dst, w, count, json, &err) != MO_OK) {
        fprintf(stderr, "%s\n", err.message);
        rc = -1;
    }
    free(json);
    cJSON_Delete(cfg);
    for (int32_t i = 0; i < count; i++)
        free(bufs[i]);
    free(bufs);
    free(w);
    st_close(&f);
    return rc;
}
