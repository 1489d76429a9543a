/* model.c - the public mo_model: a config, a MobileOne backbone and a head; plan and run.
 *
 * Ownership: mo_model_load allocates everything the model needs (fused weights, config);
 * mo_model_plan allocates the one activation arena for an input size; mo_classify and the other
 * run functions allocate nothing. mo_model_free releases all of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "detector.h"
#include "error.h"
#include "model_internal.h"
#include "segmenter.h"
#include "variants.h"

mo_model_params mo_model_default_params(void) {
    return (mo_model_params){.config_path = NULL, .threads = 0, .scalar_kernels = 0};
}

/* The config names a variant: the tensors must be that variant. */
static mo_status check_variant(const mo_model *m, const char *path, mo_error *err) {
    const char *want = m->config.variant;
    if (!want[0] || !strcmp(want, m->backbone.variant)) return MO_OK;
    const mo_backbone *b = &m->backbone;
    if (!mo_variant_find(want) && strcmp(want, "custom"))
        return mo_error_set(err, MO_ERR_FORMAT, "%s: config variant '%s' is unknown (s0..s4)",
                            path, want);
    return mo_error_set(err, MO_ERR_SHAPE,
                        "%s: the config says variant %s but the tensors are %s (widths "
                        "%d/%d/%d/%d/%d, blocks %d/%d/%d/%d)", path, want, b->variant,
                        b->widths[0], b->widths[1], b->widths[2], b->widths[3], b->widths[4],
                        b->blocks[0], b->blocks[1], b->blocks[2], b->blocks[3]);
}

static void apply_defaults(mo_config *c, const mo_backbone *b) {
    if (!c->task[0]) snprintf(c->task, sizeof c->task, "classify");
    if (!c->input_size[0])
        c->input_size[0] = c->input_size[1] = !strcmp(c->task, "segment")  ? 512
                                              : !strcmp(c->task, "detect") ? 320
                                                                           : 224;
    if (c->crop_pct <= 0) c->crop_pct = !strcmp(b->variant, "s0") ? 0.875 : 0.9;
}

/* The kernels every conv of the model runs: scalar_kernels asks for the reference; otherwise
 * the environment variable MO_KERNELS (avx2, scalar or auto) may force a kernel family for a
 * whole run (checks and benchmarks of the AVX2 path on an AVX-512 machine); the default is the
 * fastest this CPU has. */
static mo_status kernel_choice(const mo_model_params *p, mo_kernel_choice *out, mo_error *err) {
    *out = p->scalar_kernels ? MO_KERNEL_SCALAR : MO_KERNEL_AUTO;
    const char *env = getenv("MO_KERNELS");
    if (p->scalar_kernels || !env || !env[0] || !strcmp(env, "auto")) return MO_OK;
    if (!strcmp(env, "avx2")) *out = MO_KERNEL_AVX2;
    else if (!strcmp(env, "scalar")) *out = MO_KERNEL_SCALAR;
    else
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "MO_KERNELS='%s': expected avx2, scalar or auto", env);
    return MO_OK;
}

static mo_status load_parts(mo_model *m, const st_file *file, const mo_model_params *p,
                            mo_error *err) {
    mo_kernel_choice kernels;
    mo_status s = kernel_choice(p, &kernels, err);
    if (s != MO_OK) return s;
    mo_weights w;
    s = mo_weights_init(&w, file, err);
    if (s != MO_OK) return s;
    const int32_t output_stride = strcmp(m->config.task, "segment") ? 32 : m->config.output_stride;
    /* Heads' files keep the backbone under "backbone."; no task (or classify) means "". */
    const char *prefix = !strcmp(m->config.task, "segment") || !strcmp(m->config.task, "detect")
                             ? "backbone."
                             : "";
    mo_backbone_params bp = {.prefix = prefix, .output_stride = output_stride,
                             .kernels = kernels};
    s = mo_backbone_load(&m->backbone, &w, &bp, err);
    if (s == MO_OK) s = check_variant(m, file->path, err);
    if (s == MO_OK) apply_defaults(&m->config, &m->backbone);
    if (s == MO_OK && !strcmp(m->config.task, "segment"))
        s = mo_segmenter_load(m, &w, file->path, bp.kernels, err);
    else if (s == MO_OK && !strcmp(m->config.task, "detect"))
        s = mo_detector_load(m, &w, file->path, bp.kernels, err);
    else if (s == MO_OK && strcmp(m->config.task, "classify"))
        s = mo_error_set(err, MO_ERR_UNSUPPORTED, "%s: task '%s' is not available yet",
                         file->path, m->config.task);
    else if (s == MO_OK)
        s = mo_classifier_load(&m->classifier, &w, "",
                               m->backbone.timm_names ? MO_NAMES_TIMM : MO_NAMES_APPLE,
                               m->backbone.widths[4], bp.kernels, err);
    if (s == MO_OK && !m->segmenter && !m->detector && m->config.num_classes &&
        m->config.num_classes != m->classifier.num_classes)
        s = mo_error_set(err, MO_ERR_SHAPE, "%s: the config says %d classes but the classifier "
                         "has %d", file->path, m->config.num_classes,
                         m->classifier.num_classes);
    if (s == MO_OK && !m->segmenter && !m->detector)
        m->config.num_classes = m->classifier.num_classes;
    if (s == MO_OK) s = mo_weights_check_all_used(&w, err);
    mo_weights_free(&w);
    return s;
}

mo_status mo_model_load(mo_model **out, const char *path, const mo_model_params *params,
                        mo_error *err) {
    *out = NULL;
    if (!path) return mo_error_set(err, MO_ERR_ARGUMENT, "no model path given");
    mo_model_params p = params ? *params : mo_model_default_params();
    mo_model *m = calloc(1, sizeof *m);
    if (m && !(m->source = strdup(path))) free(m), m = NULL;
    if (!m) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    mo_config_init(&m->config);
    st_file file;
    mo_status s = st_open(&file, path, err);
    if (s != MO_OK) {
        free(m->source);
        free(m);
        return s;
    }
    if (file.config_json) {
        char origin[1024];
        snprintf(origin, sizeof origin, "%s (embedded config)", path);
        s = mo_config_apply(&m->config, file.config_json, origin, err);
    }
    if (s == MO_OK && p.config_path) s = mo_config_apply_file(&m->config, p.config_path, err);
    if (s == MO_OK) s = load_parts(m, &file, &p, err);
    if (s == MO_OK) {
        int32_t threads = p.threads > 0 ? p.threads : (int32_t)sysconf(_SC_NPROCESSORS_ONLN);
        s = mo_threadpool_create(&m->pool, threads > 0 ? threads : 1, err);
    }
    st_close(&file);
    if (s != MO_OK) {
        mo_model_free(m);
        return s;
    }
    *out = m;
    return MO_OK;
}

void mo_model_free(mo_model *m) {
    if (!m) return;
    mo_backbone_free(&m->backbone);
    mo_classifier_free(&m->classifier);
    mo_segmenter_free(m->segmenter);
    mo_detector_free(m->detector);
    mo_config_free(&m->config);
    mo_threadpool_free(m->pool);
    free(m->arena);
    free(m->source);
    free(m);
}

static mo_status check_size(const mo_model *m, int32_t h, int32_t w, mo_error *err) {
    if (h < 1 || w < 1 || h > 16384 || w > 16384)
        return mo_error_set(err, MO_ERR_ARGUMENT, "input size %dx%d: must be 1..16384 each",
                            w, h);
    int32_t sizes[MO_STAGES][2];
    mo_backbone_stage_sizes(&m->backbone, h, w, sizes);
    if (sizes[4][0] < 1 || sizes[4][1] < 1)
        return mo_error_set(err, MO_ERR_ARGUMENT, "input size %dx%d is too small", w, h);
    if (m->detector) return mo_detector_check_tta(m->config.detect.tta, h, w, err);
    return MO_OK;
}

/* The largest input the backbone runs at is this many times the planned one: the detector's
 * zoomed pass, or 1. */
static int32_t plan_zoom(const mo_model *m) {
    return m->detector ? m->config.detect.zoom : 1;
}

static int64_t max_activation(const mo_model *m, int32_t h, int32_t w) {
    return mo_backbone_max_activation(&m->backbone, h * plan_zoom(m), w * plan_zoom(m));
}

static int64_t arena_floats(const mo_model *m, int32_t h, int32_t w) {
    int64_t act = max_activation(m, h, w);
    /* two ping-pong activations, SE scratch, pooled features, logits for mo_model_forward */
    return 2 * act + mo_backbone_scratch_floats(&m->backbone) + m->backbone.widths[4] +
           m->classifier.num_classes + (m->segmenter ? mo_segmenter_floats(m, h, w) : 0);
}

mo_status mo_model_plan(mo_model *m, int32_t h, int32_t w, mo_error *err) {
    mo_status s = check_size(m, h, w, err);
    if (s != MO_OK) return s;
    if (m->arena && m->plan_h == h && m->plan_w == w) return MO_OK;
    int64_t act = max_activation(m, h, w);
    int64_t n = arena_floats(m, h, w);
    float *arena = mo_alloc_hot(sizeof(float) * (size_t)n);
    if (!arena) {
        const int32_t zoom = plan_zoom(m);
        if (zoom > 1)
            return mo_error_set(err, MO_ERR_MEMORY, "out of memory planning %dx%d (and its "
                                "zoomed pass at %dx%d)", w, h, w * zoom, h * zoom);
        return mo_error_set(err, MO_ERR_MEMORY, "out of memory planning %dx%d", w, h);
    }
    free(m->arena);
    m->arena = arena;
    m->arena_floats = n;
    m->buf_a = arena;
    m->buf_b = arena + act;
    m->scratch = arena + 2 * act;
    m->pooled = m->scratch + mo_backbone_scratch_floats(&m->backbone);
    m->plan_h = h;
    m->plan_w = w;
    if (m->segmenter)
        mo_segmenter_plan(m, m->pooled + m->backbone.widths[4] + m->classifier.num_classes);
    if (m->detector && (s = mo_detector_plan(m, err)) != MO_OK) {
        m->plan_h = m->plan_w = 0; /* the next plan starts over */
        return s;
    }
    return MO_OK;
}

mo_status mo_model_replan(mo_model *m, mo_error *err) {
    const int32_t h = m->plan_h, w = m->plan_w;
    m->plan_h = m->plan_w = 0;
    return mo_model_plan(m, h, w, err);
}

mo_status mo_classify(mo_model *m, const float *input, float *logits, mo_error *err) {
    if (!m->arena) return mo_error_set(err, MO_ERR_ARGUMENT, "mo_classify before mo_model_plan");
    float *features = mo_backbone_forward(&m->backbone, input, m->plan_h, m->plan_w, m->buf_a,
                                          m->buf_b, m->scratch, NULL, m->pool);
    int32_t sizes[MO_STAGES][2];
    mo_backbone_stage_sizes(&m->backbone, m->plan_h, m->plan_w, sizes);
    double t = mo_seconds_now();
    mo_classifier_forward(&m->classifier, features, sizes[4][0], sizes[4][1], m->pooled, logits,
                          m->pool);
    mo_profile_lap(m->backbone.profile, MO_LAYER_HEAD, &t);
    return MO_OK;
}

mo_status mo_model_forward(mo_model *m, const float *input, mo_error *err) {
    if (!m->arena) return mo_error_set(err, MO_ERR_ARGUMENT, "forward before mo_model_plan");
    if (!strcmp(m->config.task, "classify")) {
        float *logits = m->pooled + m->backbone.widths[4];
        return mo_classify(m, input, logits, err);
    }
    if (m->segmenter) return mo_segmenter_run(m, input, NULL, 0, err); /* one pass */
    if (m->detector) return mo_detector_forward(m, input, err);
    return mo_error_set(err, MO_ERR_UNSUPPORTED, "no forward for task '%s'", m->config.task);
}

void mo_model_set_profiling(mo_model *m, int32_t enable) {
    memset(&m->profile, 0, sizeof m->profile);
    m->backbone.profile = enable ? &m->profile : NULL;
}

void mo_model_get_profile(const mo_model *m, mo_model_profile *out) {
    memset(out, 0, sizeof *out);
    for (int k = 0; k < MO_LAYER_KINDS && k < MO_PROFILE_KINDS; k++) {
        out->names[k] = mo_layer_kind_name((mo_layer_kind)k);
        out->seconds[k] = m->profile.seconds[k];
        out->count++;
    }
}

int32_t mo_model_get_layer_profile(const mo_model *m, mo_model_layer_profile *out,
                                   int32_t max) {
    const mo_profile *p = &m->profile;
    for (int32_t g = 0; g < p->groups && g < max; g++) {
        const mo_profile_group *pg = &p->group[g];
        mo_model_layer_profile *l = &out[g];
        size_t used = 0;
        l->name[0] = '\0';
        for (int32_t i = pg->first; i <= pg->last && used < sizeof l->name; i++) {
            int n = snprintf(l->name + used, sizeof l->name - used, "%s%s",
                             i > pg->first ? "+" : "", m->backbone.mobs[i].name);
            used += n > 0 ? (size_t)n : 0;
        }
        l->kind = mo_layer_kind_name(pg->kind);
        l->macs = pg->macs;
        l->seconds = pg->seconds;
    }
    return p->groups;
}

mo_status mo_model_get_info(const mo_model *m, int32_t h, int32_t w, mo_model_info *info,
                            mo_error *err) {
    if (h == 0 && w == 0) {
        h = m->config.input_size[0];
        w = m->config.input_size[1];
    }
    mo_status s = check_size(m, h, w, err);
    if (s != MO_OK) return s;
    const mo_backbone *b = &m->backbone;
    memset(info, 0, sizeof *info);
    snprintf(info->variant, sizeof info->variant, "%s", b->variant);
    snprintf(info->task, sizeof info->task, "%s", m->config.task);
    info->fused_in_file = b->fused_in_file;
    info->num_branches = b->num_branches;
    info->has_se = b->has_se;
    memcpy(info->widths, b->widths, sizeof info->widths);
    memcpy(info->blocks, b->blocks, sizeof info->blocks);
    info->num_classes = m->classifier.num_classes;
    const int64_t head = (int64_t)m->classifier.num_classes * (m->classifier.in_channels + 1);
    info->params = mo_backbone_params_count(b) + head;
    info->macs = mo_backbone_macs(b, h, w) + head - m->classifier.num_classes;
    info->input_size[0] = h;
    info->input_size[1] = w;
    info->arena_bytes = (int64_t)sizeof(float) * arena_floats(m, h, w);
    if (m->segmenter) mo_segmenter_info(m, h, w, info);
    if (m->detector) mo_detector_info(m, h, w, info);
    return MO_OK;
}

mo_model_config mo_model_get_config(const mo_model *m) {
    mo_model_config c = {0};
    c.input_size[0] = m->config.input_size[0];
    c.input_size[1] = m->config.input_size[1];
    for (int i = 0; i < 3; i++) {
        c.mean[i] = (float)m->config.mean[i];
        c.std[i] = (float)m->config.std[i];
    }
    c.crop_pct = (float)m->config.crop_pct;
    c.num_class_names = m->config.num_class_names;
    c.class_names = (const char *const *)m->config.class_names;
    return c;
}

