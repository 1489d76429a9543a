/* frame_writer.h - draws detections on video frames and writes them in a thread of its own, so
 * that drawing and encoding overlap the next frame's decode and network (detect's video path).
 *
 * Frames are handed over by swapping buffers (no copy): frame_writer_push takes the caller's
 * frame and gives back a free buffer to decode the next frame into. Two frames are in flight at
 * most; a push waits while both are. A write error stops the writer; the next push or the
 * finish returns it. */
#ifndef MO_APPS_FRAME_WRITER_H
#define MO_APPS_FRAME_WRITER_H

#include "image.h"
#include "mobileone.h"
#include "video.h"

typedef struct frame_writer frame_writer;

/* Starts the thread over an open writer (still the caller's to finish or abort). names: class
 * names for the labels (may be NULL); draw: 0 writes the frames as they are; max_dets: the
 * most detections a push passes. */
mo_status frame_writer_start(frame_writer **out, mo_video_writer *writer,
                             const char *const *names, int32_t num_names, int draw,
                             int32_t max_dets, mo_error *err);

/* Queues *frame with its detections (copied); *frame then holds a free buffer (possibly empty,
 * {0}) for the caller's next decode. Returns an earlier write's error, if any. */
mo_status frame_writer_push(frame_writer *w, mo_image *frame, const mo_detection *dets,
                            int32_t count, mo_error *err);

/* Waits for the queued frames, stops the thread and frees everything; returns the first write
 * error. *seconds gets the thread's time spent drawing and encoding. */
mo_status frame_writer_stop(frame_writer *w, double *seconds, mo_error *err);

#endif
