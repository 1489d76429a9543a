/* seg_palette.h - class colors for segmentation overlays, and the overlay itself.
 *
 * Built in: "voc", the PASCAL VOC devkit colormap (index bits interleaved into the high bits of
 * R, G, B; 256 entries, 0 black, 255 (ignore) cream), and "ade20k", the 150 colors of
 * mmsegmentation's ADE20KDataset palette (index 0 = 'wall', the label space after
 * reduce_zero_label). A palette file has one color a line, "R G B" (or "R,G,B"), 0..255, for
 * classes 0, 1, ...; blank lines and '#' comments are skipped. Indices past a palette's end
 * wrap around its colors.
 */
#ifndef MO_IO_SEG_PALETTE_H
#define MO_IO_SEG_PALETTE_H

#include <stdint.h>

#include "mobileone.h"

typedef struct mo_palette {
    int32_t count; /* colors defined, 1..256 */
    uint8_t rgb[256][3];
} mo_palette;

void mo_palette_voc(mo_palette *p);
void mo_palette_ade20k(mo_palette *p);

/* spec: "voc", "ade20k", a palette file's path, or "" / NULL: ade20k for 150 classes, voc
 * otherwise. */
mo_status mo_palette_load(mo_palette *p, const char *spec, int32_t num_classes, mo_error *err);

/* out = (1 - opacity) * rgb + opacity * color(label), rounded, per pixel of n (RGB u8). */
void mo_overlay(uint8_t *out, const uint8_t *rgb, const uint8_t *labels, int64_t n,
                const mo_palette *p, float opacity);

#endif
