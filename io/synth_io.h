/* synth_io.h - what `mobileone synth` writes besides PNG masks: JPEG images (jpeg_encode.c,
 * libjpeg, no OpenCV), and a video (and counting a video's frames, for tests; OpenCV, C
 * outside, C++ inside: synth_io.cpp).
 *
 * Frames are RGB u8, (H, W, 3) row-major; OpenCV's BGR stays inside. The video writer writes
 * `<stem>.tmp<ext>` next to the target (the same extension, so OpenCV picks the same container)
 * and renames it on finish; abort removes it. Codecs: .avi MJPG (written in C by avi_writer.h,
 * without OpenCV), .mp4 / .mov mp4v. */
#ifndef MO_IO_SYNTH_IO_H
#define MO_IO_SYNTH_IO_H

#include <stddef.h>
#include <stdint.h>

#include "mobileone.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Encodes rgb as a baseline JPEG of the given quality (1..100) into *data (malloc'ed; the caller
 * frees it with free()) of *len bytes. On error *data is NULL. */
mo_status mo_synth_jpeg_encode(const uint8_t *rgb, int32_t width, int32_t height, int quality,
                               uint8_t **data, size_t *len, mo_error *err);

typedef struct mo_synth_video mo_synth_video;

/* Opens a writer for path; an error names the file, the codec and the container. */
mo_status mo_synth_video_open(mo_synth_video **out, const char *path, double fps, int32_t width,
                              int32_t height, mo_error *err);
mo_status mo_synth_video_write(mo_synth_video *v, const uint8_t *rgb, mo_error *err);
/* Closes, renames the temporary file to the path and frees v (also on error). */
mo_status mo_synth_video_finish(mo_synth_video *v, mo_error *err);
/* Closes, removes the temporary file and frees v. NULL is fine. */
void mo_synth_video_abort(mo_synth_video *v);

/* Decodes every frame of a video file and returns their number, -1 when it cannot be opened;
 * *width / *height (may be NULL) receive the first frame's size. */
int64_t mo_synth_video_count_frames(const char *path, int32_t *width, int32_t *height);

#ifdef __cplusplus
}
#endif

#endif
