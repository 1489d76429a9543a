/* image.c - allocating and freeing mo_image pixels. Compiled into mo_io and into the OpenCV
 * module (mobileone-opencv.so), which allocates frames that the host frees, and vice versa:
 * both use the process's malloc / free. */
#include <stdlib.h>

#include "error.h"
#include "image.h"

mo_status mo_image_alloc(mo_image *img, int32_t width, int32_t height, mo_error *err) {
    img->width = width;
    img->height = height;
    img->rgb = malloc((size_t)width * height * 3);
    if (!img->rgb)
        return mo_error_set(err, MO_ERR_MEMORY, "out of memory for a %dx%d image", width, height);
    return MO_OK;
}

void mo_image_free(mo_image *img) {
    free(img->rgb);
    img->rgb = NULL;
}
