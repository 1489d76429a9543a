/* variants.c - the S0-S4 table (architecture.md section 1.1). */
#include "variants.h"

#include <stddef.h>
#include <strings.h>

const int32_t mo_variant_blocks[4] = {2, 8, 10, 1};

static const mo_variant variants[] = {
    {"s0", {48, 48, 128, 256, 1024}, 4, 0},
    {"s1", {64, 96, 192, 512, 1280}, 1, 0},
    {"s2", {64, 96, 256, 640, 2048}, 1, 0},
    {"s3", {64, 128, 320, 768, 2048}, 1, 0},
    {"s4", {64, 192, 448, 896, 2048}, 1, 1},
};

const mo_variant *mo_variant_find(const char *name) {
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++)
        if (!strcasecmp(name, variants[i].name)) return &variants[i];
    return NULL;
}

const mo_variant *mo_variant_match(const int32_t widths[5], const int32_t blocks[4]) {
    for (int s = 0; s < 4; s++)
        if (blocks[s] != mo_variant_blocks[s]) return NULL;
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        int same = 1;
        for (int s = 0; s < 5; s++) same &= widths[s] == variants[i].widths[s];
        if (same) return &variants[i];
    }
    return NULL;
}
