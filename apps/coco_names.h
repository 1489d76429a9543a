/* coco_names.h - the names of torchvision's 91 COCO detection labels (label = category id). */
#ifndef MO_APPS_COCO_NAMES_H
#define MO_APPS_COCO_NAMES_H

#define MO_COCO91_COUNT 91

/* mo_coco91_names[label], NULL for the background and unused ids. */
extern const char *const mo_coco91_names[MO_COCO91_COUNT];

#endif
