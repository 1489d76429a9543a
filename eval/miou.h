/* miou.h - semantic-segmentation mIoU with mmseg IoUMetric semantics (1.x; evaluators.md §4).
 *
 * Per image pair: pixels whose (possibly reduced) GT equals ignore_index are dropped; then
 * I[c] = #(pred == gt == c), P[c] = #(pred == c), L[c] = #(gt == c) for c in 0..C-1 (values
 * outside 0..C-1 are in no histogram, as torch.histc's range). Totals are summed over the data
 * set before any division: aAcc = ΣI/ΣL, IoU = I/(P+L-I), Acc = I/L per class (0/0: NaN),
 * mIoU / mAcc = numpy nanmean (NaN classes excluded). reduce_zero_label (ADE20K) maps GT on
 * uint8 values: 0 -> 255, v -> v-1, 254 -> 255. Predictions are never remapped.
 * Counts are exact int64 (float64 metrics, what the `expected.json` cases hold); the float32
 * flavour emulates mmseg 1.x (float32 histograms summed in float32, float32 metrics).
 *
 * Ownership: mo_miou_create allocates, mo_miou_free frees; a mo_miou_result owns its arrays
 * until mo_miou_result_free. */
#ifndef MO_EVAL_MIOU_H
#define MO_EVAL_MIOU_H

#include <stdint.h>
#include <stdio.h>

#include "label_png.h"
#include "mobileone.h"

typedef struct mo_miou_params {
    int32_t num_classes;       /* C >= 1 */
    int32_t ignore_index;      /* default 255 */
    int32_t reduce_zero_label; /* ADE20K */
} mo_miou_params;

mo_miou_params mo_miou_default_params(int32_t num_classes);

typedef struct mo_miou mo_miou;

mo_status mo_miou_create(mo_miou **out, const mo_miou_params *params, mo_error *err);
void mo_miou_free(mo_miou *m);

/* Adds one (GT, prediction) pair of the same size; `name` is used in messages. */
mo_status mo_miou_add(mo_miou *m, const mo_label_map *gt, const mo_label_map *pred,
                      const char *name, mo_error *err);
/* The same for n 8-bit values each. */
void mo_miou_add_u8(mo_miou *m, const uint8_t *gt, const uint8_t *pred, size_t n);

int64_t mo_miou_num_images(const mo_miou *m);

typedef struct mo_miou_result {
    int32_t num_classes;
    int64_t num_images;
    int32_t float32;         /* 1: mmseg 1.x float32 numerics */
    double aAcc, mIoU, mAcc; /* fractions; NaN when undefined */
    double *iou, *acc;       /* [num_classes]; NaN for classes absent from GT (and pred) */
    int64_t *area_intersect, *area_union, *area_pred, *area_label; /* exact totals */
} mo_miou_result;

mo_status mo_miou_compute(const mo_miou *m, int float32, mo_miou_result *out, mo_error *err);
void mo_miou_result_free(mo_miou_result *r);

/* mmseg's reported number: np.round(v * 100, 2) (in float32 for the float32 flavour). */
double mo_miou_percent(double v, int float32);

/* mmseg's output: "per class results:" and the PrettyTable of Class / IoU / Acc in percent,
 * then "Summary:" and the aAcc / mIoU / mAcc table. names may be NULL (indices are printed). */
void mo_miou_print_tables(FILE *out, const mo_miou_result *r, const char *const *names);

#endif
