/* test_eval_coco_edges.c - the conformance edge cases of evaluators.md §6 (items 1-14), one test
 * each, on tiny inline COCO files whose expected numbers are worked out by hand in the comments.
 * Needs nothing from $MO_SHARED_DIR. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coco.h"

typedef struct run {
    mo_coco_gt *gt;
    mo_coco_dets *dt;
    mo_coco_eval *ev;
    double stats[12];
} run;

static void eval_json(run *r, const char *gt, const char *dt) {
    mo_error err = {0};
    ck_assert_msg(mo_coco_gt_parse(&r->gt, gt, strlen(gt), "gt", &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_coco_dets_parse(&r->dt, dt, strlen(dt), "dt", r->gt, &err) == MO_OK, "%s",
                  err.message);
    mo_coco_params p = mo_coco_default_params();
    p.keep_matches = 1;
    ck_assert_msg(mo_coco_evaluate(&r->ev, r->gt, r->dt, &p, &err) == MO_OK, "%s", err.message);
    mo_coco_stats(r->ev, r->stats);
}

static void run_free(run *r) {
    mo_coco_eval_free(r->ev);
    mo_coco_dets_free(r->dt);
    mo_coco_gt_free(r->gt);
}

/* The evalImgs entry (area all) of (image, category); fails the test when absent. */
static mo_coco_img_eval find_eval(const run *r, int64_t image, int64_t cat) {
    mo_coco_img_eval e;
    for (int64_t i = 0; i < mo_coco_num_img_evals(r->ev); i++) {
        mo_coco_img_eval_get(r->ev, i, &e);
        if (e.image_id == image && e.category_id == cat) return e;
    }
    ck_abort_msg("no evaluation for image %lld category %lld", (long long)image, (long long)cat);
    return e;
}

static int32_t cat_index(const run *r, int64_t id) {
    for (int32_t k = 0; k < mo_coco_gt_num_categories(r->gt); k++)
        if (mo_coco_gt_category_id(r->gt, k) == id) return k;
    ck_abort_msg("no category %lld", (long long)id);
    return -1;
}

/* A category whose only TP is a single detection has precision 1/(1+eps) = 0.9999999999999998
 * (evaluators.md §1.7), so its AP is 1 only to ~1e-16. */
static int near1(double x) {
    return fabs(x - 1.0) <= 1e-15;
}

#define ANN(id, img, cat, x, y, w, h, area, crowd)                                                 \
    "{\"id\":" #id ",\"image_id\":" #img ",\"category_id\":" #cat ",\"bbox\":[" #x "," #y "," #w   \
    "," #h "],\"area\":" #area ",\"iscrowd\":" #crowd "}"
#define DET(img, cat, x, y, w, h, score)                                                           \
    "{\"image_id\":" #img ",\"category_id\":" #cat ",\"bbox\":[" #x "," #y "," #w "," #h           \
    "],\"score\":" #score "}"

/* §1.3: the parameters are numpy's linspace doubles. */
START_TEST(thresholds_are_numpy_linspace_doubles) {
    static const double want[10] = {0x1.0p-1,
                                    0x1.199999999999ap-1,
                                    0x1.3333333333333p-1,
                                    0x1.4cccccccccccdp-1,
                                    0x1.6666666666666p-1,
                                    0x1.8p-1,
                                    0x1.999999999999ap-1,
                                    0x1.b333333333333p-1,
                                    0x1.cccccccccccccp-1,
                                    0x1.e666666666666p-1};
    for (int t = 0; t < 10; t++)
        ck_assert(mo_coco_iou_threshold(t) == want[t]);
    ck_assert(mo_coco_iou_threshold(8) == 0.8999999999999999);
    ck_assert(mo_coco_recall_threshold(35) == 0.35000000000000003); /* i*0.01, not i/100 */
    ck_assert(mo_coco_recall_threshold(35) != 35 / 100.0);
    ck_assert(mo_coco_recall_threshold(100) == 1.0);
}
END_TEST

/* §6.1: ids 90, 3, 17 (unsorted, gaps) are indexed in ascending order; 17 has no GT but gets a
 * detection: its AP is -1 and it is left out of the means, so perfect 3 and 90 give AP 1. */
START_TEST(noncontiguous_category_ids_and_listed_categories_without_gt) {
    run r;
    eval_json(&r,
              "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":90},{\"id\":3},{\"id\":17}],"
              "\"annotations\":[" ANN(1, 1, 3, 0, 0, 50, 50, 2500, 0) "," ANN(2, 1, 90, 100, 100,
                                                                              50, 50, 2500, 0) "]}",
              "[" DET(1, 3, 0, 0, 50, 50, 0.9) "," DET(1, 90, 100, 100, 50, 50,
                                                       0.8) "," DET(1, 17, 0, 0, 50, 50, 0.99) "]");
    ck_assert_int_eq(mo_coco_gt_category_id(r.gt, 0), 3);
    ck_assert_int_eq(mo_coco_gt_category_id(r.gt, 1), 17);
    ck_assert_int_eq(mo_coco_gt_category_id(r.gt, 2), 90);
    ck_assert(mo_coco_category_ap(r.ev, cat_index(&r, 17)) == -1.0);
    ck_assert(near1(mo_coco_category_ap(r.ev, cat_index(&r, 3))));
    ck_assert(near1(mo_coco_category_ap(r.ev, cat_index(&r, 90))));
    ck_assert(near1(r.stats[0]));
    run_free(&r);
}
END_TEST

/* §6.2: category 1's only GT is crowd: npig = 0, so -1 and excluded, detections or not. */
START_TEST(category_whose_only_gt_is_crowd_is_excluded) {
    run r;
    eval_json(
        &r,
        "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1},{\"id\":2}],\"annotations\":[" ANN(
            1, 1, 1, 0, 0, 100, 100, 10000, 1) "," ANN(2, 1, 2, 0, 0, 50, 50, 2500, 0) "]}",
        "[" DET(1, 1, 10, 10, 20, 20, 0.9) "," DET(1, 1, 300, 300, 20, 20,
                                                   0.95) "," DET(1, 2, 0, 0, 50, 50, 0.5) "]");
    ck_assert(mo_coco_category_ap(r.ev, 0) == -1.0);
    ck_assert(near1(mo_coco_category_ap(r.ev, 1)));
    ck_assert(near1(r.stats[0]) && r.stats[8] == 1.0);
    run_free(&r);
}
END_TEST

/* §6.3: images 30, 7, 1000 listed unsorted. GT on 7 and 30; a TP on 7 (0.9) and an FP on
 * image 1000, which has no GT (0.95); no detection on 30. Sorted: FP, TP: rc = [0, .5],
 * pr = [0, .5] -> envelope .5 for recall .00-.50 (51 points), 0 above. AP = 10*51*.5 / 1010
 * = 255/1010; recall .5. */
START_TEST(unsorted_image_ids_image_without_gt_gives_fp_image_without_dets_lowers_recall) {
    run r;
    eval_json(&r,
              "{\"images\":[{\"id\":30},{\"id\":7},{\"id\":1000}],\"categories\":[{\"id\":1}],"
              "\"annotations\":[" ANN(5, 7, 1, 0, 0, 50, 50, 2500, 0) "," ANN(6, 30, 1, 0, 0, 50,
                                                                              50, 2500, 0) "]}",
              "[" DET(7, 1, 0, 0, 50, 50, 0.9) "," DET(1000, 1, 0, 0, 50, 50, 0.95) "]");
    ck_assert_int_eq(mo_coco_gt_num_images(r.gt), 3);
    mo_coco_img_eval e = find_eval(&r, 1000, 1);
    ck_assert_int_eq(e.num_gt, 0);
    ck_assert_int_eq(e.dt_match[0], 0);
    ck_assert_int_eq(e.dt_ignore[0], 0);
    e = find_eval(&r, 30, 1);
    ck_assert_int_eq(e.num_dt, 0);
    ck_assert(r.stats[0] == 255.0 / 1010.0);
    ck_assert(r.stats[8] == 0.5);
    run_free(&r);
}
END_TEST

/* §6.4: crowd region [0,0,300,300] and a real GT inside it. A, B inside the crowd: IoU =
 * inter/dt area = 1, matched to the crowd (twice) and ignored. C on the real GT: the real GT
 * comes first and wins (break rule). E duplicates C: the real GT is taken, so it falls to the
 * crowd and is ignored, not an FP. AP = 1. */
START_TEST(crowd_gt_iou_over_detection_area_rematched_sorted_last_real_match_wins) {
    run r;
    eval_json(
        &r,
        "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[" ANN(
            10, 1, 1, 0, 0, 300, 300, 90000, 1) "," ANN(11, 1, 1, 200, 200, 50, 50, 2500, 0) "]}",
        "[" DET(1, 1, 10, 10, 20, 20, 0.9) "," DET(1, 1, 30, 30, 20, 20, 0.8) "," DET(
            1, 1, 200, 200, 50, 50, 0.7) "," DET(1, 1, 200, 200, 50, 50, 0.6) "]");
    mo_coco_img_eval e = find_eval(&r, 1, 1);
    ck_assert_int_eq(e.num_gt, 2);
    ck_assert_int_eq(e.gt_ids[0], 11); /* real GT first, crowd last */
    ck_assert_int_eq(e.gt_ids[1], 10);
    ck_assert_int_eq(e.gt_ignore[1], 1);
    static const int64_t match[4] = {10, 10, 11, 10};
    static const uint8_t ignore[4] = {1, 1, 0, 1};
    for (int t = 0; t < MO_COCO_T; t++)
        for (int d = 0; d < 4; d++) {
            ck_assert_int_eq(e.dt_match[t * 4 + d], match[d]);
            ck_assert_int_eq(e.dt_ignore[t * 4 + d], ignore[d]);
        }
    ck_assert(near1(r.stats[0]));
    ck_assert(r.stats[8] == 1.0);
    run_free(&r);
}
END_TEST

/* §6.5: a 10x10 box whose area field says 1024 is small AND medium (bounds inclusive) and not
 * large; a 200x200 detection (w*h = 40000) matching nothing is ignored in small and medium,
 * an FP in all (so AP all = .5: FP .95 then TP .9) and large has no GT (-1). */
START_TEST(gt_area_field_decides_range_boundary_1024_in_two_ranges_dt_area_is_wh) {
    run r;
    eval_json(&r,
              "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[" ANN(
                  1, 1, 1, 0, 0, 10, 10, 1024, 0) "]}",
              "[" DET(1, 1, 0, 0, 10, 10, 0.9) "," DET(1, 1, 500, 500, 200, 200, 0.95) "]");
    ck_assert(r.stats[0] == 0.5);
    ck_assert(near1(r.stats[3]));  /* small */
    ck_assert(near1(r.stats[4]));  /* medium */
    ck_assert(r.stats[5] == -1.0); /* large: no GT */
    ck_assert(r.stats[9] == 1.0 && r.stats[10] == 1.0 && r.stats[11] == -1.0);
    run_free(&r);
}
END_TEST

/* §6.6: detections [0,0,100,h] on GT [0,0,100,100] have IoU h/100 exactly; they match at every
 * threshold up to h/100 (>=), so IoU 0.9 passes 0.8999999999999999 but not 0.95. */
START_TEST(iou_exactly_at_each_threshold_matches) {
    char gt[4096], dt[4096];
    size_t g = 0, d = 0;
    g += (size_t)snprintf(gt + g, sizeof gt - g, "{\"categories\":[{\"id\":1}],\"images\":[");
    for (int i = 0; i < 10; i++)
        g += (size_t)snprintf(gt + g, sizeof gt - g, "%s{\"id\":%d}", i ? "," : "", i + 1);
    g += (size_t)snprintf(gt + g, sizeof gt - g, "],\"annotations\":[");
    d += (size_t)snprintf(dt + d, sizeof dt - d, "[");
    for (int i = 0; i < 10; i++) {
        g += (size_t)snprintf(gt + g, sizeof gt - g,
                              "%s{\"id\":%d,\"image_id\":%d,\"category_id\":1,\"bbox\":[0,0,100,"
                              "100],\"area\":10000,\"iscrowd\":0}",
                              i ? "," : "", 100 + i, i + 1);
        d += (size_t)snprintf(dt + d, sizeof dt - d,
                              "%s{\"image_id\":%d,\"category_id\":1,\"bbox\":[0,0,100,%d],"
                              "\"score\":0.5}",
                              i ? "," : "", i + 1, 50 + 5 * i);
    }
    snprintf(gt + g, sizeof gt - g, "]}");
    snprintf(dt + d, sizeof dt - d, "]");
    run r;
    eval_json(&r, gt, dt);
    for (int i = 0; i < 10; i++) {
        mo_coco_img_eval e = find_eval(&r, i + 1, 1);
        for (int t = 0; t < MO_COCO_T; t++)
            ck_assert_msg(e.dt_match[t] == (t <= i ? 100 + i : 0), "IoU %.2f at threshold %d",
                          (50 + 5 * i) / 100.0, t);
    }
    run_free(&r);
}
END_TEST

/* §6.7: equal scores. Within an image, file order: the first copy of a box is the TP, the
 * second (same score) an FP. Across images, ascending image id: the FP on image 5 sorts before
 * the TP on image 9 although it comes later in the file, so AP = .5 (not 1). */
START_TEST(score_ties_file_order_within_image_and_image_id_order_across_images) {
    run r;
    eval_json(
        &r,
        "{\"images\":[{\"id\":9},{\"id\":5}],\"categories\":[{\"id\":1}],\"annotations\":[" ANN(
            1, 9, 1, 0, 0, 50, 50, 2500, 0) "]}",
        "[" DET(9, 1, 0, 0, 50, 50, 0.6) "," DET(5, 1, 0, 0, 50, 50, 0.6) "]");
    ck_assert(r.stats[0] == 0.5);
    run_free(&r);
    eval_json(&r,
              "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[" ANN(
                  1, 1, 1, 0, 0, 50, 50, 2500, 0) "]}",
              "[" DET(1, 1, 0, 0, 50, 50, 0.7) "," DET(1, 1, 0, 0, 50, 50, 0.7) "]");
    mo_coco_img_eval e = find_eval(&r, 1, 1);
    ck_assert_int_eq(e.dt_ids[0], 1);
    ck_assert_int_eq(e.dt_match[0], 1); /* first copy: TP */
    ck_assert_int_eq(e.dt_match[1], 0); /* duplicate: FP */
    ck_assert_int_eq(e.dt_ignore[1], 0);
    run_free(&r);
}
END_TEST

/* §6.8: 100 FP detections scoring .9 push the TP (.5) past the per-(image, category) cut of 100:
 * AP 0. maxDets is per (image, category): two categories in one image, one TP each, give
 * AR@1 = 1. */
START_TEST(more_than_100_detections_per_pair_are_cut_and_maxdets_are_per_pair) {
    size_t cap = 200 * 120, n = 0;
    char *dt = malloc(cap);
    n += (size_t)snprintf(dt + n, cap - n, "[" DET(1, 1, 0, 0, 50, 50, 0.5));
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(dt + n, cap - n,
                              ",{\"image_id\":1,\"category_id\":1,\"bbox\":[%d,300,10,10],"
                              "\"score\":0.9}",
                              i * 11);
    snprintf(dt + n, cap - n, "]");
    run r;
    eval_json(&r,
              "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[" ANN(
                  1, 1, 1, 0, 0, 50, 50, 2500, 0) "]}",
              dt);
    ck_assert_int_eq(find_eval(&r, 1, 1).num_dt, 100);
    ck_assert(r.stats[0] == 0.0 && r.stats[8] == 0.0);
    run_free(&r);
    free(dt);
    eval_json(
        &r,
        "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1},{\"id\":2}],\"annotations\":[" ANN(
            1, 1, 1, 0, 0, 50, 50, 2500, 0) "," ANN(2, 1, 2, 100, 100, 50, 50, 2500, 0) "]}",
        "[" DET(1, 1, 0, 0, 50, 50, 0.9) "," DET(1, 2, 100, 100, 50, 50, 0.8) "]");
    ck_assert(r.stats[6] == 1.0);
    run_free(&r);
}
END_TEST

/* §6.9: no clipping: a GT partly outside the image and its copy have IoU 1 (TP). A zero-size
 * detection (area 0) is an FP in 'all'; a negative-width one (area < 0) is always ignored.
 * 'all': FP .99, ignored .98, TP .5 -> pr [0, 0, .5] -> AP .5. */
START_TEST(boxes_outside_image_zero_size_fp_negative_width_ignored) {
    run r;
    eval_json(&r,
              "{\"images\":[{\"id\":1,\"width\":100,\"height\":100}],\"categories\":[{\"id\":1}],"
              "\"annotations\":[" ANN(1, 1, 1, -10, -10, 30, 30, 900, 0) "]}",
              "[" DET(1, 1, -10, -10, 30, 30,
                      0.5) "," DET(1, 1, 5, 5, 0, 10, 0.99) "," DET(1, 1, 5, 5, -3, 10, 0.98) "]");
    mo_coco_img_eval e = find_eval(&r, 1, 1);
    ck_assert_int_eq(e.dt_ids[0], 2);
    ck_assert_int_eq(e.dt_match[0], 0);
    ck_assert_int_eq(e.dt_ignore[0], 0);
    ck_assert_int_eq(e.dt_ids[1], 3);
    ck_assert_int_eq(e.dt_ignore[1], 1);
    ck_assert_int_eq(e.dt_match[2], 1);
    ck_assert(r.stats[0] == 0.5);
    run_free(&r);
}
END_TEST

/* §6.10: a detection on category 999 (not in the GT) is dropped but still counts in positions:
 * the next detection's id is 2. */
START_TEST(detection_category_not_in_gt_is_dropped) {
    run r;
    eval_json(&r,
              "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[" ANN(
                  1, 1, 1, 0, 0, 50, 50, 2500, 0) "]}",
              "[" DET(1, 999, 0, 0, 50, 50, 0.99) "," DET(1, 1, 0, 0, 50, 50, 0.5) "]");
    mo_coco_img_eval e = find_eval(&r, 1, 1);
    ck_assert_int_eq(e.num_dt, 1);
    ck_assert_int_eq(e.dt_ids[0], 2);
    ck_assert(near1(r.stats[0]));
    ck_assert_int_eq(mo_coco_num_img_evals(r.ev), 1);
    run_free(&r);
}
END_TEST

/* §6.11: 2 GTs, 1 TP: rc = .5, pr = 1/(1+eps) = 0.9999999999999998 up to recall .5, then 0.
 * Perfect with 2 objects per image: AP = 1 (2/(2+eps) rounds to 1 and lifts the envelope) but
 * AR@1 = .5. */
START_TEST(precision_past_max_recall_is_zero_eps_and_perfect_case) {
    run r;
    eval_json(&r,
              "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[" ANN(
                  1, 1, 1, 0, 0, 50, 50, 2500, 0) "," ANN(2, 1, 1, 100, 100, 50, 50, 2500, 0) "]}",
              "[" DET(1, 1, 0, 0, 50, 50, 0.9) "]");
    int32_t K;
    const double *p = mo_coco_precision(r.ev, &K);
    /* index [t][r][k][a][m] with K = 1, a = all, m = 100 */
#define PREC(t, rr) p[((((size_t)(t)*MO_COCO_R + (rr)) * 1 + 0) * MO_COCO_A + 0) * MO_COCO_M + 2]
    ck_assert(PREC(0, 0) == 1.0 / (1.0 + DBL_EPSILON));
    ck_assert(PREC(0, 0) == 0.9999999999999998);
    ck_assert(PREC(0, 50) == 0.9999999999999998);
    ck_assert(PREC(0, 51) == 0.0);
    ck_assert(PREC(9, 100) == 0.0);
#undef PREC
    ck_assert(mo_coco_recall(r.ev, &K)[2] == 0.5);
    run_free(&r);
    eval_json(&r,
              "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[" ANN(
                  1, 1, 1, 0, 0, 50, 50, 2500, 0) "," ANN(2, 1, 1, 100, 100, 50, 50, 2500, 0) "]}",
              "[" DET(1, 1, 0, 0, 50, 50, 0.9) "," DET(1, 1, 100, 100, 50, 50, 0.8) "]");
    ck_assert(r.stats[0] == 1.0);
    ck_assert(r.stats[6] == 0.5);
    ck_assert(r.stats[8] == 1.0);
    run_free(&r);
}
END_TEST

/* §6.12: only small GT: medium and large stats are -1; no detections at all: 0 where GT
 * exists (pycocotools crashes on an empty list; we accept it). */
START_TEST(no_gt_in_area_range_is_minus_one_and_no_detections_is_zero) {
    run r;
    eval_json(&r,
              "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[" ANN(
                  1, 1, 1, 0, 0, 10, 10, 100, 0) "]}",
              "[]");
    static const double want[12] = {0, 0, 0, 0, -1, -1, 0, 0, 0, 0, -1, -1};
    for (int i = 0; i < 12; i++)
        ck_assert_msg(r.stats[i] == want[i], "stats[%d] = %g", i, r.stats[i]);
    ck_assert(mo_coco_category_ap(r.ev, 0) == 0.0);
    run_free(&r);
}
END_TEST

/* §6.13 quirks: a GT with id 0 is consumed by its match but the detection records dtm = 0, so
 * it is an FP (AP 0); "ignore": 1 without iscrowd is not ignored (a normal TP, AP 1). */
START_TEST(quirk_gt_id_0_match_is_fp_and_ignore_flag_without_iscrowd_is_not_ignored) {
    run r;
    eval_json(&r,
              "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[" ANN(
                  0, 1, 1, 0, 0, 50, 50, 2500, 0) "]}",
              "[" DET(1, 1, 0, 0, 50, 50, 0.9) "," DET(1, 1, 0, 0, 50, 50, 0.8) "]");
    mo_coco_img_eval e = find_eval(&r, 1, 1);
    ck_assert_int_eq(e.dt_match[0], 0);
    ck_assert_int_eq(e.dt_match[1], 0);
    ck_assert(r.stats[0] == 0.0);
    run_free(&r);
    eval_json(&r,
              "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[{\"id\":1,"
              "\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,50,50],\"area\":2500,\"iscrowd\":0,"
              "\"ignore\":1}]}",
              "[" DET(1, 1, 0, 0, 50, 50, 0.9) "]");
    ck_assert_int_eq(find_eval(&r, 1, 1).gt_ignore[0], 0);
    ck_assert(near1(r.stats[0]));
    run_free(&r);
}
END_TEST

static void expect_gt_error(const char *gt, const char *needle) {
    mo_error err = {0};
    mo_coco_gt *g = NULL;
    ck_assert(mo_coco_gt_parse(&g, gt, strlen(gt), "gt.json", &err) == MO_ERR_FORMAT);
    ck_assert(g == NULL);
    ck_assert_msg(strstr(err.message, needle) && strstr(err.message, "gt.json"),
                  "message '%s' lacks '%s'", err.message, needle);
}

/* §6.14: hard errors of pycocotools are clean errors here, naming the file and the problem. */
START_TEST(result_on_image_not_in_gt_is_rejected_with_a_message) {
    const char *gt = "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[]}";
    mo_error err = {0};
    mo_coco_gt *g = NULL;
    mo_coco_dets *d = NULL;
    ck_assert(mo_coco_gt_parse(&g, gt, strlen(gt), "gt.json", &err) == MO_OK);
    const char *dt = "[" DET(1, 1, 0, 0, 5, 5, 0.5) "," DET(77, 1, 0, 0, 5, 5, 0.5) "]";
    ck_assert(mo_coco_dets_parse(&d, dt, strlen(dt), "dt.json", g, &err) == MO_ERR_FORMAT);
    ck_assert(d == NULL);
    ck_assert_msg(strstr(err.message, "dt.json") && strstr(err.message, "image_id 77") &&
                      strstr(err.message, "result 1"),
                  "%s", err.message);
    mo_coco_gt_free(g);
}
END_TEST

START_TEST(gt_without_iscrowd_or_area_is_rejected_with_a_message) {
    expect_gt_error("{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[{"
                    "\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1],\"area\":1}]}",
                    "no \"iscrowd\"");
    expect_gt_error("{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[{"
                    "\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1],\"iscrowd\":0}]}",
                    "no \"area\"");
    expect_gt_error("{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[" ANN(
                        5, 1, 1, 0, 0, 1, 1, 1, 0) "," ANN(5, 1, 1, 0, 0, 1, 1, 1, 0) "]}",
                    "annotation id 5 appears more than once");
}
END_TEST

START_TEST(empty_results_list_is_valid) {
    run r;
    eval_json(
        &r,
        "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1},{\"id\":2}],\"annotations\":[" ANN(
            1, 1, 1, 0, 0, 100, 100, 10000, 0) "]}",
        " [ ] ");
    ck_assert_int_eq(mo_coco_dets_count(r.dt), 0);
    ck_assert(r.stats[0] == 0.0 && r.stats[5] == 0.0 && r.stats[3] == -1.0);
    ck_assert(mo_coco_category_ap(r.ev, 1) == -1.0);
    run_free(&r);
}
END_TEST

START_TEST(empty_ground_truth_gives_minus_one_everywhere) {
    run r;
    eval_json(&r, "{\"images\":[],\"categories\":[],\"annotations\":[]}", "[]");
    for (int i = 0; i < 12; i++)
        ck_assert(r.stats[i] == -1.0);
    run_free(&r);
}
END_TEST

int main(void) {
    Suite *s = suite_create("eval_coco_edges");
    TCase *tc = tcase_create("evaluators.md section 6");
    tcase_add_test(tc, thresholds_are_numpy_linspace_doubles);
    tcase_add_test(tc, noncontiguous_category_ids_and_listed_categories_without_gt);
    tcase_add_test(tc, category_whose_only_gt_is_crowd_is_excluded);
    tcase_add_test(tc,
                   unsorted_image_ids_image_without_gt_gives_fp_image_without_dets_lowers_recall);
    tcase_add_test(tc, crowd_gt_iou_over_detection_area_rematched_sorted_last_real_match_wins);
    tcase_add_test(tc, gt_area_field_decides_range_boundary_1024_in_two_ranges_dt_area_is_wh);
    tcase_add_test(tc, iou_exactly_at_each_threshold_matches);
    tcase_add_test(tc, score_ties_file_order_within_image_and_image_id_order_across_images);
    tcase_add_test(tc, more_than_100_detections_per_pair_are_cut_and_maxdets_are_per_pair);
    tcase_add_test(tc, boxes_outside_image_zero_size_fp_negative_width_ignored);
    tcase_add_test(tc, detection_category_not_in_gt_is_dropped);
    tcase_add_test(tc, precision_past_max_recall_is_zero_eps_and_perfect_case);
    tcase_add_test(tc, no_gt_in_area_range_is_minus_one_and_no_detections_is_zero);
    tcase_add_test(tc, quirk_gt_id_0_match_is_fp_and_ignore_flag_without_iscrowd_is_not_ignored);
    tcase_add_test(tc, result_on_image_not_in_gt_is_rejected_with_a_message);
    tcase_add_test(tc, gt_without_iscrowd_or_area_is_rejected_with_a_message);
    tcase_add_test(tc, empty_results_list_is_valid);
    tcase_add_test(tc, empty_ground_truth_gives_minus_one_everywhere);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
