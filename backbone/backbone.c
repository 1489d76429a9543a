/* backbone.c - MobileOne structure inference, loading, counting and the reference forward. */
#include "backbone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "reparam.h"
#include "variants.h"

/* How a block is stored: not at all, fused (reparam_conv) or unfused (rbr_conv branches). */
typedef enum block_form { FORM_ABSENT, FORM_FUSED, FORM_UNFUSED } block_form;

static block_form form_of(const mo_weights *w, const mo_name_ctx *n, const char *block) {
    char name[256];
    mo_block_tensor_name(name, sizeof name, n, block, "reparam_conv.weight");
    if (mo_weights_has(w, name)) return FORM_FUSED;
    mo_block_tensor_name(name, sizeof name, n, block, "rbr_conv.0.conv.weight");
    return mo_weights_has(w, name) ? FORM_UNFUSED : FORM_ABSENT;
}

/* The conv weight tensor of a block in whichever form it is stored. */
static const st_tensor *block_weight(const mo_weights *w, const mo_name_ctx *n,
                                     const char *block) {
    char name[256];
    block_form f = form_of(w, n, block);
    mo_block_tensor_name(name, sizeof name, n, block,
                         f == FORM_FUSED ? "reparam_conv.weight" : "rbr_conv.0.conv.weight");
    return f == FORM_ABSENT ? NULL : mo_weights_find(w, name);
}

static int32_t count_branches(const mo_weights *w, const mo_name_ctx *n, const char *block) {
    char name[256], suffix[64];
    int32_t k = 0;
    for (;; k++) {
        snprintf(suffix, sizeof suffix, "rbr_conv.%d.conv.weight", k);
        mo_block_tensor_name(name, sizeof name, n, block, suffix);
        if (!mo_weights_has(w, name)) return k;
    }
}

/* Reads widths and depths off the tensors: stem width from stage0's conv, stage N's width from
 * the output channels of its first pointwise block, depth from how many blocks exist. */
static mo_status infer_shape(mo_backbone *b, const mo_weights *w, const mo_name_ctx *n,
                             mo_error *err) {
    const char *path = w->file->path;
    const st_tensor *t = block_weight(w, n, "stage0");
    if (!t) {
        char fused[256], unfused[256];
        mo_block_tensor_name(fused, sizeof fused, n, "stage0", "reparam_conv.weight");
        mo_block_tensor_name(unfused, sizeof unfused, n, "stage0", "rbr_conv.0.conv.weight");
        return mo_error_set(err, MO_ERR_MISSING,
                            "%s: no MobileOne backbone: neither '%s' nor '%s' is present", path,
                            fused, unfused);
    }
    if (t->ndim != 4 || t->shape[1] != 3 || t->shape[2] != 3 || t->shape[3] != 3 ||
        t->shape[0] < 1 || t->shape[0] > 65536)
        return mo_error_set(err, MO_ERR_SHAPE, "%s: tensor '%s' must be [C0, 3, 3, 3] (the stem)",
                            path, t->name);
    b->widths[0] = (int32_t)t->shape[0];
    char block[24];
    for (int s = 1; s <= 4; s++) {
        int32_t count = 0;
        for (;; count++) {
            snprintf(block, sizeof block, "stage%d.%d", s, count);
            if (form_of(w, n, block) == FORM_ABSENT) break;
        }
        if (count < 2 || count % 2)
            return mo_error_set(err, MO_ERR_MISSING,
                                "%s: stage%d has %d blocks; a stage needs pairs of (depthwise, "
                                "pointwise) blocks", path, s, count);
        b->blocks[s - 1] = count / 2;
        snprintf(block, sizeof block, "stage%d.1", s);
        t = block_weight(w, n, block);
        if (t->ndim != 4 || t->shape[0] < 1 || t->shape[0] > 65536)
            return mo_error_set(err, MO_ERR_SHAPE, "%s: tensor '%s' is not a conv weight", path,
                                t->name);
        b->widths[s] = (int32_t)t->shape[0];
    }
    return MO_OK;
}

/* Stride and dilation at run time for an output stride of 32, 16 or 8 (architecture.md 3.3,
 * torchvision's convention, as tools/mobileone_ref.py): a stage that stops striding keeps the
 * dilation reached so far in its first block and doubles it in the rest. */
static void apply_output_stride(mo_mob *m, int32_t index_in_stage, int32_t output_stride) {
    mo_conv_geom *g = &m->conv.geom;
    int dilated_stage = (output_stride <= 16 && m->stage == 4) ||
                        (output_stride <= 8 && m->stage == 3);
    if (!dilated_stage || g->kernel == 1) return;
    /* The dilation a stage starts with: 1 for the first dilated stage, 2 for stage4 at OS8. */
    const int32_t base = (output_stride == 8 && m->stage == 4) ? 2 : 1;
    const int32_t dil = index_in_stage == 0 ? base : 2 * base;
    g->stride = 1;
    g->dilation = dil;
    g->pad = dil * (g->kernel / 2);
}

static mo_status load_block(mo_backbone *b, mo_mob *m, mo_weights *w, const mo_name_ctx *n,
                            mo_kernel_choice kernels, mo_error *err) {
    block_form form = form_of(w, n, m->name);
    if (form == FORM_ABSENT)
        return mo_error_set(err, MO_ERR_MISSING, "%s: block '%s' is missing", w->file->path,
                            m->name);
    m->branches = form == FORM_UNFUSED ? count_branches(w, n, m->name) : 0;
    if (m->stage > 0 && form == FORM_UNFUSED) {
        if (b->num_branches == 0) b->num_branches = m->branches;
        if (m->branches != b->num_branches)
            return mo_error_set(err, MO_ERR_SHAPE,
                                "%s: block '%s' has %d conv branches but stage1.0 has %d",
                                w->file->path, m->name, m->branches, b->num_branches);
    }
    char name[256];
    mo_block_tensor_name(name, sizeof name, n, m->name, "se.reduce.weight");
    m->has_se = mo_weights_has(w, name);
    mo_status s = mo_mob_load_conv(m, w, n, err);
    if (s == MO_OK && m->has_se) s = mo_mob_load_se(m, w, n, err);
    if (s == MO_OK)
        s = mo_conv_op_init(&m->conv.op, &m->conv.geom, m->conv.weight, m->conv.bias,
                            m->has_se ? MO_ACT_NONE : MO_ACT_RELU, kernels, err);
    return s;
}

static void init_block(mo_mob *m, const char *name, int32_t stage, int32_t cin, int32_t cout,
                       int32_t kernel, int32_t stride, int32_t groups) {
    snprintf(m->name, sizeof m->name, "%s", name);
    m->stage = stage;
    m->conv.geom = (mo_conv_geom){.cin = cin, .cout = cout, .kernel = kernel, .stride = stride,
                                  .pad = kernel / 2, .dilation = 1, .groups = groups};
    m->has_scale = kernel > 1;
    m->has_skip = cin == cout && stride == 1; /* by the nominal (OS32) stride */
}

mo_status mo_backbone_load(mo_backbone *b, mo_weights *w, const mo_backbone_params *p,
                           mo_error *err) {
    memset(b, 0, sizeof *b);
    if (p->output_stride != 32 && p->output_stride != 16 && p->output_stride != 8)
        return mo_error_set(err, MO_ERR_ARGUMENT, "output stride %d: must be 32, 16 or 8",
                            p->output_stride);
    b->output_stride = p->output_stride;
    char probe[256];
    mo_backbone_name(probe, sizeof probe, p->prefix, MO_NAMES_TIMM, "stage0.reparam_conv.weight");
    int timm = mo_weights_has(w, probe);
    mo_backbone_name(probe, sizeof probe, p->prefix, MO_NAMES_TIMM,
                     "stage0.rbr_conv.0.conv.weight");
    timm |= mo_weights_has(w, probe);
    const mo_name_ctx n = {p->prefix, timm ? MO_NAMES_TIMM : MO_NAMES_APPLE};

    mo_status s = infer_shape(b, w, &n, err);
    if (s != MO_OK) return s;
    b->num_mobs = 1;
    for (int i = 0; i < 4; i++) b->num_mobs += 2 * b->blocks[i];
    b->mobs = calloc((size_t)b->num_mobs, sizeof *b->mobs);
    if (!b->mobs) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");

    init_block(&b->mobs[0], "stage0", 0, 3, b->widths[0], 3, 2, 1);
    int32_t idx = 1;
    char name[24];
    for (int32_t st = 1; st <= 4; st++) {
        for (int32_t i = 0; i < b->blocks[st - 1]; i++) {
            int32_t cin = i == 0 ? b->widths[st - 1] : b->widths[st];
            snprintf(name, sizeof name, "stage%d.%d", st, 2 * i);
            init_block(&b->mobs[idx], name, st, cin, cin, 3, i == 0 ? 2 : 1, cin);
            apply_output_stride(&b->mobs[idx++], i, p->output_stride);
            snprintf(name, sizeof name, "stage%d.%d", st, 2 * i + 1);
            init_block(&b->mobs[idx++], name, st, cin, b->widths[st], 1, 1, 1);
        }
    }
    for (int32_t i = 0; i < b->num_mobs && s == MO_OK; i++) {
        s = load_block(b, &b->mobs[i], w, &n, p->kernels, err);
        b->has_se |= b->mobs[i].has_se;
    }
    if (s != MO_OK) {
        mo_backbone_free(b);
        return s;
    }
    b->fused_in_file = b->mobs[0].branches == 0;
    b->timm_names = timm;
    if (b->num_branches == 0) b->num_branches = 1;
    const mo_variant *v = mo_variant_match(b->widths, b->blocks);
    snprintf(b->variant, sizeof b->variant, "%s", v ? v->name : "custom");
    return MO_OK;
}

void mo_backbone_free(mo_backbone *b) {
    for (int32_t i = 0; b->mobs && i < b->num_mobs; i++) mo_mob_free(&b->mobs[i]);
    free(b->mobs);
    memset(b, 0, sizeof *b);
}

/* Walks the chain's shapes: calls visit for every block with its input size. */
typedef void (*visit_fn)(const mo_mob *m, int32_t in_h, int32_t in_w, int32_t out_h,
                         int32_t out_w, void *ctx);

static void walk(const mo_backbone *b, int32_t h, int32_t w, visit_fn visit, void *ctx) {
    for (int32_t i = 0; i < b->num_mobs; i++) {
        const mo_conv_geom *g = &b->mobs[i].conv.geom;
        int32_t oh = mo_conv_out_size(h, g->kernel, g->stride, g->pad, g->dilation);
        int32_t ow = mo_conv_out_size(w, g->kernel, g->stride, g->pad, g->dilation);
        visit(&b->mobs[i], h, w, oh, ow, ctx);
        h = oh;
        w = ow;
    }
}

typedef struct { int32_t (*sizes)[2]; } sizes_ctx;

static void visit_sizes(const mo_mob *m, int32_t ih, int32_t iw, int32_t oh, int32_t ow,
                        void *ctx) {
    (void)ih, (void)iw;
    int32_t(*sizes)[2] = ((sizes_ctx *)ctx)->sizes;
    sizes[m->stage][0] = oh;
    sizes[m->stage][1] = ow;
}

void mo_backbone_stage_sizes(const mo_backbone *b, int32_t h, int32_t w,
                             int32_t sizes[MO_STAGES][2]) {
    sizes_ctx ctx = {sizes};
    walk(b, h, w, visit_sizes, &ctx);
}

static void visit_max(const mo_mob *m, int32_t ih, int32_t iw, int32_t oh, int32_t ow,
                      void *ctx) {
    int64_t *max = ctx;
    int64_t in = (int64_t)ih * iw * m->conv.geom.cin, out = (int64_t)oh * ow * m->conv.geom.cout;
    if (in > *max) *max = in;
    if (out > *max) *max = out;
}

int64_t mo_backbone_max_activation(const mo_backbone *b, int32_t h, int32_t w) {
    int64_t max = 0;
    walk(b, h, w, visit_max, &max);
    return max;
}

int64_t mo_backbone_scratch_floats(const mo_backbone *b) {
    int64_t max = 0;
    for (int32_t i = 0; i < b->num_mobs; i++)
        if (b->mobs[i].has_se && b->mobs[i].se.c + b->mobs[i].se.rd > max)
            max = b->mobs[i].se.c + b->mobs[i].se.rd;
    return max;
}

int64_t mo_backbone_params_count(const mo_backbone *b) {
    int64_t n = 0;
    for (int32_t i = 0; i < b->num_mobs; i++) {
        const mo_mob *m = &b->mobs[i];
        const mo_conv_geom *g = &m->conv.geom;
        n += (int64_t)g->cout * (g->cin / g->groups) * g->kernel * g->kernel + g->cout;
        if (m->has_se) n += 2 * (int64_t)m->se.c * m->se.rd + m->se.c + m->se.rd;
    }
    return n;
}

/* A block's MACs for an output of oh x ow, its SE included. */
static int64_t mob_macs(const mo_mob *m, int32_t oh, int32_t ow) {
    const mo_conv_geom *g = &m->conv.geom;
    int64_t macs = (int64_t)oh * ow * g->cout * (g->cin / g->groups) * g->kernel * g->kernel;
    return m->has_se ? macs + 2 * (int64_t)m->se.c * m->se.rd : macs;
}

static void visit_macs(const mo_mob *m, int32_t ih, int32_t iw, int32_t oh, int32_t ow,
                       void *ctx) {
    (void)ih, (void)iw;
    *(int64_t *)ctx += mob_macs(m, oh, ow);
}

int64_t mo_backbone_macs(const mo_backbone *b, int32_t h, int32_t w) {
    int64_t macs = 0;
    walk(b, h, w, visit_macs, &macs);
    return macs;
}

/* Whether block i (a depthwise conv without SE) can run inside block i + 1 (its pointwise). */
static int fusable(const mo_backbone *b, int32_t i) {
    if (b->unfused_kernels || i + 1 >= b->num_mobs) return 0;
    const mo_mob *dw = &b->mobs[i], *pw = &b->mobs[i + 1];
    return !dw->has_se && !pw->has_se && dw->stage == pw->stage &&
           mo_conv_op_can_fuse(&dw->conv.op, &pw->conv.op);
}

/* Whether the stem (block 0) can run inside the fused blocks 1 and 2: not when a head taps the
 * stem's own output. */
static int stem_fusable(const mo_backbone *b, float *taps[MO_STAGES]) {
    const mo_mob *stem = &b->mobs[0];
    return fusable(b, 1) && !stem->has_se && b->mobs[1].stage != stem->stage &&
           !(taps && taps[stem->stage]) &&
           mo_conv_op_can_fuse_stem(&stem->conv.op, &b->mobs[1].conv.op, &b->mobs[2].conv.op);
}

/* Adds the time of the blocks [first, last] that just ran as one op (their SE included) to
 * group g of the profile, which the first forward of a profile labels. */
static void profile_group(const mo_backbone *b, int32_t g, int32_t first, int32_t last,
                          mo_layer_kind kind, int32_t h, int32_t w, double seconds) {
    if (g >= MO_PROFILE_MAX_GROUPS) return;
    mo_profile_group *p = &b->profile->group[g];
    if (g >= b->profile->groups) {
        *p = (mo_profile_group){.first = first, .last = last, .kind = kind};
        for (int32_t i = first; i <= last; i++) {
            mo_conv_op_out_size(&b->mobs[i].conv.op, h, w, &h, &w);
            p->macs += mob_macs(&b->mobs[i], h, w);
        }
    }
    p->seconds += seconds;
}

float *mo_backbone_forward(const mo_backbone *b, const float *in, int32_t h, int32_t w,
                           float *buf_a, float *buf_b, float *scratch, float *taps[MO_STAGES],
                           mo_threadpool *pool) {
    const float *x = in;
    float *out = buf_a;
    double t = b->profile ? mo_seconds_now() : 0;
    int32_t groups = 0;
    for (int32_t i = 0; i < b->num_mobs; i++) {
        const int32_t first = i, in_h = h, in_w = w;
        const double t_first = t;
        const mo_mob *m = &b->mobs[i];
        mo_layer_kind kind = i == 0 ? MO_LAYER_STEM
                             : m->conv.geom.groups > 1 ? MO_LAYER_DEPTHWISE : MO_LAYER_POINTWISE;
        if (i == 0 && stem_fusable(b, taps) &&
            mo_conv_op_run_stem_fused(&m->conv.op, &b->mobs[1].conv.op, &b->mobs[2].conv.op, out,
                                      x, h, w, pool)) {
            mo_conv_op_out_size(&m->conv.op, h, w, &h, &w);
            mo_conv_op_out_size(&b->mobs[1].conv.op, h, w, &h, &w);
            i += 2;
            m = &b->mobs[i];
            kind = MO_LAYER_FUSED;
        } else if (fusable(b, i)) {
            mo_conv_op_run_fused(&m->conv.op, &b->mobs[i + 1].conv.op, out, x, h, w, pool);
            mo_conv_op_out_size(&m->conv.op, h, w, &h, &w);
            m = &b->mobs[++i];
            kind = MO_LAYER_FUSED;
        } else {
            mo_conv_op_run(&m->conv.op, out, x, h, w, pool);
        }
        mo_conv_op_out_size(&m->conv.op, h, w, &h, &w);
        mo_profile_lap(b->profile, kind, &t);
        const int32_t c = m->conv.geom.cout;
        if (m->has_se) {
            f32_se_relu(out, h, w, c, m->se.rd, m->se.reduce_t, m->se.reduce_b, m->se.expand_t,
                        m->se.expand_b, scratch);
            mo_profile_lap(b->profile, MO_LAYER_SE, &t);
        }
        if (b->profile) profile_group(b, groups++, first, i, kind, in_h, in_w, t - t_first);
        int last_of_stage = i + 1 == b->num_mobs || b->mobs[i + 1].stage != m->stage;
        if (taps && taps[m->stage] && last_of_stage)
            memcpy(taps[m->stage], out, sizeof(float) * (size_t)h * w * c);
        x = out;
        out = out == buf_a ? buf_b : buf_a;
    }
    if (b->profile)
        b->profile->groups = groups < MO_PROFILE_MAX_GROUPS ? groups : MO_PROFILE_MAX_GROUPS;
    return (float *)x;
}

int32_t mo_backbone_fused_tensor_count(const mo_backbone *b) {
    int32_t n = 0;
    for (int32_t i = 0; i < b->num_mobs; i++) n += b->mobs[i].has_se ? 6 : 2;
    return n;
}

int32_t mo_backbone_fused_tensors(const mo_backbone *b, const char *prefix,
                                  st_write_tensor *tensors, char (*names)[64]) {
    int32_t n = 0;
    for (int32_t i = 0; i < b->num_mobs; i++) {
        const mo_mob *m = &b->mobs[i];
        const mo_conv_geom *g = &m->conv.geom;
        struct { const char *suffix; int32_t ndim; int64_t shape[4]; const float *data; } t[6] = {
            {"reparam_conv.weight", 4, {g->cout, g->cin / g->groups, g->kernel, g->kernel},
             m->conv.weight},
            {"reparam_conv.bias", 1, {g->cout}, m->conv.bias},
            {"se.reduce.weight", 4, {m->se.rd, m->se.c, 1, 1}, m->se.reduce_w},
            {"se.reduce.bias", 1, {m->se.rd}, m->se.reduce_b},
            {"se.expand.weight", 4, {m->se.c, m->se.rd, 1, 1}, m->se.expand_w},
            {"se.expand.bias", 1, {m->se.c}, m->se.expand_b}};
        for (int j = 0; j < (m->has_se ? 6 : 2); j++, n++) {
            snprintf(names[n], 64, "%s%s.%s", prefix, m->name, t[j].suffix);
            tensors[n] = (st_write_tensor){.name = names[n], .ndim = t[j].ndim, .data = t[j].data};
            memcpy(tensors[n].shape, t[j].shape, sizeof t[j].shape);
        }
    }
    return n;
}
