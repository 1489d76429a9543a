/* nms.h - non-maximum suppression, torchvision semantics (ops.nms, ops.batched_nms).
 *
 * Boxes are xyxy in continuous coordinates (area = (x2 - x1) (y2 - y1), no +1). A box is
 * suppressed by an earlier kept box of the same label when IoU > iou_thresh (strictly). Order is
 * score descending; equal scores keep their input order (stable), so results are reproducible.
 * A zero-area box has IoU 0 with everything (torchvision gets 0/0 = NaN, which never exceeds the
 * threshold: the same decision). No allocation: callers pass scratch.
 */
#ifndef MO_POSTPROCESS_NMS_H
#define MO_POSTPROCESS_NMS_H

#include <stdint.h>

/* One candidate: its score, label and index into the caller's box array. */
typedef struct mo_nms_item {
    float score;
    int32_t label;
    int32_t index;
} mo_nms_item;

/* IoU of two xyxy boxes; 0 when the union is not positive. */
float mo_box_iou(const float *a, const float *b);

/* Sorts items by score descending, ties by index ascending. */
void mo_nms_sort_by_score(mo_nms_item *items, int32_t n);

/* Reorders items so that the k best (the first k of mo_nms_sort_by_score's order) come first,
 * in no particular order: average time linear in n, where a sort is n log n. */
void mo_nms_select_best(mo_nms_item *items, int32_t n, int32_t k);

/* Per-label greedy NMS over items (any order; reordered in place). Writes the kept items to
 * kept (capacity n) sorted by score descending (ties: index ascending) and returns how many. */
int32_t mo_batched_nms(const float *boxes, mo_nms_item *items, int32_t n, float iou_thresh,
                       mo_nms_item *kept);

#endif
