/* jpeg_fail.h - libjpeg's errors as a longjmp back to the caller, and no messages printed:
 * what every JPEG encoder here (avi_writer.c, jpeg_encode.c) installs. Include after
 * <stdio.h> and <jpeglib.h>. */
#ifndef MO_IO_JPEG_FAIL_H
#define MO_IO_JPEG_FAIL_H

#include <setjmp.h>

typedef struct jpeg_fail {
    struct jpeg_error_mgr pub;
    jmp_buf jmp;
} jpeg_fail;

static inline void jpeg_fail_exit(j_common_ptr cinfo) {
    longjmp(((jpeg_fail *)cinfo->err)->jmp, 1);
}

static inline void jpeg_silent(j_common_ptr cinfo) {
    (void)cinfo;
}

/* Points cinfo's errors at fail; then setjmp(fail->jmp) marks where they land. */
static inline void jpeg_fail_install(j_common_ptr cinfo, jpeg_fail *fail) {
    cinfo->err = jpeg_std_error(&fail->pub);
    fail->pub.error_exit = jpeg_fail_exit;
    fail->pub.output_message = jpeg_silent;
}

#endif
