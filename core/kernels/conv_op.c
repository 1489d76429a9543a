/* conv_op.c - choosing, packing and running a convolution's kernel. */
#include "conv_op.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "gemm.h"

enum {
    KERNEL_REFERENCE,
    KERNEL_IGEMM_AVX512,
    KERNEL_DW_AVX512,
    KERNEL_DIRECT_AVX512,
    KERNEL_IGEMM_AVX2,
    KERNEL_DW_AVX2
};

int mo_cpu_has_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* The AVX2 kernels: dense convs up to 7x7 through the GEMM (the stem too), depthwise up to
 * DW_AVX2_MAX_K; anything else stays on the reference. Returns 0 when out of memory. */
static int choose_avx2(mo_conv_op *op) {
    const mo_conv_geom *g = &op->geom;
    if (g->groups == 1 && g->kernel <= 7) {
        op->kernel = KERNEL_IGEMM_AVX2;
        return f32_igemm_pack(op);
    }
    if (g->groups == g->cin && g->cin == g->cout && g->kernel <= DW_AVX2_MAX_K) {
        op->kernel = KERNEL_DW_AVX2;
        return f32_dwconv_pack(op);
    }
    return 1;
}

mo_status mo_conv_op_init(mo_conv_op *op, const mo_conv_geom *g, const float *weight,
                          const float *bias, mo_act act, mo_kernel_choice choice, mo_error *err) {
    memset(op, 0, sizeof *op);
    if (g->cin < 1 || g->cout < 1 || g->kernel < 1 || g->stride < 1 || g->dilation < 1 ||
        g->pad < 0 || g->groups < 1 || g->cin % g->groups || g->cout % g->groups)
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "convolution %d->%d k%d s%d p%d d%d g%d: invalid geometry", g->cin,
                            g->cout, g->kernel, g->stride, g->pad, g->dilation, g->groups);
    op->geom = *g;
    op->act = act;
    op->weight = weight;
    op->bias = bias;
    op->kernel = KERNEL_REFERENCE;
    if (choice == MO_KERNEL_SCALAR) return MO_OK;
    /* AVX-512 when the CPU has it (unless AVX2 is asked for), else AVX2+FMA, else scalar. */
    int ok = 1;
    if (choice == MO_KERNEL_AVX2 || !mo_cpu_has_avx512()) {
        if (mo_cpu_has_avx2()) ok = choose_avx2(op);
    } else if (g->groups == 1 && g->cin <= DIRECT_MAX_CIN && g->cout <= DIRECT_MAX_COUT) {
        op->kernel = KERNEL_DIRECT_AVX512;
        ok = f32_direct_pack(op);
    } else if (g->groups == 1 && g->kernel <= 7) {
        op->kernel = KERNEL_IGEMM_AVX512;
        ok = f32_igemm_pack(op);
    } else if (g->groups == g->cin && g->cin == g->cout) {
        op->kernel = KERNEL_DW_AVX512;
        ok = f32_dwconv_pack(op);
    }
    if (!ok) return mo_error_set(err, MO_ERR_MEMORY, "out of memory packing a convolution");
    return MO_OK;
}

void mo_conv_op_free(mo_conv_op *op) {
    free(op->packed);
    op->packed = NULL;
}

void mo_conv_op_out_size(const mo_conv_op *op, int32_t in_h, int32_t in_w, int32_t *out_h,
                         int32_t *out_w) {
    const mo_conv_geom *g = &op->geom;
    *out_h = mo_conv_out_size(in_h, g->kernel, g->stride, g->pad, g->dilation);
    *out_w = mo_conv_out_size(in_w, g->kernel, g->stride, g->pad, g->dilation);
}

typedef struct rows_job {
    const mo_conv_op *op;
    mo_conv_geom geom;
    float *out;
    const float *in;
    int32_t out_h, rows_per_item;
} rows_job;

static void run_rows(void *ctx, int64_t item) {
    const rows_job *j = ctx;
    int32_t begin = (int32_t)item * j->rows_per_item;
    int32_t end = begin + j->rows_per_item < j->out_h ? begin + j->rows_per_item : j->out_h;
    f32_conv2d_ref_rows(j->out, j->in, j->op->weight, j->op->bias, &j->geom, j->op->act, begin,
                        end);
}

/* Only the AVX-512 kernels fuse: AVX2 ops run dw and pw one after the other. */
int mo_conv_op_can_fuse(const mo_conv_op *dw, const mo_conv_op *pw) {
    return dw->kernel == KERNEL_DW_AVX512 && pw->kernel == KERNEL_IGEMM_AVX512 &&
           pw->geom.kernel == 1 && pw->geom.stride == 1 && pw->geom.pad == 0 &&
           pw->geom.cin == dw->geom.cout;
}

void mo_conv_op_run_fused(const mo_conv_op *dw, const mo_conv_op *pw, float *out,
                          const float *in, int32_t in_h, int32_t in_w, mo_threadpool *pool) {
    f32_dw_igemm_run_avx512(dw, pw, out, in, in_h, in_w, pool);
}

int mo_conv_op_can_fuse_stem(const mo_conv_op *stem, const mo_conv_op *dw,
                              const mo_conv_op *pw) {
    return stem->kernel == KERNEL_DIRECT_AVX512 && stem->geom.cout == dw->geom.cin &&
           mo_conv_op_can_fuse(dw, pw);
}

int mo_conv_op_run_stem_fused(const mo_conv_op *stem, const mo_conv_op *dw, const mo_conv_op *pw,
                              float *out, const float *in, int32_t in_h, int32_t in_w,
                              mo_threadpool *pool) {
    return f32_stem_dw_igemm_run_avx512(stem, dw, pw, out, in, in_h, in_w, pool);
}

void mo_conv_op_run(const mo_conv_op *op, float *out, const float *in, int32_t in_h,
                    int32_t in_w, mo_threadpool *pool) {
    if (op->kernel == KERNEL_IGEMM_AVX512) {
        f32_igemm_run_avx512(op, out, in, in_h, in_w, pool);
        return;
    }
    if (op->kernel == KERNEL_DIRECT_AVX512) {
        f32_direct_run_avx512(op, out, in, in_h, in_w, pool);
        return;
    }
    if (op->kernel == KERNEL_DW_AVX512) {
        f32_dwconv_run_avx512(op, out, in, in_h, in_w, pool);
        return;
    }
    if (op->kernel == KERNEL_IGEMM_AVX2) {
        f32_igemm_run_avx2(op, out, in, in_h, in_w, pool);
        return;
    }
    if (op->kernel == KERNEL_DW_AVX2) {
        f32_dwconv_run_avx2(op, out, in, in_h, in_w, pool);
        return;
    }
    rows_job j = {.op = op, .geom = op->geom, .out = out, .in = in};
    j.geom.in_h = in_h;
    j.geom.in_w = in_w;
    int32_t out_w;
    mo_conv_op_out_size(op, in_h, in_w, &j.out_h, &out_w);
    j.rows_per_item = 1;
    mo_threadpool_run(pool, j.out_h, run_rows, &j);
}
