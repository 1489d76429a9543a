/* seg_png.c - PNG writing with libpng (grey label maps, RGB overlays), temp name then rename. */
#include "seg_png.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

typedef struct png_job {
    const char *path;
    const uint8_t *data;
    int32_t width, height, channels;
} png_job;

/* libpng reports errors by longjmp; everything the jump can skip is volatile or set before. */
static int write_png(FILE *f, const png_job *j, char *why, size_t why_size) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        snprintf(why, why_size, "out of memory");
        return 0;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        snprintf(why, why_size, "libpng failed to write");
        return 0;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)j->width, (png_uint_32)j->height, 8,
                 j->channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    /* zlib's fastest level: label maps and overlays are written per frame, and level 1 costs
     * a fraction of the default's time for files a little larger. */
    png_set_compression_level(png, 1);
    png_write_info(png, info);
    const size_t stride = (size_t)j->width * (size_t)j->channels;
    for (int32_t y = 0; y < j->height; y++)
        png_write_row(png, (png_const_bytep)(j->data + (size_t)y * stride));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 1;
}

static mo_status write_file(const png_job *j, mo_error *err) {
    if (j->width < 1 || j->height < 1)
        return mo_error_set(err, MO_ERR_ARGUMENT, "%s: image size %dx%d is empty", j->path,
                            j->width, j->height);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", j->path) >= (int)sizeof tmp)
        return mo_error_set(err, MO_ERR_ARGUMENT, "%s: path too long", j->path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return mo_error_set(err, MO_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    char why[128] = "";
    int ok = write_png(f, j, why, sizeof why);
    if (fclose(f) != 0 && ok) {
        ok = 0;
        snprintf(why, sizeof why, "write error: %s", strerror(errno));
    }
    if (ok && rename(tmp, j->path) != 0) {
        ok = 0;
        snprintf(why, sizeof why, "cannot rename %s: %s", tmp, strerror(errno));
    }
    if (!ok) {
        remove(tmp);
        return mo_error_set(err, MO_ERR_IO, "%s: %s", j->path, why);
    }
    return MO_OK;
}

mo_status mo_png_write_gray8(const char *path, const uint8_t *data, int32_t width,
                             int32_t height, mo_error *err) {
    const png_job j = {path, data, width, height, 1};
    return write_file(&j, err);
}

mo_status mo_png_write_rgb8(const char *path, const uint8_t *rgb, int32_t width, int32_t height,
                            mo_error *err) {
    const png_job j = {path, rgb, width, height, 3};
    return write_file(&j, err);
}
