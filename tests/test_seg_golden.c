/* test_seg_golden.c - DeepLabv3 over MobileOne against the PyTorch reference (deeplabv3_ref.py).
 *
 * usage: test_seg_golden [ROOT]   (default: $MO_SOURCE_DIR/tests/golden/segment)
 * Each case folder holds model_unfused.safetensors (Apple's train-time names under `backbone.`,
 * torchvision's head names, sometimes an aux_classifier), model_fused.safetensors (backbone
 * reparameterized by PyTorch) and io_<H>x<W>.safetensors with `input` (1, 3, H, W) and `logits`
 * (1, classes, H, W) after the upsample to the input size. For every model form and input the
 * logits agree within 1e-4 relative (max |ours - ref| / max |ref|, DESIGN.md section 4, after
 * checking the reference's std > 1e-2); the unfused model fused by C, written and re-read, agrees
 * too; and the label map at the input size is the reference's argmax but for near-ties.
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
 * map at the input size. */
static float *segment(const char *model_path, const float *input, int32_t h, int32_t w,
                      int64_t n, uint8_t *labels) {
    mo_model *m;
    mo_error err;
    mo_model_params params = mo_model_default_params();
    params.threads = 2;
    ck_assert_msg(mo_model_load(&m, model_path, &params, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_model_plan(m, h, w, &err) == MO_OK, "%s", err.message);
    mo_model_info info;
    ck_assert_int_eq(mo_model_get_info(m, h, w, &info, &err), MO_OK);
    ck_assert_int_eq((int64_t)info.num_classes * h * w, n);
    float *logits = malloc(sizeof(float) * (size_t)n);
    ck_assert_msg(mo_segment(m, input, logits, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_segment_labels(m, h, w, labels, &err) == MO_OK, "%s", err.message);
    mo_model_free(m);
    return logits;
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
