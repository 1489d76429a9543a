/* draw.h - annotating images with detections and writing them (OpenCV, draw_shim.cpp).
 *
 * Boxes are COCO [x, y, w, h] in the image's pixels; each gets a rectangle in a colour chosen
 * by its label and a filled tag "name 0.87" (or "#label 0.87" without a name) above it.
 */
#ifndef MO_IO_DRAW_H
#define MO_IO_DRAW_H

#include "image.h"

/* names[label] when label < num_names and the name is not NULL. */
void mo_draw_detections(mo_image *img, const mo_detection *dets, int32_t count,
                        const char *const *names, int32_t num_names);

/* Encodes img by the path's extension (.jpg, .png, ...) into `path`.tmp<ext>, then renames it. */
mo_status mo_image_write(const char *path, const mo_image *img, mo_error *err);

#endif
