/* safetensors.h - reading and writing the safetensors model format.
 *
 * The format: an 8-byte little-endian header length N, N bytes of JSON naming every tensor's
 * dtype, shape and [begin, end) byte range relative to the data that follows, then the data.
 * The reader maps the file and validates everything before anyone reads a byte of data:
 * header bounds, JSON, dtypes, shapes, offsets in range, sizes matching shapes, no overlaps.
 * It converts F32, F16 and BF16 to F32 on request; I64 is accepted (bookkeeping tensors such as
 * num_batches_tracked) but cannot be read as f32. Other dtypes are rejected at open.
 */
#ifndef MO_CORE_SAFETENSORS_H
#define MO_CORE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "mobileone.h"

#define ST_MAX_DIMS 8

typedef enum st_dtype { ST_F32, ST_F16, ST_BF16, ST_I64 } st_dtype;

typedef struct st_tensor {
    char *name;
    st_dtype dtype;
    int32_t ndim;
    int64_t shape[ST_MAX_DIMS];
    int64_t numel;
    size_t begin, end; /* byte range within the data section */
} st_tensor;

typedef struct st_file {
    char *path;           /* copy of the path, for messages */
    void *map;            /* the whole file, read-only */
    size_t map_size;
    const uint8_t *data;  /* start of the data section */
    size_t data_size;
    st_tensor *tensors;   /* in header order */
    int32_t num_tensors;
    char *config_json;    /* __metadata__["mobileone.config"], or NULL */
} st_file;

/* Maps and validates `path`. On error, f is left closed (nothing to free). */
mo_status st_open(st_file *f, const char *path, mo_error *err);
void st_close(st_file *f);

/* The tensor named `name`, or NULL. */
const st_tensor *st_find(const st_file *f, const char *name);

/* Converts the tensor's data to f32 into dst (t->numel floats, caller-owned). */
mo_status st_read_f32(const st_file *f, const st_tensor *t, float *dst, mo_error *err);

const char *st_dtype_name(st_dtype dtype);

/* One tensor to write: f32 data, PyTorch layout. */
typedef struct st_write_tensor {
    const char *name;
    int32_t ndim;
    int64_t shape[ST_MAX_DIMS];
    const float *data;
} st_write_tensor;

/* Writes F32 tensors (in the given order) and, when config_json is not NULL, the metadata
 * entry "mobileone.config". Writes `path`.tmp and renames it; on error no file is left. */
mo_status st_write(const char *path, const st_write_tensor *tensors, int32_t count,
                   const char *config_json, mo_error *err);

#endif
