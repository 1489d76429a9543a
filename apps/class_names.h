/* class_names.h - class names for printing: from the model's config, a names file, or the
 * 1000 ImageNet names built into the binary (configs/imagenet_classes.txt). */
#ifndef MO_APPS_CLASS_NAMES_H
#define MO_APPS_CLASS_NAMES_H

#include <stdint.h>

typedef struct class_names {
    int32_t count;
    char **names; /* owned when loaded from a file */
    int owned;
} class_names;

/* The built-in ImageNet-1k names (generated at build time). */
extern const char *const mo_imagenet_classes[];
extern const int32_t mo_imagenet_class_count;

/* Reads one name per line from path. Returns 0 and prints why on failure. */
int class_names_read(class_names *c, const char *path, const char *cmd);

/* The names for a model with num_classes outputs: file (when given), else the config's, else
 * ImageNet's when num_classes is 1000, else none. */
int class_names_pick(class_names *c, const char *file, int32_t config_count,
                     const char *const *config_names, int32_t num_classes, const char *cmd);

/* Name of class i, or NULL when unknown. */
const char *class_names_get(const class_names *c, int32_t i);
void class_names_free(class_names *c);

#endif
