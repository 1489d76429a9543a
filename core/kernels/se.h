/* se.h - squeeze-excite followed by ReLU, vectorized (f32_se_ref + ReLU is its oracle).
 * Weights transposed so the inner loops run over output channels: reduce_t (c, rd),
 * expand_t (rd, c). Sums run in the reference's order, so results match it exactly. */
#ifndef MO_CORE_SE_H
#define MO_CORE_SE_H

#include <stdint.h>

/* x: (h, w, c) in place: x = relu(x * sigmoid(expand(relu(reduce(mean(x)))))).
 * scratch holds c + rd floats. */
void f32_se_relu(float *x, int32_t h, int32_t w, int32_t c, int32_t rd, const float *reduce_t,
                 const float *reduce_b, const float *expand_t, const float *expand_b,
                 float *scratch);

/* out (c) = mean over (h, w) of in (h, w, c). */
void f32_global_avgpool(float *out, const float *in, int32_t h, int32_t w, int32_t c);

#endif
