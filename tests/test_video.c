/* test_video.c - io/video.h, io/avi_writer.h and io/draw.h: frame-exact round trips (the C
 * AVI writer's files read back by OpenCV), temporary names, errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "avi_writer.h"
#include "draw.h"
#include "video.h"

static char dir[256];

static void make_dir(void) {
    snprintf(dir, sizeof dir, "/tmp/mo_test_video_%d", (int)getpid());
    mkdir(dir, 0777);
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void fill_frame(mo_image *img, int i) {
    for (int32_t y = 0; y < img->height; y++)
        for (int32_t x = 0; x < img->width; x++) {
            uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;
            p[0] = (uint8_t)(x * 4 + i * 10), p[1] = (uint8_t)(y * 4), p[2] = (uint8_t)(i * 20);
        }
}

static void round_trip(const char *name, int frames) {
    char path[512], tmp[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mo_error err;
    mo_video_writer *w;
    ck_assert_msg(mo_video_writer_open(&w, path, 25.0, 64, 48, &err) == MO_OK, "%s", err.message);
    mo_image img;
    ck_assert_int_eq(mo_image_alloc(&img, 64, 48, &err), MO_OK);
    for (int i = 0; i < frames; i++) {
        fill_frame(&img, i);
        mo_detection d = {.x = 5, .y = 6, .w = 20, .h = 10, .score = 0.9f, .label = 1};
        const char *names[2] = {NULL, "thing"};
        mo_draw_detections(&img, &d, 1, names, 2);
        ck_assert_int_eq(mo_video_write(w, &img, &err), MO_OK);
    }
    /* Written under a temporary name until finished. */
    ck_assert(!exists(path));
    ck_assert_int_eq(mo_video_writer_finish(w, &err), MO_OK);
    ck_assert(exists(path));
    snprintf(tmp, sizeof tmp, "%.*s.tmp%s", (int)(strrchr(path, '.') - path), path,
             strrchr(path, '.'));
    ck_assert(!exists(tmp));
    mo_video_reader *r;
    ck_assert_msg(mo_video_open(&r, path, &err) == MO_OK, "%s", err.message);
    int32_t vw, vh;
    mo_video_size(r, &vw, &vh);
    ck_assert_int_eq(vw, 64);
    ck_assert_int_eq(vh, 48);
    ck_assert_double_eq_tol(mo_video_fps(r), 25.0, 0.01);
    mo_image frame = {0};
    int n = 0;
    while (mo_video_read(r, &frame)) n++;
    ck_assert_int_eq(n, frames);
    mo_video_close(r);
    mo_image_free(&frame);
    mo_image_free(&img);
    remove(path);
}

START_TEST(avi_round_trip_is_frame_exact) {
    round_trip("a.avi", 13);
}
END_TEST

START_TEST(mp4_round_trip_is_frame_exact) {
    round_trip("b.mp4", 7);
}
END_TEST

START_TEST(writer_that_cannot_open_is_an_error) {
    mo_error err;
    mo_video_writer *w;
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/out.avi", dir);
    ck_assert_int_eq(mo_video_writer_open(&w, path, 25.0, 64, 48, &err), MO_ERR_IO);
    ck_assert_ptr_null(w);
    ck_assert(strstr(err.message, "out.avi") != NULL);
    snprintf(path, sizeof path, "%s/noext", dir);
    ck_assert_int_eq(mo_video_writer_open(&w, path, 25.0, 64, 48, &err), MO_ERR_ARGUMENT);
    ck_assert(!exists(path));
}
END_TEST

START_TEST(missing_or_corrupt_video_is_a_clear_error) {
    mo_error err;
    mo_video_reader *r;
    char path[512];
    snprintf(path, sizeof path, "%s/missing.avi", dir);
    ck_assert_int_eq(mo_video_open(&r, path, &err), MO_ERR_IO);
    ck_assert(strstr(err.message, "missing.avi") != NULL);
    snprintf(path, sizeof path, "%s/corrupt.avi", dir);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 5000; i++) fputc((i * 7919) & 0xff, f);
    fclose(f);
    ck_assert_int_eq(mo_video_open(&r, path, &err), MO_ERR_FORMAT);
    ck_assert(strstr(err.message, "corrupt.avi") != NULL);
    remove(path);
}
END_TEST

START_TEST(image_write_is_atomic_and_checked) {
    mo_error err;
    mo_image img;
    ck_assert_int_eq(mo_image_alloc(&img, 16, 8, &err), MO_OK);
    fill_frame(&img, 1);
    char path[512];
    snprintf(path, sizeof path, "%s/x.png", dir);
    ck_assert_int_eq(mo_image_write(path, &img, &err), MO_OK);
    mo_image back;
    ck_assert_int_eq(mo_image_read(&back, path, &err), MO_OK);
    ck_assert_int_eq(memcmp(back.rgb, img.rgb, 16 * 8 * 3), 0);
    mo_image_free(&back);
    remove(path);
    snprintf(path, sizeof path, "%s/no/dir/x.png", dir);
    ck_assert_int_eq(mo_image_write(path, &img, &err), MO_ERR_IO);
    mo_image_free(&img);
}
END_TEST

/* A smooth frame (gradients that move with i), the kind MJPG at quality 90 keeps within a few
 * levels. */
static void fill_smooth(uint8_t *rgb, int32_t width, int32_t height, int i) {
    for (int32_t y = 0; y < height; y++)
        for (int32_t x = 0; x < width; x++) {
            uint8_t *p = rgb + ((size_t)y * width + x) * 3;
            p[0] = (uint8_t)(40 + 150 * x / width + i);
            p[1] = (uint8_t)(30 + 160 * y / height);
            p[2] = (uint8_t)(200 - 100 * (x + y) / (width + height) - 2 * i);
        }
}

/* Writes `frames` smooth frames with the C AVI writer, reads them back through OpenCV and
 * checks the count (container and decoded), fps, size and the mean absolute difference. */
static void avi_round_trip(int32_t width, int32_t height, double fps, int frames) {
    char path[512];
    snprintf(path, sizeof path, "%s/c_%dx%d.avi", dir, width, height);
    mo_error err;
    mo_avi_writer *w;
    ck_assert_msg(mo_avi_writer_open(&w, path, fps, width, height, MO_AVI_DEFAULT_QUALITY,
                                     &err) == MO_OK, "%s", err.message);
    size_t bytes = (size_t)width * height * 3;
    uint8_t *rgb = malloc(bytes * frames);
    for (int i = 0; i < frames; i++) {
        fill_smooth(rgb + bytes * i, width, height, i);
        ck_assert_msg(mo_avi_write_rgb(w, rgb + bytes * i, &err) == MO_OK, "%s", err.message);
    }
    ck_assert(!exists(path));
    ck_assert_msg(mo_avi_writer_finish(w, &err) == MO_OK, "%s", err.message);
    ck_assert(exists(path));

    mo_video_reader *r;
    ck_assert_msg(mo_video_open(&r, path, &err) == MO_OK, "%s", err.message);
    int32_t vw, vh;
    mo_video_size(r, &vw, &vh);
    ck_assert_int_eq(vw, width);
    ck_assert_int_eq(vh, height);
    ck_assert_double_eq_tol(mo_video_fps(r), fps, 1e-3);
    ck_assert_int_eq(mo_video_frame_count(r), frames);
    mo_image frame = {0};
    int n = 0;
    double worst = 0;
    while (mo_video_read(r, &frame)) {
        ck_assert_int_lt(n, frames);
        double sum = 0;
        for (size_t k = 0; k < bytes; k++) sum += abs(frame.rgb[k] - rgb[bytes * n + k]);
        if (sum / bytes > worst) worst = sum / bytes;
        n++;
    }
    ck_assert_int_eq(n, frames);
    fprintf(stderr, "avi %dx%d: %d frames back, worst mean |diff| %.2f levels\n", width, height,
            n, worst);
    ck_assert_msg(worst < 3.0, "mean |diff| %.2f levels", worst);
    mo_video_close(r);
    mo_image_free(&frame);
    free(rgb);
    remove(path);
}

START_TEST(c_avi_writer_reads_back_exact_in_count_fps_and_size) {
    avi_round_trip(160, 120, 25.0, 17);
}
END_TEST

START_TEST(c_avi_writer_takes_odd_sizes_and_ntsc_rates) {
    avi_round_trip(97, 61, 30000.0 / 1001.0, 9);
    avi_round_trip(1, 1, 12.5, 2);
}
END_TEST

START_TEST(c_avi_writer_unwritable_path_is_an_error_and_leaves_nothing) {
    mo_error err;
    mo_avi_writer *w;
    char path[512], tmp[512];
    snprintf(path, sizeof path, "%s/no/such/dir/out.avi", dir);
    ck_assert_int_eq(mo_avi_writer_open(&w, path, 25.0, 64, 48, 90, &err), MO_ERR_IO);
    ck_assert_ptr_null(w);
    ck_assert_msg(strstr(err.message, "out.avi") != NULL, "%s", err.message);
    /* bad arguments name the file too, and create nothing */
    snprintf(path, sizeof path, "%s/bad.avi", dir);
    snprintf(tmp, sizeof tmp, "%s/bad.tmp.avi", dir);
    ck_assert_int_eq(mo_avi_writer_open(&w, path, 0.0, 64, 48, 90, &err), MO_ERR_ARGUMENT);
    ck_assert_int_eq(mo_avi_writer_open(&w, path, 25.0, 64, 48, 101, &err), MO_ERR_ARGUMENT);
    ck_assert_msg(strstr(err.message, "bad.avi") != NULL, "%s", err.message);
    ck_assert(!exists(path) && !exists(tmp));
}
END_TEST

START_TEST(c_avi_writer_abort_leaves_no_file) {
    mo_error err;
    mo_avi_writer *w;
    char path[512], tmp[512];
    snprintf(path, sizeof path, "%s/aborted.avi", dir);
    snprintf(tmp, sizeof tmp, "%s/aborted.tmp.avi", dir);
    ck_assert_int_eq(mo_avi_writer_open(&w, path, 25.0, 33, 17, 90, &err), MO_OK);
    uint8_t rgb[33 * 17 * 3];
    fill_smooth(rgb, 33, 17, 0);
    for (int i = 0; i < 3; i++) ck_assert_int_eq(mo_avi_write_rgb(w, rgb, &err), MO_OK);
    ck_assert(exists(tmp) && !exists(path)); /* written under the temporary name */
    mo_avi_writer_abort(w);
    ck_assert(!exists(tmp) && !exists(path));
    mo_avi_writer_abort(NULL);
}
END_TEST

/* .avi through video.h never loads the OpenCV module: with the module's path pointing nowhere,
 * writing still works (the reader, which needs it, is not asked). Last in the suite: a failed
 * load is remembered for the process, which matters when Check does not fork. */
START_TEST(avi_output_does_not_need_the_opencv_module) {
    const char *old = getenv("MOBILEONE_OPENCV_PLUGIN");
    char *saved = old ? strdup(old) : NULL;
    setenv("MOBILEONE_OPENCV_PLUGIN", "/nonexistent/mobileone-opencv.so", 1);
    char path[512];
    snprintf(path, sizeof path, "%s/no_module.avi", dir);
    mo_error err;
    mo_video_writer *w;
    ck_assert_msg(mo_video_writer_open(&w, path, 10.0, 40, 30, &err) == MO_OK, "%s",
                  err.message);
    mo_image img;
    ck_assert_int_eq(mo_image_alloc(&img, 40, 30, &err), MO_OK);
    fill_frame(&img, 0);
    ck_assert_int_eq(mo_video_write(w, &img, &err), MO_OK);
    mo_image wrong = {.width = 41, .height = 30, .rgb = img.rgb};
    ck_assert_int_eq(mo_video_write(w, &wrong, &err), MO_ERR_ARGUMENT);
    ck_assert_msg(strstr(err.message, "no_module.avi") != NULL, "%s", err.message);
    ck_assert_msg(mo_video_writer_finish(w, &err) == MO_OK, "%s", err.message);
    ck_assert(exists(path));
    remove(path);
    /* A short video of known length stays in C; a long one, or one of unknown length (a
     * camera), needs OpenCV's muxer (past 1 GiB), here absent: an error, and no file. */
    ck_assert_msg(mo_video_writer_open_for(&w, path, 10.0, 40, 30, 3, &err) == MO_OK, "%s",
                  err.message);
    ck_assert_int_eq(mo_video_write(w, &img, &err), MO_OK);
    ck_assert_msg(mo_video_writer_finish(w, &err) == MO_OK, "%s", err.message);
    ck_assert(exists(path));
    remove(path);
    ck_assert_int_eq(mo_video_writer_open_for(&w, path, 30.0, 1920, 1080, 54000, &err),
                     MO_ERR_IO);
    ck_assert_int_eq(mo_video_writer_open_for(&w, path, 30.0, 40, 30, 0, &err), MO_ERR_IO);
    ck_assert(!exists(path));
    mo_image_free(&img);
    if (saved) setenv("MOBILEONE_OPENCV_PLUGIN", saved, 1);
    else unsetenv("MOBILEONE_OPENCV_PLUGIN");
    free(saved);
}
END_TEST

int main(void) {
    make_dir();
    Suite *s = suite_create("video");
    TCase *tc = tcase_create("io");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, avi_round_trip_is_frame_exact);
    tcase_add_test(tc, mp4_round_trip_is_frame_exact);
    tcase_add_test(tc, writer_that_cannot_open_is_an_error);
    tcase_add_test(tc, missing_or_corrupt_video_is_a_clear_error);
    tcase_add_test(tc, image_write_is_atomic_and_checked);
    tcase_add_test(tc, c_avi_writer_reads_back_exact_in_count_fps_and_size);
    tcase_add_test(tc, c_avi_writer_takes_odd_sizes_and_ntsc_rates);
    tcase_add_test(tc, c_avi_writer_unwritable_path_is_an_error_and_leaves_nothing);
    tcase_add_test(tc, c_avi_writer_abort_leaves_no_file);
    tcase_add_test(tc, avi_output_does_not_need_the_opencv_module);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    rmdir(dir);
    return failed ? 1 : 0;
}
