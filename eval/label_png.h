/* label_png.h - label maps as PNG files, read as class indices with libpng.
 *
 * A label PNG is palette ('P', VOC's SegmentationClass) or grey ('L', ADE20K, SBD; 16-bit grey
 * too): the stored values are the class indices. They are never expanded through the palette
 * (OpenCV and stb do that, which is why they are not used here); palettes of 1/2/4 bits and grey
 * of 1/2/4 bits are unpacked to one value per pixel without scaling. RGB, RGBA and grey+alpha
 * files are rejected: they are pictures, not label maps.
 *
 * Ownership: a mo_label_map is caller-owned (usually zeroed on the stack, then reused across
 * reads so its buffers grow once); free its buffers with mo_label_map_free. */
#ifndef MO_EVAL_LABEL_PNG_H
#define MO_EVAL_LABEL_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "mobileone.h"

typedef struct mo_label_map {
    int32_t width, height;
    int32_t bits;     /* 8: values in data8 (any PNG of depth <= 8); 16: values in data16 */
    uint8_t *data8;   /* width*height, row-major */
    uint16_t *data16; /* width*height, row-major */
    /* buffers kept for reuse */
    size_t cap8, cap16, cap_rows, cap_raw;
    void **rows;
    uint8_t *raw;
} mo_label_map;

/* Reads `path` into map (reusing its buffers). On error map keeps its buffers, holds no image
 * (width = height = 0) and err names the file and the problem. */
mo_status mo_label_png_read(const char *path, mo_label_map *map, mo_error *err);

void mo_label_map_free(mo_label_map *map);

/* Writes width x height 8-bit indices as a PNG: with the VOC palette ('P') when voc_palette is
 * set, grey ('L') otherwise. For tests, benchmarks and prediction masks. */
mo_status mo_label_png_write(const char *path, const uint8_t *data, int32_t width, int32_t height,
                             int voc_palette, mo_error *err);

/* The VOC colour map entry of index i (bit-interleaved, as the VOC devkit's voc_palette()). */
void mo_voc_palette_color(int i, uint8_t rgb[3]);

#endif
