/* coco_internal.h - the data the COCO reader hands to the evaluator. Internal to eval.
 *
 * Images and categories are indexed in ascending id order (pycocotools' sorted imgIds / catIds);
 * annotations and detections stay in file order, which is the tie-break of every stable sort. */
#ifndef MO_EVAL_COCO_INTERNAL_H
#define MO_EVAL_COCO_INTERNAL_H

#include <stdint.h>

#include "coco.h"

typedef struct mo_coco_ann {
    double bbox[4]; /* x, y, w, h */
    double area;    /* the file's area field (mask area in real COCO), used for area ranges only */
    double iscrowd; /* as written: ignore = iscrowd != 0; crowd for IoU / re-matching = int() */
    int64_t id;
    int32_t image; /* image index, -1 when the image is not in `images` (then not evaluated) */
    int32_t cat;   /* category index, -1 when not in `categories` (then not evaluated) */
} mo_coco_ann;

struct mo_coco_gt {
    int32_t num_images;
    int64_t *image_ids; /* ascending, unique */
    int32_t num_cats;
    int64_t *cat_ids; /* ascending, unique */
    char **cat_names; /* owned; "" when absent */
    int64_t num_anns;
    mo_coco_ann *anns; /* file order */
};

typedef struct mo_coco_det {
    double bbox[4];
    double score;
    int32_t image; /* image index (always valid: unknown images are rejected) */
    int32_t cat;   /* category index, -1 when not in the ground truth (dropped) */
} mo_coco_det;

struct mo_coco_dets {
    int64_t count;
    mo_coco_det *dets; /* file order; detection id = index + 1 */
};

/* Index of `id` in the ascending array ids[0..n-1], or -1. */
int32_t mo_coco_find_id(const int64_t *ids, int32_t n, int64_t id);

/* Reads a whole file into a malloc'd, NUL-terminated buffer. */
mo_status mo_coco_read_file(const char *path, char **buf, size_t *len, mo_error *err);

#endif
