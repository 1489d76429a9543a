/* conv_op.h - a convolution ready to run: geometry, activation and weights packed at init for
 * the fastest kernel this CPU has, run over a thread pool without allocating.
 *
 * This is what networks call; conv_ref.h is the oracle it is tested against. Semantics are
 * exactly f32_conv2d_ref's: out (Ho, Wo, Cout) NHWC = act(conv(in (H, W, Cin)) + bias), weights
 * OIHW. Results do not depend on the thread count.
 */
#ifndef MO_CORE_CONV_OP_H
#define MO_CORE_CONV_OP_H

#include "conv_ref.h"
#include "mobileone.h"
#include "threadpool.h"

typedef enum mo_kernel_choice {
    MO_KERNEL_AUTO,     /* the fastest for this CPU */
    MO_KERNEL_SCALAR,   /* the scalar reference, for checks */
    MO_KERNEL_AVX2,     /* the AVX2+FMA kernels even where AVX-512 is present, for checks and
                         * comparisons; the scalar reference on a CPU without AVX2 */
} mo_kernel_choice;

typedef struct mo_conv_op {
    mo_conv_geom geom; /* in_h / in_w are ignored: given to run */
    mo_act act;
    const float *weight, *bias; /* OIHW and per-output bias, borrowed (outlive the op) */
    int32_t kernel;             /* internal: which implementation runs it */
    float *packed;              /* internal: weights in that kernel's layout, owned */
} mo_conv_op;

/* Validates g and packs the weights. bias may be NULL. */
mo_status mo_conv_op_init(mo_conv_op *op, const mo_conv_geom *g, const float *weight,
                          const float *bias, mo_act act, mo_kernel_choice choice, mo_error *err);
void mo_conv_op_free(mo_conv_op *op);

/* Output size for an input of in_h x in_w. */
void mo_conv_op_out_size(const mo_conv_op *op, int32_t in_h, int32_t in_w, int32_t *out_h,
                         int32_t *out_w);

/* True when pw (1x1, stride 1) can take the output of the depthwise op dw on the fly. */
int mo_conv_op_can_fuse(const mo_conv_op *dw, const mo_conv_op *pw);

/* out = pw(dw(in)), in one pass, with in dw's input (in_h x in_w): the depthwise outputs are
 * computed tile by tile where the pointwise GEMM packs its input, and never stored. Bit-identical
 * to running dw then pw. Only when mo_conv_op_can_fuse(dw, pw). */
void mo_conv_op_run_fused(const mo_conv_op *dw, const mo_conv_op *pw, float *out,
                          const float *in, int32_t in_h, int32_t in_w, mo_threadpool *pool);

/* True when the direct op stem (the RGB stem), the depthwise op dw and the pointwise op pw
 * can run as one: out = pw(dw(stem(in))). */
int mo_conv_op_can_fuse_stem(const mo_conv_op *stem, const mo_conv_op *dw,
                              const mo_conv_op *pw);

/* out = pw(dw(stem(in))) in one pass, in being the stem's input: each work item computes the
 * band of stem outputs it needs, so they are never stored whole (they would leave the cache).
 * Bit-identical to the three ops one after the other. Returns 0 and runs nothing when the
 * bands are too large for the stack (very wide inputs): run the three ops then. Only when
 * mo_conv_op_can_fuse_stem(stem, dw, pw). */
int mo_conv_op_run_stem_fused(const mo_conv_op *stem, const mo_conv_op *dw, const mo_conv_op *pw,
                              float *out, const float *in, int32_t in_h, int32_t in_w,
                              mo_threadpool *pool);

/* out: (Ho, Wo, cout); in: (in_h, in_w, cin). pool may be NULL (caller's thread only). */
void mo_conv_op_run(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                    int32_t in_w, mo_threadpool *pool);

#endif
