/* weights.c - named, shape-checked tensor reads with use tracking. */
#include "weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

mo_status mo_weights_init(mo_weights *w, const st_file *file, mo_error *err) {
    w->file = file;
    w->used = calloc((size_t)file->num_tensors + 1, 1);
    if (!w->used) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", file->path);
    return MO_OK;
}

void mo_weights_free(mo_weights *w) {
    free(w->used);
    w->used = NULL;
}

static int32_t index_of(const mo_weights *w, const char *name) {
    for (int32_t i = 0; i < w->file->num_tensors; i++)
        if (!strcmp(w->file->tensors[i].name, name)) return i;
    return -1;
}

int mo_weights_has(const mo_weights *w, const char *name) {
    return index_of(w, name) >= 0;
}

const st_tensor *mo_weights_find(const mo_weights *w, const char *name) {
    int32_t i = index_of(w, name);
    return i < 0 ? NULL : &w->file->tensors[i];
}

static void format_shape(char *buf, size_t size, int32_t ndim, const int64_t *shape) {
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int32_t d = 0; d < ndim && n < size; d++)
        n += (size_t)snprintf(buf + n, size - n, d ? ", %lld" : "%lld", (long long)shape[d]);
    if (n < size) snprintf(buf + n, size - n, "]");
}

mo_status mo_weights_read(mo_weights *w, const char *name, int32_t ndim, const int64_t *shape,
                          float *dst, mo_error *err) {
    int32_t i = index_of(w, name);
    if (i < 0)
        return mo_error_set(err, MO_ERR_MISSING, "%s: tensor '%s' is missing", w->file->path,
                            name);
    const st_tensor *t = &w->file->tensors[i];
    int same = t->ndim == ndim;
    for (int32_t d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
    if (!same) {
        char have[128], want[128];
        format_shape(have, sizeof have, t->ndim, t->shape);
        format_shape(want, sizeof want, ndim, shape);
        return mo_error_set(err, MO_ERR_SHAPE, "%s: tensor '%s' has shape %s, expected %s",
                            w->file->path, name, have, want);
    }
    w->used[i] = 1;
    return st_read_f32(w->file, t, dst, err);
}

mo_status mo_weights_read_bn(mo_weights *w, const char *prefix, int32_t c, float eps,
                             float *scale, float *shift, mo_error *err) {
    static const char *const parts[4] = {"weight", "bias", "running_mean", "running_var"};
    float *v = malloc(sizeof(float) * 4 * (size_t)c);
    if (!v) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", w->file->path);
    const int64_t shape[1] = {c};
    char name[256];
    mo_status s = MO_OK;
    for (int p = 0; p < 4 && s == MO_OK; p++) {
        snprintf(name, sizeof name, "%s.%s", prefix, parts[p]);
        s = mo_weights_read(w, name, 1, shape, v + (size_t)p * c, err);
    }
    if (s == MO_OK) {
        const float *gamma = v, *beta = v + c, *mean = v + 2 * c, *var = v + 3 * c;
        for (int32_t i = 0; i < c; i++) {
            float std = sqrtf(var[i] + eps);
            scale[i] = gamma[i] / std;
            shift[i] = beta[i] - mean[i] * gamma[i] / std;
        }
        snprintf(name, sizeof name, "%s.num_batches_tracked", prefix);
        int32_t i = index_of(w, name);
        if (i >= 0) w->used[i] = 1;
    }
    free(v);
    return s;
}

void mo_weights_ignore_prefix(mo_weights *w, const char *prefix) {
    size_t n = strlen(prefix);
    for (int32_t i = 0; i < w->file->num_tensors; i++)
        if (!strncmp(w->file->tensors[i].name, prefix, n)) w->used[i] = 1;
}

static int is_bookkeeping(const char *name) {
    static const char suffix[] = "num_batches_tracked";
    size_t n = strlen(name), s = sizeof suffix - 1;
    return n >= s && !strcmp(name + n - s, suffix);
}

mo_status mo_weights_check_all_used(const mo_weights *w, mo_error *err) {
    for (int32_t i = 0; i < w->file->num_tensors; i++)
        if (!w->used[i] && !is_bookkeeping(w->file->tensors[i].name))
            return mo_error_set(err, MO_ERR_FORMAT,
                                "%s: unexpected tensor '%s' (not part of this architecture)",
                                w->file->path, w->file->tensors[i].name);
    return MO_OK;
}
