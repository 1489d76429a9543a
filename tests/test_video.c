/* test_video.c - io/video.h and io/draw.h: frame-exact round trips, temporary names, errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    rmdir(dir);
    return failed ? 1 : 0;
}
