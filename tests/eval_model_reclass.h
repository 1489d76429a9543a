/* eval_model_reclass.h - for the dataset-runner tests: a copy of a small golden detection or
 * segmentation model with another number of classes (the class outputs of the last layers
 * re-tiled), so that VOC (21), ADE20K (150) and COCO-80 (81) runs can be tested end to end
 * without committing more model files. The weights stay random: the scores mean nothing. */
#ifndef MO_TESTS_EVAL_MODEL_RECLASS_H
#define MO_TESTS_EVAL_MODEL_RECLASS_H

#include <stdint.h>

/* Reads src, gives it num_classes classes and writes dst. Detection: the classification head's
 * 1x1 convs (anchor-major rows, a * C + c); segmentation: classifier.4. The embedded config's
 * num_classes is set and its class_names and category_ids are dropped. Returns 0 on success,
 * else prints why to stderr and returns -1. */
int eval_model_reclass(const char *src, const char *dst, int32_t num_classes);

#endif
