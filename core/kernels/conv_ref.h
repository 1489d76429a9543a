/* conv_ref.h - scalar reference kernels: the oracle every fast kernel is tested against.
 *
 * Layout: activations f32 NHWC with N = 1, i.e. (H, W, C) row-major; convolution weights in
 * PyTorch's OIHW [Cout][Cin/groups][KH][KW]; linear weights [out][in]. Plain loops, no SIMD,
 * accumulation in f32 in PyTorch's order of taps is not promised (tolerance-level equality).
 */
#ifndef MO_CORE_CONV_REF_H
#define MO_CORE_CONV_REF_H

#include <stdint.h>

typedef enum mo_act { MO_ACT_NONE, MO_ACT_RELU, MO_ACT_RELU6 } mo_act;

/* The geometry of one 2-D convolution (square kernel, symmetric zero padding). */
typedef struct mo_conv_geom {
    int32_t in_h, in_w, cin;
    int32_t cout, kernel, stride, pad, dilation, groups;
} mo_conv_geom;

/* floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1, as torch.nn.Conv2d. */
int32_t mo_conv_out_size(int32_t in, int32_t kernel, int32_t stride, int32_t pad,
                         int32_t dilation);

/* out: (Ho, Wo, Cout); in: (H, W, Cin); bias may be NULL. Mirrors torch.nn.functional.conv2d
 * followed by the activation. */
void f32_conv2d_ref(float *out, const float *in, const float *weight, const float *bias,
                    const mo_conv_geom *g, mo_act act);

/* The same for output rows [row_begin, row_end) only (out still points at row 0). */
void f32_conv2d_ref_rows(float *out, const float *in, const float *weight, const float *bias,
                         const mo_conv_geom *g, mo_act act, int32_t row_begin, int32_t row_end);

/* out: (C); in: (H, W, C). The mean over H x W, as AdaptiveAvgPool2d(1). */
void f32_global_avgpool_ref(float *out, const float *in, int32_t h, int32_t w, int32_t c);

/* out: (n_out) = weight (n_out, n_in) . in + bias; as torch.nn.Linear (bias may be NULL). */
void f32_linear_ref(float *out, const float *in, const float *weight, const float *bias,
                    int32_t n_in, int32_t n_out, mo_act act);

/* Squeeze-excite in place on x: (H, W, C): s = sigmoid(W2 relu(W1 mean(x) + b1) + b2),
 * x *= s per channel. W1: (rd, C), W2: (C, rd). scratch holds C + rd floats. */
void f32_se_ref(float *x, int32_t h, int32_t w, int32_t c, int32_t rd, const float *reduce_w,
                const float *reduce_b, const float *expand_w, const float *expand_b,
                float *scratch);

/* Applies the activation in place to n values. */
void f32_activation_ref(float *x, int64_t n, mo_act act);

#endif
