/* opencv_plugin.c - the C functions of video.h, draw.h, seg_video.h and synth_io.h (and
 * mo_opencv_image_read), forwarded to the OpenCV module mobileone-opencv.so, which is dlopened
 * on the first call that needs it (see opencv_plugin.h for why). The video writers are not
 * here: video_writer.c chooses between the C AVI writer and the module.
 *
 * Where the module is looked for, first match wins:
 *   1. $MOBILEONE_OPENCV_PLUGIN, when set and not empty (the exact file; nothing else is tried);
 *   2. next to the executable (dirname of /proc/self/exe): the build tree's layout;
 *   3. MO_OPENCV_PLUGIN_DIR (the install libdir's mobileone/, a compile definition).
 * The handle and the table are process-wide (loaded once under pthread_once, never dlclosed:
 * OpenCV and FFmpeg keep threads and static state that must outlive every caller), so a
 * failure is also remembered: each later call reports the same one-line error.
 *
 * Functions without an error argument (read, write a frame, close, draw) are only reached with
 * objects that a successful open made, except mo_draw_detections and
 * mo_synth_video_count_frames: without the module the first draws nothing (the write that
 * follows reports why) and the second returns -1, as for a file it cannot open.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "draw.h"
#include "error.h"
#include "opencv_plugin.h"
#include "seg_video.h"
#include "synth_io.h"
#include "video.h"

#ifndef MO_OPENCV_PLUGIN_DIR
#define MO_OPENCV_PLUGIN_DIR "/usr/local/lib/mobileone"
#endif

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const mo_opencv_api *loaded_api;
static char load_error[MO_ERROR_MESSAGE_SIZE];

/* dlopens path and checks its table; on failure fills load_error and returns NULL. `also`
 * (may be "") is appended to the message: where else the module was looked for. */
static const mo_opencv_api *open_module(const char *path, const char *also) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error,
                 "OpenCV module %s: cannot load %s: %s%s (set " MO_OPENCV_ENV " to its path)",
                 MO_OPENCV_MODULE_NAME, path, why ? why : "unknown dlopen error", also);
        return NULL;
    }
    /* POSIX's way to turn the void * from dlsym into a function pointer. */
    mo_opencv_entry_fn entry;
    void *sym = dlsym(handle, MO_OPENCV_ENTRY);
    memcpy(&entry, &sym, sizeof entry);
    if (!sym) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "OpenCV module %s: no symbol %s: %s", path,
                 MO_OPENCV_ENTRY, why ? why : "not found");
        dlclose(handle);
        return NULL;
    }
    const mo_opencv_api *api = entry();
    if (!api || api->abi != MO_OPENCV_ABI || api->size != sizeof(mo_opencv_api)) {
        snprintf(load_error, sizeof load_error,
                 "OpenCV module %s: built for another mobileone (ABI %u, table of %u bytes; this "
                 "program wants ABI %u, %zu bytes): rebuild both",
                 path, api ? api->abi : 0u, api ? api->size : 0u, MO_OPENCV_ABI,
                 sizeof(mo_opencv_api));
        dlclose(handle);
        return NULL;
    }
    return api; /* the handle stays open for the life of the process */
}

static void load_module(void) {
    const char *env = getenv(MO_OPENCV_ENV);
    if (env && *env) {
        loaded_api = open_module(env, "");
        return;
    }
    char exe[PATH_MAX], path[PATH_MAX + 64], also[PATH_MAX + 64] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(path, sizeof path, "%s/%s", exe, MO_OPENCV_MODULE_NAME);
            if (access(path, F_OK) == 0) {
                loaded_api = open_module(path, "");
                return;
            }
            snprintf(also, sizeof also, "; not in %s either", exe);
        }
    }
    snprintf(path, sizeof path, "%s/%s", MO_OPENCV_PLUGIN_DIR, MO_OPENCV_MODULE_NAME);
    loaded_api = open_module(path, also);
}

const mo_opencv_api *mo_opencv_load(mo_error *err) {
    pthread_once(&load_once, load_module);
    if (!loaded_api) mo_error_set(err, MO_ERR_IO, "%s", load_error);
    return loaded_api;
}

/* The table, or return the load error from the calling function. */
#define API_OR_RETURN(api, err)                                                                    \
    const mo_opencv_api *api = mo_opencv_load(err);                                                \
    if (!api) return MO_ERR_IO

/* Without an error to fill: the table or NULL. */
static const mo_opencv_api *api_quiet(void) {
    return mo_opencv_load(NULL);
}

mo_status mo_opencv_image_read(mo_image *img, const char *path, mo_error *err) {
    img->rgb = NULL;
    API_OR_RETURN(api, err);
    return api->image_read(img, path, err);
}

/* draw.h */

void mo_draw_detections(mo_image *img, const mo_detection *dets, int32_t count,
                        const char *const *names, int32_t num_names) {
    const mo_opencv_api *api = api_quiet();
    if (api) api->draw_detections(img, dets, count, names, num_names);
}

mo_status mo_image_write(const char *path, const mo_image *img, mo_error *err) {
    API_OR_RETURN(api, err);
    return api->image_write(path, img, err);
}

/* video.h (mo_video_fourcc_for is in media_names.c; the writer in video_writer.c) */

mo_status mo_video_open(mo_video_reader **out, const char *source, mo_error *err) {
    *out = NULL;
    API_OR_RETURN(api, err);
    return api->video_open(out, source, err);
}

int mo_video_read(mo_video_reader *r, mo_image *frame) {
    return r ? loaded_api->video_read(r, frame) : 0;
}

double mo_video_fps(const mo_video_reader *r) {
    return loaded_api->video_fps(r);
}

int64_t mo_video_frame_count(const mo_video_reader *r) {
    return loaded_api->video_frame_count(r);
}

void mo_video_size(const mo_video_reader *r, int32_t *width, int32_t *height) {
    loaded_api->video_size(r, width, height);
}

void mo_video_close(mo_video_reader *r) {
    if (r) loaded_api->video_close(r);
}

/* seg_video.h (mo_seg_is_video_path is in media_names.c; the writer in video_writer.c) */

mo_status mo_seg_video_open(mo_seg_video_reader **out, const char *path, int32_t *width,
                            int32_t *height, double *fps, int64_t *frames, mo_error *err) {
    *out = NULL;
    API_OR_RETURN(api, err);
    return api->seg_video_open(out, path, width, height, fps, frames, err);
}

int mo_seg_video_read(mo_seg_video_reader *r, mo_image *img) {
    return r ? loaded_api->seg_video_read(r, img) : 0;
}

void mo_seg_video_close(mo_seg_video_reader *r) {
    if (r) loaded_api->seg_video_close(r);
}

/* synth_io.h (the video writer is in video_writer.c) */

int64_t mo_synth_video_count_frames(const char *path, int32_t *width, int32_t *height) {
    const mo_opencv_api *api = api_quiet();
    return api ? api->synth_video_count_frames(path, width, height) : -1;
}
