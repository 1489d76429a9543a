/* safetensors.c - validated reading (mmap) and atomic writing of safetensors files. */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

#define ST_MAX_HEADER (100u << 20) /* the format's own cap on the JSON header */

static size_t dtype_size(st_dtype d) {
    switch (d) {
    case ST_F32: return 4;
    case ST_F16: return 2;
    case ST_BF16: return 2;
    case ST_I64: return 8;
    }
    return 0;
}

const char *st_dtype_name(st_dtype d) {
    switch (d) {
    case ST_F32: return "F32";
    case ST_F16: return "F16";
    case ST_BF16: return "BF16";
    case ST_I64: return "I64";
    }
    return "?";
}

static int parse_dtype(const char *s, st_dtype *out) {
    static const struct { const char *name; st_dtype dtype; } known[] = {
        {"F32", ST_F32}, {"F16", ST_F16}, {"BF16", ST_BF16}, {"I64", ST_I64}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(s, known[i].name) == 0) return *out = known[i].dtype, 1;
    return 0;
}

/* A JSON number that is a non-negative integer representable exactly. */
static int json_uint(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || floor(d) != d) return 0;
    *out = (uint64_t)d;
    return 1;
}

void st_close(st_file *f) {
    if (!f) return;
    for (int32_t i = 0; i < f->num_tensors; i++) free(f->tensors[i].name);
    free(f->tensors);
    free(f->config_json);
    free(f->path);
    if (f->map) munmap(f->map, f->map_size);
    memset(f, 0, sizeof *f);
}

/* Parses one header entry into t; returns MO_OK or a format error naming the tensor. */
static mo_status parse_entry(const st_file *f, const cJSON *e, st_tensor *t, mo_error *err) {
    const char *name = e->string;
    if (!cJSON_IsObject(e))
        return mo_error_set(err, MO_ERR_FORMAT, "%s: tensor '%s': header entry is not an object",
                            f->path, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off))
        return mo_error_set(err, MO_ERR_FORMAT,
                            "%s: tensor '%s': needs string 'dtype', array 'shape' and array "
                            "'data_offsets'", f->path, name);
    if (!parse_dtype(dt->valuestring, &t->dtype))
        return mo_error_set(err, MO_ERR_FORMAT,
                            "%s: tensor '%s': dtype '%s' is not supported (F32, F16, BF16, or "
                            "I64 for bookkeeping)", f->path, name, dt->valuestring);
    int ndim = cJSON_GetArraySize(sh);
    if (ndim > ST_MAX_DIMS)
        return mo_error_set(err, MO_ERR_FORMAT, "%s: tensor '%s': %d dimensions (at most %d)",
                            f->path, name, ndim, ST_MAX_DIMS);
    t->ndim = ndim;
    uint64_t numel = 1;
    int i = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, sh) {
        uint64_t v;
        if (!json_uint(d, &v) || v > (1ull << 40))
            return mo_error_set(err, MO_ERR_FORMAT, "%s: tensor '%s': shape[%d] is not a valid "
                                "size", f->path, name, i);
        t->shape[i++] = (int64_t)v;
        numel *= v;
        if (numel > (1ull << 40))
            return mo_error_set(err, MO_ERR_FORMAT, "%s: tensor '%s': too many elements",
                                f->path, name);
    }
    t->numel = (int64_t)numel;
    uint64_t b, en;
    if (cJSON_GetArraySize(off) != 2 || !json_uint(cJSON_GetArrayItem(off, 0), &b) ||
        !json_uint(cJSON_GetArrayItem(off, 1), &en) || b > en)
        return mo_error_set(err, MO_ERR_FORMAT, "%s: tensor '%s': data_offsets must be [begin, "
                            "end] with 0 <= begin <= end", f->path, name);
    if (en > f->data_size)
        return mo_error_set(err, MO_ERR_FORMAT,
                            "%s: tensor '%s': data ends at byte %llu but the data section has "
                            "%zu bytes (truncated file?)", f->path, name, (unsigned long long)en,
                            f->data_size);
    if (en - b != numel * dtype_size(t->dtype))
        return mo_error_set(err, MO_ERR_FORMAT,
                            "%s: tensor '%s': %llu bytes for %llu elements of %s", f->path, name,
                            (unsigned long long)(en - b), (unsigned long long)numel,
                            dt->valuestring);
    t->begin = (size_t)b;
    t->end = (size_t)en;
    t->name = strdup(name);
    return t->name ? MO_OK : mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", f->path);
}

static int by_begin(const void *a, const void *b) {
    const st_tensor *x = *(st_tensor *const *)a, *y = *(st_tensor *const *)b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

/* Rejects two tensors whose byte ranges overlap, and duplicate names. */
static mo_status check_layout(const st_file *f, mo_error *err) {
    int32_t n = f->num_tensors;
    if (n == 0) return MO_OK;
    const st_tensor **order = malloc(sizeof *order * (size_t)n);
    if (!order) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", f->path);
    for (int32_t i = 0; i < n; i++) order[i] = &f->tensors[i];
    qsort(order, (size_t)n, sizeof *order, by_begin);
    mo_status s = MO_OK;
    const st_tensor *prev = NULL;
    for (int32_t i = 0; i < n && s == MO_OK; i++) {
        const st_tensor *t = order[i];
        if (t->begin == t->end) continue;
        if (prev && t->begin < prev->end)
            s = mo_error_set(err, MO_ERR_FORMAT,
                             "%s: tensors '%s' and '%s' overlap (bytes %zu-%zu and %zu-%zu)",
                             f->path, prev->name, t->name, prev->begin, prev->end, t->begin,
                             t->end);
        prev = t;
    }
    free(order);
    for (int32_t i = 0; i < n && s == MO_OK; i++)
        for (int32_t j = i + 1; j < n && s == MO_OK; j++)
            if (strcmp(f->tensors[i].name, f->tensors[j].name) == 0)
                s = mo_error_set(err, MO_ERR_FORMAT, "%s: tensor '%s' appears twice", f->path,
                                 f->tensors[i].name);
    return s;
}

static mo_status parse_header(st_file *f, const char *json, size_t len, mo_error *err) {
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return mo_error_set(err, MO_ERR_FORMAT, "%s: the header is not a JSON object",
                            f->path);
    }
    int count = cJSON_GetArraySize(root);
    f->tensors = calloc((size_t)count + 1, sizeof *f->tensors);
    if (!f->tensors) {
        cJSON_Delete(root);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", f->path);
    }
    mo_status s = MO_OK;
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        if (strcmp(e->string, "__metadata__") == 0) {
            if (!cJSON_IsObject(e)) {
                s = mo_error_set(err, MO_ERR_FORMAT, "%s: __metadata__ is not an object",
                                 f->path);
                break;
            }
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "mobileone.config");
            if (c && !cJSON_IsString(c)) {
                s = mo_error_set(err, MO_ERR_FORMAT,
                                 "%s: __metadata__['mobileone.config'] is not a string", f->path);
                break;
            }
            if (c && !(f->config_json = strdup(c->valuestring))) {
                s = mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", f->path);
                break;
            }
            continue;
        }
        s = parse_entry(f, e, &f->tensors[f->num_tensors], err);
        if (s != MO_OK) break;
        f->num_tensors++;
    }
    cJSON_Delete(root);
    return s == MO_OK ? check_layout(f, err) : s;
}

mo_status st_open(st_file *f, const char *path, mo_error *err) {
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return mo_error_set(err, MO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mo_error_set(err, MO_ERR_IO, "%s: not a regular file", path);
    }
    f->path = strdup(path);
    if (!f->path) {
        close(fd);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    }
    size_t size = (size_t)st.st_size;
    if (size < 8) {
        close(fd);
        mo_status s = mo_error_set(err, MO_ERR_FORMAT,
                                   "%s: %zu bytes is too short for a safetensors file (truncated?)",
                                   path, size);
        st_close(f);
        return s;
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        mo_status s = mo_error_set(err, MO_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
        st_close(f);
        return s;
    }
    f->map = map;
    f->map_size = size;
    const uint8_t *bytes = map;
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = header_len << 8 | bytes[i];
    mo_status s = MO_OK;
    if (header_len > size - 8)
        s = mo_error_set(err, MO_ERR_FORMAT,
                         "%s: header length %llu runs past the end of the file (%zu bytes)", path,
                         (unsigned long long)header_len, size);
    else if (header_len > ST_MAX_HEADER || header_len < 2)
        s = mo_error_set(err, MO_ERR_FORMAT, "%s: header length %llu is not plausible", path,
                         (unsigned long long)header_len);
    if (s == MO_OK) {
        f->data = bytes + 8 + header_len;
        f->data_size = size - 8 - (size_t)header_len;
        s = parse_header(f, (const char *)bytes + 8, (size_t)header_len, err);
    }
    if (s != MO_OK) st_close(f);
    return s;
}

const st_tensor *st_find(const st_file *f, const char *name) {
    for (int32_t i = 0; i < f->num_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

/* IEEE half to single, subnormals and infinities included. */
static float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else { /* subnormal: normalize */
        exp = 113;
        while (!(man & 0x400)) man <<= 1, exp--;
        bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
    }
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

mo_status st_read_f32(const st_file *f, const st_tensor *t, float *dst, mo_error *err) {
    const uint8_t *src = f->data + t->begin;
    switch (t->dtype) {
    case ST_F32: memcpy(dst, src, (size_t)t->numel * 4); return MO_OK;
    case ST_F16:
        for (int64_t i = 0; i < t->numel; i++) {
            uint16_t h = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);
            dst[i] = f16_to_f32(h);
        }
        return MO_OK;
    case ST_BF16:
        for (int64_t i = 0; i < t->numel; i++) {
            uint32_t bits = (uint32_t)(src[2 * i] | src[2 * i + 1] << 8) << 16;
            memcpy(&dst[i], &bits, 4);
        }
        return MO_OK;
    case ST_I64: break;
    }
    return mo_error_set(err, MO_ERR_FORMAT, "%s: tensor '%s' has dtype %s, a float type is needed",
                        f->path, t->name, st_dtype_name(t->dtype));
}

mo_status st_write(const char *path, const st_write_tensor *tensors, int32_t count,
                   const char *config_json, mo_error *err) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    if (config_json) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        cJSON_AddStringToObject(meta, "mobileone.config", config_json);
    }
    size_t offset = 0;
    for (int32_t i = 0; i < count; i++) {
        const st_write_tensor *t = &tensors[i];
        size_t numel = 1;
        double shape[ST_MAX_DIMS];
        for (int d = 0; d < t->ndim; d++) numel *= (size_t)t->shape[d], shape[d] = (double)t->shape[d];
        cJSON *e = cJSON_AddObjectToObject(root, t->name);
        cJSON_AddStringToObject(e, "dtype", "F32");
        cJSON_AddItemToObject(e, "shape", cJSON_CreateDoubleArray(shape, t->ndim));
        double range[2] = {(double)offset, (double)(offset + numel * 4)};
        cJSON_AddItemToObject(e, "data_offsets", cJSON_CreateDoubleArray(range, 2));
        offset += numel * 4;
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    size_t len = strlen(json), padded = (len + 7) & ~(size_t)7; /* align the data to 8 bytes */

    size_t tmp_len = strlen(path) + 5;
    char *tmp = malloc(tmp_len);
    if (!tmp) {
        free(json);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    }
    snprintf(tmp, tmp_len, "%s.tmp", path);
    FILE *out = fopen(tmp, "wb");
    mo_status s = MO_OK;
    if (!out) {
        s = mo_error_set(err, MO_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
    } else {
        uint8_t len_bytes[8];
        for (int i = 0; i < 8; i++) len_bytes[i] = (uint8_t)((uint64_t)padded >> (8 * i));
        int ok = fwrite(len_bytes, 1, 8, out) == 8 && fwrite(json, 1, len, out) == len;
        for (size_t i = len; ok && i < padded; i++) ok = fputc(' ', out) != EOF;
        for (int32_t i = 0; ok && i < count; i++) {
            size_t numel = 1;
            for (int d = 0; d < tensors[i].ndim; d++) numel *= (size_t)tensors[i].shape[d];
            ok = fwrite(tensors[i].data, 4, numel, out) == numel;
        }
        if (fclose(out) != 0) ok = 0;
        if (!ok)
            s = mo_error_set(err, MO_ERR_IO, "%s: write failed: %s", tmp, strerror(errno));
        else if (rename(tmp, path) != 0)
            s = mo_error_set(err, MO_ERR_IO, "%s: cannot rename to %s: %s", tmp, path,
                             strerror(errno));
        if (s != MO_OK) remove(tmp);
    }
    free(tmp);
    free(json);
    return s;
}
