/* deeplabv3.c - loading (BN folding) and running torchvision's DeepLabHead. */
#include "deeplabv3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define BN_EPS 1e-5f

static void conv_free(mo_conv *c) {
    mo_conv_op_free(&c->op);
    free(c->weight);
    c->weight = c->bias = NULL;
}

/* Reads the bias-free conv `wname` (cout, cin, k, k) and folds the BN `bn` into it, or, when bn
 * is NULL, reads `<wname minus .weight>.bias` as its bias. */
static mo_status load_conv(mo_conv *c, mo_weights *w, const char *wname, const char *bn,
                           const mo_conv_geom *g, mo_act act, mo_kernel_choice kernels,
                           mo_error *err) {
    const int64_t per_out = (int64_t)g->cin * g->kernel * g->kernel;
    c->geom = *g;
    c->weight = malloc(sizeof(float) * (size_t)(g->cout * (per_out + 2)));
    if (!c->weight) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", wname);
    c->bias = c->weight + g->cout * per_out;
    float *scale = c->bias + g->cout;
    const int64_t shape[4] = {g->cout, g->cin, g->kernel, g->kernel};
    mo_status s = mo_weights_read(w, wname, 4, shape, c->weight, err);
    if (s == MO_OK && bn) {
        s = mo_weights_read_bn(w, bn, g->cout, BN_EPS, scale, c->bias, err);
        for (int64_t o = 0; s == MO_OK && o < g->cout; o++)
            for (int64_t i = 0; i < per_out; i++) c->weight[o * per_out + i] *= scale[o];
    } else if (s == MO_OK) {
        char bname[256];
        snprintf(bname, sizeof bname, "%.*s.bias", (int)(strlen(wname) - strlen(".weight")),
                 wname);
        const int64_t bshape[1] = {g->cout};
        s = mo_weights_read(w, bname, 1, bshape, c->bias, err);
    }
    if (s == MO_OK) s = mo_conv_op_init(&c->op, g, c->weight, c->bias, act, kernels, err);
    if (s != MO_OK) conv_free(c);
    return s;
}

static mo_conv_geom geom(int32_t cin, int32_t cout, int32_t kernel, int32_t dilation) {
    return (mo_conv_geom){.cin = cin, .cout = cout, .kernel = kernel, .stride = 1,
                          .pad = dilation * (kernel / 2), .dilation = dilation, .groups = 1};
}

mo_status mo_deeplabv3_load(mo_deeplabv3 *h, mo_weights *w, int32_t in_channels,
                            const int32_t rates[3], mo_kernel_choice kernels, mo_error *err) {
    memset(h, 0, sizeof *h);
    const char *path = w->file->path;
    const st_tensor *t = mo_weights_find(w, "classifier.4.weight");
    const st_tensor *a = mo_weights_find(w, "classifier.0.convs.0.0.weight");
    if (!t || !a)
        return mo_error_set(err, MO_ERR_MISSING, "%s: tensor '%s' is missing (no DeepLabv3 "
                            "head)", path, t ? "classifier.0.convs.0.0.weight"
                                             : "classifier.4.weight");
    if (a->ndim != 4 || a->shape[0] < 1 || a->shape[0] > 65536)
        return mo_error_set(err, MO_ERR_SHAPE, "%s: tensor 'classifier.0.convs.0.0.weight' must "
                            "be [A, %d, 1, 1] with A in 1..65536", path, in_channels);
    if (t->ndim != 4 || t->shape[0] < 1 || t->shape[0] > 256)
        return mo_error_set(err, MO_ERR_SHAPE, "%s: tensor 'classifier.4.weight' must be "
                            "[classes <= 256, %d, 1, 1]", path, (int)a->shape[0]);
    for (int i = 0; i < 3; i++)
        if (rates[i] < 1 || rates[i] > 1024)
            return mo_error_set(err, MO_ERR_ARGUMENT, "%s: ASPP rate %d must be in 1..1024", path,
                                rates[i]);
    h->in_channels = in_channels;
    h->num_classes = (int32_t)t->shape[0];
    h->channels = (int32_t)a->shape[0];
    memcpy(h->rates, rates, sizeof h->rates);
    const int32_t A = h->channels;
    mo_conv_geom g = geom(in_channels, A, 1, 1);
    mo_status s = load_conv(&h->convs[0], w, "classifier.0.convs.0.0.weight",
                            "classifier.0.convs.0.1", &g, MO_ACT_RELU, kernels, err);
    for (int b = 1; b <= 3 && s == MO_OK; b++) {
        char wname[64], bn[64];
        snprintf(wname, sizeof wname, "classifier.0.convs.%d.0.weight", b);
        snprintf(bn, sizeof bn, "classifier.0.convs.%d.1", b);
        g = geom(in_channels, A, 3, rates[b - 1]);
        s = load_conv(&h->convs[b], w, wname, bn, &g, MO_ACT_RELU, kernels, err);
    }
    g = geom(in_channels, A, 1, 1);
    if (s == MO_OK)
        s = load_conv(&h->pool_conv, w, "classifier.0.convs.4.1.weight", "classifier.0.convs.4.2",
                      &g, MO_ACT_RELU, kernels, err);
    g = geom(MO_ASPP_BRANCHES * A, A, 1, 1);
    if (s == MO_OK)
        s = load_conv(&h->project, w, "classifier.0.project.0.weight", "classifier.0.project.1",
                      &g, MO_ACT_RELU, kernels, err);
    g = geom(A, A, 3, 1);
    if (s == MO_OK)
        s = load_conv(&h->conv3x3, w, "classifier.1.weight", "classifier.2", &g, MO_ACT_RELU,
                      kernels, err);
    g = geom(A, h->num_classes, 1, 1);
    if (s == MO_OK)
        s = load_conv(&h->classifier, w, "classifier.4.weight", NULL, &g, MO_ACT_NONE, kernels,
                      err);
    if (s != MO_OK) {
        mo_deeplabv3_free(h);
        return s;
    }
    mo_weights_ignore_prefix(w, "aux_classifier.");
    return MO_OK;
}

void mo_deeplabv3_free(mo_deeplabv3 *h) {
    for (int b = 0; b < 4; b++) conv_free(&h->convs[b]);
    conv_free(&h->pool_conv);
    conv_free(&h->project);
    conv_free(&h->conv3x3);
    conv_free(&h->classifier);
    memset(h, 0, sizeof *h);
}

/* Workspace: concat (hw, 5 A) | branch (hw, A) | pooled (in) | pooled branch (A). */
int64_t mo_deeplabv3_workspace_floats(const mo_deeplabv3 *h, int32_t fh, int32_t fw) {
    const int64_t hw = (int64_t)fh * fw;
    return hw * (MO_ASPP_BRANCHES + 1) * h->channels + h->in_channels + h->channels;
}

/* Copies (hw, A) into channels [slot A, (slot + 1) A) of the (hw, 5 A) concat. */
static void put_branch(float *concat, const float *branch, int64_t hw, int32_t A, int slot) {
    const int32_t C = MO_ASPP_BRANCHES * A;
    for (int64_t p = 0; p < hw; p++)
        memcpy(concat + p * C + slot * A, branch + p * A, sizeof(float) * A);
}

void mo_deeplabv3_forward(const mo_deeplabv3 *h, float *logits, const float *features,
                          int32_t fh, int32_t fw, float *work, mo_threadpool *pool) {
    const int64_t hw = (int64_t)fh * fw;
    const int32_t A = h->channels;
    float *concat = work, *branch = concat + hw * MO_ASPP_BRANCHES * A;
    float *pooled = branch + hw * A, *pooled_out = pooled + h->in_channels;
    for (int b = 0; b < 4; b++) {
        mo_conv_op_run(&h->convs[b].op, branch, features, fh, fw, pool);
        put_branch(concat, branch, hw, A, b);
    }
    /* convs.4: AdaptiveAvgPool2d(1), 1x1 + BN + ReLU, then upsampling a 1x1 map = broadcast. */
    f32_global_avgpool_ref(pooled, features, fh, fw, h->in_channels);
    mo_conv_op_run(&h->pool_conv.op, pooled_out, pooled, 1, 1, pool);
    for (int64_t p = 0; p < hw; p++)
        memcpy(concat + p * MO_ASPP_BRANCHES * A + 4 * A, pooled_out, sizeof(float) * A);
    mo_conv_op_run(&h->project.op, branch, concat, fh, fw, pool);
    /* The 3x3 cannot run in place: its output goes to the concat, now free. */
    mo_conv_op_run(&h->conv3x3.op, concat, branch, fh, fw, pool);
    mo_conv_op_run(&h->classifier.op, logits, concat, fh, fw, pool);
}

static int64_t conv_params(const mo_conv *c) {
    const mo_conv_geom *g = &c->geom;
    return (int64_t)g->cout * (g->cin / g->groups) * g->kernel * g->kernel + g->cout;
}

int64_t mo_deeplabv3_params(const mo_deeplabv3 *h) {
    int64_t n = conv_params(&h->pool_conv) + conv_params(&h->project) +
                conv_params(&h->conv3x3) + conv_params(&h->classifier);
    for (int b = 0; b < 4; b++) n += conv_params(&h->convs[b]);
    return n;
}

/* How many of a kernel row's (or column's) taps read inside an input of `size`, summed over the
 * outputs: the dilated ASPP convs on a small map read mostly padding, which the engine skips. */
static int64_t taps_inside(const mo_conv_geom *g, int32_t size) {
    const int32_t out = mo_conv_out_size(size, g->kernel, g->stride, g->pad, g->dilation);
    int64_t n = 0;
    for (int32_t k = 0; k < g->kernel; k++)
        for (int32_t o = 0; o < out; o++) {
            const int32_t i = o * g->stride - g->pad + k * g->dilation;
            n += i >= 0 && i < size;
        }
    return n;
}

/* Multiply-adds of the head on an fh x fw feature map, counting only taps inside the map. */
int64_t mo_deeplabv3_macs(const mo_deeplabv3 *h, int32_t fh, int32_t fw) {
    int64_t n = conv_params(&h->pool_conv) - h->pool_conv.geom.cout;
    const mo_conv *map_convs[7] = {&h->convs[0], &h->convs[1], &h->convs[2], &h->convs[3],
                                   &h->project, &h->conv3x3, &h->classifier};
    for (int i = 0; i < 7; i++) {
        const mo_conv_geom *g = &map_convs[i]->geom;
        n += taps_inside(g, fh) * taps_inside(g, fw) * (g->cin / g->groups) * g->cout;
    }
    return n;
}
