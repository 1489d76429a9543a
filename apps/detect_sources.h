/* detect_sources.h - what `mobileone detect` reads: an image, a folder of images, a text file
 * listing images (one path a line, relative to the list's folder unless absolute), a video file
 * or a camera index. */
#ifndef MO_APPS_DETECT_SOURCES_H
#define MO_APPS_DETECT_SOURCES_H

#include <stdint.h>

typedef enum detect_source_kind { SOURCE_IMAGES, SOURCE_VIDEO, SOURCE_CAMERA } detect_source_kind;

typedef struct detect_source {
    detect_source_kind kind;
    int32_t count;  /* images */
    char **paths;   /* owned; images in order (a folder: sorted by name) */
} detect_source;

/* True when path ends in an image extension OpenCV reads (.jpg .jpeg .png .bmp .webp .tif ...). */
int detect_is_image_path(const char *path);

/* Classifies SOURCE and lists its images. Returns 0 and prints one line why on failure (a
 * missing path, an empty folder or list). */
int detect_source_open(detect_source *s, const char *source);
void detect_source_free(detect_source *s);

#endif
