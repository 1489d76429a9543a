/* model_builder.h - writes synthetic MobileOne model files for tests: any widths and depths,
 * fused or unfused (k branches, BatchNorms with random statistics), with or without SE, and
 * with deliberate faults (a dropped tensor, a wrong shape, a wrong dtype, an extra tensor). */
#ifndef MO_TESTS_MODEL_BUILDER_H
#define MO_TESTS_MODEL_BUILDER_H

#include <stdint.h>

typedef struct model_spec {
    int32_t widths[5];
    int32_t blocks[4];
    int32_t k;              /* 0: fused (reparam_conv); >= 1: unfused with k branches */
    int32_t se;             /* SE on stage3's last half and stage4, as S4 */
    int32_t num_classes;
    const char *config;     /* embedded config JSON or NULL */
    const char *drop;       /* a tensor name to leave out */
    const char *bad_shape;  /* a tensor whose first dimension gets +1 */
    const char *bad_dtype;  /* a tensor written as I64 */
    const char *extra;      /* an extra tensor name (shape [1]) */
    uint32_t seed;
} model_spec;

/* The published variants' specs (fused, 1000 classes): index 0..4 = S0..S4. */
model_spec model_spec_variant(int index, int32_t k);

/* Writes the model file; returns 0 on success. */
int model_build(const char *path, const model_spec *spec);

#endif
