/* synth.h - synthetic detection / segmentation scenes: shapes of six classes among distractors,
 * over textured, lit, blurred and noisy backgrounds, with exact annotations.
 *
 * A generator (synth_gen) owns every buffer for one frame size; it renders an image of a seed
 * (synth_gen_image: image `index` of `seed`, independent of the other indices, so the first N
 * images of a seed never depend on how many are made) or the frames of a video in order
 * (synth_video_start, then synth_video_frame). A rendered frame points into the generator and
 * is valid until its next render.
 *
 * Classes: 0 circle, 1 square, 2 triangle, 3 star, 4 ring, 5 cross. In masks they are 1..6
 * (class + 1), background 0, ignore 255; in COCO files they are synth_category_ids[class]
 * (1, 2, 4, 5, 7, 9: on purpose not contiguous). Colours are drawn from one law for every
 * class, so colour says nothing of the class.
 *
 * Which objects are annotated (the drop rule): an object is kept when at least
 * min_visible_px of its pixels are visible and they are at least min_visible_frac of the pixels
 * its whole shape covers (inside or outside the frame). A pixel is an object's when that
 * object is the topmost with coverage >= 0.5 there. Dropped objects stay in the picture; their
 * visible pixels are 255 (ignore) in the mask. In masks, pixels whose 8-neighbourhood crosses
 * a boundary between two objects, or an object and the background, are 255 (a 2-pixel band, as
 * VOC's void border); distractors are background.
 *
 * Determinism: the random streams are exact integer arithmetic (rng.h); the pictures also go
 * through float maths and libm (sinf, expf), so files are byte-identical for one build on one
 * kind of machine, and may differ in the last bits of some pixels elsewhere.
 *
 * Ownership: synth_gen_create allocates, synth_gen_free frees; on error *out is NULL. */
#ifndef MO_SYNTH_SYNTH_H
#define MO_SYNTH_SYNTH_H

#include <stdint.h>

#include "mobileone.h"
#include "shapes.h"

#define SYNTH_MAX_ITEMS 40 /* objects and distractors in one frame */
#define SYNTH_MASK_IGNORE 255

/* COCO category id of each class (mask index is class + 1). */
extern const int32_t synth_category_ids[SYNTH_NUM_CLASSES];

typedef struct synth_params {
    int32_t width, height;
    int32_t min_objects, max_objects; /* per image: 1, 12 */
    float min_size, max_size;         /* longer side, px: 20, 220 at 320 px (scaled with size) */
    float small_size;                 /* "small": under 40 px (scaled) */
    float small_prob;                 /* share of sizes drawn in [min_size, small_size) */
    float occlude_prob;               /* an object placed to overlap an earlier one */
    float max_hidden;                 /* no placement hides more of an object than this */
    float distractor_prob;            /* an image has distractors */
    int32_t max_distractors;          /* 1..max per image that has them */
    int32_t min_visible_px;           /* the drop rule */
    float min_visible_frac;
    int32_t video_tracks_min, video_tracks_max; /* objects alive at once in a video */
} synth_params;

/* The defaults for a frame size; sizes scale with min(width, height) / 320. */
synth_params synth_default_params(int32_t width, int32_t height);

typedef struct synth_object {
    int32_t cls;       /* 0..SYNTH_NUM_CLASSES-1 */
    int32_t track;     /* video: a track id (new for each object that enters); images: the
                          object's index in drawing order */
    int32_t bbox[4];   /* x, y, w, h of the visible pixels, in pixels */
    int32_t area;      /* visible pixels */
    int32_t full_area; /* pixels in the frame before anything covered it */
    float size;        /* drawn longer side, px */
    float hidden;      /* share of full_area covered by later objects or distractors */
    float truncated;   /* share of the shape outside the frame */
    float mean_rgb[3]; /* mean colour of its visible pixels in the output image */
} synth_object;

typedef struct synth_frame {
    int32_t width, height;
    const uint8_t *rgb;  /* (H, W, 3) */
    const uint8_t *mask; /* (H, W): 0 background, 1..6 class + 1, 255 ignore */
    int32_t num_objects; /* annotated */
    const synth_object *objects;
    int32_t num_dropped;     /* drawn, not annotated (the drop rule) */
    int32_t num_distractors; /* drawn */
} synth_frame;

typedef struct synth_gen synth_gen;

/* Checks params (sizes, ranges) and allocates the buffers for its frame size. */
mo_status synth_gen_create(synth_gen **out, const synth_params *params, mo_error *err);
void synth_gen_free(synth_gen *g);

/* Renders image `index` of `seed`. */
void synth_gen_image(synth_gen *g, uint64_t seed, uint64_t index, synth_frame *out);

/* Starts a video of `seed`: a fixed background, lighting and blur; objects that move in
 * straight lines and turn, enter and leave. Then synth_video_frame renders frame 0, 1, ...
 * Fails only when out of memory (then synth_video_frame must not be called). */
mo_status synth_video_start(synth_gen *g, uint64_t seed, mo_error *err);
void synth_video_frame(synth_gen *g, synth_frame *out);

#endif
