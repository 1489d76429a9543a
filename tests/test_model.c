/* test_model.c - loading MobileOne files: structure inference, counts, reparameterization
 * round trips, and a clear error for every kind of bad file. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mobileone.h"
#include "model_builder.h"

static char path[256], path2[256];

static void setup(void) {
    snprintf(path, sizeof path, "/tmp/mo_test_model_%d.safetensors", (int)getpid());
    snprintf(path2, sizeof path2, "/tmp/mo_test_model_%d_b.safetensors", (int)getpid());
}

static void teardown(void) {
    remove(path);
    remove(path2);
}

/* A small network that still has every kind of block: k = 3, SE, skip and no-skip. */
static model_spec small_spec(int32_t k) {
    model_spec s = {.widths = {8, 8, 16, 24, 32}, .blocks = {1, 2, 2, 1}, .k = k, .se = 1,
                    .num_classes = 10, .seed = 7};
    return s;
}

static mo_status load(const char *p, mo_model **m, mo_error *err) {
    mo_model_params params = mo_model_default_params();
    return mo_model_load(m, p, &params, err);
}

START_TEST(fused_variant_counts_match_the_paper) {
    /* fused params (M) and MACs at 224 (M), architecture.md 1.1 and the issue. */
    static const double params[5] = {2.08, 4.77, 7.81, 10.08, 14.84};
    static const double macs[5] = {275, 825, 1298, 1896, 2979};
    static const char *names[5] = {"s0", "s1", "s2", "s3", "s4"};
    int i = _i;
    model_spec s = model_spec_variant(i, 0);
    ck_assert_int_eq(model_build(path, &s), 0);
    mo_model *m;
    mo_error err;
    ck_assert_msg(load(path, &m, &err) == MO_OK, "%s", err.message);
    mo_model_info info;
    ck_assert_int_eq(mo_model_get_info(m, 224, 224, &info, &err), MO_OK);
    ck_assert_str_eq(info.variant, names[i]);
    ck_assert_int_eq(info.fused_in_file, 1);
    ck_assert_int_eq(info.has_se, i == 4);
    double p = info.params / 1e6, mc = info.macs / 1e6;
    ck_assert_msg(fabs(p / params[i] - 1) < 0.005, "%s params %.3f M, expected %.2f M", names[i],
                  p, params[i]);
    ck_assert_msg(fabs(mc / macs[i] - 1) < 0.005, "%s MACs %.1f M, expected %.0f M", names[i],
                  mc, macs[i]);
    mo_model_free(m);
}
END_TEST

START_TEST(unfused_s0_is_recognized_with_k_4) {
    model_spec s = model_spec_variant(0, 4);
    ck_assert_int_eq(model_build(path, &s), 0);
    mo_model *m;
    mo_error err;
    ck_assert_msg(load(path, &m, &err) == MO_OK, "%s", err.message);
    mo_model_info info;
    ck_assert_int_eq(mo_model_get_info(m, 0, 0, &info, &err), MO_OK);
    ck_assert_str_eq(info.variant, "s0");
    ck_assert_int_eq(info.fused_in_file, 0);
    ck_assert_int_eq(info.num_branches, 4);
    ck_assert_int_eq(info.input_size[0], 224);
    ck_assert_msg(fabs(info.params / 2.079e6 - 1) < 0.005, "params %lld", (long long)info.params);
    mo_model_free(m);
}
END_TEST

static float max_abs(const float *v, int n) {
    float m = 0;
    for (int i = 0; i < n; i++) m = fabsf(v[i]) > m ? fabsf(v[i]) : m;
    return m;
}

static void run(mo_model *m, int32_t h, int32_t w, float *logits) {
    mo_error err;
    ck_assert_msg(mo_model_plan(m, h, w, &err) == MO_OK, "%s", err.message);
    float *in = malloc(sizeof(float) * 3 * (size_t)h * w);
    for (int i = 0; i < 3 * h * w; i++) in[i] = sinf((float)i * 0.37f);
    ck_assert_msg(mo_classify(m, in, logits, &err) == MO_OK, "%s", err.message);
    free(in);
}

START_TEST(fusing_and_reloading_keeps_the_logits) {
    model_spec s = small_spec(3);
    ck_assert_int_eq(model_build(path, &s), 0);
    mo_model *m, *fused;
    mo_error err;
    ck_assert_msg(load(path, &m, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(mo_model_save_fused(m, path2, &err) == MO_OK, "%s", err.message);
    ck_assert_msg(load(path2, &fused, &err) == MO_OK, "%s", err.message);
    mo_model_info info;
    ck_assert_int_eq(mo_model_get_info(fused, 0, 0, &info, &err), MO_OK);
    ck_assert_int_eq(info.fused_in_file, 1);
    ck_assert_str_eq(info.variant, "custom");
    float a[10], b[10];
    run(m, 37, 29, a);
    run(fused, 37, 29, b);
    float diff[10];
    for (int i = 0; i < 10; i++) diff[i] = a[i] - b[i];
    ck_assert_float_gt(max_abs(a, 10), 1e-3f);
    ck_assert_msg(max_abs(diff, 10) == 0.0f, "fused file differs by %g", max_abs(diff, 10));
    mo_model_free(m);
    mo_model_free(fused);
}
END_TEST

/* Loading fails with `status`, and the message names the file and contains `needle`. */
static void expect_load_error(const model_spec *s, mo_status status, const char *needle) {
    ck_assert_int_eq(model_build(path, s), 0);
    mo_model *m = (mo_model *)1;
    mo_error err = {0};
    mo_status got = load(path, &m, &err);
    ck_assert_msg(got == status, "status %s, expected %s: %s", mo_status_name(got),
                  mo_status_name(status), err.message);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.message, path) && strstr(err.message, needle),
                  "message '%s' should name the file and '%s'", err.message, needle);
}

START_TEST(a_missing_tensor_is_named) {
    model_spec s = small_spec(0);
    s.drop = "stage2.1.reparam_conv.bias";
    expect_load_error(&s, MO_ERR_MISSING, "stage2.1.reparam_conv.bias");
}
END_TEST

START_TEST(a_missing_batchnorm_statistic_is_named) {
    model_spec s = small_spec(2);
    s.drop = "stage3.2.rbr_skip.running_var";
    expect_load_error(&s, MO_ERR_MISSING, "stage3.2.rbr_skip.running_var");
}
END_TEST

START_TEST(a_shape_that_does_not_fit_is_named) {
    model_spec s = small_spec(0);
    s.bad_shape = "stage2.3.reparam_conv.weight";
    expect_load_error(&s, MO_ERR_SHAPE, "stage2.3.reparam_conv.weight");
}
END_TEST

START_TEST(a_wrong_dtype_is_named) {
    model_spec s = small_spec(0);
    s.bad_dtype = "stage1.1.reparam_conv.weight";
    expect_load_error(&s, MO_ERR_FORMAT, "stage1.1.reparam_conv.weight");
}
END_TEST

START_TEST(an_unexpected_tensor_is_named) {
    model_spec s = small_spec(0);
    s.extra = "decoder.weight";
    expect_load_error(&s, MO_ERR_FORMAT, "unexpected tensor 'decoder.weight'");
}
END_TEST

START_TEST(a_branch_count_that_differs_is_rejected) {
    model_spec s = small_spec(2);
    s.drop = "stage2.2.rbr_conv.1.conv.weight";
    expect_load_error(&s, MO_ERR_SHAPE, "stage2.2");
}
END_TEST

START_TEST(a_config_variant_that_does_not_match_is_rejected) {
    model_spec s = model_spec_variant(0, 0);
    s.config = "{\"variant\": \"s1\"}";
    expect_load_error(&s, MO_ERR_SHAPE, "variant s1");
}
END_TEST

START_TEST(a_config_with_an_unknown_field_is_rejected) {
    model_spec s = small_spec(0);
    s.config = "{\"varient\": \"s1\"}";
    expect_load_error(&s, MO_ERR_FORMAT, "varient");
}
END_TEST

START_TEST(a_detect_first_stage_other_than_2_or_3_is_rejected) {
    model_spec s = small_spec(0);
    s.config = "{\"detect\": {\"first_stage\": 4}}";
    expect_load_error(&s, MO_ERR_FORMAT, "'detect.first_stage'");
}
END_TEST

/* Loads the committed golden detector with an OS8 map (first_stage 2, 8 anchor scales) with
 * the config `json` over its own; returns the status, the message in err. */
static mo_status load_os8_detector(const char *json, char *model, size_t size, mo_model **m,
                                   mo_error *err) {
    const char *src = getenv("MO_SOURCE_DIR");
    snprintf(model, size, "%s/tests/golden/detect/os8_64x96/model_unfused.safetensors",
             src ? src : ".");
    FILE *f = fopen(path2, "w");
    ck_assert_ptr_nonnull(f);
    fputs(json, f);
    fclose(f);
    mo_model_params params = mo_model_default_params();
    params.config_path = path2;
    return mo_model_load(m, model, &params, err);
}

START_TEST(detect_anchor_scales_must_number_the_levels_plus_one) {
    static const char *const bad[2] = {
        "{\"detect\": {\"anchors\": {\"scales\": [0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 1]}}}",
        "{\"detect\": {\"first_stage\": 3}}"}; /* 6 levels, the file's 8 scales */
    char model[1024];
    mo_model *m;
    mo_error err = {0};
    for (int i = 0; i < 2; i++) {
        mo_status got = load_os8_detector(bad[i], model, sizeof model, &m, &err);
        ck_assert_msg(got == MO_ERR_FORMAT, "status %s: %s", mo_status_name(got), err.message);
        ck_assert_ptr_null(m);
        ck_assert_msg(strstr(err.message, model) && strstr(err.message, "'detect.anchors.scales'"),
                      "message '%s' should name the file and the key", err.message);
    }
    /* Its own config: 7 levels from stage 2 on. */
    ck_assert_msg(load_os8_detector("{}", model, sizeof model, &m, &err) == MO_OK, "%s",
                  err.message);
    mo_detect_config dc = mo_model_get_detect_config(m);
    ck_assert_int_eq(dc.first_stage, 2);
    ck_assert_int_eq(dc.num_levels, 7);
    mo_model_free(m);
}
END_TEST

START_TEST(detect_tta_is_a_known_mode_and_d8_needs_a_square_input) {
    model_spec s = small_spec(0);
    s.config = "{\"detect\": {\"tta\": \"d4\"}}";
    expect_load_error(&s, MO_ERR_FORMAT, "'detect.tta'");
    char model[1024];
    mo_model *m;
    mo_error err = {0};
    ck_assert_msg(load_os8_detector("{\"detect\": {\"tta\": \"d8\"}}", model, sizeof model, &m,
                                    &err) == MO_OK,
                  "%s", err.message);
    ck_assert_int_eq(mo_model_get_detect_config(m).tta, MO_TTA_D8);
    ck_assert_int_eq(mo_detect_tta_passes(MO_TTA_D8), 8);
    ck_assert_int_ne(mo_model_plan(m, 64, 96, &err), MO_OK);
    ck_assert_msg(strstr(err.message, "d8") && strstr(err.message, "square"), "%s", err.message);
    ck_assert_int_eq(mo_model_plan(m, 64, 64, &err), MO_OK);
    ck_assert_int_eq(mo_model_set_detect_tta(m, MO_TTA_FLIPS, &err), MO_OK);
    ck_assert_int_eq(mo_model_plan(m, 64, 96, &err), MO_OK);
    ck_assert_int_ne(mo_model_set_detect_tta(m, MO_TTA_D8, &err), MO_OK); /* planned 96x64 */
    ck_assert_str_eq(mo_detect_tta_name(mo_model_get_detect_config(m).tta), "flips");
    ck_assert_int_eq(mo_detect_tta_parse("hflip"), MO_TTA_HFLIP);
    ck_assert_int_eq(mo_detect_tta_parse("HFLIP"), -1);
    mo_model_free(m);
}
END_TEST

START_TEST(detect_zoom_is_checked_and_plans_the_enlarged_pass) {
    model_spec s = small_spec(0);
    s.config = "{\"detect\": {\"zoom\": 5}}";
    expect_load_error(&s, MO_ERR_FORMAT, "'detect.zoom'");
    s.config = "{\"detect\": {\"zoom\": 1.5}}";
    expect_load_error(&s, MO_ERR_FORMAT, "'detect.zoom'");
    s.config = "{\"detect\": {\"zoom_max_side\": -0.1}}";
    expect_load_error(&s, MO_ERR_FORMAT, "'detect.zoom_max_side'");
    char model[1024];
    mo_model *m;
    mo_error err = {0};
    ck_assert_msg(load_os8_detector("{\"detect\": {\"zoom\": 2, \"zoom_max_side\": 0.3}}", model,
                                    sizeof model, &m, &err) == MO_OK,
                  "%s", err.message);
    mo_detect_config dc = mo_model_get_detect_config(m);
    ck_assert_int_eq(dc.zoom, 2);
    ck_assert_double_eq(dc.zoom_max_side, 0.3);
    /* The arena holds the activations of the enlarged pass: about 4 times one pass's. */
    mo_model_info zoomed, plain;
    ck_assert_int_eq(mo_model_get_info(m, 64, 96, &zoomed, &err), MO_OK);
    ck_assert_int_eq(mo_model_plan(m, 64, 96, &err), MO_OK);
    static float input[64 * 96 * 3];
    static mo_detection dets[300];
    int32_t n2 = 0, n1 = 0;
    ck_assert_msg(mo_detect(m, input, 96, 64, -1.0f, dets, 300, &n2, &err) == MO_OK, "%s",
                  err.message);
    ck_assert_int_ne(mo_model_set_detect_zoom(m, 0, &err), MO_OK);
    ck_assert_int_ne(mo_model_set_detect_zoom(m, MO_DETECT_MAX_ZOOM + 1, &err), MO_OK);
    ck_assert_msg(strstr(err.message, "zoom"), "%s", err.message);
    ck_assert_int_eq(mo_model_set_detect_zoom(m, 1, &err), MO_OK); /* plans again */
    ck_assert_int_eq(mo_model_get_info(m, 64, 96, &plain, &err), MO_OK);
    ck_assert_int_gt(zoomed.arena_bytes, 3 * plain.arena_bytes);
    ck_assert_msg(mo_detect(m, input, 96, 64, -1.0f, dets, 300, &n1, &err) == MO_OK, "%s",
                  err.message);
    ck_assert_int_ge(n2, n1); /* on a blank input, nothing to suppress: the passes add up */
    ck_assert_int_eq(mo_model_get_detect_config(m).zoom, 1);
    mo_model_free(m);
    ck_assert_int_eq(mo_model_load(&m, model, NULL, &err), MO_OK);
    mo_model_free(m);
}
END_TEST

START_TEST(a_file_without_a_backbone_is_rejected) {
    model_spec s = small_spec(0);
    s.drop = "stage0.reparam_conv.weight";
    expect_load_error(&s, MO_ERR_MISSING, "stage0");
}
END_TEST

START_TEST(a_truncated_model_file_is_rejected) {
    model_spec s = small_spec(0);
    ck_assert_int_eq(model_build(path, &s), 0);
    FILE *f = fopen(path, "r+b");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ck_assert_int_eq(truncate(path, size - 100), 0);
    mo_model *m;
    mo_error err;
    ck_assert_int_eq(load(path, &m, &err), MO_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "truncated"));
}
END_TEST

START_TEST(a_too_small_input_is_rejected_at_plan) {
    model_spec s = small_spec(0);
    ck_assert_int_eq(model_build(path, &s), 0);
    mo_model *m;
    mo_error err;
    ck_assert_int_eq(load(path, &m, &err), MO_OK);
    ck_assert_int_eq(mo_model_plan(m, 0, 5, &err), MO_ERR_ARGUMENT);
    float logits[10];
    ck_assert_int_eq(mo_classify(m, logits, logits, &err), MO_ERR_ARGUMENT);
    ck_assert_int_eq(mo_model_plan(m, 1, 1, &err), MO_OK); /* 1x1 still gives a 1x1 map */
    mo_model_free(m);
}
END_TEST

START_TEST(the_layer_profile_covers_every_block_once) {
    model_spec s = small_spec(3);
    ck_assert_int_eq(model_build(path, &s), 0);
    mo_model *m;
    mo_error err;
    ck_assert_int_eq(load(path, &m, &err), MO_OK);
    mo_model_info info;
    ck_assert_int_eq(mo_model_get_info(m, 37, 29, &info, &err), MO_OK);
    ck_assert_int_eq(mo_model_plan(m, 37, 29, &err), MO_OK);
    mo_model_set_profiling(m, 1);
    mo_model_layer_profile layers[64];
    ck_assert_int_eq(mo_model_get_layer_profile(m, layers, 64), 0);
    float *input = calloc(37 * 29 * 3, sizeof(float));
    for (int run = 0; run < 2; run++) ck_assert_int_eq(mo_model_forward(m, input, &err), MO_OK);
    const int32_t n = mo_model_get_layer_profile(m, layers, 64);
    ck_assert_int_gt(n, 3);
    /* The layers' names, joined in order, spell the whole backbone once; their MACs add up to
     * the backbone's (the model's less its classifier). */
    char joined[1024] = "";
    int64_t macs = 0;
    for (int32_t i = 0; i < n; i++) {
        ck_assert_msg(layers[i].seconds > 0, "%s: no time", layers[i].name);
        ck_assert(layers[i].kind && layers[i].kind[0]);
        snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", i ? "+" : "",
                 layers[i].name);
        macs += layers[i].macs;
    }
    ck_assert_str_eq(joined, "stage0+stage1.0+stage1.1+stage2.0+stage2.1+stage2.2+stage2.3+"
                             "stage3.0+stage3.1+stage3.2+stage3.3+stage4.0+stage4.1");
    ck_assert_int_eq(macs, info.macs - (int64_t)info.num_classes * info.widths[4]);
    mo_model_set_profiling(m, 1); /* starts over */
    ck_assert_int_eq(mo_model_get_layer_profile(m, layers, 64), 0);
    free(input);
    mo_model_free(m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("load");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, fused_variant_counts_match_the_paper, 0, 5);
    tcase_add_test(tc, unfused_s0_is_recognized_with_k_4);
    tcase_add_test(tc, fusing_and_reloading_keeps_the_logits);
    tcase_add_test(tc, a_missing_tensor_is_named);
    tcase_add_test(tc, a_missing_batchnorm_statistic_is_named);
    tcase_add_test(tc, a_shape_that_does_not_fit_is_named);
    tcase_add_test(tc, a_wrong_dtype_is_named);
    tcase_add_test(tc, an_unexpected_tensor_is_named);
    tcase_add_test(tc, a_branch_count_that_differs_is_rejected);
    tcase_add_test(tc, a_config_variant_that_does_not_match_is_rejected);
    tcase_add_test(tc, a_config_with_an_unknown_field_is_rejected);
    tcase_add_test(tc, a_detect_first_stage_other_than_2_or_3_is_rejected);
    tcase_add_test(tc, detect_anchor_scales_must_number_the_levels_plus_one);
    tcase_add_test(tc, detect_tta_is_a_known_mode_and_d8_needs_a_square_input);
    tcase_add_test(tc, detect_zoom_is_checked_and_plans_the_enlarged_pass);
    tcase_add_test(tc, a_file_without_a_backbone_is_rejected);
    tcase_add_test(tc, a_truncated_model_file_is_rejected);
    tcase_add_test(tc, the_layer_profile_covers_every_block_once);
    tcase_add_test(tc, a_too_small_input_is_rejected_at_plan);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
