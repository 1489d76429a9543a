/* threadpool.h - a fixed set of worker threads that run one parallel-for at a time.
 *
 * mo_threadpool_run(pool, n, fn, ctx) calls fn(ctx, i) for i in [0, n) spread over the workers
 * and the caller, and returns when all are done. Work is split into whole items (rows, channel
 * blocks), never a reduction, so results do not depend on the thread count. A NULL pool runs
 * everything on the caller. No allocation after create.
 */
#ifndef MO_CORE_THREADPOOL_H
#define MO_CORE_THREADPOOL_H

#include <stdint.h>

#include "mobileone.h"

typedef struct mo_threadpool mo_threadpool;
typedef void (*mo_parallel_fn)(void *ctx, int64_t item);

/* threads: total threads including the caller (1 = no workers). */
mo_status mo_threadpool_create(mo_threadpool **out, int32_t threads, mo_error *err);
void mo_threadpool_free(mo_threadpool *pool);
int32_t mo_threadpool_size(const mo_threadpool *pool);

void mo_threadpool_run(mo_threadpool *pool, int64_t n, mo_parallel_fn fn, void *ctx);

#endif
