/* test_postprocess.c - anchors, box coder, NMS and the SSD postprocess without trained weights.
 *
 * Anchors are checked against torchvision's DefaultBoxGenerator for 320x320 and 300x500
 * (tests/golden/detect/anchors_*.safetensors, made by tools/ssdlite_ref.py); the rest against
 * hand-computed cases.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchors.h"
#include "box_coder.h"
#include "nms.h"
#include "safetensors.h"
#include "ssd_post.h"

/* The grids of MobileOne-SSDLite at input h x w: OS16, OS32, then four stride-2 extras. */
static void ssd_grids(int32_t h, int32_t w, int32_t grids[6][2]) {
    for (int n = 0, l = 0; n < 9; n++) {
        h = (h + 1) / 2, w = (w + 1) / 2;
        if (n >= 3) grids[l][0] = h, grids[l][1] = w, l++;
    }
}

static void check_anchor_golden(int32_t h, int32_t w, int64_t expected_count) {
    char path[1024];
    const char *src = getenv("MO_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/golden/detect/anchors_%dx%d.safetensors",
             src ? src : ".", h, w);
    st_file f;
    mo_error err;
    ck_assert_msg(st_open(&f, path, &err) == MO_OK, "%s", err.message);
    const st_tensor *t = st_find(&f, "anchors");
    ck_assert_ptr_nonnull(t);
    float *ref = malloc(sizeof(float) * (size_t)t->numel);
    ck_assert_int_eq(st_read_f32(&f, t, ref, &err), MO_OK);
    int32_t grids[6][2];
    ssd_grids(h, w, grids);
    mo_anchor_params p = mo_anchor_default_params();
    int64_t n = mo_anchor_count(&p, (const int32_t(*)[2])grids);
    ck_assert_int_eq(n, expected_count);
    ck_assert_int_eq(4 * n, t->numel);
    float *ours = malloc(sizeof(float) * 4 * (size_t)n);
    ck_assert_int_eq(mo_anchors_generate(&p, (const int32_t(*)[2])grids, h, w, ours, &err), MO_OK);
    double worst = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < 4 * n; i++)
        if (fabs(ours[i] - ref[i]) > worst) worst = fabs(ours[i] - ref[i]), at = i;
    printf("anchors %dx%d: %lld, max|diff| %.2e px (at %lld)\n", h, w, (long long)n, worst,
           (long long)at);
    ck_assert_msg(worst <= 1e-4, "anchor %lld coordinate %lld: ours %.7g torchvision %.7g",
                  (long long)(at / 4), (long long)(at % 4), ours[at], ref[at]);
    free(ours), free(ref);
    st_close(&f);
}

START_TEST(anchors_match_torchvision_at_320x320) {
    check_anchor_golden(320, 320, 3234);
}
END_TEST

START_TEST(anchors_match_torchvision_at_300x500) {
    check_anchor_golden(300, 500, 4950);
}
END_TEST

START_TEST(anchor_shapes_follow_architecture_md) {
    /* Level 0 and 5 (w, h) after clip, from architecture.md 2.1, at a 1x1 grid of a 1x1 image. */
    int32_t grids[6][2] = {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}};
    mo_anchor_params p = mo_anchor_default_params();
    float a[6 * 6 * 4];
    mo_error err;
    ck_assert_int_eq(mo_anchors_generate(&p, (const int32_t(*)[2])grids, 1, 1, a, &err), MO_OK);
    const double l0[6][2] = {{.2, .2}, {.2646, .2646}, {.2828, .1414}, {.1414, .2828},
                             {.3464, .1155}, {.1155, .3464}};
    const double l5[6][2] = {{.95, .95}, {.9747, .9747}, {1, .6718}, {.6718, 1}, {1, .5485},
                             {.5485, 1}};
    for (int i = 0; i < 6; i++) {
        const float *b0 = a + 4 * i, *b5 = a + 4 * (30 + i);
        ck_assert_double_eq_tol(b0[2] - b0[0], l0[i][0], 1e-4);
        ck_assert_double_eq_tol(b0[3] - b0[1], l0[i][1], 1e-4);
        ck_assert_double_eq_tol(b5[2] - b5[0], l5[i][0], 1e-4);
        ck_assert_double_eq_tol(b5[3] - b5[1], l5[i][1], 1e-4);
    }
    p.num_levels = 1;
    ck_assert_int_eq(mo_anchors_generate(&p, (const int32_t(*)[2])grids, 1, 1, a, &err),
                     MO_ERR_ARGUMENT);
}
END_TEST

START_TEST(box_coding_round_trips) {
    mo_box_coder c = mo_box_coder_ssd();
    const float anchors[3][4] = {{10, 20, 50, 80}, {0, 0, 320, 320}, {100.5f, 3, 101.5f, 4}};
    const float boxes[3][4] = {{12, 18, 60, 90}, {30, 40, 200, 100}, {99, 2.5f, 103, 4.25f}};
    float deltas[3][4], back[3][4];
    mo_box_encode(&c, &boxes[0][0], &anchors[0][0], 3, &deltas[0][0]);
    mo_box_decode(&c, &deltas[0][0], &anchors[0][0], 3, &back[0][0]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) ck_assert_double_eq_tol(back[i][j], boxes[i][j], 1e-3);
    /* Zero deltas give the anchor back. */
    const float zero[4] = {0, 0, 0, 0};
    float b[4];
    mo_box_decode(&c, zero, anchors[0], 1, b);
    for (int j = 0; j < 4; j++) ck_assert_float_eq_tol(b[j], anchors[0][j], 1e-5f);
}
END_TEST

START_TEST(box_decode_clamps_exp) {
    mo_box_coder c = mo_box_coder_ssd();
    const float anchor[4] = {0, 0, 10, 10}, huge[4] = {0, 0, 1000, 1000};
    float b[4];
    mo_box_decode(&c, huge, anchor, 1, b);
    /* w = exp(log(1000/16)) * 10 = 625. */
    ck_assert_double_eq_tol(b[2] - b[0], 625.0, 1e-2);
    ck_assert_double_eq_tol(b[3] - b[1], 625.0, 1e-2);
    mo_boxes_clip(b, 1, 300, 200);
    ck_assert_float_eq(b[0], 0.0f);
    ck_assert_float_eq(b[2], 300.0f);
    ck_assert_float_eq(b[3], 200.0f);
}
END_TEST

static int32_t run_nms(const float *boxes, const float *scores, const int32_t *labels, int32_t n,
                       float iou, mo_nms_item *kept) {
    mo_nms_item items[16];
    for (int32_t i = 0; i < n; i++)
        items[i] = (mo_nms_item){.score = scores[i], .label = labels[i], .index = i};
    return mo_batched_nms(boxes, items, n, iou, kept);
}

START_TEST(nms_keeps_one_of_identical_boxes) {
    const float boxes[3][4] = {{0, 0, 10, 10}, {0, 0, 10, 10}, {0, 0, 10, 10}};
    const float scores[3] = {0.5f, 0.9f, 0.7f};
    const int32_t labels[3] = {1, 1, 1};
    mo_nms_item kept[3];
    ck_assert_int_eq(run_nms(&boxes[0][0], scores, labels, 3, 0.55f, kept), 1);
    ck_assert_int_eq(kept[0].index, 1);
}
END_TEST

START_TEST(nms_ties_keep_the_first_index) {
    const float boxes[3][4] = {{0, 0, 10, 10}, {0, 0, 10, 10}, {50, 50, 60, 60}};
    const float scores[3] = {0.8f, 0.8f, 0.8f};
    const int32_t labels[3] = {2, 2, 2};
    mo_nms_item kept[3];
    ck_assert_int_eq(run_nms(&boxes[0][0], scores, labels, 3, 0.55f, kept), 2);
    ck_assert_int_eq(kept[0].index, 0);
    ck_assert_int_eq(kept[1].index, 2);
}
END_TEST

START_TEST(nms_threshold_is_strict) {
    /* IoU exactly 0.5: suppressed above 0.5 only. [0,10]x[0,10] vs [0,10]x[0,...]: inter 2/3. */
    const float boxes[2][4] = {{0, 0, 10, 10}, {0, 0, 10, 5}};
    const float scores[2] = {0.9f, 0.8f};
    const int32_t labels[2] = {1, 1};
    mo_nms_item kept[2];
    ck_assert_float_eq(mo_box_iou(boxes[0], boxes[1]), 0.5f);
    ck_assert_int_eq(run_nms(&boxes[0][0], scores, labels, 2, 0.5f, kept), 2);
    ck_assert_int_eq(run_nms(&boxes[0][0], scores, labels, 2, 0.49f, kept), 1);
}
END_TEST

START_TEST(nms_zero_area_boxes_survive) {
    const float boxes[3][4] = {{5, 5, 5, 5}, {5, 5, 5, 5}, {0, 0, 10, 0}};
    const float scores[3] = {0.9f, 0.8f, 0.7f};
    const int32_t labels[3] = {1, 1, 1};
    mo_nms_item kept[3];
    ck_assert_float_eq(mo_box_iou(boxes[0], boxes[1]), 0.0f);
    ck_assert_int_eq(run_nms(&boxes[0][0], scores, labels, 3, 0.55f, kept), 3);
}
END_TEST

START_TEST(nms_is_per_class) {
    const float boxes[4][4] = {{0, 0, 10, 10}, {0, 0, 10, 10}, {1, 0, 10, 10}, {0, 0, 10, 10}};
    const float scores[4] = {0.6f, 0.9f, 0.7f, 0.3f};
    const int32_t labels[4] = {1, 2, 1, 2};
    mo_nms_item kept[4];
    int32_t n = run_nms(&boxes[0][0], scores, labels, 4, 0.55f, kept);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(kept[0].index, 1); /* class 2, 0.9 */
    ck_assert_int_eq(kept[1].index, 2); /* class 1, 0.7 suppresses 0.6 */
    /* One class: everything overlaps, one survives. */
    const int32_t one[4] = {1, 1, 1, 1};
    ck_assert_int_eq(run_nms(&boxes[0][0], scores, one, 4, 0.55f, kept), 1);
    ck_assert_int_eq(run_nms(&boxes[0][0], scores, one, 0, 0.55f, kept), 0);
}
END_TEST

/* The k best that mo_nms_select_best puts first are the first k of a full sort, whatever the
 * sizes, with many tied scores (ties go by index). */
START_TEST(select_best_agrees_with_a_sort) {
    enum { MAX = 300 };
    mo_nms_item items[MAX], sorted[MAX];
    uint32_t state = 12345;
    for (int trial = 0; trial < 400; trial++) {
        state = state * 1664525u + 1013904223u;
        const int32_t n = 1 + (int32_t)(state >> 8) % MAX;
        state = state * 1664525u + 1013904223u;
        const int32_t k = (int32_t)(state >> 8) % (n + 2); /* 0..n+1 */
        for (int32_t i = 0; i < n; i++) {
            state = state * 1664525u + 1013904223u;
            /* few distinct scores: ties everywhere; distinct indices, not in order */
            items[i] = (mo_nms_item){
                .score = (float)((state >> 16) % 7) / 8.0f, .label = 1, .index = i * 7919 % 65521};
        }
        memcpy(sorted, items, sizeof(mo_nms_item) * (size_t)n);
        mo_nms_sort_by_score(sorted, n);
        mo_nms_select_best(items, n, k);
        const int32_t take = k < n ? k : n;
        mo_nms_sort_by_score(items, take);
        for (int32_t i = 0; i < take; i++)
            ck_assert_msg(items[i].index == sorted[i].index && items[i].score == sorted[i].score,
                          "n %d k %d: rank %d differs", n, k, i);
    }
}
END_TEST

START_TEST(ssd_postprocess_filters_sorts_and_cuts) {
    /* Three anchors, three classes (0 = background). */
    const float anchors[3][4] = {{0, 0, 10, 10}, {0, 0, 10, 10}, {20, 20, 40, 40}};
    const float logits[3][3] = {{0, 5, 0}, {0, 4, 4.5f}, {9, 0, 0}};
    const float deltas[3][4] = {{0}};
    mo_ssd_post post;
    mo_error err;
    ck_assert_int_eq(mo_ssd_post_init(&post, 3, 3, 10, &err), MO_OK);
    mo_ssd_post_params p = mo_ssd_post_default_params();
    mo_box_coder c = mo_box_coder_ssd();
    mo_ssd_det out[10];
    p.score_thresh = 0.1f;
    int32_t n = mo_ssd_post_run(&post, &p, &c, &logits[0][0], &deltas[0][0], &anchors[0][0], 64,
                                64, out);
    /* Class 1: anchors 0 (0.99) and 1 (0.37) overlap: one kept. Class 2: anchor 1 (0.61). */
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(out[0].label, 1);
    ck_assert_int_eq(out[1].label, 2);
    ck_assert(out[0].score > out[1].score);
    p.max_dets = 1;
    ck_assert_int_eq(mo_ssd_post_run(&post, &p, &c, &logits[0][0], &deltas[0][0],
                                     &anchors[0][0], 64, 64, out), 1);
    p.max_dets = 10, p.topk = 1, p.score_thresh = 0.001f;
    n = mo_ssd_post_run(&post, &p, &c, &logits[0][0], &deltas[0][0], &anchors[0][0], 64, 64, out);
    ck_assert_int_eq(n, 2); /* one candidate per class */
    mo_ssd_post_free(&post);
    ck_assert_int_eq(mo_ssd_post_init(&post, 3, 1, 10, &err), MO_ERR_ARGUMENT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("postprocess");
    TCase *a = tcase_create("anchors");
    tcase_add_test(a, anchors_match_torchvision_at_320x320);
    tcase_add_test(a, anchors_match_torchvision_at_300x500);
    tcase_add_test(a, anchor_shapes_follow_architecture_md);
    suite_add_tcase(s, a);
    TCase *b = tcase_create("box_coder");
    tcase_add_test(b, box_coding_round_trips);
    tcase_add_test(b, box_decode_clamps_exp);
    suite_add_tcase(s, b);
    TCase *n = tcase_create("nms");
    tcase_add_test(n, nms_keeps_one_of_identical_boxes);
    tcase_add_test(n, nms_ties_keep_the_first_index);
    tcase_add_test(n, nms_threshold_is_strict);
    tcase_add_test(n, nms_zero_area_boxes_survive);
    tcase_add_test(n, nms_is_per_class);
    tcase_add_test(n, select_best_agrees_with_a_sort);
    tcase_add_test(n, ssd_postprocess_filters_sorts_and_cuts);
    suite_add_tcase(s, n);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
