/* np_sum.h - numpy's summation order, for means that must match numpy to the last bit.
 *
 * np.add.reduce over a contiguous 1-D array walks it in buffers of 8192 elements; each buffer
 * is summed with pairwise_sum (loops_utils.h: n < 8 a plain loop, n <= 128 eight strided
 * accumulators combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus a sequential tail, larger n
 * split at n/2 rounded down to a multiple of 8) and added to the running total, which starts
 * at 0. np.mean divides that sum by n. See ../shared/reference/evaluators.md §1.8. */
#ifndef MO_EVAL_NP_SUM_H
#define MO_EVAL_NP_SUM_H

#include <stddef.h>

/* np.sum / np.add.reduce of x[0..n-1] (float64 and float32). */
double mo_np_sum(const double *x, size_t n);
float mo_np_sum_f32(const float *x, size_t n);

/* np.mean: mo_np_sum(x, n) / n; NaN for n == 0. */
double mo_np_mean(const double *x, size_t n);

/* np.nanmean: NaNs are replaced by 0, summed as above, divided by the count of non-NaN entries
 * (NaN when there is none). Uses a scratch copy; returns NaN if it cannot allocate. */
double mo_np_nanmean(const double *x, size_t n);
/* The float32 flavour: float32 sum, then float32(sum / count) as numpy does for a float32
 * scalar divided by an integer count. */
float mo_np_nanmean_f32(const float *x, size_t n);

#endif
