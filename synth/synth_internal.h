/* synth_internal.h - what the generator's files share: items (one drawn shape with its
 * appearance and pose), the generator's buffers, and the steps of rendering a frame. Internal
 * to synth/. */
#ifndef MO_SYNTH_INTERNAL_H
#define MO_SYNTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "background.h"
#include "rng.h"
#include "shapes.h"
#include "synth.h"

/* One drawn shape: an object (cls >= 0) or a distractor (cls = -1). */
typedef struct synth_item {
    synth_shape shape;
    int32_t cls;
    int32_t track;
    float cx, cy; /* centre, px (pixel (x, y) covers [x, x+1) x [y, y+1)) */
    float size;   /* longer side, px */
    float angle;  /* rotation, radians */
    float color[3], color2[3];
    float shade[2];  /* linear shading gain along the unit frame's x and y */
    int32_t texture; /* 0 plain, 1 stripes, 2 checks, 3 speckle */
    float tex_freq, tex_phase, tex_cos, tex_sin;
    float outline; /* dark outline width, px; 0: none */
    /* video motion, px and radians per frame */
    float vx, vy, spin;
} synth_item;

/* The pixels an item covers, clipped to the frame: [x0, x1) x [y0, y1). */
typedef struct synth_window {
    int32_t x0, y0, x1, y1;
    int32_t in_frame; /* pixels of coverage >= 0.5 inside the frame */
    int32_t whole;    /* the same over the whole shape, inside the frame or not */
} synth_window;

typedef struct synth_track synth_track;

struct synth_gen {
    synth_params p;
    int32_t w, h;
    float *rgb, *tmp, *bg, *scratch; /* (H, W, 3) x3 and the background's scratch */
    float *dist;                     /* an item's window of signed distances, px */
    size_t dist_cap;
    uint8_t *out, *mask, *owner; /* owner: 0 background, else item index + 1 */
    synth_item items[SYNTH_MAX_ITEMS];
    int32_t num_items;
    int32_t full[SYNTH_MAX_ITEMS + 1], whole[SYNTH_MAX_ITEMS + 1], visible[SYNTH_MAX_ITEMS + 1];
    synth_object objects[SYNTH_MAX_ITEMS];
    /* video */
    synth_look look;
    synth_rng video_rng;
    uint64_t video_seed;
    int64_t frame_index;
    int32_t next_track;
    synth_track *tracks;
    int32_t num_tracks;
};

/* Draws an item of `kind` (a class or a distractor kind) with longer side `size`: shape
 * parameters, rotation, colours, shading, texture, outline. Position is left at 0. */
void synth_item_random(synth_item *it, int32_t kind, float size, synth_rng *r);

/* Draws a longer side from the params' law (a share below small_size, log-uniform above). */
float synth_draw_size(const synth_params *p, synth_rng *r);

/* Computes the item's signed distances over its window into g->dist and counts its pixels. */
void synth_item_cover(synth_gen *g, const synth_item *it, synth_window *win);

/* Blends the covered item (after synth_item_cover) into g->rgb and makes it the owner
 * (owner id = `id`) of the pixels of coverage >= 0.5. */
void synth_item_paint(synth_gen *g, const synth_item *it, uint8_t id, const synth_window *win);

/* Lighting, blur, noise, then the annotations and the mask from g->owner and g->items
 * (g->full / g->whole hold each item's pixel counts). */
void synth_finish_frame(synth_gen *g, const synth_look *look, synth_rng *noise_rng,
                        synth_frame *out);

/* Video tracks: allocated by synth_video_start, freed by synth_gen_free. */
void synth_tracks_free(synth_gen *g);

#endif
