/* image_decode.c - mo_image_read: PNG with libpng and JPEG with libjpeg(-turbo) in C, pixel for
 * pixel what OpenCV 4.6's cv::imread(path, IMREAD_COLOR) gives (then BGR -> RGB), so that the
 * commands that only read PNG / JPEG never load OpenCV (~70 MB of shared libraries). Any other
 * format goes to cv::imread through the OpenCV module (opencv_plugin.h).
 *
 * The format is told by the first bytes, not the name. The decoder settings are OpenCV's
 * (modules/imgcodecs/src/grfmt_png.cpp, grfmt_jpeg.cpp, loadsave.cpp in 4.6):
 *   PNG:  16-bit samples stripped to their high byte (png_set_strip_16, i.e. >> 8); alpha and
 *         tRNS dropped, not composited; palettes and grey (1/2/4/8 bits) expanded to RGB;
 *         interlacing handled; gamma, sRGB and iCCP chunks ignored; the orientation of an
 *         eXIf chunk applied (OpenCV 4.6 reads it too).
 *   JPEG: libjpeg's defaults (JDCT_ISLOW, fancy upsampling); 1 and 3 components through
 *         libjpeg's own conversion to RGB, 4 (CMYK / YCCK) as CMYK then OpenCV's
 *         icvCvt_CMYK2BGR_8u_C4C3R; the EXIF orientation (tag 0x0112 of IFD0 in the first APP1
 *         segment, Exif or not, as OpenCV) applied.
 * EXIF orientations are applied as imread's ApplyExifOrientation does (flips and a transpose).
 * One difference: OpenCV parses every IFD0 entry and gives up on the orientation when an
 * earlier entry (a string pointing outside the data) is malformed; here only the orientation
 * entry is read.
 * The same size limits as OpenCV's validateInputImageSize: each side at most 2^20 and at most
 * 2^30 pixels. libpng / libjpeg warnings (bad sRGB profile, premature end of data) are not
 * printed; the pixels are those of the decoders, as in OpenCV.
 */
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h> /* after stdio.h, which it needs */

#include "error.h"
#include "image.h"
#include "opencv_plugin.h"

#define MAX_SIDE (1 << 20)
#define MAX_PIXELS (1 << 30)

static int size_ok(uint32_t width, uint32_t height) {
    return width > 0 && height > 0 && width <= MAX_SIDE && height <= MAX_SIDE &&
           (uint64_t)width * height <= MAX_PIXELS;
}

/* What a decoder leaves behind when libpng / libjpeg longjmps out of it; owned by the caller
 * of the decoder (so it is not an automatic of the function that calls setjmp). */
typedef struct decode_job {
    FILE *f;
    const char *path;
    mo_image *img;
    png_bytep *rows;
    uint8_t *cmyk; /* one row of CMYK samples */
    jmp_buf jmp;
    char why[200];
} decode_job;

/* ---- EXIF orientation (both formats) ---------------------------------------------- */

/* OpenCV's ExifReader, reduced to IFD0's orientation: `d` is TIFF data (a PNG eXIf chunk, or a
 * JPEG APP1 segment after its 6-byte "Exif\0\0" header, which OpenCV skips without looking).
 * Byte order "II" is Intel, anything else Motorola. exif_orientation returns 1..8, or 0 when
 * absent or unreadable. */
static uint32_t exif_get(const uint8_t *d, size_t n, size_t at, int bytes, int intel, int *ok) {
    if (at + (size_t)bytes - 1 >= n) {
        *ok = 0;
        return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint32_t)d[at + (intel ? i : bytes - 1 - i)] << (8 * i);
    return v;
}

static int exif_orientation(const uint8_t *d, size_t n) {
    int intel = n >= 2 && d[0] == 'I' && d[1] == 'I', ok = 1; /* else big-endian, as OpenCV */
    if (exif_get(d, n, 2, 2, intel, &ok) != 0x2A || !ok) return 0;
    size_t at = exif_get(d, n, 4, 4, intel, &ok);
    size_t count = exif_get(d, n, at, 2, intel, &ok);
    if (!ok) return 0;
    at += 2;
    for (size_t i = 0; i < count; i++, at += 12) {
        uint32_t tag = exif_get(d, n, at, 2, intel, &ok);
        if (!ok) return 0;
        if (tag == 0x0112) {
            uint32_t v = exif_get(d, n, at + 8, 2, intel, &ok);
            return ok && v >= 1 && v <= 8 ? (int)v : 0;
        }
    }
    return 0;
}

/* cv::flip / cv::transpose as ApplyExifOrientation combines them for EXIF orientations 2..8:
 * transposed for 5..8, then flipped horizontally (2 3 6 7) and / or vertically (3 4 7 8). */
static mo_status apply_orientation(mo_image *img, int orientation, mo_error *err) {
    if (orientation < 2) return MO_OK;
    const int transpose = orientation >= 5;
    const int flip_x = orientation == 2 || orientation == 3 || orientation == 6 || orientation == 7;
    const int flip_y = orientation == 3 || orientation == 4 || orientation == 7 || orientation == 8;
    const int32_t w = img->width, h = img->height;
    mo_image out;
    mo_status s = mo_image_alloc(&out, transpose ? h : w, transpose ? w : h, err);
    if (s != MO_OK) return s;
    for (int32_t y = 0; y < out.height; y++)
        for (int32_t x = 0; x < out.width; x++) {
            int32_t tx = flip_x ? out.width - 1 - x : x, ty = flip_y ? out.height - 1 - y : y;
            int32_t sx = transpose ? ty : tx, sy = transpose ? tx : ty;
            memcpy(out.rgb + ((size_t)y * out.width + x) * 3, img->rgb + ((size_t)sy * w + sx) * 3,
                   3);
        }
    mo_image_free(img);
    *img = out;
    return MO_OK;
}

/* ---- PNG ---------------------------------------------------------------------------- */

static void png_fail(png_structp png, png_const_charp msg) {
    decode_job *job = png_get_error_ptr(png);
    snprintf(job->why, sizeof job->why, "%s", msg);
    png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp msg) {
    (void)png, (void)msg;
}

static mo_status read_png(decode_job *job, mo_error *err) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job, png_fail, png_quiet);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_infop end = info ? png_create_info_struct(png) : NULL;
    if (!end) {
        png_destroy_read_struct(&png, &info, NULL);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory for the PNG decoder", job->path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, &end);
        free(job->rows);
        job->rows = NULL;
        mo_image_free(job->img);
        return mo_error_set(err, MO_ERR_FORMAT, "%s: cannot decode the PNG: %s", job->path,
                            job->why);
    }
    png_init_io(png, job->f);
    png_read_info(png, info);
    png_uint_32 width, height;
    int bit_depth, color_type;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
    if (!size_ok(width, height)) {
        snprintf(job->why, sizeof job->why, "%lux%lu pixels is over the limit",
                 (unsigned long)width, (unsigned long)height);
        png_longjmp(png, 1);
    }
    /* The transformations of OpenCV's PngDecoder::readData for an 8-bit, 3-channel Mat, in its
     * order, without png_set_bgr (we want RGB). */
    if (bit_depth == 16) png_set_strip_16(png);
    png_set_strip_alpha(png);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 3) {
        snprintf(job->why, sizeof job->why, "unexpected row size after conversion to RGB");
        png_longjmp(png, 1);
    }
    if (mo_image_alloc(job->img, (int32_t)width, (int32_t)height, NULL) != MO_OK ||
        !(job->rows = malloc(sizeof *job->rows * height))) {
        snprintf(job->why, sizeof job->why, "out of memory for %lux%lu pixels",
                 (unsigned long)width, (unsigned long)height);
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < height; y++)
        job->rows[y] = job->img->rgb + (size_t)y * width * 3;
    png_read_image(png, job->rows);
    png_read_end(png, end);
    /* An eXIf chunk, before or after the image data: its orientation is applied. */
    int orientation = 0;
    png_uint_32 exif_size = 0;
    png_bytep exif = NULL;
    if (png_get_valid(png, info, PNG_INFO_eXIf))
        png_get_eXIf_1(png, info, &exif_size, &exif);
    else if (png_get_valid(png, end, PNG_INFO_eXIf))
        png_get_eXIf_1(png, end, &exif_size, &exif);
    if (exif && exif_size > 0) orientation = exif_orientation(exif, exif_size);
    png_destroy_read_struct(&png, &info, &end);
    free(job->rows);
    job->rows = NULL;
    mo_status s = apply_orientation(job->img, orientation, err);
    if (s != MO_OK) mo_image_free(job->img);
    return s;
}

/* ---- JPEG --------------------------------------------------------------------------- */

typedef struct jpeg_fail_mgr {
    struct jpeg_error_mgr pub;
    decode_job *job;
} jpeg_fail_mgr;

static void jpeg_fail(j_common_ptr cinfo) {
    jpeg_fail_mgr *m = (jpeg_fail_mgr *)cinfo->err;
    char msg[JMSG_LENGTH_MAX];
    m->pub.format_message(cinfo, msg);
    snprintf(m->job->why, sizeof m->job->why, "%s", msg);
    longjmp(m->job->jmp, 1);
}

static void jpeg_quiet(j_common_ptr cinfo) {
    (void)cinfo;
}

static mo_status read_jpeg(decode_job *job, mo_error *err) {
    struct jpeg_decompress_struct cinfo;
    jpeg_fail_mgr fail;
    cinfo.err = jpeg_std_error(&fail.pub);
    fail.pub.error_exit = jpeg_fail;
    fail.pub.output_message = jpeg_quiet;
    fail.job = job;
    jpeg_create_decompress(&cinfo);
    if (setjmp(job->jmp)) {
        jpeg_destroy_decompress(&cinfo);
        free(job->cmyk);
        job->cmyk = NULL;
        mo_image_free(job->img);
        return mo_error_set(err, MO_ERR_FORMAT, "%s: cannot decode the JPEG: %s", job->path,
                            job->why);
    }
    jpeg_stdio_src(&cinfo, job->f);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
    if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
        snprintf(job->why, sizeof job->why, "no image in it (tables only)");
        longjmp(job->jmp, 1);
    }
    const int cmyk = cinfo.num_components == 4;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    cinfo.out_color_components = cmyk ? 4 : 3;
    jpeg_start_decompress(&cinfo);
    if (!size_ok(cinfo.output_width, cinfo.output_height) ||
        cinfo.output_components != (cmyk ? 4 : 3)) {
        snprintf(job->why, sizeof job->why, "%ux%u pixels, %d components: not supported",
                 cinfo.output_width, cinfo.output_height, cinfo.output_components);
        longjmp(job->jmp, 1);
    }
    const uint32_t width = cinfo.output_width, height = cinfo.output_height;
    if (mo_image_alloc(job->img, (int32_t)width, (int32_t)height, NULL) != MO_OK ||
        (cmyk && !(job->cmyk = malloc((size_t)width * 4)))) {
        snprintf(job->why, sizeof job->why, "out of memory for %ux%u pixels", width, height);
        longjmp(job->jmp, 1);
    }
    while (cinfo.output_scanline < height) {
        uint8_t *row = job->img->rgb + (size_t)cinfo.output_scanline * width * 3;
        JSAMPROW dst = cmyk ? job->cmyk : row;
        jpeg_read_scanlines(&cinfo, &dst, 1);
        if (!cmyk) continue;
        for (uint32_t x = 0; x < width; x++) { /* icvCvt_CMYK2BGR_8u_C4C3R, written as RGB */
            const uint8_t *p = job->cmyk + (size_t)x * 4;
            const int k = p[3];
            for (int c = 0; c < 3; c++)
                row[x * 3 + c] = (uint8_t)(k - ((255 - p[c]) * k >> 8));
        }
    }
    int orientation = 0;
    for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1) { /* the first APP1, Exif or not, as OpenCV */
            if (m->data_length > 6) orientation = exif_orientation(m->data + 6, m->data_length - 6);
            break;
        }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(job->cmyk);
    job->cmyk = NULL;
    mo_status s = apply_orientation(job->img, orientation, err);
    if (s != MO_OK) mo_image_free(job->img);
    return s;
}

/* ---- mo_image_read ------------------------------------------------------------------ */

mo_status mo_image_read(mo_image *img, const char *path, mo_error *err) {
    img->rgb = NULL;
    img->width = img->height = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return mo_error_set(err, MO_ERR_IO, "%s: cannot open", path);
    uint8_t sig[8];
    size_t n = fread(sig, 1, sizeof sig, f);
    const int is_png = n == 8 && png_sig_cmp(sig, 0, 8) == 0;
    const int is_jpeg = n >= 3 && sig[0] == 0xFF && sig[1] == 0xD8 && sig[2] == 0xFF;
    if (!is_png && !is_jpeg) {
        fclose(f);
        mo_error why;
        if (!mo_opencv_load(&why))
            return mo_error_set(err, MO_ERR_UNSUPPORTED,
                                "%s: not PNG or JPEG, and other "
                                "formats need OpenCV: %s",
                                path, why.message);
        return mo_opencv_image_read(img, path, err);
    }
    rewind(f);
    decode_job job = {.f = f, .path = path, .img = img};
    mo_status s = is_png ? read_png(&job, err) : read_jpeg(&job, err);
    fclose(f);
    return s;
}
