// synth_io.cpp - JPEG encoding and video writing for `mobileone synth`, through OpenCV
// (imgcodecs' imencode, videoio's VideoWriter). See synth_io.h. Part of the module
// mobileone-opencv.so (see opencv_plugin.h), reached through io/opencv_plugin.c.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

extern "C" {
#include "error.h"
#include "synth_io.h"
}
#include "opencv_plugin.h"

struct mo_cv_synth_video {
    cv::VideoWriter writer;
    cv::Mat bgr;
    std::string path, tmp;
    int32_t width, height;
};

// rgb (H, W, 3) -> a BGR Mat that owns its data.
static void to_bgr(const uint8_t *rgb, int32_t width, int32_t height, cv::Mat &bgr) {
    cv::Mat in(height, width, CV_8UC3, const_cast<uint8_t *>(rgb));
    cv::cvtColor(in, bgr, cv::COLOR_RGB2BGR);
}

static std::string extension(const std::string &path) {
    size_t slash = path.find_last_of('/'), dot = path.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
    std::string ext = path.substr(dot);
    for (auto &c : ext)
        c = (char)std::tolower((unsigned char)c);
    return ext;
}

static mo_status synth_video_open(mo_cv_synth_video **out, const char *path, double fps,
                                  int32_t width, int32_t height, mo_error *err) {
    *out = nullptr;
    std::string p(path), ext = extension(p);
    const char *cc;
    if (ext == ".avi")
        cc = "MJPG";
    else if (ext == ".mp4" || ext == ".mov")
        cc = "mp4v";
    else
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "%s: unknown video container '%s' (use .avi or .mp4)", path,
                            ext.c_str());
    if (!(fps > 0 && fps <= 1000) || width <= 0 || height <= 0)
        return mo_error_set(err, MO_ERR_ARGUMENT, "%s: bad fps %g or size %dx%d", path, fps, width,
                            height);
    mo_cv_synth_video *v = new (std::nothrow) mo_cv_synth_video();
    if (!v) return mo_error_set(err, MO_ERR_MEMORY, "out of memory");
    v->path = p;
    v->tmp = p.substr(0, p.size() - ext.size()) + ".tmp" + ext;
    v->width = width;
    v->height = height;
    // OpenCV reports no reason; check that the folder is writable first for a useful message.
    FILE *probe = std::fopen(v->tmp.c_str(), "wb");
    if (!probe) {
        int e = errno;
        mo_status st = mo_error_set(err, MO_ERR_IO, "%s: cannot open for writing: %s",
                                    v->tmp.c_str(), std::strerror(e));
        delete v;
        return st;
    }
    std::fclose(probe);
    bool ok = false;
    try {
        ok = v->writer.open(v->tmp, cv::VideoWriter::fourcc(cc[0], cc[1], cc[2], cc[3]), fps,
                            cv::Size(width, height), true);
    } catch (const cv::Exception &) {
        ok = false;
    }
    if (!ok) {
        std::remove(v->tmp.c_str());
        delete v;
        return mo_error_set(err, MO_ERR_UNSUPPORTED,
                            "%s: OpenCV cannot write codec %s in a %s container here", path, cc,
                            ext.c_str());
    }
    *out = v;
    return MO_OK;
}

static mo_status synth_video_write(mo_cv_synth_video *v, const uint8_t *rgb, mo_error *err) {
    try {
        to_bgr(rgb, v->width, v->height, v->bgr);
        v->writer.write(v->bgr);
    } catch (const cv::Exception &e) {
        return mo_error_set(err, MO_ERR_IO, "%s: writing a frame: %s", v->tmp.c_str(), e.what());
    }
    return MO_OK;
}

static mo_status synth_video_finish(mo_cv_synth_video *v, mo_error *err) {
    v->writer.release();
    mo_status st = MO_OK;
    if (std::rename(v->tmp.c_str(), v->path.c_str()) != 0) {
        int e = errno;
        std::remove(v->tmp.c_str());
        st = mo_error_set(err, MO_ERR_IO, "%s: cannot rename from %s: %s", v->path.c_str(),
                          v->tmp.c_str(), std::strerror(e));
    }
    delete v;
    return st;
}

static void synth_video_abort(mo_cv_synth_video *v) {
    if (!v) return;
    v->writer.release();
    std::remove(v->tmp.c_str());
    delete v;
}

static int64_t synth_video_count_frames(const char *path, int32_t *width, int32_t *height) {
    try {
        cv::VideoCapture cap(path);
        if (!cap.isOpened()) return -1;
        cv::Mat frame;
        int64_t n = 0;
        while (cap.read(frame) && !frame.empty()) {
            if (n == 0) {
                if (width) *width = frame.cols;
                if (height) *height = frame.rows;
            }
            n++;
        }
        return n;
    } catch (const cv::Exception &) {
        return -1;
    }
}

void mo_cv_fill_synth(mo_opencv_api *api) {
    api->synth_video_open = synth_video_open;
    api->synth_video_write = synth_video_write;
    api->synth_video_finish = synth_video_finish;
    api->synth_video_abort = synth_video_abort;
    api->synth_video_count_frames = synth_video_count_frames;
}
