/* video_writer.c - the video writers of video.h, seg_video.h and synth_io.h, and the one choice
 * they share: a .avi path goes to avi_writer.c (MJPG in C with libjpeg: no OpenCV module is
 * loaded, and encoding is ~3x cheaper than FFmpeg's), every other container to the OpenCV
 * module through its table (opencv_plugin.h), as before.
 *
 * Each public handle wraps one of the two: an AVI writer, or the module's own writer
 * (mo_cv_*, opaque here) that only the module's table touches.
 */
#include <stdlib.h>
#include <string.h>

#include "avi_writer.h"
#include "error.h"
#include "opencv_plugin.h"
#include "seg_video.h"
#include "synth_io.h"
#include "video.h"

/* ---- video.h ---- */

struct mo_video_writer {
    mo_avi_writer *avi;      /* .avi, or NULL */
    mo_cv_video_writer *module; /* the OpenCV module's writer, or NULL */
    int32_t width, height;
    char *path; /* for messages; .avi only (the module names its own) */
};

/* Whether a video of `frames` frames stays well inside the C writer's 1 GiB: JPEG frames are
 * taken as a quarter of their raw size, several times what MJPG at quality 90 makes of camera
 * footage (vtest.avi: a twelfth). */
static int fits_avi(int64_t frames, int32_t width, int32_t height) {
    const double raw = 3.0 * width * height;
    return frames > 0 && frames * raw / 4 < MO_AVI_MAX_BYTES;
}

/* Opens w's writer: the C one (in_c) or the module's. */
static mo_status open_writer(mo_video_writer **out, const char *path, double fps, int32_t width,
                             int32_t height, int in_c, mo_error *err) {
    *out = NULL;
    mo_video_writer *w = calloc(1, sizeof *w);
    if (!w || (in_c && !(w->path = strdup(path)))) {
        free(w);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    }
    w->width = width, w->height = height;
    mo_status s;
    if (in_c) {
        s = mo_avi_writer_open(&w->avi, path, fps, width, height, MO_AVI_DEFAULT_QUALITY, err);
    } else {
        const mo_opencv_api *api = mo_opencv_load(err);
        s = api ? api->video_writer_open(&w->module, path, fps, width, height, err) : MO_ERR_IO;
    }
    if (s != MO_OK) {
        free(w->path);
        free(w);
        return s;
    }
    *out = w;
    return MO_OK;
}

mo_status mo_video_writer_open(mo_video_writer **out, const char *path, double fps, int32_t width,
                               int32_t height, mo_error *err) {
    return open_writer(out, path, fps, width, height, mo_avi_is_avi_path(path), err);
}

/* A long .avi, or one of unknown length, goes to FFmpeg's AVI muxer (through OpenCV), which
 * goes past 1 GiB. */
mo_status mo_video_writer_open_for(mo_video_writer **out, const char *path, double fps,
                                   int32_t width, int32_t height, int64_t frames, mo_error *err) {
    const int in_c = mo_avi_is_avi_path(path) && fits_avi(frames, width, height);
    return open_writer(out, path, fps, width, height, in_c, err);
}

mo_status mo_video_write(mo_video_writer *w, const mo_image *frame, mo_error *err) {
    if (!w->avi) return mo_opencv_load(NULL)->video_write(w->module, frame, err);
    if (frame->width != w->width || frame->height != w->height)
        return mo_error_set(err, MO_ERR_ARGUMENT, "%s: frame %dx%d, the video is %dx%d", w->path,
                            frame->width, frame->height, w->width, w->height);
    return mo_avi_write_rgb(w->avi, frame->rgb, err);
}

mo_status mo_video_writer_finish(mo_video_writer *w, mo_error *err) {
    mo_status s = w->avi ? mo_avi_writer_finish(w->avi, err)
                         : mo_opencv_load(NULL)->video_writer_finish(w->module, err);
    free(w->path);
    free(w);
    return s;
}

void mo_video_writer_abort(mo_video_writer *w) {
    if (!w) return;
    if (w->avi) mo_avi_writer_abort(w->avi);
    else mo_opencv_load(NULL)->video_writer_abort(w->module);
    free(w->path);
    free(w);
}

/* ---- seg_video.h ---- */

struct mo_seg_video_writer {
    mo_avi_writer *avi;
    mo_cv_seg_video_writer *module;
    int failed; /* a .avi frame failed: close then removes the file (the API reports nothing) */
};

mo_status mo_seg_video_writer_open(mo_seg_video_writer **out, const char *path, int32_t width,
                                   int32_t height, double fps, mo_error *err) {
    *out = NULL;
    mo_seg_video_writer *w = calloc(1, sizeof *w);
    if (!w) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    mo_status s;
    if (mo_avi_is_avi_path(path)) {
        s = mo_avi_writer_open(&w->avi, path, fps > 0 ? fps : 25.0, width, height,
                               MO_AVI_DEFAULT_QUALITY, err);
    } else {
        const mo_opencv_api *api = mo_opencv_load(err);
        s = api ? api->seg_video_writer_open(&w->module, path, width, height, fps, err)
                : MO_ERR_IO;
    }
    if (s != MO_OK) {
        free(w);
        return s;
    }
    *out = w;
    return MO_OK;
}

void mo_seg_video_write(mo_seg_video_writer *w, const uint8_t *rgb) {
    if (!w->avi) {
        mo_opencv_load(NULL)->seg_video_write(w->module, rgb);
    } else if (!w->failed) {
        mo_error err;
        w->failed = mo_avi_write_rgb(w->avi, rgb, &err) != MO_OK;
    }
}

void mo_seg_video_writer_close(mo_seg_video_writer *w) {
    if (!w) return;
    if (!w->avi) {
        mo_opencv_load(NULL)->seg_video_writer_close(w->module);
    } else if (w->failed) {
        mo_avi_writer_abort(w->avi);
    } else {
        mo_error err;
        mo_avi_writer_finish(w->avi, &err); /* on error nothing is left under the name */
    }
    free(w);
}

/* ---- synth_io.h (the JPEG encoder and the frame counter stay in opencv_plugin.c) ---- */

struct mo_synth_video {
    mo_avi_writer *avi;
    mo_cv_synth_video *module;
};

mo_status mo_synth_video_open(mo_synth_video **out, const char *path, double fps, int32_t width,
                              int32_t height, mo_error *err) {
    *out = NULL;
    mo_synth_video *v = calloc(1, sizeof *v);
    if (!v) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    mo_status s;
    if (mo_avi_is_avi_path(path)) {
        s = mo_avi_writer_open(&v->avi, path, fps, width, height, MO_AVI_DEFAULT_QUALITY, err);
    } else {
        const mo_opencv_api *api = mo_opencv_load(err);
        s = api ? api->synth_video_open(&v->module, path, fps, width, height, err) : MO_ERR_IO;
    }
    if (s != MO_OK) {
        free(v);
        return s;
    }
    *out = v;
    return MO_OK;
}

mo_status mo_synth_video_write(mo_synth_video *v, const uint8_t *rgb, mo_error *err) {
    return v->avi ? mo_avi_write_rgb(v->avi, rgb, err)
                  : mo_opencv_load(NULL)->synth_video_write(v->module, rgb, err);
}

mo_status mo_synth_video_finish(mo_synth_video *v, mo_error *err) {
    mo_status s = v->avi ? mo_avi_writer_finish(v->avi, err)
                         : mo_opencv_load(NULL)->synth_video_finish(v->module, err);
    free(v);
    return s;
}

void mo_synth_video_abort(mo_synth_video *v) {
    if (!v) return;
    if (v->avi) mo_avi_writer_abort(v->avi);
    else mo_opencv_load(NULL)->synth_video_abort(v->module);
    free(v);
}
