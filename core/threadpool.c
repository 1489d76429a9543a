/* threadpool.c - pthreads workers pulling items from an atomic counter.
 *
 * A network runs dozens of short layers, so waking workers through a condition variable for
 * each (tens of microseconds) would cost more than small layers take. Workers therefore spin
 * for a while on the job counter before they sleep, and the caller spins until they are done. */
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN_ROUNDS 4000 /* some tens of microseconds of polling before waiting harder */
#define WORKER_STACK_BYTES (8 << 20)

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
    atomic_int active;            /* workers still inside the job */
    atomic_ullong generation;     /* bumped per job, so workers know a new one started */
    atomic_int quit;
};

static void drain(mo_threadpool *p) {
    for (;;) {
        int64_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n) return;
        p->fn(p->ctx, i);
    }
}

/* Waits until the generation differs from seen (or quit): spins first, then sleeps. */
static unsigned long long wait_for_job(mo_threadpool *p, unsigned long long seen) {
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        unsigned long long g = atomic_load_explicit(&p->generation, memory_order_acquire);
        if (g != seen || atomic_load(&p->quit)) return g;
        CPU_RELAX();
    }
    pthread_mutex_lock(&p->lock);
    while (atomic_load(&p->generation) == seen && !atomic_load(&p->quit))
        pthread_cond_wait(&p->start, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return atomic_load_explicit(&p->generation, memory_order_acquire);
}

static void *worker(void *arg) {
    mo_threadpool *p = arg;
    unsigned long long seen = 0;
    for (;;) {
        seen = wait_for_job(p, seen);
        if (atomic_load(&p->quit)) break;
        drain(p);
        if (atomic_fetch_sub_explicit(&p->active, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->lock); /* the caller may be asleep on `done` */
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->lock);
        }
    }
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
    /* Kernels keep per-item buffers on the stack (about 1 MB for a stem-fused item): give the
     * workers room whatever the platform's default. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK_BYTES);
    int32_t started = 0;
    for (; p->workers && started < threads - 1; started++)
        if (pthread_create(&p->workers[started], &attr, worker, p) != 0) break;
    pthread_attr_destroy(&attr);
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
    atomic_store(&p->quit, 1);
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
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    atomic_store(&p->next, 0);
    atomic_store(&p->active, p->threads - 1);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_mutex_lock(&p->lock);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    drain(p);
    /* Spin for the usual few microseconds; if the workers take longer (one was descheduled by
     * another process), sleep until the last one signals instead of burning the core. */
    for (int spins = 0; spins < SPIN_ROUNDS; spins++) {
        if (atomic_load_explicit(&p->active, memory_order_acquire) == 0) return;
        CPU_RELAX();
    }
    pthread_mutex_lock(&p->lock);
    while (atomic_load_explicit(&p->active, memory_order_acquire) > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}
