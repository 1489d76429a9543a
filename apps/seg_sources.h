/* seg_sources.h - what `mobileone segment` reads: image files, folders of images (sorted by
 * name), list files (one path a line, relative to the list's folder unless absolute; '#'
 * comments) and video files, expanded into one ordered list of inputs. */
#ifndef MO_APPS_SEG_SOURCES_H
#define MO_APPS_SEG_SOURCES_H

#include <stddef.h>
#include <stdint.h>

typedef struct seg_input {
    char *path;  /* owned */
    int is_video;
} seg_input;

typedef struct seg_inputs {
    int32_t count, cap;
    seg_input *items; /* owned */
} seg_inputs;

/* Appends what `source` names. A missing path or an empty folder or list prints one line
 * (`mobileone segment: ...`) and returns 0; the list keeps what it had. */
int seg_inputs_add(seg_inputs *in, const char *source);
void seg_inputs_free(seg_inputs *in);

/* The file name of path without folder and extension, into out. */
void seg_stem(const char *path, char *out, size_t size);

#endif
