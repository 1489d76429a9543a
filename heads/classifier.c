/* classifier.c - avgpool + linear, as Apple's MobileOne `gap` and `linear`. */
#include "classifier.h"

#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "kernels/se.h"

mo_status mo_classifier_load(mo_classifier *c, mo_weights *w, const char *prefix,
                             mo_naming naming, int32_t in_channels, mo_kernel_choice kernels,
                             mo_error *err) {
    char wname[256], bname[256];
    mo_backbone_name(wname, sizeof wname, prefix, naming, "linear.weight");
    mo_backbone_name(bname, sizeof bname, prefix, naming, "linear.bias");
    const st_tensor *t = mo_weights_find(w, wname);
    if (!t)
        return mo_error_set(err, MO_ERR_MISSING, "%s: tensor '%s' is missing (no classifier)",
                            w->file->path, wname);
    if (t->ndim != 2 || t->shape[0] < 1 || t->shape[0] > 1000000)
        return mo_error_set(err, MO_ERR_SHAPE, "%s: tensor '%s' must be [classes, %d]",
                            w->file->path, wname, in_channels);
    c->in_channels = in_channels;
    c->num_classes = (int32_t)t->shape[0];
    c->weight = malloc(sizeof(float) * (size_t)c->num_classes * (in_channels + 1));
    if (!c->weight) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    c->bias = c->weight + (size_t)c->num_classes * in_channels;
    const int64_t ws[2] = {c->num_classes, in_channels}, bs[1] = {c->num_classes};
    mo_status s = mo_weights_read(w, wname, 2, ws, c->weight, err);
    if (s == MO_OK) s = mo_weights_read(w, bname, 1, bs, c->bias, err);
    const mo_conv_geom g = {.cin = in_channels, .cout = c->num_classes, .kernel = 1, .stride = 1,
                            .pad = 0, .dilation = 1, .groups = 1};
    if (s == MO_OK) s = mo_conv_op_init(&c->op, &g, c->weight, c->bias, MO_ACT_NONE, kernels, err);
    if (s != MO_OK) mo_classifier_free(c);
    return s;
}

void mo_classifier_free(mo_classifier *c) {
    mo_conv_op_free(&c->op);
    free(c->weight);
    c->weight = c->bias = NULL;
}

void mo_classifier_forward(const mo_classifier *c, const float *features, int32_t h, int32_t w,
                           float *pooled, float *logits, mo_threadpool *pool) {
    f32_global_avgpool(pooled, features, h, w, c->in_channels);
    mo_conv_op_run(&c->op, logits, pooled, 1, 1, pool);
}
