/* shapes.h - the shapes of the synthetic scenes as signed distance functions.
 *
 * Six classes (circle, square, triangle, star, ring, cross) and five distractor kinds that
 * belong to no class (an ellipse with an off-centre hole, a wavy blob, a thick line, a hexagon,
 * a crescent). Every shape lives in the unit square [-1, 1]^2 of its own frame, with its longer
 * side spanning it (a scene scales by size / 2, rotates and translates). The distance is negative
 * inside, in units of that frame; exact for circles, boxes, rings, stars and polygons, a close
 * approximation (within a few per cent near the edge) for ellipses and blobs, which is all that
 * anti-aliasing by coverage = clamp(0.5 - distance_px, 0, 1) needs. */
#ifndef MO_SYNTH_SHAPES_H
#define MO_SYNTH_SHAPES_H

#include <stdint.h>

#include "rng.h"

typedef enum synth_kind {
    SYNTH_CIRCLE = 0,
    SYNTH_SQUARE,
    SYNTH_TRIANGLE,
    SYNTH_STAR,
    SYNTH_RING,
    SYNTH_CROSS,
    SYNTH_NUM_CLASSES, /* the kinds below are distractors: no class */
    SYNTH_HOLED_ELLIPSE = SYNTH_NUM_CLASSES,
    SYNTH_BLOB,
    SYNTH_LINE,
    SYNTH_HEXAGON,
    SYNTH_CRESCENT,
    SYNTH_NUM_KINDS
} synth_kind;

#define SYNTH_NUM_DISTRACTOR_KINDS (SYNTH_NUM_KINDS - SYNTH_NUM_CLASSES)

/* A shape: its kind and the kind's parameters (thickness, inner radius, harmonics...). */
typedef struct synth_shape {
    int32_t kind;
    float p[8];
} synth_shape;

/* Draws the parameters of a shape of `kind` (the variation within a kind). */
void synth_shape_random(synth_shape *s, int32_t kind, synth_rng *r);

/* Signed distance at (x, y) of the shape's unit frame (negative inside). */
float synth_shape_sdf(const synth_shape *s, float x, float y);

/* "circle", "square", ..., "crescent". */
const char *synth_kind_name(int32_t kind);

#endif
