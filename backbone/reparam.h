/* reparam.h - loading one MobileOneBlock and folding it into a single conv + bias. */
#ifndef MO_BACKBONE_REPARAM_H
#define MO_BACKBONE_REPARAM_H

#include "backbone.h"
#include "names.h"

/* Where a block's tensors live: prefix + naming + the block's Apple name. */
typedef struct mo_name_ctx {
    const char *prefix;
    mo_naming naming;
} mo_name_ctx;

/* Writes the file name of `<block>.<suffix>` into out. */
void mo_block_tensor_name(char *out, size_t size, const mo_name_ctx *n, const char *block,
                          const char *suffix);

/* m->name and m->conv.geom (cin, cout, kernel, groups) are set. Fused form: reads
 * `reparam_conv.{weight,bias}`. Unfused form: reads m->branches conv+BN branches, the scale
 * branch when m->has_scale, the skip BN when m->has_skip, and folds them (architecture.md 1.5):
 * W = sum_i W_i t_i + pad(W_s t_s) + I t_id, b = sum_i b_i + b_s + b_id, BN eps 1e-5.
 * Allocates m->conv.weight and m->conv.bias (freed by mo_mob_free). */
mo_status mo_mob_load_conv(mo_mob *m, mo_weights *w, const mo_name_ctx *n, mo_error *err);

/* Reads `se.reduce` / `se.expand` of a block (m->has_se set, width c = conv cout). */
mo_status mo_mob_load_se(mo_mob *m, mo_weights *w, const mo_name_ctx *n, mo_error *err);

void mo_mob_free(mo_mob *m);

#endif
