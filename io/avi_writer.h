/* avi_writer.h - Motion-JPEG in an AVI 1.0 (RIFF) file, written in C with libjpeg(-turbo): no
 * OpenCV, no FFmpeg. video.h, seg_video.h and synth_io.h use it for every .avi output
 * (io/video_writer.c); other containers stay on OpenCV.
 *
 * Each frame is one baseline JPEG (RGB in, YCbCr 4:2:0 out, full tables in every frame) in a
 * '00dc' chunk; an 'idx1' index marks every frame a key frame. The file is written as
 * `<stem>.tmp<ext>` next to the target (the name the OpenCV writers use) and renamed at
 * finish; abort and every error remove it, so a failed run leaves no output. AVI 1.0 offsets
 * are 32-bit: a frame that would take the file past 1 GiB is refused with an error naming it.
 */
#ifndef MO_IO_AVI_WRITER_H
#define MO_IO_AVI_WRITER_H

#include <stdint.h>

#include "mobileone.h"

#define MO_AVI_DEFAULT_QUALITY 90
#define MO_AVI_MAX_BYTES (1u << 30) /* the whole file, RIFF header and index included */

typedef struct mo_avi_writer mo_avi_writer;

/* True when path ends in ".avi" (any case): the outputs this writer takes. */
int mo_avi_is_avi_path(const char *path);

/* Creates the temporary file and writes the headers (their sizes and counts patched at
 * finish). fps in (0, 10000], width and height in 1..65500, quality 1..100 (JPEG). On error
 * *out is NULL, nothing is left on disk, and err names the file: MO_ERR_ARGUMENT for the
 * values, MO_ERR_IO when the file cannot be created, MO_ERR_MEMORY. */
mo_status mo_avi_writer_open(mo_avi_writer **out, const char *path, double fps, int32_t width,
                             int32_t height, int quality, mo_error *err);

/* Encodes and appends one frame. rgb: packed RGB u8, width * height * 3 bytes, row-major.
 * An error (MO_ERR_IO on a failed write or past the 1 GiB limit) leaves w usable only for
 * abort. */
mo_status mo_avi_write_rgb(mo_avi_writer *w, const uint8_t *rgb, mo_error *err);

/* Writes the index, patches the headers, closes and renames the temporary file to the path;
 * frees w, also on error (the temporary file is then removed). */
mo_status mo_avi_writer_finish(mo_avi_writer *w, mo_error *err);

/* Closes and removes the temporary file, frees w. NULL is fine. */
void mo_avi_writer_abort(mo_avi_writer *w);

#endif
