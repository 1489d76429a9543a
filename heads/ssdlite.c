/* ssdlite.c - loading (shape inference, BN folding) and running SSDLite extras and heads. */
#include "ssdlite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* The shape of tensor `name`, checked to be a 4-D conv weight; NULL (and err) otherwise. */
static const st_tensor *conv_shape(mo_weights *w, const char *name, mo_error *err) {
    const st_tensor *t = mo_weights_find(w, name);
    if (!t) {
        mo_error_set(err, MO_ERR_MISSING, "%s: tensor '%s' is missing (SSDLite)", w->file->path,
                     name);
        return NULL;
    }
    if (t->ndim != 4 || t->shape[0] < 1 || t->shape[0] > 1000000 || t->shape[1] < 1 ||
        t->shape[1] > 65536) {
        mo_error_set(err, MO_ERR_SHAPE, "%s: tensor '%s' is not a conv weight [O, I, k, k]",
                     w->file->path, name);
        return NULL;
    }
    return t;
}

/* Reads `<conv>` (weight [cout, cin/groups, k, k], no bias) and folds BN `<bn>` into it, or,
 * when bn is NULL, reads `<conv>.bias`; then builds the op. */
static mo_status load_conv(mo_ssd_conv *c, mo_weights *w, const char *conv, const char *bn,
                           int32_t cin, int32_t cout, int32_t k, int32_t stride, int32_t groups,
                           mo_act act, mo_kernel_choice kernels, mo_error *err) {
    char name[256];
    const int32_t per = k * k * (cin / groups);
    c->weight = malloc(sizeof(float) * (size_t)cout * per);
    c->bias = malloc(sizeof(float) * (size_t)cout);
    float *scale = malloc(sizeof(float) * (size_t)cout);
    if (!c->weight || !c->bias || !scale) {
        free(scale);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", w->file->path);
    }
    snprintf(name, sizeof name, "%s.weight", conv);
    const int64_t ws[4] = {cout, cin / groups, k, k}, bs[1] = {cout};
    mo_status s = mo_weights_read(w, name, 4, ws, c->weight, err);
    if (s == MO_OK && bn) {
        s = mo_weights_read_bn(w, bn, cout, MO_SSD_BN_EPS, scale, c->bias, err);
        for (int32_t o = 0; s == MO_OK && o < cout; o++)
            for (int32_t i = 0; i < per; i++) c->weight[(size_t)o * per + i] *= scale[o];
    } else if (s == MO_OK) {
        snprintf(name, sizeof name, "%s.bias", conv);
        s = mo_weights_read(w, name, 1, bs, c->bias, err);
    }
    free(scale);
    if (s != MO_OK) return s;
    const mo_conv_geom g = {.cin = cin, .cout = cout, .kernel = k, .stride = stride,
                            .pad = k / 2, .dilation = 1, .groups = groups};
    return mo_conv_op_init(&c->op, &g, c->weight, c->bias, act, kernels, err);
}

static void free_conv(mo_ssd_conv *c) {
    mo_conv_op_free(&c->op);
    free(c->weight);
    free(c->bias);
    c->weight = c->bias = NULL;
}

static mo_status load_extras(mo_ssdlite *h, mo_weights *w, const char *bp,
                             mo_kernel_choice kernels, mo_error *err) {
    char conv[256], bn[256];
    mo_status s = MO_OK;
    for (int32_t e = 0; e < MO_SSD_EXTRAS && s == MO_OK; e++) {
        const int32_t cin = h->channels[h->maps - 1 + e];
        snprintf(conv, sizeof conv, "%sextra.%d.0.0.weight", bp, e);
        const st_tensor *t0 = conv_shape(w, conv, err);
        snprintf(conv, sizeof conv, "%sextra.%d.2.0.weight", bp, e);
        const st_tensor *t2 = t0 ? conv_shape(w, conv, err) : NULL;
        if (!t0 || !t2) return err ? err->status : MO_ERR_MISSING;
        const int32_t mid = (int32_t)t0->shape[0], cout = (int32_t)t2->shape[0];
        h->extra_mid[e] = mid;
        h->channels[h->maps + e] = cout;
        const int32_t cins[3] = {cin, mid, mid}, couts[3] = {mid, mid, cout};
        const int32_t ks[3] = {1, 3, 1}, strides[3] = {1, 2, 1}, groups[3] = {1, mid, 1};
        for (int j = 0; j < 3 && s == MO_OK; j++) {
            snprintf(conv, sizeof conv, "%sextra.%d.%d.0", bp, e, j);
            snprintf(bn, sizeof bn, "%sextra.%d.%d.1", bp, e, j);
            s = load_conv(&h->extra[e][j], w, conv, bn, cins[j], couts[j], ks[j], strides[j],
                          groups[j], MO_ACT_RELU6, kernels, err);
        }
    }
    return s;
}

static mo_status load_heads(mo_ssdlite *h, mo_weights *w, const char *hp,
                            mo_kernel_choice kernels, mo_error *err) {
    char conv[256], bn[256], name[256];
    mo_status s = MO_OK;
    for (int kind = 0; kind < 2 && s == MO_OK; kind++) {
        const char *head = kind ? "regression_head" : "classification_head";
        for (int32_t l = 0; l < h->levels && s == MO_OK; l++) {
            const int32_t c = h->channels[l];
            snprintf(name, sizeof name, "%s%s.module_list.%d.1.weight", hp, head, l);
            const st_tensor *t = conv_shape(w, name, err);
            if (!t) return err ? err->status : MO_ERR_MISSING;
            const int32_t outs = (int32_t)t->shape[0];
            const int32_t per = kind ? 4 : (l == 0 ? outs / h->anchors : h->num_classes);
            if (outs != h->anchors * per || per < (kind ? 4 : 2))
                return mo_error_set(err, MO_ERR_SHAPE,
                                    "%s: tensor '%s' has %d output channels; expected %d anchors "
                                    "x %s", w->file->path, name, outs, h->anchors,
                                    kind ? "4 box deltas" : "the same classes at every level");
            if (!kind) h->num_classes = per;
            mo_ssd_conv *dw = kind ? &h->reg_dw[l] : &h->cls_dw[l];
            mo_ssd_conv *pw = kind ? &h->reg_pw[l] : &h->cls_pw[l];
            snprintf(conv, sizeof conv, "%s%s.module_list.%d.0.0", hp, head, l);
            snprintf(bn, sizeof bn, "%s%s.module_list.%d.0.1", hp, head, l);
            s = load_conv(dw, w, conv, bn, c, c, 3, 1, c, MO_ACT_RELU6, kernels, err);
            snprintf(conv, sizeof conv, "%s%s.module_list.%d.1", hp, head, l);
            if (s == MO_OK)
                s = load_conv(pw, w, conv, NULL, c, outs, 1, 1, 1, MO_ACT_NONE, kernels, err);
        }
    }
    return s;
}

mo_status mo_ssdlite_load(mo_ssdlite *h, mo_weights *w, const char *backbone_prefix,
                          const char *head_prefix, int32_t maps, const int32_t *map_channels,
                          int32_t anchors, mo_kernel_choice kernels, mo_error *err) {
    memset(h, 0, sizeof *h);
    if (anchors < 1 || maps < 1 || maps > MO_SSD_MAX_MAPS)
        return mo_error_set(err, MO_ERR_ARGUMENT, "SSDLite: %d anchors per location, %d maps",
                            anchors, maps);
    h->anchors = anchors;
    h->maps = maps;
    h->levels = maps + MO_SSD_EXTRAS;
    memcpy(h->channels, map_channels, sizeof(int32_t) * (size_t)maps);
    mo_status s = load_extras(h, w, backbone_prefix, kernels, err);
    if (s == MO_OK) s = load_heads(h, w, head_prefix, kernels, err);
    if (s != MO_OK) mo_ssdlite_free(h);
    return s;
}

void mo_ssdlite_free(mo_ssdlite *h) {
    for (int e = 0; e < MO_SSD_EXTRAS; e++)
        for (int j = 0; j < 3; j++) free_conv(&h->extra[e][j]);
    for (int l = 0; l < MO_SSD_LEVELS; l++) {
        free_conv(&h->cls_dw[l]);
        free_conv(&h->cls_pw[l]);
        free_conv(&h->reg_dw[l]);
        free_conv(&h->reg_pw[l]);
    }
}

void mo_ssdlite_grids(const mo_ssdlite *h, const int32_t (*map_sizes)[2],
                      int32_t grids[MO_SSD_LEVELS][2]) {
    memcpy(grids, map_sizes, sizeof(int32_t) * 2 * (size_t)h->maps);
    for (int l = h->maps; l < h->levels; l++) {
        grids[l][0] = mo_conv_out_size(grids[l - 1][0], 3, 2, 1, 1);
        grids[l][1] = mo_conv_out_size(grids[l - 1][1], 3, 2, 1, 1);
    }
}

static int64_t cells(const int32_t g[2]) {
    return (int64_t)g[0] * g[1];
}

/* Floats of the extras' outputs (levels maps..levels-1), the first part of the scratch. */
static int64_t extras_floats(const mo_ssdlite *h, const int32_t grids[MO_SSD_LEVELS][2]) {
    int64_t n = 0;
    for (int l = h->maps; l < h->levels; l++)
        n += cells(grids[l]) * h->channels[l];
    return n;
}

/* Floats of each of the two temporaries that follow: the largest depthwise output of a head
 * and the largest 1x1 output of an extra (at its input's grid). */
static int64_t tmp_floats(const mo_ssdlite *h, const int32_t grids[MO_SSD_LEVELS][2]) {
    int64_t tmp = 0;
    for (int l = 0; l < h->levels; l++) {
        int64_t dw = cells(grids[l]) * h->channels[l];
        tmp = dw > tmp ? dw : tmp;
    }
    for (int e = 0; e < MO_SSD_EXTRAS; e++) {
        int64_t in = cells(grids[h->maps - 1 + e]) * h->extra_mid[e];
        tmp = in > tmp ? in : tmp;
    }
    return tmp;
}

int64_t mo_ssdlite_scratch_floats(const mo_ssdlite *h, const int32_t grids[MO_SSD_LEVELS][2]) {
    return extras_floats(h, grids) + 2 * tmp_floats(h, grids);
}

/* A depthwise conv then a pointwise one, fused when the kernels allow (the depthwise output
 * is then never stored; the result is the same bits), else through tmp. */
static void run_dw_pw(const mo_conv_op *dw, const mo_conv_op *pw, float *out, float *tmp,
                      const float *in, int32_t in_h, int32_t in_w, mo_threadpool *pool) {
    if (mo_conv_op_can_fuse(dw, pw)) {
        mo_conv_op_run_fused(dw, pw, out, in, in_h, in_w, pool);
        return;
    }
    int32_t h, w;
    mo_conv_op_out_size(dw, in_h, in_w, &h, &w);
    mo_conv_op_run(dw, tmp, in, in_h, in_w, pool);
    mo_conv_op_run(pw, out, tmp, h, w, pool);
}

void mo_ssdlite_forward(const mo_ssdlite *h, const float *const *maps,
                        const int32_t grids[MO_SSD_LEVELS][2], float *scratch, float *cls_logits,
                        float *bbox_regression, mo_threadpool *pool) {
    const float *levels[MO_SSD_LEVELS];
    memcpy(levels, maps, sizeof(float *) * (size_t)h->maps);
    float *tmp_a = scratch + extras_floats(h, grids), *tmp_b = tmp_a + tmp_floats(h, grids);
    /* Extras: level l + 1 from level l, starting at the last backbone map (stage4's). */
    float *next = scratch;
    for (int l = h->maps - 1, e = 0; e < MO_SSD_EXTRAS; l++, e++) {
        const int32_t *g = grids[l];
        mo_conv_op_run(&h->extra[e][0].op, tmp_a, levels[l], g[0], g[1], pool);
        run_dw_pw(&h->extra[e][1].op, &h->extra[e][2].op, next, tmp_b, tmp_a, g[0], g[1], pool);
        levels[l + 1] = next;
        next += cells(grids[l + 1]) * h->channels[l + 1];
    }
    /* Heads: the 1x1 convs write straight into the concatenated outputs. */
    int64_t offset = 0;
    for (int l = 0; l < h->levels; l++) {
        const int32_t *g = grids[l];
        run_dw_pw(&h->cls_dw[l].op, &h->cls_pw[l].op, cls_logits + offset * h->num_classes,
                  tmp_a, levels[l], g[0], g[1], pool);
        run_dw_pw(&h->reg_dw[l].op, &h->reg_pw[l].op, bbox_regression + offset * 4, tmp_a,
                  levels[l], g[0], g[1], pool);
        offset += cells(g) * h->anchors;
    }
}

static int64_t conv_params(const mo_ssd_conv *c) {
    const mo_conv_geom *g = &c->op.geom;
    return (int64_t)g->cout * (g->cin / g->groups) * g->kernel * g->kernel + g->cout;
}

static int64_t conv_macs(const mo_ssd_conv *c, const int32_t out_grid[2]) {
    const mo_conv_geom *g = &c->op.geom;
    return cells(out_grid) * g->cout * (g->cin / g->groups) * g->kernel * g->kernel;
}

int64_t mo_ssdlite_params_count(const mo_ssdlite *h) {
    int64_t n = 0;
    for (int e = 0; e < MO_SSD_EXTRAS; e++)
        for (int j = 0; j < 3; j++) n += conv_params(&h->extra[e][j]);
    for (int l = 0; l < h->levels; l++)
        n += conv_params(&h->cls_dw[l]) + conv_params(&h->cls_pw[l]) +
             conv_params(&h->reg_dw[l]) + conv_params(&h->reg_pw[l]);
    return n;
}

int64_t mo_ssdlite_macs(const mo_ssdlite *h, const int32_t grids[MO_SSD_LEVELS][2]) {
    int64_t n = 0;
    for (int l = h->maps - 1, e = 0; e < MO_SSD_EXTRAS; l++, e++) {
        n += conv_macs(&h->extra[e][0], grids[l]);
        n += conv_macs(&h->extra[e][1], grids[l + 1]) + conv_macs(&h->extra[e][2], grids[l + 1]);
    }
    for (int l = 0; l < h->levels; l++)
        n += conv_macs(&h->cls_dw[l], grids[l]) + conv_macs(&h->cls_pw[l], grids[l]) +
             conv_macs(&h->reg_dw[l], grids[l]) + conv_macs(&h->reg_pw[l], grids[l]);
    return n;
}
