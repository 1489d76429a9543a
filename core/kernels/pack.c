/* pack.c - weight layouts for the fast kernels (portable C: runs once at init). */
#include <string.h>

#include "alloc.h"
#include "gemm.h"

/* Zeroed floats, aligned as mo_alloc_hot aligns: wide layers' weights (megabytes, streamed
 * from memory once a pass) on huge pages. */
static float *alloc_packed(size_t floats) {
    float *p = mo_alloc_hot(floats * sizeof(float));
    if (p) memset(p, 0, floats * sizeof(float));
    return p;
}

int mo_cpu_has_avx512(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

int f32_igemm_pack(mo_conv_op *op) {
    const mo_conv_geom *g = &op->geom;
    const int32_t taps = g->kernel * g->kernel, k_total = taps * g->cin;
    const int32_t panels = (g->cout + GEMM_NR - 1) / GEMM_NR;
    /* B panels, then the bias padded to whole panels. */
    size_t b_floats = (size_t)panels * k_total * GEMM_NR, n_pad = (size_t)panels * GEMM_NR;
    float *p = alloc_packed(b_floats + n_pad + (size_t)g->cin); /* + cin zeros */
    if (!p) return 0;
    for (int32_t n = 0; n < g->cout; n++) {
        float *panel = p + (size_t)(n / GEMM_NR) * k_total * GEMM_NR;
        for (int32_t c = 0; c < g->cin; c++)
            for (int32_t t = 0; t < taps; t++) {
                int32_t k = t * g->cin + c;
                panel[(size_t)k * GEMM_NR + n % GEMM_NR] =
                    op->weight[((size_t)n * g->cin + c) * taps + t];
            }
        p[b_floats + n] = op->bias ? op->bias[n] : 0.0f;
    }
    op->packed = p;
    return 1;
}

int f32_direct_pack(mo_conv_op *op) {
    const mo_conv_geom *g = &op->geom;
    const int32_t taps = g->kernel * g->kernel, cpad = (g->cout + 15) / 16 * 16;
    float *p = alloc_packed((size_t)(taps * g->cin + 1) * cpad);
    if (!p) return 0;
    for (int32_t o = 0; o < g->cout; o++) {
        for (int32_t c = 0; c < g->cin; c++)
            for (int32_t t = 0; t < taps; t++)
                p[(size_t)(t * g->cin + c) * cpad + o] = op->weight[((size_t)o * g->cin + c) * taps + t];
        p[(size_t)taps * g->cin * cpad + o] = op->bias ? op->bias[o] : 0.0f;
    }
    op->packed = p;
    return 1;
}

int f32_dwconv_pack(mo_conv_op *op) {
    const mo_conv_geom *g = &op->geom;
    const int32_t taps = g->kernel * g->kernel, cpad = (g->cout + 15) / 16 * 16;
    float *p = alloc_packed((size_t)(taps + 2) * cpad); /* weights, bias, a row of zeros */
    if (!p) return 0;
    for (int32_t c = 0; c < g->cout; c++) {
        for (int32_t t = 0; t < taps; t++) p[(size_t)t * cpad + c] = op->weight[(size_t)c * taps + t];
        p[(size_t)taps * cpad + c] = op->bias ? op->bias[c] : 0.0f;
    }
    op->packed = p;
    return 1;
}
