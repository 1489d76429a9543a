/* seg_video.h - video frames in and overlay videos out for `mobileone segment`, through
 * OpenCV's videoio (C++ inside seg_video.cpp, C outside). Frames are RGB u8 (OpenCV's BGR
 * stays inside). Only the FFmpeg backend is asked: letting OpenCV try every backend on a bad
 * file probes cameras (libusb, GStreamer), which is slow and leaks in those libraries. */
#ifndef MO_IO_SEG_VIDEO_H
#define MO_IO_SEG_VIDEO_H

#include <stdint.h>

#include "image.h"
#include "mobileone.h"

typedef struct mo_seg_video_reader mo_seg_video_reader;
typedef struct mo_seg_video_writer mo_seg_video_writer;

/* Opens a video file. fps may be 0 and frames -1 when the container does not say. */
mo_status mo_seg_video_open(mo_seg_video_reader **out, const char *path, int32_t *width,
                            int32_t *height, double *fps, int64_t *frames, mo_error *err);
/* Decodes the next frame into img (allocated on first use, reused after; free with
 * mo_image_free). Returns 1 for a frame, 0 at the end. */
int mo_seg_video_read(mo_seg_video_reader *r, mo_image *img);
void mo_seg_video_close(mo_seg_video_reader *r);

/* Creates `path` (the container from its extension: .avi MJPG, written in C by avi_writer.h
 * under `<stem>.tmp.avi` and renamed at close, so a frame that fails to write leaves no file;
 * otherwise mp4v through OpenCV). */
mo_status mo_seg_video_writer_open(mo_seg_video_writer **out, const char *path, int32_t width,
                                   int32_t height, double fps, mo_error *err);
/* rgb: width * height * 3 bytes. */
void mo_seg_video_write(mo_seg_video_writer *w, const uint8_t *rgb);
void mo_seg_video_writer_close(mo_seg_video_writer *w);

/* True when path's extension names a video container we read (.mp4 .avi .mov .mkv .webm .m4v). */
int mo_seg_is_video_path(const char *path);

#endif
