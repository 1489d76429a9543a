/* test_eval_miou_edges.c - the mIoU edge cases of evaluators.md §6.15, one test each, on small
 * label maps (in memory or written to temporary PNGs). Needs nothing from $MO_SHARED_DIR. */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/test_util.h"
#include "label_png.h"
#include "miou.h"

static mo_miou *make(int C, int ignore, int reduce) {
    mo_miou_params p = mo_miou_default_params(C);
    p.ignore_index = ignore;
    p.reduce_zero_label = reduce;
    mo_miou *m;
    mo_error err = {0};
    ck_assert(mo_miou_create(&m, &p, &err) == MO_OK);
    return m;
}

static void compute(mo_miou *m, mo_miou_result *r) {
    mo_error err = {0};
    ck_assert(mo_miou_compute(m, 0, r, &err) == MO_OK);
}

START_TEST(ignore_255_pixels_are_dropped_including_a_fully_ignored_image) {
    mo_miou *m = make(3, 255, 0);
    const uint8_t gt[6] = {0, 255, 1, 255, 2, 2}, pred[6] = {0, 1, 1, 2, 2, 0};
    mo_miou_add_u8(m, gt, pred, 6);
    const uint8_t gt2[4] = {255, 255, 255, 255}, pred2[4] = {0, 1, 2, 0};
    mo_miou_add_u8(m, gt2, pred2, 4); /* contributes nothing */
    mo_miou_result r;
    compute(m, &r);
    ck_assert_int_eq(r.num_images, 2);
    ck_assert_int_eq(r.area_pred[0], 2); /* pred 1 and 2 on ignored pixels not counted */
    ck_assert_int_eq(r.area_pred[1], 1);
    ck_assert_int_eq(r.area_pred[2], 1);
    ck_assert(r.aAcc == 3.0 / 4.0);
    ck_assert(r.iou[2] == 1.0 / 2.0 && r.acc[2] == 1.0 / 2.0);
    mo_miou_result_free(&r);
    mo_miou_free(m);
}
END_TEST

START_TEST(predicted_class_absent_from_gt_counts_iou_0_but_acc_nan) {
    mo_miou *m = make(3, 255, 0);
    const uint8_t gt[4] = {0, 0, 1, 1}, pred[4] = {0, 2, 1, 1};
    mo_miou_add_u8(m, gt, pred, 4);
    mo_miou_result r;
    compute(m, &r);
    ck_assert(r.iou[2] == 0.0);
    ck_assert(isnan(r.acc[2]));
    /* mIoU = (1/2 + 1 + 0) / 3; mAcc = (1/2 + 1) / 2 */
    ck_assert(fabs(r.mIoU - 0.5) <= 1e-15);
    ck_assert(r.mAcc == 0.75);
    mo_miou_result_free(&r);
    mo_miou_free(m);
}
END_TEST

START_TEST(class_absent_from_gt_and_pred_is_nan_and_excluded_from_means) {
    mo_miou *m = make(4, 255, 0);
    const uint8_t gt[2] = {0, 1}, pred[2] = {0, 1};
    mo_miou_add_u8(m, gt, pred, 2);
    mo_miou_result r;
    compute(m, &r);
    ck_assert(isnan(r.iou[2]) && isnan(r.iou[3]) && isnan(r.acc[3]));
    ck_assert(r.mIoU == 1.0 && r.mAcc == 1.0);
    mo_miou_result_free(&r);
    mo_miou_free(m);
}
END_TEST

START_TEST(prediction_outside_classes_counts_in_label_area_only) {
    mo_miou *m = make(2, 255, 0);
    const uint8_t gt[4] = {0, 0, 1, 1}, pred[4] = {0, 7, 1, 200};
    mo_miou_add_u8(m, gt, pred, 4);
    mo_miou_result r;
    compute(m, &r);
    ck_assert_int_eq(r.area_label[0], 2);
    ck_assert_int_eq(r.area_pred[0], 1);
    ck_assert(r.acc[0] == 0.5 && r.iou[0] == 0.5 && r.aAcc == 0.5);
    mo_miou_result_free(&r);
    mo_miou_free(m);
}
END_TEST

START_TEST(reduce_zero_label_wraps_uint8_0_to_ignored_and_keeps_255_ignored) {
    mo_miou *m = make(150, 255, 1);
    /* raw GT 0 (other) -> 255 ignored; 1 -> class 0; 150 -> class 149; 255 stays ignored */
    const uint8_t gt[5] = {0, 1, 150, 255, 2}, pred[5] = {3, 0, 149, 5, 0};
    mo_miou_add_u8(m, gt, pred, 5);
    mo_miou_result r;
    compute(m, &r);
    ck_assert_int_eq(r.area_label[0], 1);
    ck_assert_int_eq(r.area_label[149], 1);
    ck_assert_int_eq(r.area_label[1], 1);
    ck_assert_int_eq(r.area_intersect[0], 1);
    ck_assert_int_eq(r.area_pred[0], 2); /* pixels 1 and 4; pixel 0's pred 3 is ignored */
    ck_assert_int_eq(r.area_pred[3], 0);
    ck_assert_int_eq(r.area_pred[5], 0);
    ck_assert(r.aAcc == 2.0 / 3.0);
    mo_miou_result_free(&r);
    mo_miou_free(m);
}
END_TEST

START_TEST(dataset_totals_are_summed_before_dividing) {
    mo_miou *m = make(2, 255, 0);
    const uint8_t g1[4] = {0, 0, 0, 0}, p1[4] = {0, 0, 0, 0}; /* image IoU[0] = 1 */
    const uint8_t g2[1] = {0}, p2[1] = {1};                   /* image IoU[0] = 0 */
    mo_miou_add_u8(m, g1, p1, 4);
    mo_miou_add_u8(m, g2, p2, 1);
    mo_miou_result r;
    compute(m, &r);
    ck_assert(r.iou[0] == 4.0 / 5.0); /* not (1 + 0) / 2 */
    mo_miou_result_free(&r);
    mo_miou_free(m);
}
END_TEST

START_TEST(reported_percent_rounds_half_to_even_like_np_round) {
    ck_assert(mo_miou_percent(0.00125, 0) == 0.12); /* 12.5 -> 12, not 13 */
    ck_assert(mo_miou_percent(0.12345, 0) == 12.34);
    ck_assert(mo_miou_percent(0.8947477827050998, 0) == 89.47);
    ck_assert(isnan(mo_miou_percent(NAN, 0)));
}
END_TEST

/* Writes a PNG with libpng at any depth / colour type for the reader tests. */
static void write_png(const char *path, int w, int h, int depth, int color, const uint16_t *v) {
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        for (int i = 0; i < 256; i++) {
            uint8_t rgb[3];
            mo_voc_palette_color(i, rgb);
            pal[i].red = rgb[0];
            pal[i].green = rgb[1];
            pal[i].blue = rgb[2];
        }
        png_set_PLTE(png, info, pal, 1 << (depth < 8 ? depth : 8));
    }
    png_write_info(png, info);
    int ch = color == PNG_COLOR_TYPE_RGB ? 3 : 1, bpp = depth == 16 ? 2 : 1;
    uint8_t *row = calloc((size_t)w * ch * bpp + 1, 1);
    for (int y = 0; y < h; y++) {
        memset(row, 0, (size_t)w * ch * bpp + 1);
        for (int x = 0; x < w; x++) {
            unsigned val = v[y * w + x];
            if (depth < 8) {
                int per = 8 / depth;
                row[x / per] |= (uint8_t)(val << (8 - depth * (x % per + 1)));
            } else if (depth == 16) {
                row[2 * x] = (uint8_t)(val >> 8);
                row[2 * x + 1] = (uint8_t)val;
            } else {
                for (int c = 0; c < ch; c++)
                    row[x * ch + c] = (uint8_t)val;
            }
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    free(row);
}

static void temp_path(char *out, size_t cap) {
    ck_assert(et_write_temp("", 0, out, cap));
}

START_TEST(palette_png_is_read_as_indices_at_every_bit_depth) {
    char path[256];
    temp_path(path, sizeof path);
    mo_label_map map = {0};
    mo_error err = {0};
    uint16_t v[15];
    for (int depth = 1; depth <= 8; depth *= 2) {
        for (int i = 0; i < 15; i++)
            v[i] = (uint16_t)((i * 7) % (1 << depth));
        write_png(path, 5, 3, depth, PNG_COLOR_TYPE_PALETTE, v);
        ck_assert_msg(mo_label_png_read(path, &map, &err) == MO_OK, "%s", err.message);
        ck_assert_int_eq(map.width, 5);
        ck_assert_int_eq(map.height, 3);
        ck_assert_int_eq(map.bits, 8);
        for (int i = 0; i < 15; i++)
            ck_assert_msg(map.data8[i] == v[i], "depth %d pixel %d: %d, want %d", depth, i,
                          map.data8[i], v[i]);
        write_png(path, 5, 3, depth, PNG_COLOR_TYPE_GRAY, v); /* grey: not scaled either */
        ck_assert(mo_label_png_read(path, &map, &err) == MO_OK);
        for (int i = 0; i < 15; i++)
            ck_assert_int_eq(map.data8[i], v[i]);
    }
    for (int i = 0; i < 15; i++)
        v[i] = (uint16_t)(i * 4000);
    write_png(path, 5, 3, 16, PNG_COLOR_TYPE_GRAY, v);
    ck_assert(mo_label_png_read(path, &map, &err) == MO_OK);
    ck_assert_int_eq(map.bits, 16);
    for (int i = 0; i < 15; i++)
        ck_assert_int_eq(map.data16[i], v[i]);
    /* the writer used by benchmarks: VOC palette, indices kept */
    uint8_t idx[6] = {0, 1, 15, 20, 255, 7};
    ck_assert(mo_label_png_write(path, idx, 3, 2, 1, &err) == MO_OK);
    ck_assert(mo_label_png_read(path, &map, &err) == MO_OK);
    ck_assert(memcmp(map.data8, idx, 6) == 0);
    mo_label_map_free(&map);
    unlink(path);
}
END_TEST

START_TEST(rgb_png_and_non_png_are_rejected_with_a_message) {
    char path[256];
    temp_path(path, sizeof path);
    uint16_t v[4] = {1, 2, 3, 4};
    write_png(path, 2, 2, 8, PNG_COLOR_TYPE_RGB, v);
    mo_label_map map = {0};
    mo_error err = {0};
    ck_assert(mo_label_png_read(path, &map, &err) == MO_ERR_FORMAT);
    ck_assert(strstr(err.message, path) && strstr(err.message, "RGB"));
    FILE *f = fopen(path, "wb");
    fputs("not a png at all", f);
    fclose(f);
    ck_assert(mo_label_png_read(path, &map, &err) == MO_ERR_FORMAT);
    ck_assert(strstr(err.message, "not a PNG"));
    /* a truncated PNG: the first 60 bytes of a valid one */
    write_png(path, 2, 2, 8, PNG_COLOR_TYPE_GRAY, v);
    f = fopen(path, "rb");
    char buf[60];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    f = fopen(path, "wb");
    fwrite(buf, 1, n, f);
    fclose(f);
    ck_assert(mo_label_png_read(path, &map, &err) == MO_ERR_FORMAT);
    ck_assert(strstr(err.message, path) != NULL);
    ck_assert(mo_label_png_read("/nonexistent/x.png", &map, &err) == MO_ERR_IO);
    mo_label_map_free(&map);
    unlink(path);
}
END_TEST

START_TEST(mixed_image_sizes_accumulate_and_a_mismatched_pair_is_rejected) {
    mo_miou *m = make(3, 255, 0);
    mo_label_map a = {0}, b = {0};
    uint8_t d1[6] = {0, 1, 2, 0, 1, 2}, d2[4] = {1, 1, 1, 1};
    a.width = 3, a.height = 2, a.bits = 8, a.data8 = d1;
    b = a;
    mo_error err = {0};
    ck_assert(mo_miou_add(m, &a, &b, "six", &err) == MO_OK);
    a.width = 2, a.height = 2, a.data8 = d2;
    b = a;
    ck_assert(mo_miou_add(m, &a, &b, "four", &err) == MO_OK);
    b.width = 4, b.height = 1;
    ck_assert(mo_miou_add(m, &a, &b, "bad", &err) == MO_ERR_SHAPE);
    ck_assert(strstr(err.message, "bad") && strstr(err.message, "2x2"));
    mo_miou_result r;
    compute(m, &r);
    ck_assert_int_eq(r.area_label[1], 6);
    ck_assert(r.aAcc == 1.0);
    mo_miou_result_free(&r);
    mo_miou_free(m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("eval_miou_edges");
    TCase *te = tcase_create("evaluators.md 6.15");
    tcase_add_test(te, ignore_255_pixels_are_dropped_including_a_fully_ignored_image);
    tcase_add_test(te, predicted_class_absent_from_gt_counts_iou_0_but_acc_nan);
    tcase_add_test(te, class_absent_from_gt_and_pred_is_nan_and_excluded_from_means);
    tcase_add_test(te, prediction_outside_classes_counts_in_label_area_only);
    tcase_add_test(te, reduce_zero_label_wraps_uint8_0_to_ignored_and_keeps_255_ignored);
    tcase_add_test(te, dataset_totals_are_summed_before_dividing);
    tcase_add_test(te, reported_percent_rounds_half_to_even_like_np_round);
    tcase_add_test(te, palette_png_is_read_as_indices_at_every_bit_depth);
    tcase_add_test(te, rgb_png_and_non_png_are_rejected_with_a_message);
    tcase_add_test(te, mixed_image_sizes_accumulate_and_a_mismatched_pair_is_rejected);
    suite_add_tcase(s, te);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
