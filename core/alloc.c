/* alloc.c - see alloc.h. */
#define _DEFAULT_SOURCE /* madvise */
#include "alloc.h"

#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *mo_alloc_hot(size_t bytes) {
    const size_t align = bytes >= HUGE_PAGE ? HUGE_PAGE : 64;
    void *p =
        aligned_alloc(align, (bytes + align - 1) & ~(align - 1)); /* a multiple, as C11 asks */
#ifdef MADV_HUGEPAGE
    /* Only the whole huge pages inside the buffer: a tail on one would take 2 MB of memory for
     * less. The advice is a hint; where it is refused, the buffer is as good as malloc's. */
    if (p && align == HUGE_PAGE) (void)madvise(p, bytes & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
    return p;
}
