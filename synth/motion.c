/* motion.c - synthetic videos: one background, lighting and blur for the whole video; objects
 * and distractors on tracks that move in straight lines and turn, enter through an edge and
 * leave through another, after which a new object enters after a random pause.
 *
 * Drawing order (which track is in front) is fixed per track for the whole video. Frames are
 * rendered in order from frame 0, so a seed gives one video; each frame's sensor noise comes
 * from a stream of its own. Annotations follow the same drop rule as images (synth.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "synth_internal.h"

#define STREAM_VIDEO 2u
#define STREAM_NOISE 3u
#define MAX_UNSEEN 120 /* frames a track may stay outside before it is respawned */

struct synth_track {
    synth_item item;
    int32_t object;  /* 1: draws classes; 0: draws distractors */
    int32_t wait;    /* frames until it enters */
    int32_t entered; /* it has been in the frame */
    int32_t unseen;  /* frames spent outside since (re)spawn */
};

void synth_tracks_free(synth_gen *g) {
    free(g->tracks);
    g->tracks = NULL;
    g->num_tracks = 0;
}

/* A new item for track t: inside the frame (at the start) or just outside an edge, moving in. */
static void spawn(synth_gen *g, synth_track *t, int inside, synth_rng *r) {
    const synth_params *p = &g->p;
    float s = (float)(g->w < g->h ? g->w : g->h) / 320.0f;
    int32_t kind =
        t->object ? (int32_t)synth_rng_below(r, SYNTH_NUM_CLASSES)
                  : SYNTH_NUM_CLASSES + (int32_t)synth_rng_below(r, SYNTH_NUM_DISTRACTOR_KINDS);
    synth_item *it = &t->item;
    synth_item_random(it, kind, synth_draw_size(p, r), r);
    it->track = t->object ? g->next_track++ : -1;
    float speed = synth_rng_range(r, 0.6f, 4.5f) * s;
    float dir;
    if (inside) {
        it->cx = synth_rng_range(r, 0, (float)g->w);
        it->cy = synth_rng_range(r, 0, (float)g->h);
        dir = synth_rng_range(r, 0, 6.2831853f);
        t->wait = 0;
    } else {
        float m = 0.5f * it->size * 1.4143f + 2.0f; /* fully outside */
        int edge = (int)synth_rng_below(r, 4);
        float jitter = synth_rng_range(r, -0.9f, 0.9f);
        float in_dir[4] = {0.0f, 3.14159265f, 1.5707963f, -1.5707963f}; /* from L, R, T, B */
        if (edge == 0)
            it->cx = -m, it->cy = synth_rng_range(r, 0, (float)g->h);
        else if (edge == 1)
            it->cx = (float)g->w + m, it->cy = synth_rng_range(r, 0, (float)g->h);
        else if (edge == 2)
            it->cy = -m, it->cx = synth_rng_range(r, 0, (float)g->w);
        else
            it->cy = (float)g->h + m, it->cx = synth_rng_range(r, 0, (float)g->w);
        dir = in_dir[edge] + jitter;
        t->wait = synth_rng_int(r, 0, 15);
    }
    it->vx = speed * cosf(dir), it->vy = speed * sinf(dir);
    it->spin = synth_rng_range(r, -0.08f, 0.08f);
    t->entered = 0;
    t->unseen = 0;
}

mo_status synth_video_start(synth_gen *g, uint64_t seed, mo_error *err) {
    const synth_params *p = &g->p;
    synth_tracks_free(g);
    synth_rng r = synth_rng_derive(seed, STREAM_VIDEO, 0);
    synth_background_draw(g->bg, g->w, g->h, g->scratch, &r);
    synth_look_random(&g->look, g->w, g->h, &r);
    int32_t n_obj = synth_rng_int(&r, p->video_tracks_min, p->video_tracks_max);
    int32_t n_dis = p->max_distractors > 0
                        ? synth_rng_int(&r, 0, p->max_distractors < 3 ? p->max_distractors : 3)
                        : 0;
    g->tracks = calloc((size_t)(n_obj + n_dis), sizeof *g->tracks);
    if (!g->tracks) return mo_error_set(err, MO_ERR_MEMORY, "out of memory for video tracks");
    g->num_tracks = n_obj + n_dis;
    for (int32_t i = 0; i < g->num_tracks; i++)
        g->tracks[i].object = i < n_obj;
    for (int32_t i = g->num_tracks - 1; i > 0; i--) { /* drawing order */
        int32_t j = (int32_t)synth_rng_below(&r, (uint32_t)i + 1), o = g->tracks[i].object;
        g->tracks[i].object = g->tracks[j].object, g->tracks[j].object = o;
    }
    g->next_track = 1;
    for (int32_t i = 0; i < g->num_tracks; i++)
        spawn(g, &g->tracks[i], synth_rng_chance(&r, 0.6f), &r);
    g->video_rng = r;
    g->video_seed = seed;
    g->frame_index = 0;
    return MO_OK;
}

void synth_video_frame(synth_gen *g, synth_frame *out) {
    memcpy(g->rgb, g->bg, sizeof(float) * 3 * (size_t)g->w * g->h);
    memset(g->owner, 0, (size_t)g->w * g->h);
    g->num_items = 0;
    for (int32_t i = 0; i < g->num_tracks; i++) {
        synth_track *t = &g->tracks[i];
        if (t->wait > 0) {
            t->wait--;
            continue;
        }
        synth_item *it = &t->item;
        synth_window win;
        synth_item_cover(g, it, &win);
        if (win.in_frame > 0 && g->num_items < SYNTH_MAX_ITEMS) {
            int32_t id = ++g->num_items;
            g->items[id - 1] = *it;
            g->full[id] = win.in_frame, g->whole[id] = win.whole;
            synth_item_paint(g, it, (uint8_t)id, &win);
            t->entered = 1;
        } else if (t->entered || ++t->unseen > MAX_UNSEEN) {
            spawn(g, t, 0, &g->video_rng); /* it left: another one enters later */
            continue;
        }
        it->cx += it->vx, it->cy += it->vy, it->angle += it->spin;
    }
    synth_rng noise = synth_rng_derive(g->video_seed, STREAM_NOISE, (uint64_t)g->frame_index);
    synth_finish_frame(g, &g->look, &noise, out);
    g->frame_index++;
}
