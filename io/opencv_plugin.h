/* opencv_plugin.h - the table of functions that the OpenCV module (mobileone-opencv.so) hands
 * to the process that dlopens it. Internal to io/: callers use video.h, draw.h, seg_video.h,
 * synth_io.h and image.h, whose C functions (io/opencv_plugin.c) load the module on first use.
 *
 * Why a module: Debian's OpenCV pulls in some 240 shared libraries (GDAL, GStreamer, FFmpeg,
 * ...) that cost ~70 MB of resident memory at process start. Linked directly, every
 * `mobileone` run paid for them; dlopened, only the commands that read or write video, draw
 * boxes or decode formats other than PNG and JPEG do.
 *
 * The module exports one symbol, MO_OPENCV_ENTRY, a function returning a pointer to a static
 * mo_opencv_api; `abi` and `size` let the loader refuse a module built from other sources.
 * Every member is set; each has the contract of the public function of the same name
 * (without the `mo_` prefix) in the headers above.
 */
#ifndef MO_IO_OPENCV_PLUGIN_H
#define MO_IO_OPENCV_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "image.h" /* no extern "C" of its own */
#include "mobileone.h"

#define MO_OPENCV_ABI 2u
#define MO_OPENCV_ENTRY "mo_opencv_plugin_api"
#define MO_OPENCV_MODULE_NAME "mobileone-opencv.so"
#define MO_OPENCV_ENV "MOBILEONE_OPENCV_PLUGIN"

typedef struct mo_video_reader mo_video_reader;
typedef struct mo_cv_video_writer mo_cv_video_writer;
typedef struct mo_seg_video_reader mo_seg_video_reader;
typedef struct mo_cv_seg_video_writer mo_cv_seg_video_writer;
typedef struct mo_cv_synth_video mo_cv_synth_video;

typedef struct mo_opencv_api {
    uint32_t abi;  /* MO_OPENCV_ABI */
    uint32_t size; /* sizeof(mo_opencv_api) */
    /* image.h: cv::imread(path, IMREAD_COLOR), any format OpenCV reads */
    mo_status (*image_read)(mo_image *img, const char *path, mo_error *err);
    /* draw.h */
    void (*draw_detections)(mo_image *img, const mo_detection *dets, int32_t count,
                            const char *const *names, int32_t num_names);
    mo_status (*image_write)(const char *path, const mo_image *img, mo_error *err);
    /* video.h */
    mo_status (*video_open)(mo_video_reader **out, const char *source, mo_error *err);
    int (*video_read)(mo_video_reader *r, mo_image *frame);
    double (*video_fps)(const mo_video_reader *r);
    int64_t (*video_frame_count)(const mo_video_reader *r);
    void (*video_size)(const mo_video_reader *r, int32_t *width, int32_t *height);
    void (*video_close)(mo_video_reader *r);
    mo_status (*video_writer_open)(mo_cv_video_writer **out, const char *path, double fps,
                                   int32_t width, int32_t height, mo_error *err);
    mo_status (*video_write)(mo_cv_video_writer *w, const mo_image *frame, mo_error *err);
    mo_status (*video_writer_finish)(mo_cv_video_writer *w, mo_error *err);
    void (*video_writer_abort)(mo_cv_video_writer *w);
    /* seg_video.h */
    mo_status (*seg_video_open)(mo_seg_video_reader **out, const char *path, int32_t *width,
                                int32_t *height, double *fps, int64_t *frames, mo_error *err);
    int (*seg_video_read)(mo_seg_video_reader *r, mo_image *img);
    void (*seg_video_close)(mo_seg_video_reader *r);
    mo_status (*seg_video_writer_open)(mo_cv_seg_video_writer **out, const char *path, int32_t width,
                                       int32_t height, double fps, mo_error *err);
    void (*seg_video_write)(mo_cv_seg_video_writer *w, const uint8_t *rgb);
    void (*seg_video_writer_close)(mo_cv_seg_video_writer *w);
    /* synth_io.h */
    mo_status (*synth_video_open)(mo_cv_synth_video **out, const char *path, double fps, int32_t width,
                                  int32_t height, mo_error *err);
    mo_status (*synth_video_write)(mo_cv_synth_video *v, const uint8_t *rgb, mo_error *err);
    mo_status (*synth_video_finish)(mo_cv_synth_video *v, mo_error *err);
    void (*synth_video_abort)(mo_cv_synth_video *v);
    int64_t (*synth_video_count_frames)(const char *path, int32_t *width, int32_t *height);
} mo_opencv_api;

typedef const mo_opencv_api *(*mo_opencv_entry_fn)(void);

/* Host side (opencv_plugin.c). Loads the module on the first call (thread-safe; the handle is
 * kept for the life of the process, never dlclosed) and returns its table, or NULL with err set
 * to MO_ERR_IO and one line naming the module's path and dlerror(). Later calls
 * return the same table, or the same error. The module is looked for at $MOBILEONE_OPENCV_PLUGIN
 * when set, else next to the executable, else in the install libdir (MO_OPENCV_PLUGIN_DIR). */
const mo_opencv_api *mo_opencv_load(mo_error *err);

/* cv::imread through the module, whatever the format (image_read above); for tests that
 * compare it with mo_image_read's own PNG and JPEG decoders. */
mo_status mo_opencv_image_read(mo_image *img, const char *path, mo_error *err);

/* Module side: each OpenCV source fills its part of the table (C++ linkage inside the module,
 * hidden from the host). */
#ifdef __cplusplus
}
void mo_cv_fill_image(mo_opencv_api *api);
void mo_cv_fill_draw(mo_opencv_api *api);
void mo_cv_fill_video(mo_opencv_api *api);
void mo_cv_fill_seg_video(mo_opencv_api *api);
void mo_cv_fill_synth(mo_opencv_api *api);
#endif

#endif
