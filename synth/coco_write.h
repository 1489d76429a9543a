/* coco_write.h - COCO instances files for synthetic images and video frames.
 *
 * The file is {"info", "licenses", "images", "annotations", "categories"}: images carry id,
 * file_name, width, height (and "frame" for videos); annotations carry id, image_id,
 * category_id, bbox [x, y, w, h] of the visible pixels, area (visible pixel count), iscrowd 0,
 * and extras that COCO readers skip: "track_id", "occluded" and "truncated" (shares, 3
 * decimals). No segmentation: masks are the PNGs. Categories are synth_category_ids with
 * their names and "mask_index" (class + 1). `info` records the generator's parameters.
 *
 * Ownership: synth_coco_create allocates, synth_coco_free frees. The text is built in memory and
 * written through a temporary name (files.h). */
#ifndef MO_SYNTH_COCO_WRITE_H
#define MO_SYNTH_COCO_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "mobileone.h"
#include "synth.h"

typedef struct synth_coco synth_coco;

/* What `info` says beyond the parameters. */
typedef struct synth_info {
    const char *split; /* may be NULL */
    uint64_t seed;
    int64_t count;     /* images, or frames of a video */
    const char *video; /* the video's file name (no folder) for a video's file, else NULL */
    double fps;
} synth_info;

mo_status synth_coco_create(synth_coco **out, mo_error *err);
void synth_coco_free(synth_coco *c);

/* Appends one image (frame >= 0: a video frame, recorded as "frame") and its annotations;
 * annotation ids continue from 1. */
mo_status synth_coco_add(synth_coco *c, int64_t image_id, const char *file_name, int64_t frame,
                         const synth_frame *f, mo_error *err);

/* Writes the file. */
mo_status synth_coco_write(const synth_coco *c, const char *path, const synth_params *params,
                           const synth_info *info, mo_error *err);

/* The names of mask values 0..6, one a line ("background\ncircle\n...cross\n"), as
 * `mobileone eval miou --names` reads them, into buf. Returns the length (as snprintf). */
int synth_mask_names(char *buf, size_t cap);

#endif
