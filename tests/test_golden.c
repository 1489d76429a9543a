/* test_golden.c - the C network against the PyTorch reference (tools/make_goldens.py).
 *
 * usage: test_golden [ROOT]   (default: $MO_SOURCE_DIR/tests/golden/classify)
 * Each case folder holds model_unfused.safetensors (Apple's train-time names), optionally
 * model_fused.safetensors (fused by PyTorch) and model_timm.safetensors, and io*.safetensors with
 * `input` (1, 3, H, W), per-stage outputs `stage0`..`stage4` (1, C, h, w) and `logits` from the
 * unfused PyTorch model in eval mode. For every model form and input: each stage and the logits
 * agree within 1e-4 relative (max |ours - ref| / max |ref|, DESIGN.md section 4), and the unfused
 * model fused by C, written and read back, gives the same logits.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backbone.h"
#include "classifier.h"
#include "mobileone.h"
#include "golden_util.h"
#include "safetensors.h"

#define MAX_CHECKS 256
#define TOLERANCE 1e-4

typedef golden_case check_case;

static check_case cases[MAX_CHECKS];
static int num_cases;

/* Tensor `name` of f as f32 (malloc'ed); *numel gets its size. */
static float *read_tensor(const st_file *f, const char *name, int64_t *numel) {
    const st_tensor *t;
    float *v = golden_read(f, name, &t);
    *numel = t->numel;
    return v;
}

START_TEST(network_matches_pytorch) {
    const check_case *c = &cases[_i];
    printf("%s\n  with %s\n", c->model, c->io);
    st_file io, mf;
    mo_error err;
    ck_assert_msg(st_open(&io, c->io, &err) == MO_OK, "%s", err.message);
    const st_tensor *in_t = st_find(&io, "input");
    ck_assert_msg(in_t && in_t->ndim == 4 && in_t->shape[1] == 3, "%s: bad input", c->io);
    const int32_t h = (int32_t)in_t->shape[2], w = (int32_t)in_t->shape[3];
    int64_t n;
    float *nchw = read_tensor(&io, "input", &n);
    float *input = golden_nhwc(nchw, 3, (int64_t)h * w);

    /* Per stage, through the backbone's own API, for readable diffs. */
    ck_assert_msg(st_open(&mf, c->model, &err) == MO_OK, "%s", err.message);
    mo_weights wts;
    mo_backbone b;
    ck_assert_int_eq(mo_weights_init(&wts, &mf, &err), MO_OK);
    mo_backbone_params bp = {.prefix = "", .output_stride = 32, .kernels = MO_KERNEL_AUTO};
    ck_assert_msg(mo_backbone_load(&b, &wts, &bp, &err) == MO_OK, "%s", err.message);
    int32_t sizes[MO_STAGES][2];
    mo_backbone_stage_sizes(&b, h, w, sizes);
    int64_t act = mo_backbone_max_activation(&b, h, w);
    float *bufs = malloc(sizeof(float) * (size_t)(2 * act + mo_backbone_scratch_floats(&b) + 1));
    float *taps[MO_STAGES];
    for (int s = 0; s < MO_STAGES; s++)
        taps[s] = malloc(sizeof(float) * (size_t)sizes[s][0] * sizes[s][1] * b.widths[s]);
    mo_backbone_forward(&b, input, h, w, bufs, bufs + act, bufs + 2 * act, taps, NULL);
    double worst = 0;
    for (int s = 0; s < MO_STAGES; s++) {
        char name[16];
        snprintf(name, sizeof name, "stage%d", s);
        float *ref = read_tensor(&io, name, &n);
        int64_t hw = (int64_t)sizes[s][0] * sizes[s][1];
        ck_assert_msg(n == hw * b.widths[s], "%s: %s has %lld values, we have %lld", c->io, name,
                      (long long)n, (long long)(hw * b.widths[s]));
        float *ref_nhwc = golden_nhwc(ref, b.widths[s], hw);
        worst = fmax(worst, golden_relative_error(taps[s], ref_nhwc, n, name, c->model, 1));
        free(ref), free(ref_nhwc), free(taps[s]);
    }
    free(bufs);
    mo_backbone_free(&b);
    mo_weights_free(&wts);
    st_close(&mf);

    /* The logits, through the public API, and again after C fuses, writes and re-reads. */
    float *ref = read_tensor(&io, "logits", &n);
    float *logits = malloc(sizeof(float) * (size_t)n), *refused = malloc(sizeof(float) * (size_t)n);
    mo_model *m, *m2;
    mo_model_params params = mo_model_default_params();
    ck_assert_msg(mo_model_load(&m, c->model, &params, &err) == MO_OK, "%s", err.message);
    ck_assert_int_eq(mo_model_plan(m, h, w, &err), MO_OK);
    ck_assert_int_eq(mo_classify(m, input, logits, &err), MO_OK);
    worst = fmax(worst, golden_relative_error(logits, ref, n, "logits", c->model, 1));
    char tmp[64];
    snprintf(tmp, sizeof tmp, "/tmp/mo_golden_%d.safetensors", (int)getpid());
    ck_assert_msg(mo_model_save_fused(m, tmp, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_model_load(&m2, tmp, &params, &err) == MO_OK, "%s", err.message);
    remove(tmp);
    ck_assert_int_eq(mo_model_plan(m2, h, w, &err), MO_OK);
    ck_assert_int_eq(mo_classify(m2, input, refused, &err), MO_OK);
    worst = fmax(worst, golden_relative_error(refused, ref, n, "refused", c->model, 1));
    mo_model_free(m);
    mo_model_free(m2);
    free(ref), free(logits), free(refused), free(nchw), free(input);
    st_close(&io);
    ck_assert_msg(worst <= TOLERANCE, "%s: relative error %.3g > %g", c->model, worst, TOLERANCE);
}
END_TEST

int main(int argc, char **argv) {
    return golden_main(argc, argv, "classify", "io", cases, MAX_CHECKS, &num_cases, network_matches_pytorch,
                       "golden", 600);
}
