/* golden_util.h - what the golden tests against PyTorch share: finding the cases, reading
 * reference tensors, layout changes and the relative-error check of DESIGN.md section 4.
 * Call only from inside a Check test (failures are ck_assert failures). */
#ifndef MO_TESTS_GOLDEN_UTIL_H
#define MO_TESTS_GOLDEN_UTIL_H

#include <check.h>
#include <stdint.h>

#include "safetensors.h"

typedef struct golden_case {
    char model[1024], io[1024];
} golden_case;

/* Every (model_*.safetensors, <io_prefix>*.safetensors) pair of every folder under root,
 * sorted by name; returns how many (at most max). */
int golden_discover(const char *root, const char *io_prefix, golden_case *cases, int max);

/* Tensor `name` of f as f32 (malloc'ed); *t (when t is not NULL) gets its header. */
float *golden_read(const st_file *f, const char *name, const st_tensor **t);

/* (1, C, H, W) -> (H, W, C), malloc'ed. */
float *golden_nhwc(const float *nchw, int64_t c, int64_t hw);

/* max|ours - ref| / max|ref| over n values, printed with the worst element. With check_std,
 * first fails the test when the reference is degenerate (standard deviation <= 1e-2). */
double golden_relative_error(const float *ours, const float *ref, int64_t n, const char *what,
                             const char *where, int check_std);

/* The main() of a golden test: finds the cases under argv[1] (default
 * $MO_SOURCE_DIR/tests/golden/<subdir>) into cases / *count, and runs `test` once per case in a
 * suite called `name`. Finding no case is a failure: the committed goldens must be there. */
int golden_main(int argc, char **argv, const char *subdir, const char *io_prefix,
                golden_case *cases, int max, int *count, const TTest *test, const char *name,
                int timeout);

#endif
