/* video.h - video and camera frames in, annotated video out, through OpenCV's videoio.
 *
 * C outside, C++ inside (video_shim.cpp). Frames are RGB u8 mo_images (OpenCV's BGR stays in
 * the shim). A writer writes to a temporary file next to the target (`name.tmp.ext`, the same
 * extension so that OpenCV picks the same container) and renames it on finish; abort removes it,
 * so a failed run never leaves a half-written video under the requested name. A .avi output
 * is MJPG written in C with libjpeg (avi_writer.h, chosen in video_writer.c; no OpenCV, at most
 * 1 GiB, so mo_video_writer_open_for sends long videos to OpenCV); other files go through OpenCV's FFmpeg backend only (probing every backend is slow
 * and leaks in some). The codec follows the extension: .avi MJPG, .mp4 / .mov mp4v, .mkv /
 * .webm VP80, else MJPG.
 */
#ifndef MO_IO_VIDEO_H
#define MO_IO_VIDEO_H

#include <stdint.h>

#include "image.h"

typedef struct mo_video_reader mo_video_reader;
typedef struct mo_video_writer mo_video_writer;

/* Opens a video file, or a camera when `source` is a non-negative integer ("0"). A file that
 * does not exist or that OpenCV cannot decode is an error naming it (MO_ERR_IO / FORMAT); a
 * file is also checked by decoding its first frame. */
mo_status mo_video_open(mo_video_reader **out, const char *source, mo_error *err);

/* Reads the next frame into *frame (allocated or resized as needed; the caller frees it with
 * mo_image_free). Returns 1 for a frame, 0 at the end. */
int mo_video_read(mo_video_reader *r, mo_image *frame);

double mo_video_fps(const mo_video_reader *r);           /* 0 when unknown (cameras) */
int64_t mo_video_frame_count(const mo_video_reader *r);  /* the container's, 0 when unknown */
void mo_video_size(const mo_video_reader *r, int32_t *width, int32_t *height);
void mo_video_close(mo_video_reader *r);

/* The fourcc the writer picks for path, as 4 characters and a NUL. */
void mo_video_fourcc_for(const char *path, char fourcc[5]);

/* Opens a writer for path (fps > 0, frames of width x height). An error names the file, the
 * codec and the container; nothing is left on disk then. */
mo_status mo_video_writer_open(mo_video_writer **out, const char *path, double fps,
                               int32_t width, int32_t height, mo_error *err);
/* The same for a video of about `frames` frames (0: unknown, a camera): a .avi that could pass
 * the C writer's 1 GiB goes to OpenCV's FFmpeg muxer instead, which writes OpenDML AVI. */
mo_status mo_video_writer_open_for(mo_video_writer **out, const char *path, double fps,
                                   int32_t width, int32_t height, int64_t frames, mo_error *err);
/* Appends an RGB frame of the writer's size. */
mo_status mo_video_write(mo_video_writer *w, const mo_image *frame, mo_error *err);
/* Closes and renames the temporary file to the path; frees w (also on error). */
mo_status mo_video_writer_finish(mo_video_writer *w, mo_error *err);
/* Closes, removes the temporary file and frees w. NULL is fine. */
void mo_video_writer_abort(mo_video_writer *w);

#endif
