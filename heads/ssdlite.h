/* ssdlite.h - torchvision's SSDLite extras and heads over MobileOne's stage outputs.
 *
 * Six or seven feature levels: the backbone's maps, stage3's output (OS16, C3) and stage4's
 * (OS32, C4), with stage2's (OS8, C2) in front when the config's first_stage is 2; then four extra
 * blocks (torchvision ssdlite._extra_block: 1x1 cin -> mid + BN + ReLU6, depthwise 3x3 s2 p1 +
 * BN + ReLU6, 1x1 mid -> cout + BN + ReLU6; convs without bias; 512/256/256/128 channels for
 * ssdlite320, read off the tensors here). Per level a classification and a regression head
 * (_prediction_block: dw 3x3 p1 + BN + ReLU6, then 1x1 with bias to A*K or A*4 channels).
 * Every BN (eps 1e-3) is folded at load. Names (torchvision's):
 *   <backbone>extra.{0..3}.{0,1,2}.0.weight, <backbone>extra.{0..3}.{0,1,2}.1.{BN}
 *   <head>classification_head.module_list.{0..L-1}.0.0.weight, .0.1.{BN}, .1.{weight,bias}
 *   <head>regression_head.module_list.{0..L-1}... (the same, 4 outputs per anchor)
 * Level 0 is the first backbone map (stage2's or stage3's); the extras follow stage4's.
 * Outputs: the 1x1 conv's NHWC output of a level is already (cells, A, K) with channel a*K + k,
 * cells row-major; levels are concatenated: cls_logits (N, K), bbox_regression (N, 4).
 */
#ifndef MO_HEADS_SSDLITE_H
#define MO_HEADS_SSDLITE_H

#include "kernels/conv_op.h"
#include "weights.h"

#define MO_SSD_LEVELS 7 /* at most: 3 backbone maps (stage2..4) + the extras */
#define MO_SSD_MAX_MAPS 3
#define MO_SSD_EXTRAS 4
#define MO_SSD_BN_EPS 1e-3f

/* A conv with its (BN-folded) weight and bias, owned. */
typedef struct mo_ssd_conv {
    float *weight, *bias;
    mo_conv_op op;
} mo_ssd_conv;

typedef struct mo_ssdlite {
    int32_t num_classes;       /* K, background included */
    int32_t anchors;           /* A per location */
    int32_t maps;              /* backbone maps: 2 (stage3, stage4) or 3 (stage2 too) */
    int32_t levels;            /* maps + MO_SSD_EXTRAS */
    int32_t channels[MO_SSD_LEVELS];
    int32_t extra_mid[MO_SSD_EXTRAS];
    mo_ssd_conv extra[MO_SSD_EXTRAS][3];
    mo_ssd_conv cls_dw[MO_SSD_LEVELS], cls_pw[MO_SSD_LEVELS];
    mo_ssd_conv reg_dw[MO_SSD_LEVELS], reg_pw[MO_SSD_LEVELS];
} mo_ssdlite;

/* Reads and folds extras and heads for `maps` backbone maps (1..MO_SSD_MAX_MAPS, the last one
 * stage4's) of map_channels[i] channels and `anchors` anchors per location. backbone_prefix is
 * "backbone.", head_prefix "head.". On error h is empty. */
mo_status mo_ssdlite_load(mo_ssdlite *h, mo_weights *w, const char *backbone_prefix,
                          const char *head_prefix, int32_t maps, const int32_t *map_channels,
                          int32_t anchors, mo_kernel_choice kernels, mo_error *err);
void mo_ssdlite_free(mo_ssdlite *h);

/* Grids of the h->levels levels from the backbone maps' sizes map_sizes[i] = {h, w}. */
void mo_ssdlite_grids(const mo_ssdlite *h, const int32_t (*map_sizes)[2],
                      int32_t grids[MO_SSD_LEVELS][2]);

/* Scratch floats forward() needs for those grids. */
int64_t mo_ssdlite_scratch_floats(const mo_ssdlite *h, const int32_t grids[MO_SSD_LEVELS][2]);

/* maps[i]: the backbone map i, (grids[i][0], grids[i][1], channels[i]) NHWC, read until the
 * function returns. Writes cls_logits (N, K) and bbox_regression (N, 4), N = A * sum of grid
 * cells. pool may be NULL. */
void mo_ssdlite_forward(const mo_ssdlite *h, const float *const *maps,
                        const int32_t grids[MO_SSD_LEVELS][2], float *scratch, float *cls_logits,
                        float *bbox_regression, mo_threadpool *pool);

/* Parameters of the folded head (extras included) and its MACs for the grids. */
int64_t mo_ssdlite_params_count(const mo_ssdlite *h);
int64_t mo_ssdlite_macs(const mo_ssdlite *h, const int32_t grids[MO_SSD_LEVELS][2]);

#endif
