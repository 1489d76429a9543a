/* se.c - squeeze-excite and global pooling as plain loops over channels, compiled for AVX-512
 * and for the baseline (GCC target_clones picks one at load time). */
#include "se.h"

#include <math.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define MO_MULTIVERSION __attribute__((target_clones("avx512f", "default")))
#else
#define MO_MULTIVERSION
#endif

MO_MULTIVERSION
void f32_global_avgpool(float *out, const float *in, int32_t h, int32_t w, int32_t c) {
    for (int32_t ch = 0; ch < c; ch++) out[ch] = 0.0f;
    const int64_t n = (int64_t)h * w;
    for (int64_t p = 0; p < n; p++) {
        const float *x = in + p * c;
        for (int32_t ch = 0; ch < c; ch++) out[ch] += x[ch];
    }
    for (int32_t ch = 0; ch < c; ch++) out[ch] /= (float)n;
}

MO_MULTIVERSION
static void dense_t(float *out, const float *in, const float *wt, const float *bias, int32_t n_in,
                    int32_t n_out, int relu) {
    for (int32_t o = 0; o < n_out; o++) out[o] = bias[o];
    for (int32_t i = 0; i < n_in; i++) {
        const float *row = wt + (int64_t)i * n_out;
        const float x = in[i];
        for (int32_t o = 0; o < n_out; o++) out[o] += row[o] * x;
    }
    if (relu)
        for (int32_t o = 0; o < n_out; o++) out[o] = out[o] > 0.0f ? out[o] : 0.0f;
}

MO_MULTIVERSION
static void scale_relu(float *x, int64_t pixels, int32_t c, const float *s) {
    for (int64_t p = 0; p < pixels; p++) {
        float *v = x + p * c;
        for (int32_t ch = 0; ch < c; ch++) {
            float y = v[ch] * s[ch];
            v[ch] = y > 0.0f ? y : 0.0f;
        }
    }
}

void f32_se_relu(float *x, int32_t h, int32_t w, int32_t c, int32_t rd, const float *reduce_t,
                 const float *reduce_b, const float *expand_t, const float *expand_b,
                 float *scratch) {
    float *pooled = scratch, *hidden = scratch + c;
    f32_global_avgpool(pooled, x, h, w, c);
    dense_t(hidden, pooled, reduce_t, reduce_b, c, rd, 1);
    dense_t(pooled, hidden, expand_t, expand_b, rd, c, 0);
    for (int32_t ch = 0; ch < c; ch++) pooled[ch] = 1.0f / (1.0f + expf(-pooled[ch]));
    scale_relu(x, (int64_t)h * w, c, pooled);
}
