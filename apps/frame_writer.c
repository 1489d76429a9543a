/* frame_writer.c - the drawing and encoding thread of frame_writer.h. */
#include "frame_writer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "draw.h"
#include "error.h"

#define SLOTS 2

typedef struct slot {
    mo_image frame;
    mo_detection *dets; /* max_dets */
    int32_t count;
} slot;

struct frame_writer {
    mo_video_writer *writer;
    const char *const *names;
    int32_t num_names;
    int draw;
    int32_t max_dets;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    slot slots[SLOTS];
    int head, queued;   /* slots[head] is the next to write; `queued` are waiting or in work */
    int stopping;
    mo_status status;   /* the first write error */
    mo_error error;
    double seconds;
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *run(void *arg) {
    frame_writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->queued && !w->stopping) pthread_cond_wait(&w->changed, &w->lock);
        if (!w->queued) break;
        slot *s = &w->slots[w->head];
        const int failed = w->status != MO_OK;
        pthread_mutex_unlock(&w->lock);
        mo_error err;
        mo_status st = MO_OK;
        double t0 = now();
        if (!failed) {
            if (w->draw) mo_draw_detections(&s->frame, s->dets, s->count, w->names, w->num_names);
            st = mo_video_write(w->writer, &s->frame, &err);
        }
        double dt = now() - t0;
        pthread_mutex_lock(&w->lock);
        w->seconds += dt;
        if (st != MO_OK && w->status == MO_OK) w->status = st, w->error = err;
        w->head = (w->head + 1) % SLOTS;
        w->queued--;
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void free_slots(frame_writer *w) {
    for (int i = 0; i < SLOTS; i++) {
        mo_image_free(&w->slots[i].frame);
        free(w->slots[i].dets);
    }
}

mo_status frame_writer_start(frame_writer **out, mo_video_writer *writer,
                             const char *const *names, int32_t num_names, int draw,
                             int32_t max_dets, mo_error *err) {
    *out = NULL;
    frame_writer *w = calloc(1, sizeof *w);
    if (!w) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    w->writer = writer, w->names = names, w->num_names = num_names, w->draw = draw;
    w->max_dets = max_dets > 0 ? max_dets : 1;
    for (int i = 0; i < SLOTS; i++)
        if (!(w->slots[i].dets = malloc(sizeof(mo_detection) * (size_t)w->max_dets))) {
            free_slots(w);
            free(w);
            return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
        }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->changed, NULL);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        pthread_cond_destroy(&w->changed);
        pthread_mutex_destroy(&w->lock);
        free_slots(w);
        free(w);
        return mo_error_set(err, MO_ERR_MEMORY, "cannot start the video writing thread");
    }
    *out = w;
    return MO_OK;
}

mo_status frame_writer_push(frame_writer *w, mo_image *frame, const mo_detection *dets,
                            int32_t count, mo_error *err) {
    pthread_mutex_lock(&w->lock);
    while (w->queued == SLOTS && w->status == MO_OK) pthread_cond_wait(&w->changed, &w->lock);
    if (w->status != MO_OK) {
        *err = w->error;
        mo_status st = w->status;
        pthread_mutex_unlock(&w->lock);
        return st;
    }
    slot *s = &w->slots[(w->head + w->queued) % SLOTS];
    /* The slot's old buffer (already written) becomes the caller's next decode buffer. */
    mo_image free_buffer = s->frame;
    s->frame = *frame;
    *frame = free_buffer;
    s->count = count < w->max_dets ? count : w->max_dets;
    memcpy(s->dets, dets, sizeof *dets * (size_t)s->count);
    w->queued++;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    return MO_OK;
}

mo_status frame_writer_stop(frame_writer *w, double *seconds, mo_error *err) {
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    mo_status st = w->status;
    if (st != MO_OK) *err = w->error;
    if (seconds) *seconds = w->seconds;
    free_slots(w);
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return st;
}
