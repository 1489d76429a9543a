/* test_real_s0.c - Apple's released MobileOne-S0 weights reproduce PyTorch's logits.
 * Needs $MO_SHARED_DIR/data/mobileone_s0_imagenet/; reports itself skipped (77) without it. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "mobileone.h"

static char dir[1024];

static void path_in(char *out, size_t size, const char *file) {
    snprintf(out, size, "%s/%s", dir, file);
}

static float *read_reference_logits(void) {
    char p[1200];
    path_in(p, sizeof p, "apple_logits.txt");
    FILE *f = fopen(p, "r");
    ck_assert_msg(f != NULL, "cannot open %s", p);
    float *ref = malloc(sizeof(float) * 1000);
    for (int i = 0; i < 1000; i++) ck_assert_int_eq(fscanf(f, "%f", &ref[i]), 1);
    fclose(f);
    return ref;
}

static mo_model *load_s0(void) {
    char p[1200];
    path_in(p, sizeof p, "mobileone_s0_fused.safetensors");
    mo_model *m;
    mo_error err;
    mo_model_params params = mo_model_default_params();
    ck_assert_msg(mo_model_load(&m, p, &params, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_model_plan(m, 224, 224, &err) == MO_OK, "%s", err.message);
    return m;
}

static void check_logits(const float *logits, const float *ref) {
    float max_diff = 0;
    int top = 0;
    for (int i = 0; i < 1000; i++) {
        float d = fabsf(logits[i] - ref[i]);
        if (d > max_diff) max_diff = d;
        if (logits[i] > logits[top]) top = i;
    }
    ck_assert_msg(max_diff <= 1e-4f, "max |ours - PyTorch| = %g over 1000 logits", max_diff);
    ck_assert_int_eq(top, 957);
}

START_TEST(reference_tensor_gives_pytorch_logits) {
    char p[1200];
    path_in(p, sizeof p, "apple_input_1x3x224x224_f32.bin");
    FILE *f = fopen(p, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", p);
    float *nchw = malloc(sizeof(float) * 3 * 224 * 224), *nhwc = malloc(sizeof(float) * 3 * 224 * 224);
    ck_assert_int_eq(fread(nchw, sizeof(float), 3 * 224 * 224, f), 3 * 224 * 224);
    fclose(f);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 224 * 224; i++) nhwc[i * 3 + c] = nchw[c * 224 * 224 + i];
    mo_model *m = load_s0();
    float logits[1000];
    mo_error err;
    ck_assert_int_eq(mo_classify(m, nhwc, logits, &err), MO_OK);
    float *ref = read_reference_logits();
    check_logits(logits, ref);
    free(ref), free(nchw), free(nhwc);
    mo_model_free(m);
}
END_TEST

START_TEST(decoding_and_preprocessing_the_png_matches_torchvision) {
    char p[1200];
    path_in(p, sizeof p, "apple.png");
    mo_image img;
    mo_error err;
    ck_assert_msg(mo_image_read(&img, p, &err) == MO_OK, "%s", err.message);
    float *input = malloc(sizeof(float) * 3 * 224 * 224);
    const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    ck_assert_int_eq(mo_preprocess_classify(&img, 224, 0.875f, mean, std, input, &err), MO_OK);
    mo_image_free(&img);
    mo_model *m = load_s0();
    float logits[1000];
    ck_assert_int_eq(mo_classify(m, input, logits, &err), MO_OK);
    float *ref = read_reference_logits();
    check_logits(logits, ref);
    free(ref), free(input);
    mo_model_free(m);
}
END_TEST

int main(void) {
    const char *shared = getenv("MO_SHARED_DIR");
    snprintf(dir, sizeof dir, "%s/data/mobileone_s0_imagenet", shared ? shared : "../shared");
    char probe[1200];
    path_in(probe, sizeof probe, "mobileone_s0_fused.safetensors");
    FILE *f = fopen(probe, "rb");
    if (!f) {
        printf("SKIPPED: %s is absent (Apple's S0 weights are not shipped with the repo)\n", dir);
        return 77;
    }
    fclose(f);
    Suite *s = suite_create("real_s0");
    TCase *tc = tcase_create("apple");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, reference_tensor_gives_pytorch_logits);
    tcase_add_test(tc, decoding_and_preprocessing_the_png_matches_torchvision);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
