/* seg_classes.h - class names of the segmentation data sets we evaluate, as mmsegmentation's
 * dataset classes define them (PascalVOCDataset: 21, 'background' first; ADE20KDataset: 150,
 * 'wall' first, in the training-label space after reduce_zero_label; note mmseg's 'bed '). */
#ifndef MO_EVAL_SEG_CLASSES_H
#define MO_EVAL_SEG_CLASSES_H

#define MO_VOC_NUM_CLASSES 21
#define MO_ADE20K_NUM_CLASSES 150

extern const char *const mo_voc_class_names[MO_VOC_NUM_CLASSES];
extern const char *const mo_ade20k_class_names[MO_ADE20K_NUM_CLASSES];

#endif
