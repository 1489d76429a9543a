/* variants.h - the published MobileOne variants S0-S4 (Apple's PARAMS, widths resolved). */
#ifndef MO_BACKBONE_VARIANTS_H
#define MO_BACKBONE_VARIANTS_H

#include <stdint.h>

typedef struct mo_variant {
    const char *name;
    int32_t widths[5]; /* stem, stage1..4: min(64, int(64 w0)), int(64 w1) ... int(512 w4) */
    int32_t k;         /* conv branches of stages 1-4 in the unfused form (stem: 1) */
    int32_t se;        /* SE on the last 5 block pairs of stage3 and on stage4 */
} mo_variant;

/* Blocks per stage, the same for every variant. */
extern const int32_t mo_variant_blocks[4];

/* The variant called `name` ("s0".."s4", case-insensitive), or NULL. */
const mo_variant *mo_variant_find(const char *name);

/* The variant whose widths and blocks these are, or NULL (a custom network). */
const mo_variant *mo_variant_match(const int32_t widths[5], const int32_t blocks[4]);

#endif
