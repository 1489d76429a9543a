/* coco_summary.c - COCOeval.summarize(): the 12 stats, per-category AP and the printed lines.
 *
 * Each number is numpy's mean of the entries > -1 of a slice of precision[T][R][K][A][M] (AP)
 * or recall[T][K][A][M] (AR), taken in C order, with numpy's blocked pairwise sum (np_sum.c);
 * -1 when no entry is valid. The text is summarize()'s format string,
 * ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}', reproduced with printf
 * (both round the exact binary value half-to-even at 3 decimals). */
#include <stdlib.h>

#include "coco_internal.h"
#include "np_sum.h"

static const char *const area_labels[MO_COCO_A] = {"all", "small", "medium", "large"};
static const int max_dets[MO_COCO_M] = {1, 10, 100};

/* mean(s[s > -1]); iou_t < 0 selects all thresholds. */
static double summarize_one(const mo_coco_eval *ev, int ap, int iou_t, int a, int m) {
    int32_t K;
    const double *prec = mo_coco_precision(ev, &K);
    const double *rec = mo_coco_recall(ev, &K);
    size_t cap = (size_t)MO_COCO_T * MO_COCO_R * (size_t)(K ? K : 1);
    double *v = malloc(sizeof(double) * cap);
    if (!v) return -1.0;
    size_t n = 0;
    int t0 = iou_t < 0 ? 0 : iou_t, t1 = iou_t < 0 ? MO_COCO_T : iou_t + 1;
    for (int t = t0; t < t1; t++) {
        if (ap) {
            for (int r = 0; r < MO_COCO_R; r++)
                for (int32_t k = 0; k < K; k++) {
                    double x =
                        prec[((((size_t)t * MO_COCO_R + r) * K + k) * MO_COCO_A + a) * MO_COCO_M +
                             m];
                    if (x > -1) v[n++] = x;
                }
        } else {
            for (int32_t k = 0; k < K; k++) {
                double x = rec[(((size_t)t * K + k) * MO_COCO_A + a) * MO_COCO_M + m];
                if (x > -1) v[n++] = x;
            }
        }
    }
    double mean = n ? mo_np_mean(v, n) : -1.0;
    free(v);
    return mean;
}

/* The threshold index equal to `thr` (np.where(iouThr == p.iouThrs)). */
static int iou_index(double thr) {
    for (int t = 0; t < MO_COCO_T; t++)
        if (mo_coco_iou_threshold(t) == thr) return t;
    return -1;
}

typedef struct stat_def {
    int ap;
    double iou; /* < 0: .50:.95 */
    int area;
    int max_det_index;
} stat_def;

static const stat_def stat_defs[12] = {
    {1, -1, 0, 2}, {1, .5, 0, 2}, {1, .75, 0, 2}, {1, -1, 1, 2}, {1, -1, 2, 2}, {1, -1, 3, 2},
    {0, -1, 0, 0}, {0, -1, 0, 1}, {0, -1, 0, 2},  {0, -1, 1, 2}, {0, -1, 2, 2}, {0, -1, 3, 2},
};

void mo_coco_stats(const mo_coco_eval *ev, double stats[12]) {
    for (int i = 0; i < 12; i++) {
        const stat_def *s = &stat_defs[i];
        int t = s->iou < 0 ? -1 : iou_index(s->iou);
        stats[i] = summarize_one(ev, s->ap, t, s->area, s->max_det_index);
    }
}

double mo_coco_category_ap(const mo_coco_eval *ev, int32_t k) {
    int32_t K;
    const double *prec = mo_coco_precision(ev, &K);
    if (k < 0 || k >= K) return -1.0;
    double v[MO_COCO_T * MO_COCO_R];
    size_t n = 0;
    for (int t = 0; t < MO_COCO_T; t++)
        for (int r = 0; r < MO_COCO_R; r++) {
            double x =
                prec[((((size_t)t * MO_COCO_R + r) * K + k) * MO_COCO_A + 0) * MO_COCO_M + 2];
            if (x > -1) v[n++] = x;
        }
    return n ? mo_np_mean(v, n) : -1.0;
}

void mo_coco_summarize(FILE *out, const double stats[12]) {
    for (int i = 0; i < 12; i++) {
        const stat_def *s = &stat_defs[i];
        const char *iou = s->iou < 0 ? "0.50:0.95" : (s->iou == .5 ? "0.50" : "0.75");
        fprintf(out, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                s->ap ? "Average Precision" : "Average Recall", s->ap ? "(AP)" : "(AR)", iou,
                area_labels[s->area], max_dets[s->max_det_index], stats[i]);
    }
}

void mo_coco_print_per_category(FILE *out, const mo_coco_gt *gt, const mo_coco_eval *ev) {
    int32_t K = mo_coco_gt_num_categories(gt);
    int width = 8;
    for (int32_t k = 0; k < K; k++) {
        int len = 0;
        for (const char *c = mo_coco_gt_category_name(gt, k); *c; c++)
            len++;
        if (len > width) width = len;
    }
    if (width > 40) width = 40;
    fprintf(out, "\nper-category AP @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] "
                 "(-1: no ground truth)\n");
    fprintf(out, " %8s  %-*s  %6s\n", "id", width, "category", "AP");
    for (int32_t k = 0; k < K; k++)
        fprintf(out, " %8lld  %-*.*s  %6.3f\n", (long long)mo_coco_gt_category_id(gt, k), width,
                width, mo_coco_gt_category_name(gt, k), mo_coco_category_ap(ev, k));
}
