/* jpeg_encode.c - one RGB image to a baseline JPEG in memory with libjpeg(-turbo), for
 * `mobileone synth` (synth_io.h). The settings are those of OpenCV's cv::imencode(".jpg")
 * with IMWRITE_JPEG_QUALITY alone (libjpeg's defaults: YCbCr 4:2:0, JFIF header, ISLOW DCT,
 * no optimized tables), so the bytes are the ones the OpenCV module wrote before: synth needs
 * no OpenCV for its images. libjpeg's errors longjmp back here (jpeg_fail.h). */
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h> /* after stdio.h, which it needs */

#include "error.h"
#include "jpeg_fail.h"
#include "synth_io.h"

/* Where jpeg_mem_dest grows the output: on the heap, so that its values stay defined after a
 * longjmp (locals changed after setjmp would not be). */
typedef struct mem_out {
    unsigned char *data;
    unsigned long len;
} mem_out;

mo_status mo_synth_jpeg_encode(const uint8_t *rgb, int32_t width, int32_t height, int quality,
                               uint8_t **data, size_t *len, mo_error *err) {
    *data = NULL;
    *len = 0;
    if (width < 1 || height < 1 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION ||
        quality < 1 || quality > 100)
        return mo_error_set(err, MO_ERR_ARGUMENT, "JPEG: bad size %dx%d or quality %d", width,
                            height, quality);
    mem_out *out = calloc(1, sizeof *out);
    if (!out) return mo_error_set(err, MO_ERR_MEMORY, "JPEG: out of memory");
    struct jpeg_compress_struct cinfo;
    jpeg_fail fail;
    jpeg_fail_install((j_common_ptr)&cinfo, &fail);
    if (setjmp(fail.jmp)) {
        char why[JMSG_LENGTH_MAX];
        fail.pub.format_message((j_common_ptr)&cinfo, why);
        jpeg_destroy_compress(&cinfo);
        free(out->data);
        free(out);
        return mo_error_set(err, MO_ERR_IO, "JPEG: encoding a %dx%d image failed: %s", width,
                            height, why);
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &out->data, &out->len);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    const size_t stride = (size_t)width * 3;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *data = out->data;
    *len = out->len;
    free(out);
    return MO_OK;
}
