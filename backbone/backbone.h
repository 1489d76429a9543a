/* backbone.h - MobileOne S0-S4 after reparameterization.
 *
 * Loading reads Apple's unfused (train-time) or fused names, or timm's names, under an optional
 * prefix ("backbone." in detection and segmentation files), infers widths, depths, k and SE from
 * the tensors, checks every shape, and folds each MobileOneBlock into one conv + bias (paper
 * section 3, Apple's `_get_kernel_bias`). What runs is a plain chain of such blocks:
 * stem, then per stage pairs of (depthwise 3x3, pointwise 1x1), each conv -> [SE] -> ReLU.
 * Activations are f32 NHWC, N = 1.
 */
#ifndef MO_BACKBONE_BACKBONE_H
#define MO_BACKBONE_BACKBONE_H

#include "kernels/conv_op.h"
#include "kernels/se.h"
#include "names.h"
#include "profile.h"
#include "weights.h"

#define MO_STAGES 5 /* stage0 (the stem) .. stage4 */

/* One fused convolution: weight OIHW [cout][cin/groups][k][k], bias [cout]; owned. `op` runs
 * it (weights packed for this CPU), with ReLU fused unless the block has SE. */
typedef struct mo_conv {
    mo_conv_geom geom; /* in_h / in_w unused: sizes come from the input */
    float *weight, *bias;
    mo_conv_op op;
} mo_conv;

/* Squeeze-excite: reduce (rd, c) + bias, expand (c, rd) + bias, and both transposed for the
 * fast kernel (reduce_t (c, rd), expand_t (rd, c)); all in one owned block. */
typedef struct mo_se {
    int32_t c, rd;
    float *reduce_w, *reduce_b, *expand_w, *expand_b;
    float *reduce_t, *expand_t;
} mo_se;

/* One MobileOneBlock after reparameterization: relu(se(conv(x))). */
typedef struct mo_mob {
    char name[24]; /* Apple's name: "stage0", "stage3.7" */
    int32_t stage;
    int32_t branches; /* k of the file (0 when the file held reparam_conv) */
    int32_t has_scale, has_skip;
    mo_conv conv;
    int32_t has_se;
    mo_se se;
} mo_mob;

typedef struct mo_backbone {
    char variant[16]; /* "s0".."s4" or "custom" */
    int32_t widths[MO_STAGES]; /* output channels of stage0..stage4 */
    int32_t blocks[4];         /* dw+pw pairs in stage1..stage4 */
    int32_t num_branches;      /* k of stages 1-4 in the file, 1 when fused */
    int32_t fused_in_file;
    int32_t has_se;
    int32_t output_stride;     /* 32, 16 or 8 */
    int32_t timm_names;        /* the file used timm's names (heads follow suit) */
    int32_t num_mobs;
    mo_mob *mobs;              /* stem first, then stage1..4 in order */
    mo_profile *profile;       /* when not NULL, forward adds its time per layer kind here */
    int32_t unfused_kernels;   /* 1: run each depthwise conv on its own (checks only) */
} mo_backbone;

typedef struct mo_backbone_params {
    const char *prefix;        /* prepended to every name, e.g. "backbone." or "" */
    int32_t output_stride;     /* 32 (classification), 16 or 8 (dilated stages) */
    mo_kernel_choice kernels;  /* MO_KERNEL_AUTO, or MO_KERNEL_SCALAR for reference runs */
} mo_backbone_params;

/* Loads and fuses the backbone found in w. On error b is left empty. */
mo_status mo_backbone_load(mo_backbone *b, mo_weights *w, const mo_backbone_params *p,
                           mo_error *err);
void mo_backbone_free(mo_backbone *b);

/* Output (h, w) of every stage for an input of h x w: sizes[s][0..1]. */
void mo_backbone_stage_sizes(const mo_backbone *b, int32_t h, int32_t w,
                             int32_t sizes[MO_STAGES][2]);

/* Floats of the largest activation and the SE scratch at input h x w. */
int64_t mo_backbone_max_activation(const mo_backbone *b, int32_t h, int32_t w);
int64_t mo_backbone_scratch_floats(const mo_backbone *b);

/* Parameters of the fused backbone; MACs at h x w. */
int64_t mo_backbone_params_count(const mo_backbone *b);
int64_t mo_backbone_macs(const mo_backbone *b, int32_t h, int32_t w);

/* Runs the chain on in: (h, w, 3). buf_a and buf_b each hold max_activation floats, scratch
 * scratch_floats. Returns the buffer holding stage4's output. When taps[s] is not NULL, stage s's
 * output is also copied there (per-stage checks, detection features). pool may be NULL. */
float *mo_backbone_forward(const mo_backbone *b, const float *in, int32_t h, int32_t w,
                           float *buf_a, float *buf_b, float *scratch, float *taps[MO_STAGES],
                           mo_threadpool *pool);

/* Fills tensors (capacity from mo_backbone_fused_tensor_count) with the fused weights under
 * Apple's fused names, prefixed; names are written into names (each 64 bytes). Pointers alias
 * the backbone. Returns the count. */
int32_t mo_backbone_fused_tensor_count(const mo_backbone *b);
int32_t mo_backbone_fused_tensors(const mo_backbone *b, const char *prefix,
                                  st_write_tensor *tensors, char (*names)[64]);

#endif
