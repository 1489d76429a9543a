/* threadpool.c - pthreads workers pulling items from an atomic counter. */
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "error.h"

struct mo_threadpool {
    int32_t threads;
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t start, done;
    /* The current job. */
    mo_parallel_fn fn;
    void *ctx;
    int64_t n;
    atomic_llong next;
    int32_t active;     /* workers still inside the job */
    uint64_t generation; /* bumped per job, so workers know a new one started */
    int quit;
};

static void drain(mo_threadpool *p) {
    for (;;) {
        int64_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n) return;
        p->fn(p->ctx, i);
    }
}

static void *worker(void *arg) {
    mo_threadpool *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && p->generation == seen) pthread_cond_wait(&p->start, &p->lock);
        if (p->quit) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        drain(p);
        pthread_mutex_lock(&p->lock);
        if (--p->active == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

mo_status mo_threadpool_create(mo_threadpool **out, int32_t threads, mo_error *err) {
    *out = NULL;
    if (threads < 1 || threads > 1024)
        return mo_error_set(err, MO_ERR_ARGUMENT, "thread count %d: must be 1..1024", threads);
    mo_threadpool *p = calloc(1, sizeof *p);
    if (!p) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    p->threads = threads;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    p->workers = calloc((size_t)threads, sizeof *p->workers);
    int32_t started = 0;
    for (; p->workers && started < threads - 1; started++)
        if (pthread_create(&p->workers[started], NULL, worker, p) != 0) break;
    if (!p->workers || started < threads - 1) {
        p->threads = started + 1;
        mo_threadpool_free(p);
        return mo_error_set(err, MO_ERR_MEMORY, "cannot start %d worker threads", threads - 1);
    }
    *out = p;
    return MO_OK;
}

void mo_threadpool_free(mo_threadpool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->quit = 1;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    for (int32_t i = 0; p->workers && i < p->threads - 1; i++) pthread_join(p->workers[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    free(p->workers);
    free(p);
}

int32_t mo_threadpool_size(const mo_threadpool *p) {
    return p ? p->threads : 1;
}

void mo_threadpool_run(mo_threadpool *p, int64_t n, mo_parallel_fn fn, void *ctx) {
    if (!p || p->threads == 1 || n <= 1) {
        for (int64_t i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    atomic_store(&p->next, 0);
    p->active = p->threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    drain(p);
    pthread_mutex_lock(&p->lock);
    while (p->active > 0) pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}
