/* detector.c - the detect task: load, plan and run MobileOne-SSDLite (mo_detect). */
#include "detector.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model_internal.h"
#include "profile.h"
#include "seg_upsample.h"
#include "ssd_tta.h"

mo_status mo_detector_load(struct mo_model *m, mo_weights *w, const char *path,
                           mo_kernel_choice kernels, mo_error *err) {
    const mo_config *c = &m->config;
    /* Backbone maps: the outputs of stages first_stage..4. */
    const int32_t maps = MO_STAGES - c->detect.first_stage, levels = maps + MO_SSD_EXTRAS;
    if (c->detect.num_scales && c->detect.num_scales != levels + 1)
        return mo_error_set(err, MO_ERR_FORMAT,
                            "%s: config 'detect.anchors.scales' has %d numbers; the %d feature "
                            "maps (first_stage %d) need %d",
                            path, c->detect.num_scales, levels, c->detect.first_stage, levels + 1);
    mo_detector *d = calloc(1, sizeof *d);
    if (!d) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    d->first_stage = c->detect.first_stage;
    d->anchor_params = mo_anchor_default_params();
    d->anchor_params.num_levels = levels;
    d->anchor_params.num_ratios = c->detect.num_ratios;
    memcpy(d->anchor_params.ratios, c->detect.ratios, sizeof d->anchor_params.ratios);
    d->anchor_params.min_ratio = c->detect.min_ratio;
    d->anchor_params.max_ratio = c->detect.max_ratio;
    d->anchor_params.num_scales = c->detect.num_scales;
    memcpy(d->anchor_params.scales, c->detect.scales,
           sizeof(double) * (size_t)c->detect.num_scales);
    d->post_params = (mo_ssd_post_params){
        .score_thresh = (float)c->detect.score_thresh, .nms_thresh = (float)c->detect.nms_thresh,
        .topk = c->detect.topk, .max_dets = c->detect.max_dets};
    d->coder = mo_box_coder_ssd();
    const mo_backbone *b = &m->backbone;
    mo_status s =
        mo_ssdlite_load(&d->head, w, "backbone.", "head.", maps, &b->widths[d->first_stage],
                        mo_anchors_per_location(&d->anchor_params), kernels, err);
    if (s != MO_OK) {
        free(d);
        return s;
    }
    const int32_t k = d->head.num_classes;
    if (c->num_classes && c->num_classes != k)
        s = mo_error_set(err, MO_ERR_SHAPE, "%s: the config says %d classes but the detection "
                         "head has %d", path, c->num_classes, k);
    else if (c->num_category_ids && c->num_category_ids != k)
        s = mo_error_set(err, MO_ERR_FORMAT, "%s: the config has %d category_ids for %d classes "
                         "(one per class, background included)", path, c->num_category_ids, k);
    else if (c->num_class_names && c->num_class_names != k)
        s = mo_error_set(err, MO_ERR_FORMAT, "%s: the config has %d class_names for %d classes "
                         "(background included)", path, c->num_class_names, k);
    if (s != MO_OK) {
        mo_detector_free(d);
        return s;
    }
    m->config.num_classes = k;
    m->detector = d;
    return MO_OK;
}

void mo_detector_free(mo_detector *d) {
    if (!d) return;
    mo_ssdlite_free(&d->head);
    mo_ssd_post_free(&d->post);
    free(d->block);
    free(d->dets);
    free(d->merge_items);
    free(d);
}

static void head_grids(const struct mo_model *m, int32_t h, int32_t w,
                       int32_t grids[MO_SSD_LEVELS][2]) {
    const mo_detector *d = m->detector;
    int32_t sizes[MO_STAGES][2];
    mo_backbone_stage_sizes(&m->backbone, h, w, sizes);
    mo_ssdlite_grids(&d->head, (const int32_t(*)[2])sizes + d->first_stage, grids);
}

/* Sets a scale's size, zoom and grids; false when a grid is empty (the input is too small). */
static int scale_at(const struct mo_model *m, int32_t h, int32_t w, int32_t zoom,
                    mo_detector_scale *sc) {
    const mo_detector *d = m->detector;
    sc->h = h * zoom;
    sc->w = w * zoom;
    sc->zoom = zoom;
    head_grids(m, sc->h, sc->w, sc->grids);
    for (int l = 0; l < d->head.levels; l++)
        if (sc->grids[l][0] < 1 || sc->grids[l][1] < 1) return 0;
    return 1;
}

static int64_t tap_floats(const mo_detector *d, const mo_detector_scale *sc) {
    int64_t taps = 0;
    for (int l = 0; l < d->head.maps - 1; l++)
        taps += (int64_t)sc->grids[l][0] * sc->grids[l][1] * d->head.channels[l];
    return taps;
}

mo_status mo_detector_plan(struct mo_model *m, mo_error *err) {
    mo_detector *d = m->detector;
    const int32_t h = m->plan_h, w = m->plan_w, zoom = m->config.detect.zoom;
    if (d->block && d->plan_h == h && d->plan_w == w && d->plan_zoom == zoom) return MO_OK;
    mo_detector_scale scales[2] = {{0}};
    const int32_t num_scales = zoom > 1 ? 2 : 1;
    if (!scale_at(m, h, w, 1, &scales[0]))
        return mo_error_set(err, MO_ERR_ARGUMENT, "input size %dx%d is too small for detection", w,
                            h);
    if (num_scales > 1) scale_at(m, h, w, zoom, &scales[1]); /* larger: never too small */
    const mo_detector_scale *big = &scales[num_scales - 1];
    const mo_anchor_params zoomed = mo_anchor_params_zoomed(&d->anchor_params, zoom);
    const mo_anchor_params *params[2] = {&d->anchor_params, &zoomed};
    int64_t anchor_floats = 0;
    for (int i = 0; i < num_scales; i++) {
        scales[i].num_anchors = mo_anchor_count(params[i], (const int32_t(*)[2])scales[i].grids);
        anchor_floats += 4 * scales[i].num_anchors;
    }
    const int64_t n = big->num_anchors, max_dets = d->post_params.max_dets;
    /* The backbone maps but the last (stage4's, in the backbone's own buffer) are copied out
     * as the backbone runs (taps), so they live until the head has read them. */
    const int64_t taps = tap_floats(d, big);
    const int64_t scratch = mo_ssdlite_scratch_floats(&d->head, (const int32_t(*)[2])big->grids);
    const int64_t outputs = n * d->head.num_classes + 4 * n;
    const int64_t input = (int64_t)big->h * big->w * 3;
    const int64_t zoom_input = num_scales > 1 ? input : 0;
    /* The test-time augmentation's buffers are there whether or not it runs: the pages are
     * touched only if it does. */
    const int64_t floats =
        anchor_floats + taps + scratch + outputs + input + outputs + zoom_input + 8 * max_dets;
    float *block = malloc(sizeof(float) * (size_t)floats);
    mo_ssd_det *dets = malloc(sizeof(mo_ssd_det) * 3 * (size_t)max_dets);
    mo_nms_item *items = malloc(sizeof(mo_nms_item) * 4 * (size_t)max_dets);
    mo_ssd_post post;
    mo_status s = MO_OK;
    if (!block || !dets || !items)
        s = mo_error_set(err, MO_ERR_MEMORY, "out of memory planning detection at %dx%d", w, h);
    if (s == MO_OK) s = mo_ssd_post_init(&post, n, d->head.num_classes, (int32_t)max_dets, err);
    float *anchors = block;
    for (int i = 0; s == MO_OK && i < num_scales; i++) {
        scales[i].anchors = anchors;
        s = mo_anchors_generate(params[i], (const int32_t(*)[2])scales[i].grids, scales[i].h,
                                scales[i].w, anchors, err);
        anchors += 4 * scales[i].num_anchors;
    }
    if (s != MO_OK) {
        if (block && dets && items) mo_ssd_post_free(&post);
        free(block);
        free(dets);
        free(items);
        return s;
    }
    mo_ssd_post_free(&d->post);
    free(d->block);
    free(d->dets);
    free(d->merge_items);
    d->post = post;
    d->block = block;
    d->dets = dets;
    d->merge_items = items;
    d->scratch = anchors;
    for (int l = 0; l < d->head.maps - 1; l++) {
        d->taps[l] = d->scratch;
        d->scratch += (int64_t)big->grids[l][0] * big->grids[l][1] * d->head.channels[l];
    }
    d->cls_logits = d->scratch + scratch;
    d->bbox_regression = d->cls_logits + n * d->head.num_classes;
    d->tta_input = d->bbox_regression + 4 * n;
    d->tta_probs = d->tta_input + input;
    d->tta_regression = d->tta_probs + n * d->head.num_classes;
    d->zoom_input = d->tta_regression + 4 * n;
    d->merge_boxes = d->zoom_input + zoom_input;
    memcpy(d->scales, scales, sizeof scales);
    d->num_scales = num_scales;
    d->plan_h = h;
    d->plan_w = w;
    d->plan_zoom = zoom;
    return MO_OK;
}

/* Runs backbone + head on input at sc's size into d->cls_logits / d->bbox_regression; the
 * taps are laid out for the largest scale, which holds every smaller one. */
static void forward_at(struct mo_model *m, const mo_detector_scale *sc, const float *input) {
    mo_detector *d = m->detector;
    const int32_t last = d->head.maps - 1;
    float *taps[MO_STAGES] = {NULL};
    const float *maps[MO_SSD_MAX_MAPS];
    for (int l = 0; l < last; l++)
        maps[l] = taps[d->first_stage + l] = d->taps[l];
    maps[last] = mo_backbone_forward(&m->backbone, input, sc->h, sc->w, m->buf_a, m->buf_b,
                                     m->scratch, taps, m->pool);
    double t = mo_seconds_now();
    mo_ssdlite_forward(&d->head, maps, (const int32_t(*)[2])sc->grids, d->scratch, d->cls_logits,
                       d->bbox_regression, m->pool);
    mo_profile_lap(m->backbone.profile, MO_LAYER_HEAD, &t);
}

/* 1 when the detector is planned for the model's planned size. */
static int planned(const struct mo_model *m) {
    const mo_detector *d = m->detector;
    return m->arena && d && d->block && d->plan_h == m->plan_h && d->plan_w == m->plan_w;
}

mo_status mo_detector_forward(struct mo_model *m, const float *input, mo_error *err) {
    mo_detector *d = m->detector;
    if (!planned(m)) return mo_error_set(err, MO_ERR_ARGUMENT, "detection before mo_model_plan");
    forward_at(m, &d->scales[0], input);
    return MO_OK;
}

/* Runs the test-time augmentation's passes at sc, leaving the mean class probabilities and
 * regressions over them in d->tta_probs and d->tta_regression. */
static void forward_passes(mo_model *m, const mo_detector_scale *sc, const float *input,
                           int32_t passes) {
    mo_detector *d = m->detector;
    const int64_t n = sc->num_anchors;
    const int32_t k = d->head.num_classes;
    memset(d->tta_probs, 0, sizeof(float) * (size_t)(n * k));
    memset(d->tta_regression, 0, sizeof(float) * (size_t)(4 * n));
    for (int32_t i = 0; i < passes; i++) {
        const mo_tta_transform t = mo_tta_pass(i);
        const float *x = input;
        if (i > 0) {
            mo_tta_transform_map(t, input, sc->h, sc->w, 3, d->tta_input);
            x = d->tta_input;
        }
        forward_at(m, sc, x);
        mo_tta_add(t, d->head.levels, (const int32_t(*)[2])sc->grids,
                   mo_anchors_per_location(&d->anchor_params), k, d->cls_logits, d->bbox_regression,
                   d->tta_probs, d->tta_regression);
    }
    for (int64_t j = 0; j < n * k; j++)
        d->tta_probs[j] /= (float)passes;
    for (int64_t j = 0; j < 4 * n; j++)
        d->tta_regression[j] /= (float)passes;
}

/* The network (with its test-time augmentation) and the postprocess at sc: detections in sc's
 * pixels into out, best first, their count into *count (0 when out is NULL: no postprocess).
 * Adds the seconds of each part to *network_s and *post_s. */
static void detect_at(mo_model *m, const mo_detector_scale *sc, const float *input,
                      const mo_ssd_post_params *params, mo_ssd_det *out, int32_t *count,
                      double *network_s, double *post_s) {
    mo_detector *d = m->detector;
    const int32_t passes = mo_detect_tta_passes(m->config.detect.tta);
    double t0 = mo_seconds_now();
    if (passes > 1)
        forward_passes(m, sc, input, passes);
    else
        forward_at(m, sc, input);
    double t1 = mo_seconds_now();
    *count = 0;
    mo_ssd_post_set_anchors(&d->post, sc->num_anchors);
    if (out && passes > 1)
        *count = mo_ssd_post_run_scores(&d->post, params, &d->coder, d->tta_probs,
                                        d->tta_regression, sc->anchors, sc->h, sc->w, out);
    else if (out)
        *count = mo_ssd_post_run(&d->post, params, &d->coder, d->cls_logits, d->bbox_regression,
                                 sc->anchors, sc->h, sc->w, out);
    *network_s += t1 - t0;
    *post_s += mo_seconds_now() - t1;
}

/* The zoomed pass's n1 detections (d->dets + max_dets, in its pixels) scaled back; those whose
 * side is below the limit join the first pass's n0 (d->dets), and class-wise NMS keeps the best
 * max_dets in d->dets + 2 max_dets. Returns their count. */
static int32_t merge_zoomed(mo_detector *d, double max_side, int32_t n0, int32_t n1) {
    const int32_t max = d->post_params.max_dets;
    const mo_detector_scale *base = &d->scales[0];
    const float zoom = (float)d->scales[1].zoom;
    const float limit = (float)(max_side * sqrt((double)base->h * base->w));
    mo_ssd_det *all = d->dets; /* kept zoomed ones move down behind the first pass's */
    int32_t n = n0;
    for (int32_t i = 0; i < n1; i++) {
        mo_ssd_det e = d->dets[max + i];
        e.x1 /= zoom;
        e.y1 /= zoom;
        e.x2 /= zoom;
        e.y2 /= zoom;
        if (sqrtf((e.x2 - e.x1) * (e.y2 - e.y1)) < limit) all[n++] = e;
    }
    mo_nms_item *items = d->merge_items, *kept = d->merge_items + 2 * max;
    for (int32_t i = 0; i < n; i++) {
        memcpy(d->merge_boxes + 4 * i, &all[i].x1, 4 * sizeof(float));
        items[i] = (mo_nms_item){.score = all[i].score, .label = all[i].label, .index = i};
    }
    int32_t count = mo_batched_nms(d->merge_boxes, items, n, d->post_params.nms_thresh, kept);
    if (count > max) count = max;
    for (int32_t j = 0; j < count; j++)
        d->dets[2 * max + j] = all[kept[j].index];
    return count;
}

mo_status mo_detect(mo_model *m, const float *input, int32_t orig_w, int32_t orig_h,
                    float score_thresh, mo_detection *out, int32_t capacity, int32_t *count,
                    mo_error *err) {
    *count = 0;
    mo_detector *d = m->detector;
    if (!d)
        return mo_error_set(err, MO_ERR_ARGUMENT, "mo_detect on a '%s' model", m->config.task);
    if (orig_w < 1 || orig_h < 1 || capacity < 0)
        return mo_error_set(err, MO_ERR_ARGUMENT, "mo_detect: original size %dx%d, capacity %d",
                            orig_w, orig_h, capacity);
    if (!planned(m)) return mo_error_set(err, MO_ERR_ARGUMENT, "detection before mo_model_plan");
    mo_ssd_post_params params = d->post_params;
    if (score_thresh >= 0) params.score_thresh = score_thresh;
    double network_s = 0, post_s = 0;
    int32_t n = 0;
    const mo_ssd_det *dets = d->dets;
    /* Every pass keeps max_dets; the cut to capacity comes after the last NMS. */
    mo_ssd_det *first = capacity ? d->dets : NULL;
    detect_at(m, &d->scales[0], input, &params, first, &n, &network_s, &post_s);
    if (d->num_scales > 1) {
        const mo_detector_scale *big = &d->scales[1];
        int32_t n1 = 0;
        double t = mo_seconds_now();
        f32_resize_bilinear(d->zoom_input, big->h, big->w, input, m->plan_h, m->plan_w, 3, m->pool);
        network_s += mo_seconds_now() - t;
        detect_at(m, big, d->zoom_input, &params, first ? d->dets + params.max_dets : NULL, &n1,
                  &network_s, &post_s);
        t = mo_seconds_now();
        if (capacity) n = merge_zoomed(d, m->config.detect.zoom_max_side, n, n1);
        dets = d->dets + 2 * params.max_dets;
        post_s += mo_seconds_now() - t;
    }
    if (n > capacity) n = capacity;
    /* torchvision transform.resize_boxes: ratio = f32(orig) / f32(planned), x * ratio. */
    const float rx = (float)orig_w / (float)m->plan_w, ry = (float)orig_h / (float)m->plan_h;
    const mo_config *c = &m->config;
    for (int32_t i = 0; i < n; i++) {
        const mo_ssd_det *e = &dets[i];
        const float x1 = e->x1 * rx, y1 = e->y1 * ry, x2 = e->x2 * rx, y2 = e->y2 * ry;
        out[i] = (mo_detection){
            .x = x1, .y = y1, .w = x2 - x1, .h = y2 - y1, .score = e->score, .label = e->label,
            .category_id = c->num_category_ids ? c->category_ids[e->label] : e->label};
    }
    *count = n;
    d->network_s = network_s;
    d->postprocess_s = post_s;
    return MO_OK;
}

void mo_detect_last_timings(const mo_model *m, double *network_s, double *postprocess_s) {
    const mo_detector *d = m->detector;
    if (network_s) *network_s = d ? d->network_s : 0;
    if (postprocess_s) *postprocess_s = d ? d->postprocess_s : 0;
}

static const char *const tta_names[] = {"none", "hflip", "flips", "d8"};

int mo_detect_tta_parse(const char *name) {
    for (int i = 0; i < (int)(sizeof tta_names / sizeof tta_names[0]); i++)
        if (name && !strcmp(name, tta_names[i])) return i;
    return -1;
}

const char *mo_detect_tta_name(mo_detect_tta tta) {
    return tta >= MO_TTA_NONE && tta <= MO_TTA_D8 ? tta_names[tta] : "?";
}

int32_t mo_detect_tta_passes(mo_detect_tta tta) {
    return tta >= MO_TTA_NONE && tta <= MO_TTA_D8 ? 1 << tta : 1; /* 1, 2, 4, 8 */
}

mo_status mo_detector_check_tta(mo_detect_tta tta, int32_t h, int32_t w, mo_error *err) {
    if (tta < MO_TTA_NONE || tta > MO_TTA_D8)
        return mo_error_set(err, MO_ERR_ARGUMENT, "test-time augmentation mode %d", (int)tta);
    if (tta == MO_TTA_D8 && h != w)
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "input size %dx%d: test-time augmentation d8 transposes the input, "
                            "which must be square (or use flips)",
                            w, h);
    return MO_OK;
}

mo_status mo_model_set_detect_tta(mo_model *m, mo_detect_tta tta, mo_error *err) {
    if (!m->detector)
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "test-time augmentation on a model whose task is '%s'", m->config.task);
    /* Unplanned, any size will do until mo_model_plan checks it. */
    mo_status s =
        mo_detector_check_tta(tta, m->arena ? m->plan_h : 1, m->arena ? m->plan_w : 1, err);
    if (s != MO_OK) return s;
    m->config.detect.tta = tta;
    return MO_OK;
}

mo_status mo_model_set_detect_zoom(mo_model *m, int32_t zoom, mo_error *err) {
    if (!m->detector)
        return mo_error_set(err, MO_ERR_ARGUMENT, "zoom on a model whose task is '%s'",
                            m->config.task);
    if (zoom < 1 || zoom > MO_DETECT_MAX_ZOOM)
        return mo_error_set(err, MO_ERR_ARGUMENT, "zoom %d: expected 1 (off) to %d", zoom,
                            MO_DETECT_MAX_ZOOM);
    if (zoom == m->config.detect.zoom) return MO_OK;
    const int32_t old = m->config.detect.zoom;
    m->config.detect.zoom = zoom;
    if (!m->arena) return MO_OK;
    /* The activations grow with the zoomed pass: plan the same size again. */
    mo_status s = mo_model_replan(m, err);
    if (s != MO_OK) {
        m->config.detect.zoom = old;
        mo_error replan_err;
        mo_model_replan(m, &replan_err); /* back to the plan that worked */
    }
    return s;
}

mo_detect_config mo_model_get_detect_config(const mo_model *m) {
    mo_detect_config c = {0};
    const mo_detector *d = m->detector;
    if (!d) return c;
    c.score_thresh = d->post_params.score_thresh;
    c.nms_thresh = d->post_params.nms_thresh;
    c.topk = d->post_params.topk;
    c.max_dets = d->post_params.max_dets;
    c.num_classes = d->head.num_classes;
    c.first_stage = d->first_stage;
    c.num_levels = d->head.levels;
    c.tta = m->config.detect.tta;
    c.zoom = m->config.detect.zoom;
    c.zoom_max_side = m->config.detect.zoom_max_side;
    c.num_category_ids = m->config.num_category_ids;
    c.category_ids = m->config.category_ids;
    return c;
}

void mo_detector_info(const struct mo_model *m, int32_t h, int32_t w, mo_model_info *info) {
    const mo_detector *d = m->detector;
    int32_t grids[MO_SSD_LEVELS][2];
    head_grids(m, h, w, grids);
    info->num_classes = d->head.num_classes;
    info->params = mo_backbone_params_count(&m->backbone) + mo_ssdlite_params_count(&d->head);
    info->macs = mo_backbone_macs(&m->backbone, h, w) +
                 mo_ssdlite_macs(&d->head, (const int32_t(*)[2])grids);
}
