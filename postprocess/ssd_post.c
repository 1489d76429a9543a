/* ssd_post.c - softmax, decode, per-class filter and top-k, batched NMS, per-image cut. */
#include "ssd_post.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

mo_ssd_post_params mo_ssd_post_default_params(void) {
    return (mo_ssd_post_params){.score_thresh = 0.001f, .nms_thresh = 0.55f, .topk = 300,
                                .max_dets = 300};
}

mo_status mo_ssd_post_init(mo_ssd_post *p, int64_t num_anchors, int32_t num_classes,
                           int32_t max_dets, mo_error *err) {
    memset(p, 0, sizeof *p);
    if (num_anchors < 1 || num_anchors > INT32_MAX / 4 || num_classes < 2 || max_dets < 1)
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "SSD postprocess: %lld anchors, %d classes, %d detections: need "
                            "anchors >= 1, classes >= 2 (background + 1), detections >= 1",
                            (long long)num_anchors, num_classes, max_dets);
    p->num_anchors = num_anchors;
    p->num_classes = num_classes;
    p->max_dets = max_dets;
    const size_t n = (size_t)num_anchors;
    /* Candidates: at most one per (anchor, class >= 1). */
    const size_t cand = n * (size_t)(num_classes - 1);
    p->probs = malloc(sizeof(float) * n * (size_t)num_classes);
    p->boxes = malloc(sizeof(float) * 4 * n);
    p->class_items = malloc(sizeof(mo_nms_item) * n);
    p->candidates = malloc(sizeof(mo_nms_item) * cand);
    p->kept = malloc(sizeof(mo_nms_item) * cand);
    if (!p->probs || !p->boxes || !p->class_items || !p->candidates || !p->kept) {
        mo_ssd_post_free(p);
        return mo_error_set(err, MO_ERR_MEMORY, "SSD postprocess: out of memory (%lld anchors, "
                            "%d classes)", (long long)num_anchors, num_classes);
    }
    return MO_OK;
}

void mo_ssd_post_free(mo_ssd_post *p) {
    free(p->probs);
    free(p->boxes);
    free(p->class_items);
    free(p->candidates);
    free(p->kept);
    memset(p, 0, sizeof *p);
}

/* probs = softmax(logits) per row, as torch.softmax: exp(x - max) / sum. */
static void softmax_rows(float *probs, const float *logits, int64_t n, int32_t k) {
    for (int64_t i = 0; i < n; i++) {
        const float *x = logits + i * k;
        float *y = probs + i * k;
        float max = x[0];
        for (int32_t c = 1; c < k; c++) max = x[c] > max ? x[c] : max;
        float sum = 0.0f;
        for (int32_t c = 0; c < k; c++) sum += y[c] = expf(x[c] - max);
        for (int32_t c = 0; c < k; c++) y[c] /= sum;
    }
}

int32_t mo_ssd_post_run(mo_ssd_post *p, const mo_ssd_post_params *params,
                        const mo_box_coder *coder, const float *cls_logits,
                        const float *bbox_regression, const float *anchors, int32_t in_h,
                        int32_t in_w, mo_ssd_det *out) {
    const int64_t n = p->num_anchors;
    const int32_t k = p->num_classes;
    softmax_rows(p->probs, cls_logits, n, k);
    mo_box_decode(coder, bbox_regression, anchors, n, p->boxes);
    mo_boxes_clip(p->boxes, n, (float)in_w, (float)in_h);
    int32_t num_cand = 0;
    for (int32_t c = 1; c < k; c++) {
        int32_t m = 0;
        for (int64_t i = 0; i < n; i++) {
            const float s = p->probs[i * k + c];
            if (s > params->score_thresh)
                p->class_items[m++] = (mo_nms_item){.score = s, .label = c, .index = (int32_t)i};
        }
        mo_nms_sort_by_score(p->class_items, m);
        if (m > params->topk) m = params->topk;
        memcpy(p->candidates + num_cand, p->class_items, sizeof(mo_nms_item) * (size_t)m);
        num_cand += m;
    }
    int32_t kept = mo_batched_nms(p->boxes, p->candidates, num_cand, params->nms_thresh, p->kept);
    int32_t limit = params->max_dets < p->max_dets ? params->max_dets : p->max_dets;
    if (kept > limit) kept = limit;
    for (int32_t j = 0; j < kept; j++) {
        const float *b = p->boxes + 4 * (int64_t)p->kept[j].index;
        out[j] = (mo_ssd_det){.x1 = b[0], .y1 = b[1], .x2 = b[2], .y2 = b[3],
                              .score = p->kept[j].score, .label = p->kept[j].label};
    }
    return kept;
}
