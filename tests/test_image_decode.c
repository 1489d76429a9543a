/* test_image_decode.c - io/image_decode.c against OpenCV: PNGs and JPEGs of every kind that
 * matters (bit depths, palettes, alpha, interlacing, chroma subsampling, progressive, CMYK,
 * EXIF orientations) are written here with libpng / libjpeg, then decoded by mo_image_read and
 * by cv::imread in the OpenCV module (mo_opencv_image_read); the pixels must be identical. Also:
 * PNG / JPEG decoding never loads OpenCV, and a module that cannot be loaded is one clear line.
 */
#include <check.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jpeglib.h>

#include "image.h"
#include "opencv_plugin.h"
#include "video.h"

static char dir[256];

/* A deterministic picture with edges, gradients and noise: what stresses upsampling and
 * rounding. Sample c of pixel (x, y), scaled to [0, max]. */
static unsigned sample(int x, int y, int c, unsigned max) {
    unsigned v = (unsigned)(x * 37 + y * 11 + c * 71) % 256;
    if (((x / 5) + (y / 3)) % 2) v = 255 - v;
    v ^= (unsigned)((x * 2654435761u + y * 40503u + c * 977u) >> 13) & 0x1f;
    return max == 255 ? v & 255 : (v & 255) * 257u ^ ((unsigned)(x * 131 + y * 7 + c) & 0xff);
}

/* ---- PNG writing ---------------------------------------------------------------------- */

typedef struct png_spec {
    const char *name;
    int w, h, bit_depth, color_type, interlace;
    int trns;        /* write a tRNS chunk */
    int exif_orient; /* 0: no eXIf chunk */
} png_spec;

static void tiff_orientation(uint8_t out[26], int orientation, int intel);

static void write_png(const char *path, const png_spec *s) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    ck_assert(!setjmp(png_jmpbuf(png)));
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, s->bit_depth, s->color_type,
                 s->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    const int levels = 1 << (s->bit_depth > 8 ? 8 : s->bit_depth);
    if (s->color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        png_byte alpha[256];
        for (int i = 0; i < levels; i++) {
            pal[i].red = (png_byte)(i * 53), pal[i].green = (png_byte)(255 - i * 17);
            pal[i].blue = (png_byte)(i * i);
            alpha[i] = (png_byte)(i * 29);
        }
        png_set_PLTE(png, info, pal, levels);
        if (s->trns) png_set_tRNS(png, info, alpha, levels, NULL);
    } else if (s->trns) {
        png_color_16 t = {0, 1, 2, 3, 1};
        png_set_tRNS(png, info, NULL, 0, &t);
    }
    if (s->exif_orient) {
        uint8_t exif[26];
        tiff_orientation(exif, s->exif_orient, 1);
        png_set_eXIf_1(png, info, sizeof exif, exif);
    }
    png_write_info(png, info);
    const int channels = s->color_type == PNG_COLOR_TYPE_PALETTE ? 1
                         : png_get_channels(png, info);
    const size_t rowbytes = png_get_rowbytes(png, info);
    png_bytep image = calloc((size_t)s->h, rowbytes);
    png_bytep *rows = malloc(sizeof *rows * (size_t)s->h);
    for (int y = 0; y < s->h; y++) {
        rows[y] = image + (size_t)y * rowbytes;
        for (int x = 0; x < s->w; x++)
            for (int c = 0; c < channels; c++) {
                if (s->bit_depth == 16) {
                    unsigned v = sample(x, y, c, 65535);
                    rows[y][((size_t)x * channels + c) * 2] = (png_byte)(v >> 8);
                    rows[y][((size_t)x * channels + c) * 2 + 1] = (png_byte)v;
                } else if (s->bit_depth == 8) {
                    rows[y][(size_t)x * channels + c] = (png_byte)sample(x, y, c, 255);
                } else { /* 1, 2, 4 bits, one channel, packed from the high bits */
                    unsigned v = sample(x, y, 0, 255) % (unsigned)levels;
                    int bit = x * s->bit_depth;
                    rows[y][bit / 8] |= (png_byte)(v << (8 - s->bit_depth - bit % 8));
                }
            }
    }
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(rows);
    free(image);
    fclose(f);
}

/* ---- JPEG writing --------------------------------------------------------------------- */

typedef struct jpeg_spec {
    const char *name;
    int w, h, components; /* 1 grey, 3 RGB, 4 CMYK */
    J_COLOR_SPACE stored; /* the file's colour space: YCbCr, RGB, grey, CMYK, YCCK */
    int h0, v0;           /* sampling factors of the first component (2 2: 4:2:0) */
    int progressive, quality;
    int exif_orient, exif_motorola, xmp_first;
} jpeg_spec;

/* A TIFF header and one IFD entry: orientation (SHORT, count 1). 26 bytes. */
static void tiff_orientation(uint8_t out[26], int orientation, int intel) {
    const uint8_t ii[26] = {'I', 'I', 0x2A, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0,
                            (uint8_t)orientation, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t mm[26] = {'M', 'M', 0, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                            0, (uint8_t)orientation, 0, 0, 0, 0, 0, 0};
    memcpy(out, intel ? ii : mm, 26);
}

static void write_jpeg(const char *path, const jpeg_spec *s) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, f);
    cinfo.image_width = (JDIMENSION)s->w;
    cinfo.image_height = (JDIMENSION)s->h;
    cinfo.input_components = s->components;
    cinfo.in_color_space = s->components == 1 ? JCS_GRAYSCALE
                           : s->components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_colorspace(&cinfo, s->stored);
    jpeg_set_quality(&cinfo, s->quality, TRUE);
    if (s->h0) {
        cinfo.comp_info[0].h_samp_factor = s->h0;
        cinfo.comp_info[0].v_samp_factor = s->v0;
    }
    if (s->progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    if (s->xmp_first) {
        static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>";
        jpeg_write_marker(&cinfo, JPEG_APP0 + 1, (const JOCTET *)xmp, sizeof xmp);
    }
    if (s->exif_orient) {
        uint8_t app1[32] = {'E', 'x', 'i', 'f', 0, 0};
        tiff_orientation(app1 + 6, s->exif_orient, !s->exif_motorola);
        jpeg_write_marker(&cinfo, JPEG_APP0 + 1, app1, sizeof app1);
    }
    uint8_t *row = malloc((size_t)s->w * (size_t)s->components);
    while (cinfo.next_scanline < cinfo.image_height) {
        for (int x = 0; x < s->w; x++)
            for (int c = 0; c < s->components; c++)
                row[x * s->components + c] = (uint8_t)sample(x, (int)cinfo.next_scanline, c, 255);
        JSAMPROW r = row;
        jpeg_write_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(row);
    fclose(f);
}

/* ---- comparing ------------------------------------------------------------------------ */

/* Decodes path both ways; identical sizes and bytes, or a message naming the first pixel that
 * differs. */
static void same_as_opencv(const char *path) {
    mo_error err;
    mo_image ours, cv;
    ck_assert_msg(mo_image_read(&ours, path, &err) == MO_OK, "ours: %s", err.message);
    ck_assert_msg(mo_opencv_image_read(&cv, path, &err) == MO_OK, "OpenCV: %s", err.message);
    ck_assert_msg(ours.width == cv.width && ours.height == cv.height,
                  "%s: ours %dx%d, OpenCV %dx%d", path, ours.width, ours.height, cv.width,
                  cv.height);
    size_t n = (size_t)ours.width * ours.height * 3, differ = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (ours.rgb[i] != cv.rgb[i] && differ++ == 0) first = i;
    ck_assert_msg(differ == 0, "%s: %zu of %zu bytes differ; first at pixel (%zu, %zu) "
                  "channel %zu: ours %u, OpenCV %u", path, differ, n, first / 3 % ours.width,
                  first / 3 / ours.width, first % 3, ours.rgb[first], cv.rgb[first]);
    mo_image_free(&ours);
    mo_image_free(&cv);
}

static void png_case(const png_spec *s) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.png", dir, s->name);
    write_png(path, s);
    same_as_opencv(path);
    remove(path);
}

static void jpeg_case(const jpeg_spec *s) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.jpg", dir, s->name);
    write_jpeg(path, s);
    same_as_opencv(path);
    remove(path);
}

START_TEST(png_decodes_as_opencv_does) {
    const png_spec specs[] = {
        {"rgb8", 37, 23, 8, PNG_COLOR_TYPE_RGB, 0, 0, 0},
        {"rgba8", 37, 23, 8, PNG_COLOR_TYPE_RGBA, 0, 0, 0},
        {"grey8", 37, 23, 8, PNG_COLOR_TYPE_GRAY, 0, 0, 0},
        {"grey_alpha8", 19, 5, 8, PNG_COLOR_TYPE_GRAY_ALPHA, 0, 0, 0},
        {"grey1", 37, 23, 1, PNG_COLOR_TYPE_GRAY, 0, 0, 0},
        {"grey2", 13, 7, 2, PNG_COLOR_TYPE_GRAY, 0, 0, 0},
        {"grey4", 13, 7, 4, PNG_COLOR_TYPE_GRAY, 0, 0, 0},
        {"grey8_trns", 13, 7, 8, PNG_COLOR_TYPE_GRAY, 0, 1, 0},
        {"rgb8_trns", 13, 7, 8, PNG_COLOR_TYPE_RGB, 0, 1, 0},
        {"palette8", 37, 23, 8, PNG_COLOR_TYPE_PALETTE, 0, 0, 0},
        {"palette4_trns", 37, 23, 4, PNG_COLOR_TYPE_PALETTE, 0, 1, 0},
        {"palette1", 9, 3, 1, PNG_COLOR_TYPE_PALETTE, 0, 0, 0},
        {"rgb16", 37, 23, 16, PNG_COLOR_TYPE_RGB, 0, 0, 0},
        {"rgba16", 37, 23, 16, PNG_COLOR_TYPE_RGBA, 0, 0, 0},
        {"grey16", 37, 23, 16, PNG_COLOR_TYPE_GRAY, 0, 0, 0},
        {"grey_alpha16", 11, 4, 16, PNG_COLOR_TYPE_GRAY_ALPHA, 0, 0, 0},
        {"rgb8_adam7", 37, 23, 8, PNG_COLOR_TYPE_RGB, 1, 0, 0},
        {"grey16_adam7", 37, 23, 16, PNG_COLOR_TYPE_GRAY, 1, 0, 0},
        {"palette2_adam7", 5, 9, 2, PNG_COLOR_TYPE_PALETTE, 1, 0, 0},
        {"one_pixel", 1, 1, 8, PNG_COLOR_TYPE_RGB, 0, 0, 0},
        {"rgb8_exif6", 37, 23, 8, PNG_COLOR_TYPE_RGB, 0, 0, 6},
        {"grey16_adam7_exif3", 13, 7, 16, PNG_COLOR_TYPE_GRAY, 1, 0, 3},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) png_case(&specs[i]);
}
END_TEST

START_TEST(jpeg_decodes_as_opencv_does) {
    const jpeg_spec specs[] = {
        {"ycc420", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 0, 0, 0},
        {"ycc422", 37, 23, 3, JCS_YCbCr, 2, 1, 0, 90, 0, 0, 0},
        {"ycc440", 37, 23, 3, JCS_YCbCr, 1, 2, 0, 90, 0, 0, 0},
        {"ycc444", 37, 23, 3, JCS_YCbCr, 1, 1, 0, 75, 0, 0, 0},
        {"ycc420_progressive", 61, 47, 3, JCS_YCbCr, 2, 2, 1, 85, 0, 0, 0},
        {"ycc420_q100", 16, 16, 3, JCS_YCbCr, 2, 2, 0, 100, 0, 0, 0},
        {"stored_rgb", 37, 23, 3, JCS_RGB, 0, 0, 0, 90, 0, 0, 0},
        {"grey", 37, 23, 1, JCS_GRAYSCALE, 0, 0, 0, 90, 0, 0, 0},
        {"grey_progressive", 37, 23, 1, JCS_GRAYSCALE, 0, 0, 1, 90, 0, 0, 0},
        {"cmyk", 37, 23, 4, JCS_CMYK, 0, 0, 0, 90, 0, 0, 0},
        {"ycck", 37, 23, 4, JCS_YCCK, 0, 0, 0, 90, 0, 0, 0},
        {"one_pixel", 1, 1, 3, JCS_YCbCr, 2, 2, 0, 90, 0, 0, 0},
        {"one_row", 17, 1, 3, JCS_YCbCr, 2, 2, 0, 90, 0, 0, 0},
        {"exif1", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 1, 0, 0},
        {"exif2", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 2, 0, 0},
        {"exif3", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 3, 0, 0},
        {"exif4", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 4, 0, 0},
        {"exif5", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 5, 0, 0},
        {"exif6", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 6, 0, 0},
        {"exif7", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 7, 0, 0},
        {"exif8", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 8, 0, 0},
        {"exif9_invalid", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 9, 0, 0},
        {"exif6_motorola", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 6, 1, 0},
        {"exif6_grey", 13, 7, 1, JCS_GRAYSCALE, 0, 0, 0, 90, 6, 0, 0},
        {"exif6_after_xmp", 37, 23, 3, JCS_YCbCr, 2, 2, 0, 90, 6, 0, 1},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) jpeg_case(&specs[i]);
}
END_TEST

/* The real photo the classification test uses, when ../shared is there. */
START_TEST(shared_apple_png_decodes_as_opencv_does) {
    const char *shared = getenv("MO_SHARED_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/mobileone_s0_imagenet/apple.png", shared ? shared : "");
    struct stat st;
    if (!shared || stat(path, &st) != 0) return;
    same_as_opencv(path);
}
END_TEST

/* A format that is neither PNG nor JPEG (BMP, 24-bit, bottom-up) reaches OpenCV. */
START_TEST(other_formats_go_to_opencv) {
    char path[512];
    snprintf(path, sizeof path, "%s/x.bmp", dir);
    const int w = 3, h = 2, stride = 12;
    uint8_t bmp[54 + 24] = {'B', 'M', sizeof bmp, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0,
                            w, 0, 0, 0, h, 0, 0, 0, 1, 0, 24, 0};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) /* BGR, last row first */
            for (int c = 0; c < 3; c++)
                bmp[54 + (h - 1 - y) * stride + x * 3 + c] = (uint8_t)(10 * x + 100 * y + 2 - c);
    FILE *f = fopen(path, "wb");
    fwrite(bmp, 1, sizeof bmp, f);
    fclose(f);
    mo_error err;
    mo_image img;
    ck_assert_msg(mo_image_read(&img, path, &err) == MO_OK, "%s", err.message);
    ck_assert_int_eq(img.width, 3);
    ck_assert_int_eq(img.height, 2);
    ck_assert_int_eq(img.rgb[(1 * 3 + 2) * 3 + 0], 10 * 2 + 100 * 1); /* R of (2, 1) */
    ck_assert_int_eq(img.rgb[(1 * 3 + 2) * 3 + 2], 10 * 2 + 100 * 1 + 2);
    mo_image_free(&img);
    remove(path);
}
END_TEST

START_TEST(broken_files_are_clear_errors) {
    char path[512];
    mo_error err;
    mo_image img;
    snprintf(path, sizeof path, "%s/missing.png", dir);
    ck_assert_int_eq(mo_image_read(&img, path, &err), MO_ERR_IO);
    ck_assert(strstr(err.message, "missing.png"));
    ck_assert_ptr_null(img.rgb);
    /* A PNG cut after its header, a JPEG that is only a start marker. */
    png_spec s = {"cut", 37, 23, 8, PNG_COLOR_TYPE_RGB, 0, 0, 0};
    snprintf(path, sizeof path, "%s/cut.png", dir);
    write_png(path, &s);
    ck_assert_int_eq(truncate(path, 60), 0);
    ck_assert_int_eq(mo_image_read(&img, path, &err), MO_ERR_FORMAT);
    ck_assert_msg(strstr(err.message, "cut.png") && !strchr(err.message, '\n'), "%s",
                  err.message);
    ck_assert_ptr_null(img.rgb);
    remove(path);
    snprintf(path, sizeof path, "%s/cut.jpg", dir);
    FILE *f = fopen(path, "wb");
    fwrite("\xff\xd8\xff\xe0\x00\x10JFIF", 1, 10, f);
    fclose(f);
    ck_assert_int_eq(mo_image_read(&img, path, &err), MO_ERR_FORMAT);
    ck_assert_msg(strstr(err.message, "cut.jpg") && !strchr(err.message, '\n'), "%s",
                  err.message);
    ck_assert_ptr_null(img.rgb);
    remove(path);
}
END_TEST

/* Runs `child` in a fork with MOBILEONE_OPENCV_PLUGIN set to `plugin` (NULL: unchanged); the
 * child writes one line into `line` through a pipe. Returns the child's exit status. */
static int in_child(const char *plugin, void (*child)(FILE *out), char *line, size_t size) {
    int fd[2];
    ck_assert_int_eq(pipe(fd), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        close(fd[0]);
        if (plugin) setenv(MO_OPENCV_ENV, plugin, 1);
        FILE *out = fdopen(fd[1], "w");
        child(out);
        fclose(out);
        _exit(0);
    }
    close(fd[1]);
    FILE *in = fdopen(fd[0], "r");
    line[0] = '\0';
    if (!fgets(line, (int)size, in)) line[0] = '\0';
    fclose(in);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* 1 when a libopencv library is mapped into this process. */
static int opencv_mapped(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    char buf[1024];
    int found = 0;
    while (maps && fgets(buf, sizeof buf, maps))
        if (strstr(buf, "libopencv_")) found = 1;
    if (maps) fclose(maps);
    return found;
}

static void missing_plugin_child(FILE *out) {
    mo_error err;
    mo_video_reader *r;
    mo_status s = mo_video_open(&r, "whatever.avi", &err);
    fprintf(out, "%s|%s\n", mo_status_name(s), err.message);
}

START_TEST(missing_module_is_one_clear_line) {
    char line[1024];
    ck_assert_int_eq(in_child("/nonexistent/dir/mobileone-opencv.so", missing_plugin_child, line,
                              sizeof line), 0);
    ck_assert_msg(strncmp(line, "MO_ERR_IO|", 10) == 0, "%s", line);
    ck_assert_msg(strstr(line, "/nonexistent/dir/mobileone-opencv.so"), "%s", line);
    ck_assert_msg(strstr(line, "No such file"), "%s (dlerror's reason)", line);
    ck_assert_msg(strstr(line, MO_OPENCV_ENV), "%s (the hint)", line);
    ck_assert_msg(strchr(line, '\n') == strrchr(line, '\n'), "%s", line);
}
END_TEST

static void png_without_module_child(FILE *out) {
    char path[512];
    png_spec s = {"alone", 8, 8, 8, PNG_COLOR_TYPE_RGB, 0, 0, 0};
    snprintf(path, sizeof path, "%s/alone.png", dir);
    write_png(path, &s);
    jpeg_spec j = {"alone", 8, 8, 3, JCS_YCbCr, 2, 2, 0, 90, 6, 0, 0};
    char jpath[512];
    snprintf(jpath, sizeof jpath, "%s/alone.jpg", dir);
    write_jpeg(jpath, &j);
    mo_error err;
    mo_image img, jimg;
    mo_status s1 = mo_image_read(&img, path, &err), s2 = mo_image_read(&jimg, jpath, &err);
    fprintf(out, "%s %s %d\n", mo_status_name(s1), mo_status_name(s2), opencv_mapped());
    if (s1 == MO_OK) mo_image_free(&img);
    if (s2 == MO_OK) mo_image_free(&jimg);
    remove(path);
    remove(jpath);
}

/* PNG and JPEG need neither the module nor OpenCV: they decode with the module path broken,
 * and with it right OpenCV is still not mapped afterwards. */
START_TEST(png_and_jpeg_never_load_opencv) {
    char line[256];
    ck_assert_int_eq(in_child("/nonexistent/mobileone-opencv.so", png_without_module_child, line,
                              sizeof line), 0);
    ck_assert_str_eq(line, "MO_OK MO_OK 0\n");
    ck_assert_int_eq(in_child(NULL, png_without_module_child, line, sizeof line), 0);
    ck_assert_str_eq(line, "MO_OK MO_OK 0\n");
}
END_TEST

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/mo_test_image_decode_%d", (int)getpid());
    mkdir(dir, 0777);
    Suite *s = suite_create("image_decode");
    TCase *tc = tcase_create("decode");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, png_decodes_as_opencv_does);
    tcase_add_test(tc, jpeg_decodes_as_opencv_does);
    tcase_add_test(tc, shared_apple_png_decodes_as_opencv_does);
    tcase_add_test(tc, other_formats_go_to_opencv);
    tcase_add_test(tc, broken_files_are_clear_errors);
    tcase_add_test(tc, missing_module_is_one_clear_line);
    tcase_add_test(tc, png_and_jpeg_never_load_opencv);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    /* The module is loaded once a process: each test needs a fresh one, whatever CK_FORK says. */
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    rmdir(dir);
    return failed ? 1 : 0;
}
