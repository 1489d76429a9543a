/* test_seg_golden.c - DeepLabv3 over MobileOne against the PyTorch reference (deeplabv3_ref.py).
 *
 * usage: test_seg_golden [ROOT]   (default: $MO_SOURCE_DIR/tests/golden/segment)
 * Each case folder holds model_unfused.safetensors (Apple's train-time names under `backbone.`,
 * torchvision's head names, sometimes an aux_classifier), model_fused.safetensors (backbone
 * reparameterized by PyTorch) and io_<H>x<W>.safetensors with `input` (1, 3, H, W) and `logits`
 * (1, classes, H, W) after the upsample to the input size. For every model form and input the
 * logits agree within 1e-4 relative (max |ours - ref| / max |ref|, DESIGN.md section 4, after
 * checking the reference's std > 1e-2); the unfused model fused by C, written and re-read, agrees
 * too; and the label map at the input size is the reference's argmax but for near-ties. With
 * test-time flipping the logits are the mean of the input's and of its mirror's, mirrored back.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mobileone.h"
#include "golden_util.h"
#include "safetensors.h"

#define MAX_CHECKS 64
#define TOLERANCE 1e-4

typedef golden_case check_case;

static check_case cases[MAX_CHECKS];
static int num_cases;

/* Runs `model_path` on input and returns its logits (H, W, C) (malloc'ed); labels gets the label
 * map at the input size. flip: test-time flipping on (1) or off (0). */
static float *segment_flip(const char *model_path, const float *input, int32_t h, int32_t w,
                           int64_t n, uint8_t *labels, int flip) {
    mo_model *m;
    mo_error err;
    mo_model_params params = mo_model_default_params();
    params.threads = 2;
    ck_assert_msg(mo_model_load(&m, model_path, &params, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_model_plan(m, h, w, &err) == MO_OK, "%s", err.message);
    mo_model_info info;
    ck_assert_int_eq(mo_model_get_info(m, h, w, &info, &err), MO_OK);
    ck_assert_int_eq((int64_t)info.num_classes * h * w, n);
    ck_assert_msg(mo_model_set_segment_flip(m, flip, &err) == MO_OK, "%s", err.message);
    ck_assert_int_eq(mo_model_get_segment_config(m).flip, flip);
    float *logits = malloc(sizeof(float) * (size_t)n);
    ck_assert_msg(mo_segment(m, input, logits, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_segment_labels(m, h, w, labels, &err) == MO_OK, "%s", err.message);
    mo_model_free(m);
    return logits;
}

static float *segment(const char *model_path, const float *input, int32_t h, int32_t w, int64_t n,
                      uint8_t *labels) {
    return segment_flip(model_path, input, h, w, n, labels, 0);
}

/* dst = src (h, w, c) mirrored left to right. */
static void mirror(float *dst, const float *src, int32_t h, int32_t w, int32_t c) {
    for (int32_t y = 0; y < h; y++)
        for (int32_t x = 0; x < w; x++)
            memcpy(dst + ((int64_t)y * w + x) * c, src + ((int64_t)y * w + w - 1 - x) * c,
                   sizeof(float) * (size_t)c);
}

/* Flipping on: the logits are (f(x) + mirror(f(mirror(x)))) / 2, up to the rounding of
 * upsampling before rather than after the mean; and they differ from f(x). plain and
 * plain_labels are f(x) and its label map; labels is scratch. */
static double check_flip(const char *model, const float *input, const float *plain,
                         const uint8_t *plain_labels, int32_t h, int32_t w, int32_t classes,
                         uint8_t *labels) {
    const int64_t n = (int64_t)h * w * classes;
    float *mirrored = malloc(sizeof(float) * 3 * (size_t)h * (size_t)w);
    float *expect = malloc(sizeof(float) * (size_t)n);
    mirror(mirrored, input, h, w, 3);
    float *of_mirror = segment(model, mirrored, h, w, n, labels);
    mirror(expect, of_mirror, h, w, classes);
    double changed = 0;
    for (int64_t i = 0; i < n; i++) {
        changed = fmax(changed, fabs(expect[i] - plain[i]));
        expect[i] = 0.5f * (plain[i] + expect[i]);
    }
    float *flipped = segment_flip(model, input, h, w, n, labels, 1);
    double worst = golden_relative_error(flipped, expect, n, "flip", model, 1);
    ck_assert_msg(changed > 1e-3, "%s: the mirror's logits equal the input's", model);
    /* mo_model_forward (what `bench` times) runs one pass even with flipping on. */
    uint8_t *forward = malloc((size_t)h * (size_t)w);
    mo_model *m;
    mo_error err;
    mo_model_params params = mo_model_default_params();
    ck_assert_msg(mo_model_load(&m, model, &params, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_model_plan(m, h, w, &err) == MO_OK, "%s", err.message);
    ck_assert_int_eq(mo_model_set_segment_flip(m, 1, &err), MO_OK);
    ck_assert_msg(mo_model_forward(m, input, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_segment_labels(m, h, w, forward, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(!memcmp(forward, plain_labels, (size_t)h * (size_t)w),
                  "%s: mo_model_forward ran the flipped pass", model);
    mo_model_free(m);
    free(forward);
    free(mirrored), free(expect), free(of_mirror), free(flipped);
    return worst;
}

START_TEST(segmentation_matches_pytorch) {
    const check_case *c = &cases[_i];
    printf("%s\n  with %s\n", c->model, c->io);
    st_file io;
    mo_error err;
    ck_assert_msg(st_open(&io, c->io, &err) == MO_OK, "%s", err.message);
    const st_tensor *ti, *tl;
    float *in_nchw = golden_read(&io, "input", &ti);
    float *ref_nchw = golden_read(&io, "logits", &tl);
    ck_assert(ti->ndim == 4 && tl->ndim == 4 && ti->shape[1] == 3);
    const int32_t h = (int32_t)ti->shape[2], w = (int32_t)ti->shape[3];
    const int32_t classes = (int32_t)tl->shape[1];
    const int64_t hw = (int64_t)h * w, n = hw * classes;
    if (h < 1 || w < 1 || classes < 1 || n > ((int64_t)1 << 30)) abort(); /* bad golden file */
    float *input = golden_nhwc(in_nchw, 3, hw), *ref = golden_nhwc(ref_nchw, classes, hw);
    uint8_t *labels = malloc((size_t)h * (size_t)w), *labels2 = malloc((size_t)h * (size_t)w);

    float *logits = segment(c->model, input, h, w, n, labels);
    double worst = golden_relative_error(logits, ref, n, "logits", c->model, 1);
    /* The label map against the reference's argmax: near-ties may flip (counted, not zero). */
    int64_t flips = 0;
    for (int64_t p = 0; p < hw; p++) {
        int32_t best = 0;
        for (int32_t k = 1; k < classes; k++)
            if (ref[p * classes + k] > ref[p * classes + best]) best = k;
        flips += labels[p] != best;
    }
    printf("  labels   %lld of %lld pixels differ from the reference's argmax\n",
           (long long)flips, (long long)hw);
    ck_assert_msg(flips * 1000 <= hw, "%s: %lld label flips", c->model, (long long)flips);

    /* Fused by C, written, re-read: the same logits. */
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/mo_seg_golden_%d.safetensors", (int)getpid());
    mo_model *m;
    mo_model_params params = mo_model_default_params();
    ck_assert_msg(mo_model_load(&m, c->model, &params, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_model_save_fused(m, tmp, &err) == MO_OK, "%s", err.message);
    mo_model_free(m);
    float *refused = segment(tmp, input, h, w, n, labels2);
    remove(tmp);
    worst = fmax(worst, golden_relative_error(refused, ref, n, "refused", c->model, 1));
    const double flip_worst = check_flip(c->model, input, logits, labels, h, w, classes, labels2);
    ck_assert_msg(flip_worst <= 1e-5, "%s: flip relative error %.3g > 1e-5", c->model, flip_worst);

    free(logits), free(refused), free(labels), free(labels2);
    free(input), free(ref), free(in_nchw), free(ref_nchw);
    st_close(&io);
    ck_assert_msg(worst <= TOLERANCE, "%s: relative error %.3g > %g", c->model, worst, TOLERANCE);
}
END_TEST

int main(int argc, char **argv) {
    return golden_main(argc, argv, "segment", "io_", cases, MAX_CHECKS, &num_cases, segmentation_matches_pytorch,
                       "seg_golden", 1800);
}
