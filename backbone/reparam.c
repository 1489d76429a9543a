/* reparam.c - the reparameterization of one MobileOneBlock (Apple `_get_kernel_bias`). */
#include "reparam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define MO_BN_EPS 1e-5f

void mo_block_tensor_name(char *out, size_t size, const mo_name_ctx *n, const char *block,
                          const char *suffix) {
    char apple[160];
    snprintf(apple, sizeof apple, "%s.%s", block, suffix);
    mo_backbone_name(out, size, n->prefix, n->naming, apple);
}

static mo_status load_reparam(mo_mob *m, mo_weights *w, const mo_name_ctx *n, mo_error *err) {
    const mo_conv_geom *g = &m->conv.geom;
    const int64_t wshape[4] = {g->cout, g->cin / g->groups, g->kernel, g->kernel};
    const int64_t bshape[1] = {g->cout};
    char name[256];
    mo_block_tensor_name(name, sizeof name, n, m->name, "reparam_conv.weight");
    mo_status s = mo_weights_read(w, name, 4, wshape, m->conv.weight, err);
    if (s != MO_OK) return s;
    mo_block_tensor_name(name, sizeof name, n, m->name, "reparam_conv.bias");
    return mo_weights_read(w, name, 1, bshape, m->conv.bias, err);
}

/* Adds branch `prefix` (conv `prefix.conv.weight` of kernel kb, folded with `prefix.bn`) into
 * the block's weight, centred (the 1x1 scale branch lands on the K x K centre tap). */
static mo_status add_conv_branch(mo_mob *m, mo_weights *w, const mo_name_ctx *n,
                                 const char *branch, int32_t kb, float *tmp, float *scale,
                                 float *shift, mo_error *err) {
    const mo_conv_geom *g = &m->conv.geom;
    const int32_t cin_g = g->cin / g->groups, k = g->kernel, off = (k - kb) / 2;
    const int64_t shape[4] = {g->cout, cin_g, kb, kb};
    char name[256], suffix[96];
    snprintf(suffix, sizeof suffix, "%s.conv.weight", branch);
    mo_block_tensor_name(name, sizeof name, n, m->name, suffix);
    mo_status s = mo_weights_read(w, name, 4, shape, tmp, err);
    if (s != MO_OK) return s;
    snprintf(suffix, sizeof suffix, "%s.bn", branch);
    mo_block_tensor_name(name, sizeof name, n, m->name, suffix);
    s = mo_weights_read_bn(w, name, g->cout, MO_BN_EPS, scale, shift, err);
    if (s != MO_OK) return s;
    for (int32_t o = 0; o < g->cout; o++) {
        for (int32_t c = 0; c < cin_g; c++)
            for (int32_t y = 0; y < kb; y++)
                for (int32_t x = 0; x < kb; x++)
                    m->conv.weight[(((int64_t)o * cin_g + c) * k + y + off) * k + x + off] +=
                        tmp[(((int64_t)o * cin_g + c) * kb + y) * kb + x] * scale[o];
        m->conv.bias[o] += shift[o];
    }
    return MO_OK;
}

/* The skip BN is a conv whose kernel is the identity: I[o, o % (cin/groups), K/2, K/2] = 1. */
static mo_status add_skip_branch(mo_mob *m, mo_weights *w, const mo_name_ctx *n, float *scale,
                                 float *shift, mo_error *err) {
    const mo_conv_geom *g = &m->conv.geom;
    const int32_t cin_g = g->cin / g->groups, k = g->kernel;
    char name[256];
    mo_block_tensor_name(name, sizeof name, n, m->name, "rbr_skip");
    mo_status s = mo_weights_read_bn(w, name, g->cin, MO_BN_EPS, scale, shift, err);
    if (s != MO_OK) return s;
    for (int32_t o = 0; o < g->cout; o++) {
        m->conv.weight[(((int64_t)o * cin_g + o % cin_g) * k + k / 2) * k + k / 2] += scale[o];
        m->conv.bias[o] += shift[o];
    }
    return MO_OK;
}

static mo_status fuse_branches(mo_mob *m, mo_weights *w, const mo_name_ctx *n, mo_error *err) {
    const mo_conv_geom *g = &m->conv.geom;
    const size_t wsize = (size_t)g->cout * (g->cin / g->groups) * g->kernel * g->kernel;
    float *tmp = malloc(sizeof(float) * wsize), *bn = malloc(sizeof(float) * 2 * g->cout);
    mo_status s = tmp && bn ? MO_OK : mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    char branch[32];
    for (int32_t i = 0; i < m->branches && s == MO_OK; i++) {
        snprintf(branch, sizeof branch, "rbr_conv.%d", i);
        s = add_conv_branch(m, w, n, branch, g->kernel, tmp, bn, bn + g->cout, err);
    }
    if (s == MO_OK && m->has_scale)
        s = add_conv_branch(m, w, n, "rbr_scale", 1, tmp, bn, bn + g->cout, err);
    if (s == MO_OK && m->has_skip) s = add_skip_branch(m, w, n, bn, bn + g->cout, err);
    free(tmp);
    free(bn);
    return s;
}

mo_status mo_mob_load_conv(mo_mob *m, mo_weights *w, const mo_name_ctx *n, mo_error *err) {
    const mo_conv_geom *g = &m->conv.geom;
    const size_t wsize = (size_t)g->cout * (g->cin / g->groups) * g->kernel * g->kernel;
    m->conv.weight = calloc(wsize, sizeof(float));
    m->conv.bias = calloc((size_t)g->cout, sizeof(float));
    if (!m->conv.weight || !m->conv.bias)
        return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    return m->branches == 0 ? load_reparam(m, w, n, err) : fuse_branches(m, w, n, err);
}

mo_status mo_mob_load_se(mo_mob *m, mo_weights *w, const mo_name_ctx *n, mo_error *err) {
    const int32_t c = m->conv.geom.cout;
    char name[256];
    mo_block_tensor_name(name, sizeof name, n, m->name, "se.reduce.weight");
    const st_tensor *t = mo_weights_find(w, name);
    if (!t)
        return mo_error_set(err, MO_ERR_MISSING, "%s: tensor '%s' is missing", w->file->path, name);
    const int32_t rd = t->ndim == 4 ? (int32_t)t->shape[0] : 0;
    if (rd < 1 || rd > c)
        return mo_error_set(err, MO_ERR_SHAPE, "%s: tensor '%s': SE reduce width must be 1..%d", w->file->path,
                            name, c);
    mo_se *se = &m->se;
    se->c = c;
    se->rd = rd;
    se->reduce_w = malloc(sizeof(float) * (size_t)(4 * c * rd + c + rd));
    if (!se->reduce_w) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    se->expand_w = se->reduce_w + (size_t)c * rd;
    se->reduce_b = se->expand_w + (size_t)c * rd;
    se->expand_b = se->reduce_b + rd;
    se->reduce_t = se->expand_b + c;
    se->expand_t = se->reduce_t + (size_t)c * rd;
    const int64_t rw[4] = {rd, c, 1, 1}, ew[4] = {c, rd, 1, 1}, rb[1] = {rd}, eb[1] = {c};
    struct { const char *suffix; int32_t ndim; const int64_t *shape; float *dst; } parts[] = {
        {"se.reduce.weight", 4, rw, se->reduce_w}, {"se.reduce.bias", 1, rb, se->reduce_b},
        {"se.expand.weight", 4, ew, se->expand_w}, {"se.expand.bias", 1, eb, se->expand_b}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        mo_block_tensor_name(name, sizeof name, n, m->name, parts[i].suffix);
        mo_status s = mo_weights_read(w, name, parts[i].ndim, parts[i].shape, parts[i].dst, err);
        if (s != MO_OK) return s;
    }
    for (int32_t o = 0; o < rd; o++)
        for (int32_t i = 0; i < c; i++) {
            se->reduce_t[(size_t)i * rd + o] = se->reduce_w[(size_t)o * c + i];
            se->expand_t[(size_t)o * c + i] = se->expand_w[(size_t)i * rd + o];
        }
    return MO_OK;
}

void mo_mob_free(mo_mob *m) {
    mo_conv_op_free(&m->conv.op);
    free(m->conv.weight);
    free(m->conv.bias);
    free(m->se.reduce_w);
    m->conv.weight = m->conv.bias = NULL;
    m->se.reduce_w = NULL;
}
