/* test_golden_detect.c - MobileOne-SSDLite in C against torchvision (tools/ssdlite_ref.py).
 *
 * usage: test_golden_detect [ROOT]   (default: $MO_SOURCE_DIR/tests/golden/detect)
 * Each case folder holds model_unfused / model_fused .safetensors and io_*.safetensors with
 * `image` (3, H0, W0) in k/255, `input` (1, 3, H, W) = torchvision's transform of it,
 * `cls_logits` (N, K), `bbox_regression` (N, 4), `anchors` (N, 4) and the detections of
 * model.eval(): `boxes` (n, 4) xyxy in original pixels, `scores` (n), `labels` (n).
 * For every (model form, io) pair: our preprocessing of the u8 image equals `input` (1e-5
 * relative); anchors agree to 1e-4 px; head outputs within 1e-4 relative (max|ours - ref| /
 * max|ref|, DESIGN.md section 4); detections equal as sets: the same count, and each reference
 * detection has one of ours with the same label, every box coordinate within 1e-3 px and the
 * score within 1e-5. The model fused by C (mo_model_save_fused), written and read back, gives
 * the same detections.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect_input.h"
#include "detector.h"
#include "golden_util.h"
#include "model_internal.h"
#include "safetensors.h"
#include "ssd_tta.h"

#define MAX_CHECKS 64

typedef golden_case check_case;

static check_case cases[MAX_CHECKS];
static int num_cases;

/* Tensor `name` of f as f32 (malloc'ed); *numel gets its size, *shape its header. */
static float *read_tensor(const st_file *f, const char *name, int64_t *numel,
                          const st_tensor **shape) {
    const st_tensor *t;
    float *v = golden_read(f, name, &t);
    *numel = t->numel;
    if (shape) *shape = t;
    return v;
}

static void compare_detections(const mo_detection *ours, int32_t n, const float *boxes,
                               const float *scores, const float *labels, int64_t n_ref) {
    ck_assert_msg(n == n_ref, "%d detections, torchvision has %lld", n, (long long)n_ref);
    unsigned char *used = calloc((size_t)n + 1, 1);
    double worst_box = 0, worst_score = 0;
    for (int64_t r = 0; r < n_ref; r++) {
        const float *b = boxes + 4 * r;
        int found = -1;
        for (int32_t i = 0; i < n && found < 0; i++) {
            const mo_detection *d = &ours[i];
            if (used[i] || d->label != (int32_t)labels[r]) continue;
            const double e[4] = {fabs(d->x - b[0]), fabs(d->y - b[1]),
                                 fabs(d->x + d->w - b[2]), fabs(d->y + d->h - b[3])};
            const double eb = fmax(fmax(e[0], e[1]), fmax(e[2], e[3]));
            const double es = fabs(d->score - scores[r]);
            if (eb <= 1e-3 && es <= 1e-5) {
                found = i;
                worst_box = fmax(worst_box, eb);
                worst_score = fmax(worst_score, es);
            }
        }
        ck_assert_msg(found >= 0, "torchvision's detection %lld (label %d, score %.7g, box %.4f "
                      "%.4f %.4f %.4f) has no match", (long long)r, (int)labels[r], scores[r],
                      b[0], b[1], b[2], b[3]);
        used[found] = 1;
    }
    printf("  detections       %d, all matched; worst box %.2e px, worst score %.2e\n", n,
           worst_box, worst_score);
    free(used);
}

/* g(box) for the symmetry g of an h x w input (boxes in input pixels): the mirror or the
 * transpose. */
static mo_detection moved(mo_detection d, mo_tta_transform g, int32_t w) {
    if (g.transpose) {
        const float x = d.x, bw = d.w;
        d.x = d.y, d.w = d.h, d.y = x, d.h = bw;
    }
    if (g.hflip) d.x = (float)w - (d.x + d.w);
    return d;
}

/* 1 when a holds d's box itself (within 1e-3 px), label and score (within 1e-6). */
static int holds(const mo_detection *a, int32_t n, mo_detection d) {
    for (int32_t i = 0; i < n; i++)
        if (a[i].label == d.label && fabs(a[i].score - d.score) <= 1e-6 &&
            fmax(fmax(fabs(a[i].x - d.x), fabs(a[i].y - d.y)),
                 fmax(fabs(a[i].w - d.w), fabs(a[i].h - d.h))) <= 1e-3)
            return 1;
    return 0;
}

/* Detecting on g(input) gives g of the detections on the input (g: the mirror or the
 * transpose) under m's current test-time augmentation and zoom. Equal up to the order of the
 * sums: scores within 1e-6, boxes within 1e-3 px; a detection within 1e-6 of the threshold may
 * be missing on either side. So may the two of a tie: d8 gives a box and its transpose the
 * same score where the transpose maps their anchors onto each other (a wide and a tall one on
 * the diagonal), and NMS keeps the one first in anchor order, B on both sides, not B and g(B). */
static void check_moved(mo_model *m, const float *input, int32_t h, int32_t w, mo_tta_transform g,
                        const char *what) {
    mo_error err;
    float *moved_in = malloc(sizeof(float) * 3 * (size_t)h * w);
    static mo_detection a[1000], b[1000];
    int32_t na, nb;
    mo_tta_transform_map(g, input, h, w, 3, moved_in);
    ck_assert_int_eq(mo_detect(m, input, w, h, -1.0f, a, 1000, &na, &err), MO_OK);
    ck_assert_int_eq(mo_detect(m, moved_in, w, h, -1.0f, b, 1000, &nb, &err), MO_OK);
    const float thresh = mo_model_get_detect_config(m).score_thresh;
    unsigned char used[1000] = {0};
    int32_t matched = 0, ties = 0;
    double worst_box = 0, worst_score = 0;
    for (int32_t i = 0; i < na; i++) {
        const mo_detection e = moved(a[i], g, w);
        int found = -1;
        for (int32_t j = 0; j < nb && found < 0; j++) {
            const double eb = fmax(fmax(fabs(e.x - b[j].x), fabs(e.y - b[j].y)),
                                   fmax(fabs(e.w - b[j].w), fabs(e.h - b[j].h)));
            const double es = fabs(e.score - b[j].score);
            if (!used[j] && b[j].label == e.label && eb <= 1e-3 && es <= 1e-6) {
                found = j, used[j] = 1, matched++;
                worst_box = fmax(worst_box, eb), worst_score = fmax(worst_score, es);
            }
        }
        if (found < 0 && holds(b, nb, a[i])) {
            ties++;
            continue;
        }
        ck_assert_msg(found >= 0 || a[i].score - thresh <= 1e-6,
                      "%s: detection %d (label %d, score %.7g) has no moved twin", what, i,
                      a[i].label, a[i].score);
    }
    for (int32_t j = 0; j < nb; j++)
        ck_assert_msg(used[j] || b[j].score - thresh <= 1e-6 || holds(a, na, b[j]),
                      "%s: detection %d on the moved input has no twin", what, j);
    printf("  %-26s %d of %d detections moved along (%d ties); worst box %.2e px, score "
           "%.2e\n",
           what, matched, na, ties, worst_box, worst_score);
    ck_assert_int_ge(matched, na - na / 50); /* ties are rare */
    free(moved_in);
}

/* Test-time augmentation commutes with the symmetries it averages over: the mirror (every
 * mode) and the transpose (d8, a square input). A wrong anchor map or regression sign breaks
 * it. So does the zoomed pass with a wrong enlargement or anchor grid. */
static void check_tta_equivariance(mo_model *m, const float *input, int32_t h, int32_t w) {
    mo_error err;
    char what[64];
    for (int mode = MO_TTA_HFLIP; mode <= MO_TTA_D8; mode++) {
        if (mode == MO_TTA_D8 && h != w) {
            ck_assert_int_ne(mo_model_set_detect_tta(m, mode, &err), MO_OK);
            printf("  tta d8           refused at %dx%d: %s\n", w, h, err.message);
            continue;
        }
        ck_assert_msg(mo_model_set_detect_tta(m, mode, &err) == MO_OK, "%s", err.message);
        for (int gi = 0; gi < (mode == MO_TTA_D8 ? 2 : 1); gi++) {
            snprintf(what, sizeof what, "tta %s %s", mo_detect_tta_name(mode),
                     gi ? "transpose" : "mirror");
            check_moved(m, input, h, w, mo_tta_pass(gi ? 4 : 1), what);
        }
    }
    ck_assert_int_eq(mo_model_set_detect_tta(m, MO_TTA_HFLIP, &err), MO_OK);
    ck_assert_msg(mo_model_set_detect_zoom(m, 2, &err) == MO_OK, "%s", err.message);
    check_moved(m, input, h, w, mo_tta_pass(1), "tta hflip, zoom 2, mirror");
    ck_assert_int_eq(mo_model_set_detect_zoom(m, 1, &err), MO_OK);
    ck_assert_int_eq(mo_model_set_detect_tta(m, MO_TTA_NONE, &err), MO_OK);
}

/* in (h, w, 3) enlarged twice, bilinear with half-pixel centres (align_corners false): output
 * pixel 2i takes 3/4 of source i and 1/4 of i - 1, pixel 2i + 1 3/4 of i and 1/4 of i + 1,
 * clamped at the edges. Written apart from the library's general resize. */
static float *doubled(const float *in, int32_t h, int32_t w) {
    float *out = malloc(sizeof(float) * 12 * (size_t)h * w);
    for (int32_t y = 0; y < 2 * h; y++) {
        const int32_t y0 = y / 2, y1 = y % 2 ? (y0 + 1 < h ? y0 + 1 : h - 1) : (y0 ? y0 - 1 : 0);
        for (int32_t x = 0; x < 2 * w; x++) {
            const int32_t x0 = x / 2,
                          x1 = x % 2 ? (x0 + 1 < w ? x0 + 1 : w - 1) : (x0 ? x0 - 1 : 0);
            for (int32_t c = 0; c < 3; c++) {
                const float *p = in + c;
                out[((int64_t)y * 2 * w + x) * 3 + c] =
                    0.75f * (0.75f * p[((int64_t)y0 * w + x0) * 3] +
                             0.25f * p[((int64_t)y0 * w + x1) * 3]) +
                    0.25f * (0.75f * p[((int64_t)y1 * w + x0) * 3] +
                             0.25f * p[((int64_t)y1 * w + x1) * 3]);
            }
        }
    }
    return out;
}

/* 1 when a holds d's box (within tol px), label and score (within 1e-5). */
static int holds_near(const mo_detection *a, int32_t n, mo_detection d, double tol) {
    for (int32_t i = 0; i < n; i++)
        if (a[i].label == d.label && fabs(a[i].score - d.score) <= 1e-5 &&
            fmax(fmax(fabs(a[i].x - d.x), fabs(a[i].y - d.y)),
                 fmax(fabs(a[i].w - d.w), fabs(a[i].h - d.h))) <= tol)
            return 1;
    return 0;
}

/* The zoomed pass is the model planned at twice the size with half the anchor scales, on the
 * input enlarged twice: every detection with zoom 2 is one of the plain model's or, halved,
 * one of that model's whose side is below zoom_max_side of the input's; and the zoomed pass
 * adds some. A wrong anchor scale, grid, tap layout or size filter breaks it. */
static void check_zoom(const char *path, const float *input, int32_t h, int32_t w) {
    mo_error err;
    mo_model *m, *big;
    mo_model_params params = mo_model_default_params();
    params.threads = 2;
    ck_assert_msg(mo_model_load(&m, path, &params, &err) == MO_OK, "%s", err.message);
    const mo_anchor_params half = mo_anchor_params_zoomed(&m->detector->anchor_params, 2);
    char config[64], json[512];
    snprintf(config, sizeof config, "/tmp/mo_zoom_config_%d.json", (int)getpid());
    int len = snprintf(json, sizeof json, "{\"detect\": {\"anchors\": {\"scales\": [");
    for (int32_t k = 0; k < half.num_scales; k++)
        len += snprintf(json + len, sizeof json - (size_t)len, "%s%.17g", k ? ", " : "",
                        half.scales[k]);
    snprintf(json + len, sizeof json - (size_t)len, "]}}}");
    FILE *f = fopen(config, "w");
    ck_assert_ptr_nonnull(f);
    fputs(json, f);
    fclose(f);
    params.config_path = config;
    ck_assert_msg(mo_model_load(&big, path, &params, &err) == MO_OK, "%s", err.message);
    remove(config);
    ck_assert_msg(mo_model_plan(big, 2 * h, 2 * w, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_model_plan(m, h, w, &err) == MO_OK, "%s", err.message);
    static mo_detection plain[1000], large[1000], zoomed[1000];
    int32_t np, nl, nz;
    float *input2 = doubled(input, h, w);
    ck_assert_int_eq(mo_detect(m, input, w, h, -1.0f, plain, 1000, &np, &err), MO_OK);
    ck_assert_int_eq(mo_detect(big, input2, w, h, -1.0f, large, 1000, &nl, &err), MO_OK);
    ck_assert_msg(mo_model_set_detect_zoom(m, 2, &err) == MO_OK, "%s", err.message);
    ck_assert_int_eq(mo_detect(m, input, w, h, -1.0f, zoomed, 1000, &nz, &err), MO_OK);
    const double limit = mo_model_get_detect_config(m).zoom_max_side * sqrt((double)h * w);
    int32_t from_plain = 0, from_large = 0;
    for (int32_t i = 0; i < nz; i++) {
        if (holds_near(plain, np, zoomed[i], 1e-4)) {
            from_plain++;
            continue;
        }
        ck_assert_msg(holds_near(large, nl, zoomed[i], 2e-3) &&
                          sqrt((double)zoomed[i].w * zoomed[i].h) < limit + 1e-3,
                      "zoom 2: detection %d (label %d, score %.7g, %.2f x %.2f px) is neither "
                      "the plain model's nor a small one of the model at twice the size",
                      i, zoomed[i].label, zoomed[i].score, zoomed[i].w, zoomed[i].h);
        from_large++;
    }
    printf("  zoom 2                     %d detections: %d of the plain pass, %d of the pass "
           "at %dx%d\n",
           nz, from_plain, from_large, 2 * w, 2 * h);
    ck_assert_int_gt(from_large, 0);
    free(input2);
    mo_model_free(big);
    mo_model_free(m);
}

START_TEST(detector_matches_torchvision) {
    const check_case *c = &cases[_i];
    printf("%s\n  with %s\n", c->model, c->io);
    st_file io;
    mo_error err;
    ck_assert_msg(st_open(&io, c->io, &err) == MO_OK, "%s", err.message);
    int64_t n;
    const st_tensor *t_in, *t_img;
    float *input_nchw = read_tensor(&io, "input", &n, &t_in);
    const int32_t h = (int32_t)t_in->shape[2], w = (int32_t)t_in->shape[3];
    float *input = golden_nhwc(input_nchw, 3, (int64_t)h * w);
    float *image = read_tensor(&io, "image", &n, &t_img);
    const int32_t h0 = (int32_t)t_img->shape[1], w0 = (int32_t)t_img->shape[2];

    mo_model *m;
    mo_model_params params = mo_model_default_params();
    params.threads = 2;
    ck_assert_msg(mo_model_load(&m, c->model, &params, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_model_plan(m, h, w, &err) == MO_OK, "%s", err.message);
    mo_detector *d = m->detector;
    ck_assert_ptr_nonnull(d);

    /* Preprocessing: the u8 image through our transform against torchvision's. */
    mo_image img;
    ck_assert_int_eq(mo_image_alloc(&img, w0, h0, &err), MO_OK);
    for (int32_t ch = 0; ch < 3; ch++)
        for (int64_t p = 0; p < (int64_t)h0 * w0; p++)
            img.rgb[p * 3 + ch] = (uint8_t)lrintf(image[ch * (int64_t)h0 * w0 + p] * 255.0f);
    mo_model_config cfg = mo_model_get_config(m);
    float *ours_in = malloc(sizeof(float) * 3 * (size_t)h * w);
    mo_preprocess_detect(&img, h, w, cfg.mean, cfg.std, ours_in);
    double worst = golden_relative_error(ours_in, input, 3 * (int64_t)h * w, "preprocess", "", 1);
    ck_assert_msg(worst <= 1e-5, "preprocessing differs: %.3g", worst);

    /* Anchors and head outputs on torchvision's input. */
    float *ref = read_tensor(&io, "anchors", &n, NULL);
    ck_assert_msg(n == 4 * d->scales[0].num_anchors, "%lld anchors, torchvision has %lld",
                  (long long)d->scales[0].num_anchors, (long long)n / 4);
    double max_anchor = 0;
    for (int64_t i = 0; i < n; i++)
        max_anchor = fmax(max_anchor, fabs(d->scales[0].anchors[i] - ref[i]));
    printf("  anchors          max|diff| %.2e px\n", max_anchor);
    ck_assert_msg(max_anchor <= 1e-4, "anchors differ by %.3g px", max_anchor);
    free(ref);
    ck_assert_int_eq(mo_model_forward(m, input, &err), MO_OK);
    ref = read_tensor(&io, "cls_logits", &n, NULL);
    ck_assert_int_eq(n, d->scales[0].num_anchors * d->head.num_classes);
    worst = golden_relative_error(d->cls_logits, ref, n, "cls_logits", "", 1);
    free(ref);
    ref = read_tensor(&io, "bbox_regression", &n, NULL);
    ck_assert_int_eq(n, d->scales[0].num_anchors * 4);
    worst = fmax(worst, golden_relative_error(d->bbox_regression, ref, n, "bbox_regression", "", 1));
    free(ref);
    ck_assert_msg(worst <= 1e-4, "%s: head outputs differ: relative %.3g > 1e-4", c->model,
                  worst);

    /* Detections through the public API, in original-image pixels. */
    mo_detection dets[1000];
    int32_t count;
    ck_assert_msg(mo_detect(m, input, w0, h0, -1.0f, dets, 1000, &count, &err) == MO_OK, "%s",
                  err.message);
    float *boxes = read_tensor(&io, "boxes", &n, NULL);
    int64_t n_ref;
    float *scores = read_tensor(&io, "scores", &n_ref, NULL);
    float *labels = read_tensor(&io, "labels", &n, NULL);
    compare_detections(dets, count, boxes, scores, labels, n_ref);
    mo_detect_config dc = mo_model_get_detect_config(m);
    for (int32_t i = 0; i < count; i++)
        ck_assert_int_eq(dets[i].category_id,
                         dc.num_category_ids ? dc.category_ids[dets[i].label] : dets[i].label);

    mo_model_free(m);

    /* Fused by C, written and read back: the same detections. */
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/mo_detect_golden_%d.safetensors", (int)getpid());
    ck_assert_msg(mo_model_load(&m, c->model, &params, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_model_save_fused(m, tmp, &err) == MO_OK, "%s", err.message);
    mo_model_free(m);
    ck_assert_msg(mo_model_load(&m, tmp, &params, &err) == MO_OK, "%s", err.message);
    remove(tmp);
    ck_assert_msg(mo_model_plan(m, h, w, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_detect(m, input, w0, h0, -1.0f, dets, 1000, &count, &err) == MO_OK, "%s",
                  err.message);
    printf("  fused by C, written and read back:\n");
    compare_detections(dets, count, boxes, scores, labels, n_ref);
    check_tta_equivariance(m, input, h, w);
    check_zoom(c->model, input, h, w);

    free(boxes), free(scores), free(labels), free(ours_in), free(image), free(input_nchw);
    free(input);
    mo_image_free(&img);
    mo_model_free(m);
    st_close(&io);
}
END_TEST

int main(int argc, char **argv) {
    return golden_main(argc, argv, "detect", "io_", cases, MAX_CHECKS, &num_cases, detector_matches_torchvision,
                       "golden_detect", 900);
}
