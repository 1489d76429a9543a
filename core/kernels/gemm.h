/* gemm.h - convolution as an indirect GEMM, and the depthwise kernel, with AVX-512.
 *
 * Dense convolutions (1x1 pointwise, the 3x3 stem, dilated 3x3 in ASPP) are computed as
 * out[p][n] = act(bias[n] + sum_k A[p][k] B[k][n]) where p runs over output pixels, k over
 * (tap, input channel) and A's rows are gathered through per-pixel tap pointers (zeros at the
 * border), so no im2col buffer is needed. B is packed once at init into panels of GEMM_NR
 * output channels: [panel][k][GEMM_NR], zero-padded. The depthwise kernel keeps channels in
 * the vector lanes: weights packed [tap][channels].
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

/* Packs OIHW weights (groups = 1) into op->packed for the GEMM; returns 0 when out of memory. */
int f32_igemm_pack(mo_conv_op *op);
void f32_igemm_run_avx512(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                          int32_t in_w, mo_threadpool *pool);
/* The pointwise op whose input is the output of the depthwise op dw, in one pass: in is dw's
 * input (in_h x in_w). Both ops use the AVX-512 kernels. */
void f32_dw_igemm_run_avx512(const mo_conv_op *dw, const mo_conv_op *op, float *out,
                             const float *in, int32_t in_h, int32_t in_w, mo_threadpool *pool);

/* Direct convolution for few input channels (groups = 1, cin <= 8, cout <= 64: the stem);
 * weights packed [tap * cin + ci][cout padded to 16], then the bias. */
#define DIRECT_MAX_CIN 8
#define DIRECT_MAX_COUT 64
int f32_direct_pack(mo_conv_op *op);
void f32_direct_run_avx512(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                           int32_t in_w, mo_threadpool *pool);

/* Packs depthwise (groups = cin = cout) weights as [tap][channels padded to 16], then the bias,
 * then a row of zeros that taps outside the input read. */
int f32_dwconv_pack(mo_conv_op *op);
void f32_dwconv_run_avx512(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                           int32_t in_w, mo_threadpool *pool);

#endif
