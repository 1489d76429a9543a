/* weights.h - reading a model's tensors by name with the shape the architecture expects.
 *
 * Wraps an open st_file: every tensor read is marked used, so that after loading a model the
 * loader can reject any tensor nobody asked for (a typo'd name, a head that does not belong)
 * instead of silently ignoring it. Bookkeeping tensors (`*.num_batches_tracked`) never count.
 */
#ifndef MO_CORE_WEIGHTS_H
#define MO_CORE_WEIGHTS_H

#include "safetensors.h"

typedef struct mo_weights {
    const st_file *file;
    uint8_t *used; /* one flag per tensor of file */
} mo_weights;

mo_status mo_weights_init(mo_weights *w, const st_file *file, mo_error *err);
void mo_weights_free(mo_weights *w);

/* True when the file has a tensor called `name` (does not mark it used). */
int mo_weights_has(const mo_weights *w, const char *name);

/* The shape of `name` or NULL when absent. */
const st_tensor *mo_weights_find(const mo_weights *w, const char *name);

/* Reads `name` into dst (caller-owned, numel floats) after checking it exists
 * (MO_ERR_MISSING), is a float type (MO_ERR_FORMAT) and has exactly `shape` (MO_ERR_SHAPE). */
mo_status mo_weights_read(mo_weights *w, const char *name, int32_t ndim, const int64_t *shape,
                          float *dst, mo_error *err);

/* Reads the BatchNorm `<prefix>.{weight,bias,running_mean,running_var}` of c channels and
 * folds it: y = x * scale + shift with scale = gamma / sqrt(var + eps) and
 * shift = beta - mean * gamma / sqrt(var + eps) (torch's eval-mode BatchNorm2d). */
mo_status mo_weights_read_bn(mo_weights *w, const char *prefix, int32_t c, float eps,
                             float *scale, float *shift, mo_error *err);

/* Marks every tensor whose name starts with `prefix` used (parts accepted and ignored, such
 * as a training-only auxiliary head). */
void mo_weights_ignore_prefix(mo_weights *w, const char *prefix);

/* MO_ERR_FORMAT naming the first tensor nobody read, or MO_OK. */
mo_status mo_weights_check_all_used(const mo_weights *w, mo_error *err);

#endif
