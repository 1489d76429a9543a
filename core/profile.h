/* profile.h - wall time per layer kind and per backbone layer as run (a fused group counts as
 * one), collected only when a profile is attached. */
#ifndef MO_CORE_PROFILE_H
#define MO_CORE_PROFILE_H

#include <stdint.h>
#include <time.h>

typedef enum mo_layer_kind {
    MO_LAYER_STEM,
    MO_LAYER_DEPTHWISE,
    MO_LAYER_POINTWISE,
    MO_LAYER_FUSED, /* a depthwise conv computed inside the following pointwise conv */
    MO_LAYER_SE,
    MO_LAYER_HEAD,
    MO_LAYER_KINDS
} mo_layer_kind;

#define MO_PROFILE_MAX_GROUPS 256

/* A group is the backbone blocks [first, last] that ran as one op (a fused pair, the stem with
 * its pair, or a block alone), with its MACs at the planned size. */
typedef struct mo_profile_group {
    int32_t first, last;
    mo_layer_kind kind;
    int64_t macs;
    double seconds;
} mo_profile_group;

typedef struct mo_profile {
    double seconds[MO_LAYER_KINDS];
    long long calls[MO_LAYER_KINDS];
    int32_t groups; /* filled by the first forward after the profile is attached */
    mo_profile_group group[MO_PROFILE_MAX_GROUPS];
} mo_profile;

static inline double mo_seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Adds the time since *since to kind and resets *since; no-op without a profile. */
static inline void mo_profile_lap(mo_profile *p, mo_layer_kind kind, double *since) {
    if (!p) return;
    double now = mo_seconds_now();
    p->seconds[kind] += now - *since;
    p->calls[kind]++;
    *since = now;
}

static inline const char *mo_layer_kind_name(mo_layer_kind k) {
    static const char *const names[MO_LAYER_KINDS] = {"stem", "depthwise", "pointwise",
                                                      "dw+pw", "se", "head"};
    return names[k];
}

#endif
