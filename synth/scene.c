/* scene.c - the generator: its buffers, placing the objects and distractors of an image with
 * occlusion bookkeeping, and turning a composed frame into an image, annotations and a mask.
 *
 * Placement (images): the objects' and distractors' drawing order is shuffled; each item gets
 * up to PLACE_TRIES positions, either anywhere or, with occlude_prob, across the edge of an
 * object already there (so that it hides part of it). A position is refused when it would hide
 * more than max_hidden of an object's in-frame pixels (counting what earlier items hid), or
 * when an object would be mostly outside the frame; an item that finds no position is left
 * out. See synth.h for the drop rule and the mask's ignore band. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "synth_internal.h"

#define PLACE_TRIES 12
#define STREAM_IMAGE 1u

const int32_t synth_category_ids[SYNTH_NUM_CLASSES] = {1, 2, 4, 5, 7, 9};

synth_params synth_default_params(int32_t width, int32_t height) {
    float s = (float)(width < height ? width : height) / 320.0f;
    /* below ~64 px a side the scaled sizes would fall under 4 px: keep them drawable */
    float min_size = fmaxf(4.0f, 20.0f * s), small = fmaxf(min_size + 1.0f, 40.0f * s);
    synth_params p = {
        .width = width,
        .height = height,
        .min_objects = 1,
        .max_objects = 12,
        .min_size = min_size,
        .max_size = fmaxf(small + 1.0f, 220.0f * s),
        .small_size = small,
        .small_prob = 0.3f,
        .occlude_prob = 0.7f,
        .max_hidden = 0.6f,
        .distractor_prob = 0.7f,
        .max_distractors = 4,
        .min_visible_px = (int32_t)fmaxf(8.0f, roundf(24.0f * s * s)),
        .min_visible_frac = 0.15f,
        .video_tracks_min = 5,
        .video_tracks_max = 10,
    };
    return p;
}

static mo_status check_params(const synth_params *p, mo_error *err) {
    if (p->width < 32 || p->height < 32 || p->width > 16384 || p->height > 16384)
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "frame size %dx%d out of range (32..16384 a side)", p->width,
                            p->height);
    if (!(p->min_size >= 4 && p->small_size >= p->min_size && p->max_size >= p->small_size &&
          p->max_size <= 4.0f * (float)(p->width > p->height ? p->width : p->height)))
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "object sizes %.1f <= %.1f <= %.1f px must be ordered, the "
                            "smallest at least 4 px",
                            p->min_size, p->small_size, p->max_size);
    if (p->min_objects < 1 || p->max_objects < p->min_objects || p->max_objects > 24 ||
        p->max_distractors < 0 || p->max_distractors > 12 || p->video_tracks_min < 1 ||
        p->video_tracks_max < p->video_tracks_min || p->video_tracks_max > 24)
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "object counts out of range (1 <= min <= max <= 24 objects, "
                            "0..12 distractors, 1..24 video tracks)");
    return MO_OK;
}

mo_status synth_gen_create(synth_gen **out, const synth_params *params, mo_error *err) {
    *out = NULL;
    mo_status st = check_params(params, err);
    if (st != MO_OK) return st;
    synth_gen *g = calloc(1, sizeof *g);
    if (!g) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    g->p = *params;
    g->w = params->width, g->h = params->height;
    size_t n = (size_t)g->w * g->h;
    int32_t side = 2 * (int32_t)ceilf(params->max_size * 0.70715f + 1.5f) + 3;
    g->dist_cap = (size_t)side * side;
    g->rgb = malloc(n * 3 * sizeof(float));
    g->tmp = malloc(n * 3 * sizeof(float));
    g->bg = malloc(n * 3 * sizeof(float));
    g->scratch = malloc(synth_background_scratch_size(g->w, g->h) * sizeof(float));
    g->dist = malloc(g->dist_cap * sizeof(float));
    g->out = malloc(n * 3);
    g->mask = malloc(n);
    g->owner = malloc(n);
    if (!g->rgb || !g->tmp || !g->bg || !g->scratch || !g->dist || !g->out || !g->mask ||
        !g->owner) {
        synth_gen_free(g);
        return mo_error_set(err, MO_ERR_MEMORY, "out of memory for %dx%d frames", params->width,
                            params->height);
    }
    *out = g;
    return MO_OK;
}

void synth_gen_free(synth_gen *g) {
    if (!g) return;
    synth_tracks_free(g);
    free(g->rgb);
    free(g->tmp);
    free(g->bg);
    free(g->scratch);
    free(g->dist);
    free(g->out);
    free(g->mask);
    free(g->owner);
    free(g);
}

/* Counts, per owner id, the pixels of the covered window that the item would take. */
static void count_hits(const synth_gen *g, const synth_window *win, int32_t *hits) {
    int32_t ww = win->x1 - win->x0;
    for (int32_t y = win->y0; y < win->y1; y++) {
        const float *d = g->dist + (size_t)(y - win->y0) * ww;
        const uint8_t *o = g->owner + (size_t)y * g->w;
        for (int32_t x = win->x0; x < win->x1; x++)
            if (d[x - win->x0] <= 0) hits[o[x]]++;
    }
}

/* Puts a centre across the edge of a random earlier object; returns 0 when there is none. */
static int near_object(const synth_gen *g, const synth_item *it, synth_rng *r, float *cx,
                       float *cy) {
    int32_t idx[SYNTH_MAX_ITEMS], n = 0;
    for (int32_t i = 0; i < g->num_items; i++)
        if (g->items[i].cls >= 0) idx[n++] = i;
    if (!n) return 0;
    const synth_item *o = &g->items[idx[synth_rng_below(r, (uint32_t)n)]];
    float a = synth_rng_range(r, 0, 6.2831853f);
    float dist = (0.4f * o->size + 0.4f * it->size) * synth_rng_range(r, 0.45f, 1.0f);
    *cx = o->cx + dist * cosf(a), *cy = o->cy + dist * sinf(a);
    return 1;
}

/* Tries positions for `it`; on success paints it as item g->num_items and returns 1. */
static int place(synth_gen *g, synth_item *it, synth_rng *r) {
    const synth_params *p = &g->p;
    int is_obj = it->cls >= 0;
    float overlap_prob = is_obj ? p->occlude_prob : 0.35f;
    for (int t = 0; t < PLACE_TRIES; t++) {
        if (!(synth_rng_chance(r, overlap_prob) && near_object(g, it, r, &it->cx, &it->cy))) {
            it->cx = synth_rng_range(r, 0, (float)g->w);
            it->cy = synth_rng_range(r, 0, (float)g->h);
        }
        synth_window win;
        synth_item_cover(g, it, &win);
        if (win.in_frame == 0) continue;
        if (is_obj && (win.in_frame < p->min_visible_px || 2 * win.in_frame < win.whole)) continue;
        int32_t hits[SYNTH_MAX_ITEMS + 1] = {0};
        count_hits(g, &win, hits);
        int ok = 1;
        for (int32_t k = 0; k < g->num_items && ok; k++) {
            if (g->items[k].cls < 0) continue;
            int32_t left = g->visible[k + 1] - hits[k + 1];
            if ((float)left < (1.0f - p->max_hidden) * (float)g->full[k + 1]) ok = 0;
        }
        if (!ok) continue;
        int32_t id = ++g->num_items;
        g->items[id - 1] = *it;
        g->full[id] = win.in_frame, g->whole[id] = win.whole, g->visible[id] = win.in_frame;
        for (int32_t k = 1; k < id; k++)
            g->visible[k] -= hits[k];
        synth_item_paint(g, &g->items[id - 1], (uint8_t)id, &win);
        return 1;
    }
    return 0;
}

void synth_gen_image(synth_gen *g, uint64_t seed, uint64_t index, synth_frame *out) {
    const synth_params *p = &g->p;
    synth_rng r = synth_rng_derive(seed, STREAM_IMAGE, index);
    synth_background_draw(g->rgb, g->w, g->h, g->scratch, &r);
    memset(g->owner, 0, (size_t)g->w * g->h);
    g->num_items = 0;
    int32_t n_obj = synth_rng_int(&r, p->min_objects, p->max_objects);
    int32_t n_dis = p->max_distractors > 0 && synth_rng_chance(&r, p->distractor_prob)
                        ? synth_rng_int(&r, 1, p->max_distractors)
                        : 0;
    int32_t kinds[SYNTH_MAX_ITEMS], n = 0;
    for (int32_t i = 0; i < n_obj; i++)
        kinds[n++] = (int32_t)synth_rng_below(&r, SYNTH_NUM_CLASSES);
    for (int32_t i = 0; i < n_dis; i++)
        kinds[n++] = SYNTH_NUM_CLASSES + (int32_t)synth_rng_below(&r, SYNTH_NUM_DISTRACTOR_KINDS);
    for (int32_t i = n - 1; i > 0; i--) {
        int32_t j = (int32_t)synth_rng_below(&r, (uint32_t)i + 1), t = kinds[i];
        kinds[i] = kinds[j], kinds[j] = t;
    }
    int32_t track = 0;
    for (int32_t i = 0; i < n; i++) {
        synth_item it;
        synth_item_random(&it, kinds[i], synth_draw_size(p, &r), &r);
        if (it.cls >= 0) it.track = track;
        if (place(g, &it, &r) && it.cls >= 0) track++;
    }
    synth_look look;
    synth_look_random(&look, g->w, g->h, &r);
    synth_finish_frame(g, &look, &r, out);
}

/* Per owner id: pixel count, bounding box and colour sums over the output image. */
typedef struct owner_stats {
    int32_t count, x0, y0, x1, y1;
    double sum[3];
} owner_stats;

void synth_finish_frame(synth_gen *g, const synth_look *look, synth_rng *noise_rng,
                        synth_frame *out) {
    const synth_params *p = &g->p;
    int32_t w = g->w, h = g->h;
    synth_apply_light(g->rgb, w, h, look);
    synth_blur(g->rgb, g->tmp, w, h, look->blur_sigma);
    synth_quantize(g->rgb, g->out, w, h, look->noise_sigma, noise_rng);

    owner_stats st[SYNTH_MAX_ITEMS + 1];
    for (int32_t i = 0; i <= g->num_items; i++)
        st[i] = (owner_stats){0, w, h, -1, -1, {0, 0, 0}};
    for (int32_t y = 0; y < h; y++) {
        const uint8_t *o = g->owner + (size_t)y * w;
        const uint8_t *c = g->out + (size_t)y * w * 3;
        for (int32_t x = 0; x < w; x++) {
            if (!o[x]) continue;
            owner_stats *s = &st[o[x]];
            s->count++;
            if (x < s->x0) s->x0 = x;
            if (x > s->x1) s->x1 = x;
            if (y < s->y0) s->y0 = y;
            if (y > s->y1) s->y1 = y;
            s->sum[0] += c[3 * x], s->sum[1] += c[3 * x + 1], s->sum[2] += c[3 * x + 2];
        }
    }
    /* label of each owner id: 0 background / distractor, class + 1, or 255 (dropped) */
    uint8_t label[SYNTH_MAX_ITEMS + 1] = {0};
    uint8_t is_obj[SYNTH_MAX_ITEMS + 1] = {0};
    int32_t n_obj = 0, n_drop = 0, n_dis = 0;
    for (int32_t id = 1; id <= g->num_items; id++) {
        const synth_item *it = &g->items[id - 1];
        if (it->cls < 0) {
            n_dis++;
            continue;
        }
        is_obj[id] = 1;
        const owner_stats *s = &st[id];
        if (s->count < p->min_visible_px ||
            (float)s->count < p->min_visible_frac * (float)g->whole[id]) {
            label[id] = SYNTH_MASK_IGNORE;
            n_drop++;
            continue;
        }
        label[id] = (uint8_t)(it->cls + 1);
        synth_object *ob = &g->objects[n_obj++];
        ob->cls = it->cls;
        ob->track = it->track;
        ob->bbox[0] = s->x0, ob->bbox[1] = s->y0;
        ob->bbox[2] = s->x1 - s->x0 + 1, ob->bbox[3] = s->y1 - s->y0 + 1;
        ob->area = s->count;
        ob->full_area = g->full[id] > s->count ? g->full[id] : s->count;
        ob->size = it->size;
        ob->hidden = 1.0f - (float)s->count / (float)ob->full_area;
        ob->truncated = g->whole[id] > 0 ? 1.0f - (float)g->full[id] / (float)g->whole[id] : 0;
        for (int k = 0; k < 3; k++)
            ob->mean_rgb[k] = (float)(s->sum[k] / s->count);
    }
    /* the mask: labels, then the ignore band where the object id changes across 8-neighbours */
    for (int32_t y = 0; y < h; y++) {
        const uint8_t *o = g->owner + (size_t)y * w;
        const uint8_t *up = y > 0 ? o - w : o, *dn = y + 1 < h ? o + w : o;
        uint8_t *m = g->mask + (size_t)y * w;
        for (int32_t x = 0; x < w; x++) {
            uint8_t sid = is_obj[o[x]] ? o[x] : 0;
            int32_t xl = x > 0 ? x - 1 : x, xr = x + 1 < w ? x + 1 : x;
            const uint8_t *rows[3] = {up, o, dn};
            int edge = 0;
            for (int rr = 0; rr < 3 && !edge; rr++) {
                const uint8_t *row = rows[rr];
                uint8_t a = is_obj[row[xl]] ? row[xl] : 0, b = is_obj[row[x]] ? row[x] : 0,
                        c = is_obj[row[xr]] ? row[xr] : 0;
                edge = a != sid || b != sid || c != sid;
            }
            m[x] = edge ? SYNTH_MASK_IGNORE : label[o[x]];
        }
    }
    out->width = w, out->height = h;
    out->rgb = g->out;
    out->mask = g->mask;
    out->num_objects = n_obj;
    out->objects = g->objects;
    out->num_dropped = n_drop;
    out->num_distractors = n_dis;
}
