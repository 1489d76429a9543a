/* ssd_post.c - softmax, decode, per-class filter and top-k, batched NMS, per-image cut. */
#include "ssd_post.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void mo_ssd_post_set_anchors(mo_ssd_post *p, int64_t n) {
    p->num_anchors = n < p->capacity ? n : p->capacity;
}

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
    p->num_anchors = p->capacity = num_anchors;
    p->num_classes = num_classes;
    p->max_dets = max_dets;
    const size_t n = (size_t)num_anchors;
    /* Candidates: at most one per (anchor, class >= 1). */
    const size_t cand = n * (size_t)(num_classes - 1);
    p->row = malloc(sizeof(float) * (size_t)num_classes);
    p->per_class = malloc(sizeof(int32_t) * (size_t)num_classes);
    p->boxes = malloc(sizeof(float) * 4 * n);
    p->candidates = malloc(sizeof(mo_nms_item) * cand);
    p->kept = malloc(sizeof(mo_nms_item) * cand);
    if (!p->row || !p->per_class || !p->boxes || !p->candidates || !p->kept) {
        mo_ssd_post_free(p);
        return mo_error_set(err, MO_ERR_MEMORY, "SSD postprocess: out of memory (%lld anchors, "
                            "%d classes)", (long long)num_anchors, num_classes);
    }
    return MO_OK;
}

void mo_ssd_post_free(mo_ssd_post *p) {
    free(p->row);
    free(p->per_class);
    free(p->boxes);
    free(p->candidates);
    free(p->kept);
    memset(p, 0, sizeof *p);
}

/* Appends to items every (anchor, class >= 1) whose softmax score, as torch.softmax computes
 * it (exp(x - max) / sum), is above thresh; counts them per class. exp(x_c - max) bounds the
 * score (the sum is at least exp(0) = 1), so a row whose best foreground logit sits well below
 * max + log(thresh) cannot pass and costs no exp: most rows, for a trained model. */
static int32_t gather_candidates(const float *logits, int64_t n, int32_t k, float thresh,
                                 float *row, mo_nms_item *items, int32_t *per_class) {
    const float skip_below = thresh > 0.0f ? logf(thresh) - 1e-3f : -INFINITY;
    memset(per_class, 0, sizeof(int32_t) * (size_t)k);
    int32_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        const float *x = logits + i * k;
        float max = x[0], fg = x[1];
        for (int32_t c = 1; c < k; c++) {
            max = x[c] > max ? x[c] : max;
            fg = x[c] > fg ? x[c] : fg;
        }
        if (fg - max < skip_below) continue;
        float sum = 0.0f;
        for (int32_t c = 0; c < k; c++) sum += row[c] = expf(x[c] - max);
        for (int32_t c = 1; c < k; c++) {
            const float score = row[c] / sum;
            if (score > thresh) {
                items[m++] = (mo_nms_item){.score = score, .label = c, .index = (int32_t)i};
                per_class[c]++;
            }
        }
    }
    return m;
}

/* The same for scores that are probabilities already (test-time augmentation's means). */
static int32_t gather_scores(const float *scores, int64_t n, int32_t k, float thresh,
                             mo_nms_item *items, int32_t *per_class) {
    memset(per_class, 0, sizeof(int32_t) * (size_t)k);
    int32_t m = 0;
    for (int64_t i = 0; i < n; i++)
        for (int32_t c = 1; c < k; c++) {
            const float score = scores[i * k + c];
            if (score > thresh) {
                items[m++] = (mo_nms_item){.score = score, .label = c, .index = (int32_t)i};
                per_class[c]++;
            }
        }
    return m;
}

/* Groups items by class (stable), keeps each class's best topk (score descending, ties by
 * anchor) into out; returns how many. */
static int32_t topk_per_class(const mo_nms_item *items, int32_t m, int32_t k, int32_t topk,
                              int32_t *per_class, mo_nms_item *out) {
    int32_t start = 0;
    for (int32_t c = 1; c < k; c++) {
        const int32_t count = per_class[c];
        per_class[c] = start; /* now the class's next slot */
        start += count;
    }
    for (int32_t j = 0; j < m; j++) out[per_class[items[j].label]++] = items[j];
    int32_t kept = 0, begin = 0;
    for (int32_t c = 1; c < k; c++) {
        const int32_t end = per_class[c], count = end - begin;
        const int32_t take = count < topk ? count : topk;
        mo_nms_select_best(out + begin, count, take);
        mo_nms_sort_by_score(out + begin, take);
        memmove(out + kept, out + begin, sizeof *out * (size_t)take);
        kept += take;
        begin = end;
    }
    return kept;
}

/* cls holds logits, or with probabilities set, class probabilities. */
static int32_t run(mo_ssd_post *p, const mo_ssd_post_params *params, const mo_box_coder *coder,
                   const float *cls, int probabilities, const float *bbox_regression,
                   const float *anchors, int32_t in_h, int32_t in_w, mo_ssd_det *out) {
    const int64_t n = p->num_anchors;
    const int32_t k = p->num_classes;
    mo_box_decode(coder, bbox_regression, anchors, n, p->boxes);
    mo_boxes_clip(p->boxes, n, (float)in_w, (float)in_h);
    /* p->kept holds the unsorted candidates until NMS writes its own output there. */
    int32_t m =
        probabilities
            ? gather_scores(cls, n, k, params->score_thresh, p->kept, p->per_class)
            : gather_candidates(cls, n, k, params->score_thresh, p->row, p->kept, p->per_class);
    int32_t num_cand = topk_per_class(p->kept, m, k, params->topk, p->per_class, p->candidates);
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

int32_t mo_ssd_post_run(mo_ssd_post *p, const mo_ssd_post_params *params, const mo_box_coder *coder,
                        const float *cls_logits, const float *bbox_regression, const float *anchors,
                        int32_t in_h, int32_t in_w, mo_ssd_det *out) {
    return run(p, params, coder, cls_logits, 0, bbox_regression, anchors, in_h, in_w, out);
}

int32_t mo_ssd_post_run_scores(mo_ssd_post *p, const mo_ssd_post_params *params,
                               const mo_box_coder *coder, const float *cls_scores,
                               const float *bbox_regression, const float *anchors, int32_t in_h,
                               int32_t in_w, mo_ssd_det *out) {
    return run(p, params, coder, cls_scores, 1, bbox_regression, anchors, in_h, in_w, out);
}
