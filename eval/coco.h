/* coco.h - COCO bbox evaluation, bit-for-bit as pycocotools 2.0.11's COCOeval (iouType 'bbox').
 *
 * Flow: mo_coco_gt_load (instances file) -> mo_coco_dets_load (results list, checked against the
 * ground truth) -> mo_coco_evaluate (evaluateImg + accumulate) -> mo_coco_stats (the 12 numbers
 * of summarize()) / mo_coco_category_ap / mo_coco_summarize (the printed table).
 * Semantics: ../shared/reference/evaluators.md §1 (parameters, ignore rules, greedy matching,
 * 101-point interpolated precision, numpy's pairwise mean). Boxes are COCO [x, y, w, h] in
 * pixels; ids are the files' integer ids; categories and images are indexed in ascending id
 * order (params.catIds / params.imgIds).
 *
 * What is rejected (MO_ERR_FORMAT, one sentence naming the file, the place and the rule):
 * malformed JSON, wrong types, ground-truth annotations without id, image_id, category_id, bbox,
 * area or iscrowd, duplicate annotation ids, results on images not in the ground truth, results
 * without image_id, category_id, bbox or score. An empty results list is valid (pycocotools
 * crashes on it; here AP/AR are 0 where GT exists and -1 elsewhere).
 *
 * Ownership: every *_load / *_parse / mo_coco_evaluate allocates *out, which the caller frees
 * with the matching *_free; on error *out is NULL and nothing leaks. Nothing here prints except
 * mo_coco_summarize / mo_coco_print_per_category, to the FILE the caller gives.
 */
#ifndef MO_EVAL_COCO_H
#define MO_EVAL_COCO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mobileone.h"

#define MO_COCO_T 10  /* IoU thresholds .50:.05:.95 */
#define MO_COCO_R 101 /* recall points 0:.01:1 */
#define MO_COCO_A 4   /* area ranges all, small, medium, large */
#define MO_COCO_M 3   /* maxDets 1, 10, 100 */

typedef struct mo_coco_gt mo_coco_gt;
typedef struct mo_coco_dets mo_coco_dets;
typedef struct mo_coco_eval mo_coco_eval;

/* Ground truth: `images`, `annotations`, `categories` of a COCO instances file. */
mo_status mo_coco_gt_load(mo_coco_gt **out, const char *path, mo_error *err);
/* The same from text in memory; buf[len] must be '\0'. `name` is used in messages. */
mo_status mo_coco_gt_parse(mo_coco_gt **out, const char *buf, size_t len, const char *name,
                           mo_error *err);
void mo_coco_gt_free(mo_coco_gt *gt);

int32_t mo_coco_gt_num_images(const mo_coco_gt *gt);
int32_t mo_coco_gt_num_categories(const mo_coco_gt *gt);
int64_t mo_coco_gt_num_annotations(const mo_coco_gt *gt);
/* Category k (ascending id order): its id and name ("" when the file gives none). */
int64_t mo_coco_gt_category_id(const mo_coco_gt *gt, int32_t k);
const char *mo_coco_gt_category_name(const mo_coco_gt *gt, int32_t k);

/* Results: a JSON list of {"image_id", "category_id", "bbox", "score", ...}. A detection's id is
 * its 1-based position in the list; its area is w*h; results on categories not in the ground
 * truth are kept (they count in positions) but take no part, as in pycocotools. */
mo_status mo_coco_dets_load(mo_coco_dets **out, const char *path, const mo_coco_gt *gt,
                            mo_error *err);
mo_status mo_coco_dets_parse(mo_coco_dets **out, const char *buf, size_t len, const char *name,
                             const mo_coco_gt *gt, mo_error *err);
void mo_coco_dets_free(mo_coco_dets *dets);
int64_t mo_coco_dets_count(const mo_coco_dets *dets);

typedef struct mo_coco_params {
    int32_t keep_matches; /* 1: keep per (image, category) matches for area 'all' (tests) */
} mo_coco_params;

mo_coco_params mo_coco_default_params(void);

/* evaluate() + accumulate(). Both inputs are only read. */
mo_status mo_coco_evaluate(mo_coco_eval **out, const mo_coco_gt *gt, const mo_coco_dets *dets,
                           const mo_coco_params *params, mo_error *err);
void mo_coco_eval_free(mo_coco_eval *ev);

/* Seconds spent matching (evaluateImg, IoUs included) and accumulating. */
void mo_coco_eval_timing(const mo_coco_eval *ev, double *evaluate_s, double *accumulate_s);

/* precision[T][R][K][A][M] and recall[T][K][A][M], C order as numpy's, -1 where undefined.
 * Owned by ev. *num_categories receives K. */
const double *mo_coco_precision(const mo_coco_eval *ev, int32_t *num_categories);
const double *mo_coco_recall(const mo_coco_eval *ev, int32_t *num_categories);

/* The 12 numbers of COCOeval.summarize() (stats[0..11]). */
void mo_coco_stats(const mo_coco_eval *ev, double stats[12]);
/* AP of category index k: mean of precision[:, :, k, all, 100] over entries > -1; -1 if none. */
double mo_coco_category_ap(const mo_coco_eval *ev, int32_t k);

/* The twelve lines summarize() prints, text-identical. */
void mo_coco_summarize(FILE *out, const double stats[12]);
/* The per-category table: id, name, AP (AP@[.50:.95], all, 100), one row per category. */
void mo_coco_print_per_category(FILE *out, const mo_coco_gt *gt, const mo_coco_eval *ev);

/* One (image, category) evaluation for area 'all' and maxDet 100, as pycocotools' evalImgs
 * entry: detections in score order (at most 100), ground truth in ignore-sorted order. */
typedef struct mo_coco_img_eval {
    int64_t image_id, category_id;
    int32_t num_dt, num_gt;
    const int64_t *dt_ids;    /* [num_dt] 1-based positions in the results file */
    const double *dt_scores;  /* [num_dt] */
    const int64_t *dt_match;  /* [T][num_dt] matched GT id, 0 when unmatched */
    const uint8_t *dt_ignore; /* [T][num_dt] */
    const int64_t *gt_ids;    /* [num_gt] */
    const uint8_t *gt_ignore; /* [num_gt] */
} mo_coco_img_eval;

/* With params.keep_matches: the number of kept entries (in category, then image id order) and
 * entry i. Returns 0 / fails when matches were not kept or i is out of range. */
int64_t mo_coco_num_img_evals(const mo_coco_eval *ev);
int mo_coco_img_eval_get(const mo_coco_eval *ev, int64_t i, mo_coco_img_eval *out);

/* The parameters, exact as numpy builds them (evaluators.md §1.3). */
double mo_coco_iou_threshold(int t);
double mo_coco_recall_threshold(int r);

#endif
