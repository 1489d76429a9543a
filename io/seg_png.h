/* seg_png.h - writing segmentation outputs as PNG with libpng: label maps (8-bit grey, the
 * stored values are the class indices) and RGB pictures (color overlays).
 *
 * Files are written under `<path>.tmp` and renamed to path when complete; on error nothing is
 * left behind and err names the file and the problem.
 */
#ifndef MO_IO_SEG_PNG_H
#define MO_IO_SEG_PNG_H

#include <stdint.h>

#include "mobileone.h"

/* data: width * height bytes, row-major. */
mo_status mo_png_write_gray8(const char *path, const uint8_t *data, int32_t width,
                             int32_t height, mo_error *err);

/* rgb: width * height * 3 bytes, row-major. */
mo_status mo_png_write_rgb8(const char *path, const uint8_t *rgb, int32_t width, int32_t height,
                            mo_error *err);

#endif
