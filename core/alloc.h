/* alloc.h - allocations for the kernels' big, hot buffers. Internal. */
#ifndef MO_CORE_ALLOC_H
#define MO_CORE_ALLOC_H

#include <stddef.h>

/* `bytes` on a 64-byte boundary (vector loads never straddle cache lines), or, from 2 MB up, on
 * a 2 MB boundary with transparent huge pages asked for where the system gives them on
 * request: streamed weights and activations then need one TLB entry per 2 MB instead of a
 * page walk per 4 KB. Not zeroed; NULL when out of memory; release with free(). */
void *mo_alloc_hot(size_t bytes);

#endif
