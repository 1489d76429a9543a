/* deeplabv3.h - the DeepLabv3 head of torchvision's DeepLabHead, on MobileOne's stage4 output.
 *
 * Structure (architecture.md section 3.1, with the ASPP rates made a parameter):
 *   ASPP(in -> A = 256): convs.0 1x1 + BN + ReLU; convs.1..3 3x3 dilation r, padding r
 *   + BN + ReLU;
 *   convs.4 global average pool -> 1x1 + BN + ReLU -> broadcast (bilinear from 1x1);
 *   concat (5 A) -> project 1x1 + BN + ReLU (+ Dropout: a no-op at inference);
 *   classifier.1 3x3 pad 1 + classifier.2 BN + ReLU; classifier.4 1x1 with bias.
 * A is read from the tensors (256 in torchvision; the small test goldens use fewer).
 * Every BN (eps 1e-5) is folded into its conv at load. Names are torchvision's under
 * `classifier.`; `aux_classifier.*` (training only) is accepted and ignored.
 * Activations are f32 NHWC (N = 1). The head returns logits at the feature resolution; the
 * upsample to the input size is seg_upsample.h's.
 */
#ifndef MO_HEADS_DEEPLABV3_H
#define MO_HEADS_DEEPLABV3_H

#include "backbone.h"

#define MO_ASPP_BRANCHES 5

typedef struct mo_deeplabv3 {
    int32_t in_channels, channels, num_classes; /* channels: A, the ASPP width */
    int32_t rates[3];
    mo_conv convs[4];  /* convs.0 (1x1), convs.1..3 (3x3, dilated); ReLU fused; owned */
    mo_conv pool_conv; /* convs.4: 1x1 on the pooled (1, 1, in) vector */
    mo_conv project;   /* 1x1 5 A -> A */
    mo_conv conv3x3;   /* classifier.1 + classifier.2: 3x3 A -> A */
    mo_conv classifier; /* classifier.4: 1x1 A -> classes, bias, no activation */
} mo_deeplabv3;

/* Reads and folds the head for in_channels features with ASPP dilation rates (each >= 1).
 * The class count comes from classifier.4.weight. Marks aux_classifier.* used. On error h is
 * left empty (nothing to free). */
mo_status mo_deeplabv3_load(mo_deeplabv3 *h, mo_weights *w, int32_t in_channels,
                            const int32_t rates[3], mo_kernel_choice kernels, mo_error *err);
void mo_deeplabv3_free(mo_deeplabv3 *h);

/* Floats of the workspace forward needs for a feature map of fh x fw. */
int64_t mo_deeplabv3_workspace_floats(const mo_deeplabv3 *h, int32_t fh, int32_t fw);

/* logits (fh, fw, num_classes) from features (fh, fw, in_channels); work holds
 * workspace_floats. pool may be NULL. Allocates nothing. */
void mo_deeplabv3_forward(const mo_deeplabv3 *h, float *logits, const float *features,
                          int32_t fh, int32_t fw, float *work, mo_threadpool *pool);

/* Parameters of the folded head, and its multiply-accumulates on a fh x fw feature map (taps
 * that fall in the zero padding, which the engine skips, not counted). */
int64_t mo_deeplabv3_params(const mo_deeplabv3 *h);
int64_t mo_deeplabv3_macs(const mo_deeplabv3 *h, int32_t fh, int32_t fw);

#endif
