/* detect_outputs.h - what `mobileone detect` writes besides images and video.
 *
 * COCO results JSON: [{"image_id":..,"category_id":..,"bbox":[x,y,w,h],"score":..}, ...]
 * (pycocotools loadRes), written to `path`.tmp and renamed when complete.
 * JSON Lines: one object a frame, {"frame":i,"t_ms":t,"detections":[{"bbox":[x,y,w,h],
 * "category_id":c,"name":"..","score":s}]} (plus "image":path for image sources), written and
 * flushed line by line, so a stream stays valid when interrupted.
 * A COCO annotation file (--coco-gt) maps image file names to image ids.
 */
#ifndef MO_APPS_DETECT_OUTPUTS_H
#define MO_APPS_DETECT_OUTPUTS_H

#include <stdint.h>
#include <stdio.h>

#include "mobileone.h"

typedef struct coco_json_out {
    FILE *f;
    char *path, *tmp;
    int64_t written;
} coco_json_out;

int coco_json_open(coco_json_out *o, const char *path);
int coco_json_add(coco_json_out *o, int64_t image_id, const mo_detection *dets, int32_t n);
/* Closes and renames; returns 0 (and removes the temporary file) on a write error. */
int coco_json_finish(coco_json_out *o);
void coco_json_abort(coco_json_out *o);

/* One JSON Lines record. image may be NULL. names[label] may be NULL. Returns 0 on error. */
int jsonl_write_frame(FILE *f, int64_t frame, double t_ms, const char *image,
                      const mo_detection *dets, int32_t n, const char *const *names,
                      int32_t num_names);

/* file_name (base name) -> id from a COCO annotation file. */
typedef struct coco_image_ids {
    int32_t count;
    char **names;
    int64_t *ids;
} coco_image_ids;

int coco_image_ids_load(coco_image_ids *m, const char *path);
/* The id of the image whose base name equals path's base name; -1 when absent. */
int64_t coco_image_ids_find(const coco_image_ids *m, const char *path);
void coco_image_ids_free(coco_image_ids *m);

/* Writes s as a JSON string (quotes included). */
void json_write_string(FILE *f, const char *s);

#endif
