/* test_seg_io.c - segmentation outputs: palettes (VOC colormap, mmseg's ADE20K, files),
 * overlays, label and overlay PNGs written and read back with libpng, overlay videos. */
#include <check.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seg_palette.h"
#include "seg_png.h"
#include "seg_video.h"

static char tmp_path[256];

static const char *tmp_name(const char *suffix) {
    snprintf(tmp_path, sizeof tmp_path, "/tmp/mo_seg_io_%d%s", (int)getpid(), suffix);
    return tmp_path;
}

static void ck_color(const mo_palette *p, int i, int r, int g, int b) {
    ck_assert_msg(p->rgb[i][0] == r && p->rgb[i][1] == g && p->rgb[i][2] == b,
                  "color %d is (%d, %d, %d), expected (%d, %d, %d)", i, p->rgb[i][0],
                  p->rgb[i][1], p->rgb[i][2], r, g, b);
}

START_TEST(voc_palette_is_the_devkit_colormap) {
    mo_palette p;
    mo_palette_voc(&p);
    ck_assert_int_eq(p.count, 256);
    ck_color(&p, 0, 0, 0, 0);
    ck_color(&p, 1, 128, 0, 0);
    ck_color(&p, 2, 0, 128, 0);
    ck_color(&p, 3, 128, 128, 0);
    ck_color(&p, 4, 0, 0, 128);
    ck_color(&p, 15, 192, 128, 128); /* person */
    ck_color(&p, 20, 0, 64, 128);    /* tvmonitor */
    ck_color(&p, 255, 224, 224, 192); /* ignore */
}
END_TEST

START_TEST(ade20k_palette_is_mmsegs) {
    mo_palette p;
    mo_palette_ade20k(&p);
    ck_assert_int_eq(p.count, 150);
    ck_color(&p, 0, 120, 120, 120); /* wall */
    ck_color(&p, 12, 150, 5, 61);   /* person */
    ck_color(&p, 149, 92, 0, 255);  /* flag */
    ck_color(&p, 150, 120, 120, 120); /* past the end: wraps */
}
END_TEST

START_TEST(palette_by_name_class_count_and_file) {
    mo_palette p;
    mo_error err;
    ck_assert_int_eq(mo_palette_load(&p, "", 150, &err), MO_OK);
    ck_assert_int_eq(p.count, 150);
    ck_assert_int_eq(mo_palette_load(&p, NULL, 21, &err), MO_OK);
    ck_assert_int_eq(p.count, 256);
    const char *path = tmp_name(".palette");
    FILE *f = fopen(path, "w");
    fputs("# road, car\n10 20 30\n\n40,50,60  # car\n", f);
    fclose(f);
    ck_assert_int_eq(mo_palette_load(&p, path, 2, &err), MO_OK);
    ck_assert_int_eq(p.count, 2);
    ck_color(&p, 0, 10, 20, 30);
    ck_color(&p, 1, 40, 50, 60);
    ck_color(&p, 2, 10, 20, 30);
    f = fopen(path, "w");
    fputs("1 2 3\n1 2 300\n", f);
    fclose(f);
    ck_assert_int_eq(mo_palette_load(&p, path, 2, &err), MO_ERR_FORMAT);
    ck_assert_msg(strstr(err.message, ":2:") != NULL, "%s", err.message);
    remove(path);
    ck_assert_int_eq(mo_palette_load(&p, path, 2, &err), MO_ERR_IO);
    ck_assert_msg(strstr(err.message, path) != NULL, "%s", err.message);
}
END_TEST

START_TEST(overlay_blends_by_opacity) {
    const uint8_t rgb[6] = {100, 100, 100, 0, 255, 10};
    const uint8_t labels[2] = {1, 0};
    mo_palette p;
    mo_palette_voc(&p);
    uint8_t out[6];
    mo_overlay(out, rgb, labels, 2, &p, 0.0f);
    ck_assert(!memcmp(out, rgb, 6));
    mo_overlay(out, rgb, labels, 2, &p, 1.0f);
    ck_assert(out[0] == 128 && out[1] == 0 && out[2] == 0 && out[3] == 0 && out[4] == 0);
    mo_overlay(out, rgb, labels, 2, &p, 0.5f);
    ck_assert_int_eq(out[0], 114); /* (100 + 128) / 2 */
    ck_assert_int_eq(out[4], 128); /* 127.5 rounds to even */
}
END_TEST

/* Reads a PNG with libpng's simplified API in `format`; returns the pixels (malloc'ed). */
static uint8_t *read_png(const char *path, uint32_t format, int32_t *w, int32_t *h) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    ck_assert_msg(png_image_begin_read_from_file(&img, path), "%s: %s", path, img.message);
    ck_assert_int_eq(img.format & PNG_FORMAT_FLAG_COLORMAP, 0);
    img.format = format;
    uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
    ck_assert(png_image_finish_read(&img, NULL, buf, 0, NULL));
    *w = (int32_t)img.width;
    *h = (int32_t)img.height;
    return buf;
}

START_TEST(label_and_overlay_pngs_read_back) {
    enum { W = 37, H = 23 };
    uint8_t labels[W * H], rgb[W * H * 3];
    for (int i = 0; i < W * H; i++) labels[i] = (uint8_t)(i * 7 % 151);
    for (int i = 0; i < W * H * 3; i++) rgb[i] = (uint8_t)(i * 13);
    mo_error err;
    const char *path = tmp_name(".png");
    ck_assert_msg(mo_png_write_gray8(path, labels, W, H, &err) == MO_OK, "%s", err.message);
    int32_t w, h;
    uint8_t *back = read_png(path, PNG_FORMAT_GRAY, &w, &h);
    ck_assert(w == W && h == H && !memcmp(back, labels, sizeof labels));
    free(back);
    ck_assert_msg(mo_png_write_rgb8(path, rgb, W, H, &err) == MO_OK, "%s", err.message);
    back = read_png(path, PNG_FORMAT_RGB, &w, &h);
    ck_assert(w == W && h == H && !memcmp(back, rgb, sizeof rgb));
    free(back);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_ne(access(tmp, F_OK), 0); /* renamed, not left behind */
    remove(path);
    ck_assert_int_eq(mo_png_write_gray8("/nonexistent/dir/x.png", labels, W, H, &err), MO_ERR_IO);
    ck_assert_msg(strstr(err.message, "/nonexistent/dir/x.png") != NULL, "%s", err.message);
}
END_TEST

START_TEST(overlay_video_round_trips) {
    enum { W = 32, H = 24, FRAMES = 3 };
    const char *path = tmp_name(".avi");
    mo_error err;
    mo_seg_video_writer *wr;
    ck_assert_msg(mo_seg_video_writer_open(&wr, path, W, H, 10.0, &err) == MO_OK, "%s",
                  err.message);
    uint8_t rgb[W * H * 3];
    for (int f = 0; f < FRAMES; f++) {
        memset(rgb, 60 * f, sizeof rgb);
        mo_seg_video_write(wr, rgb);
    }
    mo_seg_video_writer_close(wr);
    ck_assert(mo_seg_is_video_path(path));
    mo_seg_video_reader *rd;
    int32_t w, h;
    double fps;
    int64_t frames;
    ck_assert_msg(mo_seg_video_open(&rd, path, &w, &h, &fps, &frames, &err) == MO_OK, "%s",
                  err.message);
    ck_assert(w == W && h == H);
    mo_image img = {0};
    int n = 0;
    while (mo_seg_video_read(rd, &img)) {
        ck_assert(img.width == W && img.height == H);
        ck_assert_int_le(abs(img.rgb[0] - 60 * n), 8); /* MJPG is lossy */
        n++;
    }
    ck_assert_int_eq(n, FRAMES);
    mo_image_free(&img);
    mo_seg_video_close(rd);
    remove(path);
    ck_assert_int_ne(mo_seg_video_open(&rd, path, &w, &h, &fps, &frames, &err), MO_OK);
}
END_TEST

int main(void) {
    Suite *s = suite_create("seg_io");
    TCase *tc = tcase_create("io");
    tcase_add_test(tc, voc_palette_is_the_devkit_colormap);
    tcase_add_test(tc, ade20k_palette_is_mmsegs);
    tcase_add_test(tc, palette_by_name_class_count_and_file);
    tcase_add_test(tc, overlay_blends_by_opacity);
    tcase_add_test(tc, label_and_overlay_pngs_read_back);
    tcase_add_test(tc, overlay_video_round_trips);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
