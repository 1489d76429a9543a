/* classifier.h - the ImageNet head: global average pooling, then Linear(C4 -> classes). */
#ifndef MO_HEADS_CLASSIFIER_H
#define MO_HEADS_CLASSIFIER_H

#include "mobileone.h"
#include "weights.h"
#include "names.h"
#include "kernels/conv_op.h"

typedef struct mo_classifier {
    int32_t in_channels, num_classes;
    float *weight; /* (num_classes, in_channels), owned */
    float *bias;   /* (num_classes), owned */
    mo_conv_op op; /* the linear layer as a 1x1 convolution on the pooled 1x1 map */
} mo_classifier;

/* Reads `linear.{weight,bias}` (timm: `head.fc.*`) for in_channels inputs. */
mo_status mo_classifier_load(mo_classifier *c, mo_weights *w, const char *prefix,
                             mo_naming naming, int32_t in_channels, mo_kernel_choice kernels,
                             mo_error *err);
void mo_classifier_free(mo_classifier *c);

/* logits (num_classes) from features (h, w, in_channels); pooled holds in_channels floats. */
void mo_classifier_forward(const mo_classifier *c, const float *features, int32_t h, int32_t w,
                           float *pooled, float *logits, mo_threadpool *pool);

#endif
