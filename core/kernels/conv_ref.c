/* conv_ref.c - scalar reference convolution, pooling, linear and squeeze-excite. */
#include "conv_ref.h"

#include <math.h>

int32_t mo_conv_out_size(int32_t in, int32_t kernel, int32_t stride, int32_t pad,
                         int32_t dilation) {
    int32_t span = dilation * (kernel - 1) + 1;
    if (in + 2 * pad < span) return 0;
    return (in + 2 * pad - span) / stride + 1;
}

static inline float activate(float v, mo_act act) {
    switch (act) {
    case MO_ACT_NONE: return v;
    case MO_ACT_RELU: return v > 0.0f ? v : 0.0f;
    case MO_ACT_RELU6: return v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
    }
    return v;
}

void f32_activation_ref(float *x, int64_t n, mo_act act) {
    if (act == MO_ACT_NONE) return;
    for (int64_t i = 0; i < n; i++) x[i] = activate(x[i], act);
}

void f32_conv2d_ref(float *out, const float *in, const float *weight, const float *bias,
                    const mo_conv_geom *g, mo_act act) {
    const int32_t out_h = mo_conv_out_size(g->in_h, g->kernel, g->stride, g->pad, g->dilation);
    f32_conv2d_ref_rows(out, in, weight, bias, g, act, 0, out_h);
}

void f32_conv2d_ref_rows(float *out, const float *in, const float *weight, const float *bias,
                         const mo_conv_geom *g, mo_act act, int32_t row_begin, int32_t row_end) {
    const int32_t k = g->kernel;
    const int32_t out_w = mo_conv_out_size(g->in_w, k, g->stride, g->pad, g->dilation);
    const int32_t cin_g = g->cin / g->groups, cout_g = g->cout / g->groups;
    for (int32_t oy = row_begin; oy < row_end; oy++) {
        for (int32_t ox = 0; ox < out_w; ox++) {
            float *o = out + ((int64_t)oy * out_w + ox) * g->cout;
            for (int32_t oc = 0; oc < g->cout; oc++) {
                const int32_t group = oc / cout_g;
                const float *w = weight + (int64_t)oc * cin_g * k * k;
                float acc = bias ? bias[oc] : 0.0f;
                for (int32_t ky = 0; ky < k; ky++) {
                    const int32_t iy = oy * g->stride - g->pad + ky * g->dilation;
                    if (iy < 0 || iy >= g->in_h) continue;
                    for (int32_t kx = 0; kx < k; kx++) {
                        const int32_t ix = ox * g->stride - g->pad + kx * g->dilation;
                        if (ix < 0 || ix >= g->in_w) continue;
                        const float *x =
                            in + ((int64_t)iy * g->in_w + ix) * g->cin + (int64_t)group * cin_g;
                        const float *wk = w + ky * k + kx;
                        for (int32_t ci = 0; ci < cin_g; ci++) acc += x[ci] * wk[ci * k * k];
                    }
                }
                o[oc] = activate(acc, act);
            }
        }
    }
}

void f32_global_avgpool_ref(float *out, const float *in, int32_t h, int32_t w, int32_t c) {
    for (int32_t ch = 0; ch < c; ch++) out[ch] = 0.0f;
    const int64_t n = (int64_t)h * w;
    for (int64_t p = 0; p < n; p++)
        for (int32_t ch = 0; ch < c; ch++) out[ch] += in[p * c + ch];
    for (int32_t ch = 0; ch < c; ch++) out[ch] /= (float)n;
}

void f32_linear_ref(float *out, const float *in, const float *weight, const float *bias,
                    int32_t n_in, int32_t n_out, mo_act act) {
    for (int32_t o = 0; o < n_out; o++) {
        const float *w = weight + (int64_t)o * n_in;
        float acc = bias ? bias[o] : 0.0f;
        for (int32_t i = 0; i < n_in; i++) acc += w[i] * in[i];
        out[o] = activate(acc, act);
    }
}

void f32_se_ref(float *x, int32_t h, int32_t w, int32_t c, int32_t rd, const float *reduce_w,
                const float *reduce_b, const float *expand_w, const float *expand_b,
                float *scratch) {
    float *pooled = scratch, *hidden = scratch + c;
    f32_global_avgpool_ref(pooled, x, h, w, c);
    f32_linear_ref(hidden, pooled, reduce_w, reduce_b, c, rd, MO_ACT_RELU);
    f32_linear_ref(pooled, hidden, expand_w, expand_b, rd, c, MO_ACT_NONE);
    for (int32_t ch = 0; ch < c; ch++) pooled[ch] = 1.0f / (1.0f + expf(-pooled[ch]));
    const int64_t n = (int64_t)h * w;
    for (int64_t p = 0; p < n; p++)
        for (int32_t ch = 0; ch < c; ch++) x[p * c + ch] *= pooled[ch];
}
