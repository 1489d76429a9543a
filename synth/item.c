/* item.c - one drawn shape: its random appearance, its coverage of the frame, and blending it
 * into the picture with the bookkeeping of which item owns which pixel.
 *
 * Coverage is anti-aliased from the signed distance d (px) at the pixel centre:
 * clamp(0.5 - d, 0, 1). A pixel belongs to the topmost item with d <= 0 (coverage >= 0.5). */
#include <math.h>

#include "synth_internal.h"

#define TWO_PI 6.2831853f

static inline float clampf(float v, float lo, float hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

float synth_draw_size(const synth_params *p, synth_rng *r) {
    if (synth_rng_chance(r, p->small_prob)) return synth_rng_range(r, p->min_size, p->small_size);
    return expf(synth_rng_range(r, logf(p->small_size), logf(p->max_size)));
}

void synth_item_random(synth_item *it, int32_t kind, float size, synth_rng *r) {
    synth_shape_random(&it->shape, kind, r);
    it->cls = kind < SYNTH_NUM_CLASSES ? kind : -1;
    it->track = -1;
    it->cx = it->cy = 0;
    it->size = size;
    it->angle = synth_rng_range(r, 0, TWO_PI);
    /* one colour law for every class and for distractors */
    synth_random_color(r, 0.1f, 1.0f, 0.2f, 1.0f, it->color);
    synth_random_color(r, 0.1f, 1.0f, 0.2f, 1.0f, it->color2);
    float sa = synth_rng_range(r, 0, TWO_PI), sg = synth_rng_range(r, 0.0f, 0.35f);
    it->shade[0] = sg * cosf(sa), it->shade[1] = sg * sinf(sa);
    float t = synth_rng_float(r);
    it->texture = t < 0.6f ? 0 : t < 0.75f ? 1 : t < 0.87f ? 2 : 3;
    it->tex_freq = synth_rng_range(r, 4.0f, 14.0f);
    it->tex_phase = synth_rng_range(r, 0, TWO_PI);
    float ta = synth_rng_range(r, 0, TWO_PI);
    it->tex_cos = cosf(ta), it->tex_sin = sinf(ta);
    it->outline = synth_rng_chance(r, 0.2f) ? clampf(size * 0.05f, 1.0f, 2.5f) : 0.0f;
    it->vx = it->vy = it->spin = 0;
}

/* Half the side of the square around the centre that holds the rotated unit frame, px. */
static float reach(const synth_item *it) {
    return 0.5f * it->size * 1.4143f + 1.5f;
}

void synth_item_cover(synth_gen *g, const synth_item *it, synth_window *win) {
    float ext = reach(it);
    int32_t ux0 = (int32_t)floorf(it->cx - ext), ux1 = (int32_t)ceilf(it->cx + ext);
    int32_t uy0 = (int32_t)floorf(it->cy - ext), uy1 = (int32_t)ceilf(it->cy + ext);
    win->x0 = ux0 < 0 ? 0 : ux0 > g->w ? g->w : ux0;
    win->x1 = ux1 < 0 ? 0 : ux1 > g->w ? g->w : ux1;
    win->y0 = uy0 < 0 ? 0 : uy0 > g->h ? g->h : uy0;
    win->y1 = uy1 < 0 ? 0 : uy1 > g->h ? g->h : uy1;
    win->in_frame = win->whole = 0;
    int32_t ww = win->x1 - win->x0;
    float hs = 0.5f * it->size, inv = 1.0f / hs, lim = 1.0f + 1.0f / hs;
    float c = cosf(it->angle), s = sinf(it->angle);
    for (int32_t y = uy0; y < uy1; y++) {
        int32_t in_y = y >= win->y0 && y < win->y1;
        float py = (float)y + 0.5f - it->cy;
        for (int32_t x = ux0; x < ux1; x++) {
            float px = (float)x + 0.5f - it->cx;
            float u = (px * c + py * s) * inv, v = (py * c - px * s) * inv;
            float d =
                fabsf(u) > lim || fabsf(v) > lim ? 1e3f : synth_shape_sdf(&it->shape, u, v) * hs;
            int32_t inside = in_y && x >= win->x0 && x < win->x1;
            if (inside) g->dist[(size_t)(y - win->y0) * ww + (x - win->x0)] = d;
            if (d <= 0) {
                win->whole++;
                win->in_frame += inside;
            }
        }
    }
}

/* A cheap hash of a cell of the item's own frame (so the speckles move and turn with it), in
 * [0, 1): the speckle texture. */
static float speckle(int32_t x, int32_t y, uint32_t salt) {
    uint32_t h = (uint32_t)x * 0x9E3779B1u ^ (uint32_t)y * 0x85EBCA77u ^ salt * 0xC2B2AE3Du;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    return (float)(h >> 8) * (1.0f / 16777216.0f);
}

void synth_item_paint(synth_gen *g, const synth_item *it, uint8_t id, const synth_window *win) {
    int32_t ww = win->x1 - win->x0;
    float hs = 0.5f * it->size, inv = 1.0f / hs;
    float c = cosf(it->angle), s = sinf(it->angle);
    uint32_t salt = (uint32_t)(it->color[0] * 7 + it->color2[1] * 131 + it->size * 17);
    for (int32_t y = win->y0; y < win->y1; y++) {
        float py = (float)y + 0.5f - it->cy;
        const float *drow = g->dist + (size_t)(y - win->y0) * ww;
        for (int32_t x = win->x0; x < win->x1; x++) {
            float d = drow[x - win->x0];
            if (d >= 0.5f) continue;
            float cov = d <= -0.5f ? 1.0f : 0.5f - d;
            float px = (float)x + 0.5f - it->cx;
            float u = (px * c + py * s) * inv, v = (py * c - px * s) * inv;
            float f = 1.0f + it->shade[0] * u + it->shade[1] * v;
            float m = 0;
            if (it->texture == 1) {
                float t = sinf(it->tex_freq * (u * it->tex_cos + v * it->tex_sin) + it->tex_phase);
                m = clampf(0.5f + 1.5f * t, 0, 1);
            } else if (it->texture == 2) {
                float t = sinf(it->tex_freq * u + it->tex_phase) * sinf(it->tex_freq * v);
                m = clampf(0.5f + 2.0f * t, 0, 1);
            } else if (it->texture == 3) {
                m = speckle((int32_t)floorf(u * hs), (int32_t)floorf(v * hs), salt) > 0.75f;
            }
            float o = it->outline > 0 ? clampf(d + it->outline + 0.5f, 0, 1) * 0.6f : 0.0f;
            float *p = g->rgb + ((size_t)y * g->w + x) * 3;
            for (int k = 0; k < 3; k++) {
                float col = (it->color[k] + (it->color2[k] - it->color[k]) * m) * f * (1 - o);
                p[k] += (col - p[k]) * cov;
            }
            if (d <= 0) g->owner[(size_t)y * g->w + x] = id;
        }
    }
}
