/* nms.c - greedy per-label NMS: group by label, suppress within the group, merge by score. */
#include "nms.h"

#include <stdlib.h>

float mo_box_iou(const float *a, const float *b) {
    const float area_a = (a[2] - a[0]) * (a[3] - a[1]);
    const float area_b = (b[2] - b[0]) * (b[3] - b[1]);
    const float x1 = a[0] > b[0] ? a[0] : b[0], y1 = a[1] > b[1] ? a[1] : b[1];
    const float x2 = a[2] < b[2] ? a[2] : b[2], y2 = a[3] < b[3] ? a[3] : b[3];
    const float w = x2 - x1 > 0.0f ? x2 - x1 : 0.0f, h = y2 - y1 > 0.0f ? y2 - y1 : 0.0f;
    const float inter = w * h;
    const float uni = area_a + area_b - inter;
    return uni > 0.0f ? inter / uni : 0.0f;
}

static int by_score(const void *pa, const void *pb) {
    const mo_nms_item *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

static int by_label_score(const void *pa, const void *pb) {
    const mo_nms_item *a = pa, *b = pb;
    if (a->label != b->label) return a->label < b->label ? -1 : 1;
    return by_score(pa, pb);
}

void mo_nms_sort_by_score(mo_nms_item *items, int32_t n) {
    if (n > 1) qsort(items, (size_t)n, sizeof *items, by_score);
}

static void swap(mo_nms_item *a, mo_nms_item *b) {
    const mo_nms_item t = *a;
    *a = *b, *b = t;
}

void mo_nms_select_best(mo_nms_item *items, int32_t n, int32_t k) {
    /* Quickselect on the total order of by_score (scores, then indices, differ). */
    int32_t lo = 0, hi = n - 1;
    while (k > 0 && k < n && lo < hi) {
        const int32_t mid = lo + (hi - lo) / 2;
        if (by_score(&items[mid], &items[lo]) < 0) swap(&items[mid], &items[lo]);
        if (by_score(&items[hi], &items[lo]) < 0) swap(&items[hi], &items[lo]);
        if (by_score(&items[hi], &items[mid]) < 0) swap(&items[hi], &items[mid]);
        const mo_nms_item pivot = items[mid]; /* the median of three */
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (by_score(&items[i], &pivot) < 0)
                i++;
            while (by_score(&pivot, &items[j]) < 0)
                j--;
            if (i <= j) swap(&items[i++], &items[j--]);
        }
        /* [lo, j] rank at or before the pivot, [i, hi] at or after it. */
        if (k - 1 <= j)
            hi = j;
        else if (k - 1 >= i)
            lo = i;
        else
            break;
    }
}

int32_t mo_batched_nms(const float *boxes, mo_nms_item *items, int32_t n, float iou_thresh,
                       mo_nms_item *kept) {
    if (n > 1) qsort(items, (size_t)n, sizeof *items, by_label_score);
    int32_t count = 0;
    for (int32_t begin = 0; begin < n;) {
        int32_t end = begin + 1;
        while (end < n && items[end].label == items[begin].label) end++;
        /* Greedy within [begin, end): kept boxes of this group are kept[first..count). */
        const int32_t first = count;
        for (int32_t i = begin; i < end; i++) {
            const float *b = boxes + 4 * (int64_t)items[i].index;
            int suppressed = 0;
            for (int32_t j = first; j < count && !suppressed; j++)
                suppressed = mo_box_iou(boxes + 4 * (int64_t)kept[j].index, b) > iou_thresh;
            if (!suppressed) kept[count++] = items[i];
        }
        begin = end;
    }
    mo_nms_sort_by_score(kept, count);
    return count;
}
