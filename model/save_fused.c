/* save_fused.c - mo_model_save_fused: the reparameterized backbone under Apple's fused names
 * (stageN.j.reparam_conv.*) and the task's head.
 *
 * The classifier's linear layer is written from memory. A detection or segmentation head is
 * copied from the model's source file tensor by tensor (its BatchNorms unfolded, as
 * torchvision names them: the loader folds them again), so the output loads as the same
 * model; only BN bookkeeping (num_batches_tracked) is dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model_internal.h"
#include "safetensors.h"

/* The head's tensors in the source file, by name prefix, for each task with one. */
static const char *const segment_head[] = {"classifier.", NULL};
static const char *const detect_head[] = {"backbone.extra.", "head.", NULL};

static int is_head_tensor(const char *name, const char *const *prefixes) {
    const char *nbt = "num_batches_tracked";
    size_t n = strlen(name), k = strlen(nbt);
    if (n >= k && !strcmp(name + n - k, nbt)) return 0;
    for (; *prefixes; prefixes++)
        if (!strncmp(name, *prefixes, strlen(*prefixes))) return 1;
    return 0;
}

/* Backbone under "backbone." plus the head tensors of m->source. */
static mo_status save_with_head(const mo_model *m, const char *path, const char *json,
                                const char *const *prefixes, mo_error *err) {
    const mo_backbone *b = &m->backbone;
    st_file src;
    mo_status s = st_open(&src, m->source, err);
    if (s != MO_OK) return s;
    int32_t nb = mo_backbone_fused_tensor_count(b), n = nb + src.num_tensors;
    st_write_tensor *tensors = calloc((size_t)n, sizeof *tensors);
    char(*names)[64] = calloc((size_t)nb, sizeof *names);
    float **data = calloc((size_t)src.num_tensors, sizeof *data);
    if (!tensors || !names || !data) s = mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    int32_t count = s == MO_OK ? mo_backbone_fused_tensors(b, "backbone.", tensors, names) : 0;
    for (int32_t i = 0; s == MO_OK && i < src.num_tensors; i++) {
        const st_tensor *t = &src.tensors[i];
        if (!is_head_tensor(t->name, prefixes)) continue;
        if (!(data[i] = malloc(sizeof(float) * (size_t)t->numel))) {
            s = mo_error_set(err, MO_ERR_MEMORY, "out of memory");
            break;
        }
        s = st_read_f32(&src, t, data[i], err);
        st_write_tensor *o = &tensors[count++];
        o->name = t->name;
        o->ndim = t->ndim;
        memcpy(o->shape, t->shape, sizeof o->shape);
        o->data = data[i];
    }
    if (s == MO_OK) s = st_write(path, tensors, count, json, err);
    for (int32_t i = 0; data && i < src.num_tensors; i++) free(data[i]);
    free(data);
    free(names);
    free(tensors);
    st_close(&src);
    return s;
}

static mo_status save_classifier(const mo_model *m, const char *path, const char *json,
                                 mo_error *err) {
    const mo_backbone *b = &m->backbone;
    int32_t n = mo_backbone_fused_tensor_count(b) + 2;
    st_write_tensor *tensors = calloc((size_t)n, sizeof *tensors);
    char(*names)[64] = calloc((size_t)n, sizeof *names);
    mo_status s;
    if (!tensors || !names) {
        s = mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    } else {
        int32_t count = mo_backbone_fused_tensors(b, "", tensors, names);
        const mo_classifier *h = &m->classifier;
        tensors[count++] = (st_write_tensor){
            .name = "linear.weight", .ndim = 2, .shape = {h->num_classes, h->in_channels},
            .data = h->weight};
        tensors[count++] = (st_write_tensor){
            .name = "linear.bias", .ndim = 1, .shape = {h->num_classes}, .data = h->bias};
        s = st_write(path, tensors, count, json, err);
    }
    free(names);
    free(tensors);
    return s;
}

mo_status mo_model_save_fused(const mo_model *m, const char *path, mo_error *err) {
    mo_config c = m->config;
    snprintf(c.variant, sizeof c.variant, "%s", m->backbone.variant);
    char *json = mo_config_to_json(&c);
    if (!json) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    mo_status s = m->segmenter  ? save_with_head(m, path, json, segment_head, err)
                  : m->detector ? save_with_head(m, path, json, detect_head, err)
                                : save_classifier(m, path, json, err);
    free(json);
    return s;
}
