/* gemm.h - convolution as an indirect GEMM, and the depthwise kernel, with AVX-512 or AVX2.
 *
 * Dense convolutions (1x1 pointwise, the 3x3 stem, dilated 3x3 in ASPP) are computed as
 * out[p][n] = act(bias[n] + sum_k A[p][k] B[k][n]) where p runs over output pixels, k over
 * (tap, input channel) and A's rows are gathered through per-pixel tap pointers (zeros at the
 * border), so no im2col buffer is needed. B is packed once at init into panels of GEMM_NR
 * output channels: [panel][k][GEMM_NR], zero-padded. The depthwise kernel keeps channels in
 * the vector lanes: weights packed [tap][channels].
 * The AVX2+FMA kernels read the same packed layouts, with 8-float vectors.
 * Internal to core/kernels; conv_op.c chooses between these and the scalar reference.
 */
#ifndef MO_CORE_GEMM_H
#define MO_CORE_GEMM_H

#include <stdint.h>

#include "conv_op.h"

#define GEMM_MR 14  /* output pixels per micro-tile */
#define GEMM_NR 32  /* output channels per micro-tile (two 16-float vectors) */
#define GEMM_KC 256 /* depth of one packed A block (a multiple of 16) */

/* 1 when this CPU runs the AVX-512 kernels (AVX512F). */
int mo_cpu_has_avx512(void);
/* 1 when this CPU runs the AVX2 kernels (AVX2 and FMA). */
int mo_cpu_has_avx2(void);

/* Packs OIHW weights (groups = 1) into op->packed for the GEMM; returns 0 when out of memory. */
int f32_igemm_pack(mo_conv_op *op);
void f32_igemm_run_avx512(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                          int32_t in_w, mo_threadpool *pool);
/* The pointwise op whose input is the output of the depthwise op dw, in one pass: in is dw's
 * input (in_h x in_w). Both ops use the AVX-512 kernels. */
void f32_dw_igemm_run_avx512(const mo_conv_op *dw, const mo_conv_op *op, float *out,
                             const float *in, int32_t in_h, int32_t in_w, mo_threadpool *pool);
/* The same with the depthwise conv's input computed on the fly too, by the direct op stem from
 * image (in_h x in_w): each work item computes the band of stem rows its depthwise outputs
 * read (a thread's consecutive items share the rows where bands overlap), so the stem's output
 * is never stored whole. Returns 0, running nothing, when a band would not fit the stack
 * budget (STEM_BAND_MAX_BYTES). */
#define STEM_BAND_MAX_BYTES (512 << 10) /* 512x512 inputs fit; beside the item's 473 KB of A */
int f32_stem_dw_igemm_run_avx512(const mo_conv_op *stem, const mo_conv_op *dw,
                                 const mo_conv_op *op, float *out, const float *image,
                                 int32_t in_h, int32_t in_w, mo_threadpool *pool);

/* Direct convolution for few input channels (groups = 1, cin <= 8, cout <= 64: the stem);
 * weights packed [tap * cin + ci][cout padded to 16], then the bias. */
#define DIRECT_MAX_CIN 8
#define DIRECT_MAX_COUT 64
int f32_direct_pack(mo_conv_op *op);
void f32_direct_run_avx512(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                           int32_t in_w, mo_threadpool *pool);
/* Output rows [row_begin, row_end) only, in the calling thread; out holds row_begin first. */
void f32_direct_rows_avx512(const mo_conv_op *op, float *out, int32_t row_begin, int32_t row_end,
                            const float *in, int32_t in_h, int32_t in_w);

/* Packs depthwise (groups = cin = cout) weights as [tap][channels padded to 16], then the bias,
 * then a row of zeros that taps outside the input read. */
int f32_dwconv_pack(mo_conv_op *op);
void f32_dwconv_run_avx512(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                           int32_t in_w, mo_threadpool *pool);

/* The AVX2+FMA kernels (gemm_avx2.c, dwconv_avx2.c): the same packed weights as the AVX-512
 * GEMM and depthwise kernels (f32_igemm_pack, f32_dwconv_pack), no fused dw -> pw path. The
 * depthwise kernel takes kernel sizes up to DW_AVX2_MAX_K. */
#define DW_AVX2_MAX_K 7
void f32_igemm_run_avx2(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                        int32_t in_w, mo_threadpool *pool);
void f32_dwconv_run_avx2(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                         int32_t in_w, mo_threadpool *pool);

/* Helpers for the AVX2 kernels, seen only where a file is compiled with -mavx2 -mfma. */
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "conv_ref.h"

static inline __m256 activate8(__m256 v, mo_act act) {
    if (act == MO_ACT_NONE) return v;
    v = _mm256_max_ps(v, _mm256_setzero_ps());
    return act == MO_ACT_RELU6 ? _mm256_min_ps(v, _mm256_set1_ps(6.0f)) : v;
}

/* A mask of the first n lanes (n <= 0: none, n >= 8: all), for maskload / maskstore. */
static inline __m256i lanes8(int32_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif

#endif
