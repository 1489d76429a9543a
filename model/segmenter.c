/* segmenter.c - the segment task: DeepLabv3 over the dilated backbone, mo_segment and
 * mo_segment_labels.
 *
 * The plan (model.c's arena) holds, after the backbone's buffers: the head's workspace, the
 * logits at the feature resolution, per thread two rows of input-size logits for the label map,
 * and for test-time flipping the mirrored input and its logits (reserved whether or not flipping
 * is on, so that it can be switched without a new plan). mo_segment keeps its logits there;
 * mo_segment_labels reads them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model_internal.h"
#include "seg_upsample.h"
#include "segmenter.h"

static void feature_size(const mo_model *m, int32_t h, int32_t w, int32_t *fh, int32_t *fw) {
    int32_t sizes[MO_STAGES][2];
    mo_backbone_stage_sizes(&m->backbone, h, w, sizes);
    *fh = sizes[4][0];
    *fw = sizes[4][1];
}

mo_status mo_segmenter_load(mo_model *m, mo_weights *w, const char *path,
                            mo_kernel_choice kernels, mo_error *err) {
    mo_config *c = &m->config;
    int32_t rates[3] = {6, 12, 18};
    for (int i = 0; i < 3; i++) {
        if (c->output_stride == 8) rates[i] *= 2;
        if (c->aspp_rates[0]) rates[i] = c->aspp_rates[i];
    }
    mo_segmenter *s = calloc(1, sizeof *s);
    if (!s) {
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    }
    mo_status st = mo_deeplabv3_load(&s->head, w, m->backbone.widths[4], rates, kernels, err);
    if (st == MO_OK && c->num_classes && c->num_classes != s->head.num_classes)
        st = mo_error_set(err, MO_ERR_SHAPE, "%s: the config says %d classes but the DeepLabv3 "
                          "head has %d", path, c->num_classes, s->head.num_classes);
    if (st != MO_OK) {
        mo_segmenter_free(s);
        return st;
    }
    c->num_classes = s->head.num_classes;
    memcpy(c->aspp_rates, rates, sizeof rates);
    m->segmenter = s;
    return MO_OK;
}

void mo_segmenter_free(mo_segmenter *s) {
    if (!s) return;
    mo_deeplabv3_free(&s->head);
    free(s);
}

int64_t mo_segmenter_floats(const mo_model *m, int32_t h, int32_t w) {
    const mo_segmenter *s = m->segmenter;
    int32_t fh, fw;
    feature_size(m, h, w, &fh, &fw);
    return mo_deeplabv3_workspace_floats(&s->head, fh, fw) +
           2 * (int64_t)fh * fw * s->head.num_classes +
           mo_threadpool_size(m->pool) * mo_seg_labels_scratch_floats(w, s->head.num_classes) +
           (int64_t)h * w * 3;
}

void mo_segmenter_plan(mo_model *m, float *at) {
    mo_segmenter *s = m->segmenter;
    int32_t fh, fw;
    feature_size(m, m->plan_h, m->plan_w, &fh, &fw);
    s->work = at;
    s->small_logits = s->work + mo_deeplabv3_workspace_floats(&s->head, fh, fw);
    s->label_rows = s->small_logits + (int64_t)fh * fw * s->head.num_classes;
    s->flip_logits =
        s->label_rows +
        mo_threadpool_size(m->pool) * mo_seg_labels_scratch_floats(m->plan_w, s->head.num_classes);
    s->flip_input = s->flip_logits + (int64_t)fh * fw * s->head.num_classes;
    s->has_result = 0;
}

void mo_segmenter_info(const mo_model *m, int32_t h, int32_t w, mo_model_info *info) {
    const mo_segmenter *s = m->segmenter;
    int32_t fh, fw;
    feature_size(m, h, w, &fh, &fw);
    info->num_classes = s->head.num_classes;
    info->params = mo_backbone_params_count(&m->backbone) + mo_deeplabv3_params(&s->head);
    info->macs = mo_backbone_macs(&m->backbone, h, w) + mo_deeplabv3_macs(&s->head, fh, fw);
}

/* The network's logits at the feature resolution (fh x fw) for input (plan size, NHWC). */
static void run_network(mo_model *m, const float *input, float *small, int32_t fh, int32_t fw) {
    mo_segmenter *s = m->segmenter;
    const float *features = mo_backbone_forward(&m->backbone, input, m->plan_h, m->plan_w, m->buf_a,
                                                m->buf_b, m->scratch, NULL, m->pool);
    double t = mo_seconds_now();
    mo_deeplabv3_forward(&s->head, small, features, fh, fw, s->work, m->pool);
    mo_profile_lap(m->backbone.profile, MO_LAYER_HEAD, &t);
}

/* dst = src mirrored left to right: (h, w, c) maps. */
static void mirror_columns(float *dst, const float *src, int32_t h, int32_t w, int32_t c) {
    for (int32_t y = 0; y < h; y++)
        for (int32_t x = 0; x < w; x++)
            memcpy(dst + ((int64_t)y * w + x) * c, src + ((int64_t)y * w + (w - 1 - x)) * c,
                   sizeof(float) * (size_t)c);
}

mo_status mo_segment(mo_model *m, const float *input, float *logits, mo_error *err) {
    return mo_segmenter_run(m, input, logits, m->config.flip, err);
}

mo_status mo_segmenter_run(mo_model *m, const float *input, float *logits, int flip,
                           mo_error *err) {
    mo_segmenter *s = m->segmenter;
    if (!s)
        return mo_error_set(err, MO_ERR_ARGUMENT, "mo_segment on a model whose task is '%s'",
                            m->config.task);
    if (!m->arena) return mo_error_set(err, MO_ERR_ARGUMENT, "mo_segment before mo_model_plan");
    int32_t fh, fw;
    feature_size(m, m->plan_h, m->plan_w, &fh, &fw);
    run_network(m, input, s->small_logits, fh, fw);
    if (flip) {
        /* The mirror's logits, mirrored back, averaged in: what the mean of the two upsampled
         * maps would give, since resizing is linear and commutes with the mirror. */
        const int32_t classes = s->head.num_classes;
        mirror_columns(s->flip_input, input, m->plan_h, m->plan_w, 3);
        run_network(m, s->flip_input, s->flip_logits, fh, fw);
        for (int32_t y = 0; y < fh; y++)
            for (int32_t x = 0; x < fw; x++) {
                float *a = s->small_logits + ((int64_t)y * fw + x) * classes;
                const float *b = s->flip_logits + ((int64_t)y * fw + (fw - 1 - x)) * classes;
                for (int32_t k = 0; k < classes; k++)
                    a[k] = 0.5f * (a[k] + b[k]);
            }
    }
    double t = mo_seconds_now();
    if (logits)
        f32_resize_bilinear(logits, m->plan_h, m->plan_w, s->small_logits, fh, fw,
                            s->head.num_classes, m->pool);
    mo_profile_lap(m->backbone.profile, MO_LAYER_HEAD, &t);
    s->has_result = 1;
    return MO_OK;
}

mo_status mo_segment_labels(mo_model *m, int32_t out_h, int32_t out_w, uint8_t *labels,
                            mo_error *err) {
    mo_segmenter *s = m->segmenter;
    if (!s || !s->has_result)
        return mo_error_set(err, MO_ERR_ARGUMENT, "mo_segment_labels before mo_segment");
    if (out_h < 1 || out_w < 1 || out_h > 65536 || out_w > 65536)
        return mo_error_set(err, MO_ERR_ARGUMENT, "label map size %dx%d: must be 1..65536 each",
                            out_w, out_h);
    int32_t fh, fw;
    feature_size(m, m->plan_h, m->plan_w, &fh, &fw);
    mo_seg_labels(labels, out_h, out_w, s->small_logits, fh, fw, m->plan_h, m->plan_w,
                  s->head.num_classes, s->label_rows, m->pool);
    return MO_OK;
}

mo_status mo_model_set_segment_flip(mo_model *m, int on, mo_error *err) {
    if (!m->segmenter)
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "test-time flipping on a model whose task is '%s'", m->config.task);
    m->config.flip = on != 0;
    return MO_OK;
}

mo_segment_config mo_model_get_segment_config(const mo_model *m) {
    mo_segment_config c = {.output_stride = m->config.output_stride,
                           .ignore_index = m->config.ignore_index,
                           .palette = m->config.palette,
                           .flip = m->config.flip};
    memcpy(c.aspp_rates, m->config.aspp_rates, sizeof c.aspp_rates);
    return c;
}

