/* image.h - decoded images (RGB u8, row-major, 3 bytes a pixel) and their preprocessing.
 *
 * PNG and JPEG are decoded in C (io/image_decode.c: libpng, libjpeg) exactly as OpenCV's
 * cv::imread(IMREAD_COLOR) decodes them; other formats go through OpenCV, in the module
 * mobileone-opencv.so loaded on first use (io/opencv_plugin.h). Resizing for
 * classification is PIL's antialiased bilinear resample, written here, because timm's and
 * torchvision's eval transforms run on PIL images and users compare our top-k with theirs.
 */
#ifndef MO_IO_IMAGE_H
#define MO_IO_IMAGE_H

#include <stdint.h>

#include "mobileone.h"

typedef struct mo_image {
    int32_t width, height;
    uint8_t *rgb; /* width * height * 3 bytes, owned (free with mo_image_free) */
} mo_image;

/* Decodes the image file at path (any format OpenCV reads) to RGB as cv::imread(IMREAD_COLOR)
 * does: alpha dropped, 16-bit samples >> 8, the EXIF orientation of JPEGs applied. The format is
 * told by the first bytes. img->rgb is allocated (free with mo_image_free); NULL on error, which
 * names the file (MO_ERR_IO cannot open, MO_ERR_FORMAT cannot decode, MO_ERR_UNSUPPORTED not
 * PNG / JPEG and the OpenCV module cannot be loaded). */
mo_status mo_image_read(mo_image *img, const char *path, mo_error *err);
mo_status mo_image_alloc(mo_image *img, int32_t width, int32_t height, mo_error *err);
void mo_image_free(mo_image *img);

/* PIL's Image.resize(..., BILINEAR) for RGB u8: a triangle filter widened by the scale when
 * shrinking (antialias), horizontal pass then vertical, 22-bit fixed-point coefficients. */
mo_status mo_image_resize_pil_bilinear(const mo_image *src, int32_t width, int32_t height,
                                       mo_image *dst, mo_error *err);

/* timm's eval transform for classification: resize the shorter side to
 * floor(size / crop_pct) (torchvision Resize(int): the longer side int(s * long / short)),
 * center-crop size x size, scale to [0,1], normalize by mean/std. out: (size, size, 3) f32. */
mo_status mo_preprocess_classify(const mo_image *img, int32_t size, float crop_pct,
                                 const float mean[3], const float std[3], float *out,
                                 mo_error *err);

#endif
