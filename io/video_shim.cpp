// video_shim.cpp - OpenCV VideoCapture / VideoWriter behind the C API of video.h; part of the
// module mobileone-opencv.so (see opencv_plugin.h), reached through io/opencv_plugin.c.
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

extern "C" {
#include "error.h"
#include "video.h"
}
#include "opencv_plugin.h"

struct mo_video_reader {
    cv::VideoCapture cap;
    cv::Mat bgr;
    bool have_first; // the first frame, decoded at open, not yet handed out
    double fps;
    int64_t frames;
    int32_t width, height;
};

struct mo_cv_video_writer {
    cv::VideoWriter writer;
    cv::Mat bgr;
    std::string path, tmp;
    int32_t width, height;
};

static bool camera_index(const char *s, int *index) {
    char *end;
    errno = 0;
    long v = std::strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 1000) return false;
    *index = (int)v;
    return true;
}

// FFmpeg and OpenCV print their own diagnostics for undecodable files ("moov atom not found");
// ours are one line naming the file. OPENCV_FFMPEG_LOGLEVEL is read when OpenCV first loads
// FFmpeg, so it is set (unless the user set it) before the first capture opens.
static void quiet_decoders() {
    static bool done = false;
    if (done) return;
    done = true;
    setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", 0);
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
}

static mo_status video_open(mo_video_reader **out, const char *source, mo_error *err) {
    *out = nullptr;
    int cam;
    bool is_cam = camera_index(source, &cam);
    if (!is_cam) {
        FILE *f = std::fopen(source, "rb");
        if (!f)
            return mo_error_set(err, MO_ERR_IO, "%s: cannot open: %s", source,
                                std::strerror(errno));
        std::fclose(f);
    }
    quiet_decoders();
    mo_video_reader *r = new (std::nothrow) mo_video_reader();
    if (!r) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    try {
        if (is_cam) r->cap.open(cam);
        else r->cap.open(source, cv::CAP_FFMPEG); // not CAP_ANY: no probing of every backend
        if (r->cap.isOpened() && r->cap.read(r->bgr) && !r->bgr.empty()) r->have_first = true;
    } catch (const cv::Exception &e) {
        delete r;
        return mo_error_set(err, MO_ERR_FORMAT, "%s: cannot decode: %s", source, e.what());
    }
    if (!r->have_first) {
        delete r;
        return mo_error_set(err, is_cam ? MO_ERR_IO : MO_ERR_FORMAT,
                            is_cam ? "camera %s: cannot open or read a frame"
                                   : "%s: not a readable video (OpenCV decodes no frame)",
                            source);
    }
    r->fps = r->cap.get(cv::CAP_PROP_FPS);
    if (!(r->fps > 0 && r->fps < 1000)) r->fps = 0;
    double n = is_cam ? 0 : r->cap.get(cv::CAP_PROP_FRAME_COUNT);
    r->frames = n > 0 ? (int64_t)n : 0;
    r->width = r->bgr.cols;
    r->height = r->bgr.rows;
    *out = r;
    return MO_OK;
}

static int video_read(mo_video_reader *r, mo_image *frame) {
    if (!r->have_first) {
        try {
            if (!r->cap.read(r->bgr) || r->bgr.empty()) return 0;
        } catch (const cv::Exception &) {
            return 0;
        }
    }
    r->have_first = false;
    if (r->bgr.type() != CV_8UC3) return 0;
    if (!frame->rgb || frame->width != r->bgr.cols || frame->height != r->bgr.rows) {
        mo_image_free(frame);
        if (mo_image_alloc(frame, r->bgr.cols, r->bgr.rows, nullptr) != MO_OK) return 0;
    }
    cv::Mat rgb(frame->height, frame->width, CV_8UC3, frame->rgb);
    cv::cvtColor(r->bgr, rgb, cv::COLOR_BGR2RGB);
    return 1;
}

static double video_fps(const mo_video_reader *r) { return r->fps; }
static int64_t video_frame_count(const mo_video_reader *r) { return r->frames; }
static void video_size(const mo_video_reader *r, int32_t *width, int32_t *height) {
    *width = r->width;
    *height = r->height;
}
static void video_close(mo_video_reader *r) { delete r; }

static std::string extension(const std::string &path) {
    size_t slash = path.find_last_of('/'), dot = path.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
    std::string ext = path.substr(dot);
    for (char &c : ext) c = (char)std::tolower((unsigned char)c);
    return ext;
}

static mo_status video_writer_open(mo_cv_video_writer **out, const char *path, double fps,
                                   int32_t width, int32_t height, mo_error *err) {
    *out = nullptr;
    if (!(fps > 0) || width < 1 || height < 1)
        return mo_error_set(err, MO_ERR_ARGUMENT, "%s: cannot write video at %g fps, %dx%d",
                            path, fps, width, height);
    std::string ext = extension(path);
    if (ext.empty())
        return mo_error_set(err, MO_ERR_ARGUMENT, "%s: a video output needs an extension "
                            "(.avi, .mp4, .mkv)", path);
    mo_cv_video_writer *w = new (std::nothrow) mo_cv_video_writer();
    if (!w) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    w->path = path;
    w->tmp = w->path.substr(0, w->path.size() - ext.size()) + ".tmp" + ext;
    w->width = width;
    w->height = height;
    char fourcc[5];
    mo_video_fourcc_for(path, fourcc);
    bool ok = false;
    try {
        const int code = cv::VideoWriter::fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]);
        ok = w->writer.open(w->tmp, cv::CAP_FFMPEG, code, fps, cv::Size(width, height), true);
    } catch (const cv::Exception &) {
        ok = false;
    }
    if (!ok) {
        std::remove(w->tmp.c_str());
        delete w;
        return mo_error_set(err, MO_ERR_IO, "%s: OpenCV cannot open a video writer (codec %s, "
                            "container %s); try .avi (MJPG)", path, fourcc, ext.c_str());
    }
    *out = w;
    return MO_OK;
}

static mo_status video_write(mo_cv_video_writer *w, const mo_image *frame, mo_error *err) {
    if (frame->width != w->width || frame->height != w->height)
        return mo_error_set(err, MO_ERR_ARGUMENT, "%s: frame %dx%d, the video is %dx%d",
                            w->path.c_str(), frame->width, frame->height, w->width, w->height);
    cv::Mat rgb(frame->height, frame->width, CV_8UC3, frame->rgb);
    try {
        cv::cvtColor(rgb, w->bgr, cv::COLOR_RGB2BGR);
        w->writer.write(w->bgr);
    } catch (const cv::Exception &e) {
        return mo_error_set(err, MO_ERR_IO, "%s: writing a frame failed: %s", w->path.c_str(),
                            e.what());
    }
    return MO_OK;
}

static mo_status video_writer_finish(mo_cv_video_writer *w, mo_error *err) {
    w->writer.release();
    mo_status s = MO_OK;
    if (std::rename(w->tmp.c_str(), w->path.c_str()) != 0) {
        s = mo_error_set(err, MO_ERR_IO, "%s: cannot rename %s: %s", w->path.c_str(),
                         w->tmp.c_str(), std::strerror(errno));
        std::remove(w->tmp.c_str());
    }
    delete w;
    return s;
}

static void video_writer_abort(mo_cv_video_writer *w) {
    if (!w) return;
    w->writer.release();
    std::remove(w->tmp.c_str());
    delete w;
}

void mo_cv_fill_video(mo_opencv_api *api) {
    api->video_open = video_open;
    api->video_read = video_read;
    api->video_fps = video_fps;
    api->video_frame_count = video_frame_count;
    api->video_size = video_size;
    api->video_close = video_close;
    api->video_writer_open = video_writer_open;
    api->video_write = video_write;
    api->video_writer_finish = video_writer_finish;
    api->video_writer_abort = video_writer_abort;
}
