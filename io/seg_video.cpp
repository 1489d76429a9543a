// seg_video.cpp - OpenCV VideoCapture / VideoWriter behind seg_video.h's C API; part of the
// module mobileone-opencv.so (see opencv_plugin.h), reached through io/opencv_plugin.c.
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <cstring>
#include <strings.h>

extern "C" {
#include "error.h"
#include "seg_video.h"
}
#include "opencv_plugin.h"

struct mo_seg_video_reader {
    cv::VideoCapture cap;
    cv::Mat bgr;
};

struct mo_cv_seg_video_writer {
    cv::VideoWriter writer;
    cv::Mat bgr;
    int32_t width, height;
};

static mo_status seg_video_open(mo_seg_video_reader **out, const char *path,
                                int32_t *width, int32_t *height, double *fps,
                                int64_t *frames, mo_error *err) {
    *out = nullptr;
    auto *r = new (std::nothrow) mo_seg_video_reader;
    if (!r) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    try {
        r->cap.open(path, cv::CAP_FFMPEG);
    } catch (const cv::Exception &e) {
        delete r;
        return mo_error_set(err, MO_ERR_FORMAT, "%s: cannot open video: %s", path, e.what());
    }
    if (!r->cap.isOpened()) {
        delete r;
        return mo_error_set(err, MO_ERR_FORMAT, "%s: cannot open as a video", path);
    }
    *width = (int32_t)r->cap.get(cv::CAP_PROP_FRAME_WIDTH);
    *height = (int32_t)r->cap.get(cv::CAP_PROP_FRAME_HEIGHT);
    *fps = r->cap.get(cv::CAP_PROP_FPS);
    double n = r->cap.get(cv::CAP_PROP_FRAME_COUNT);
    *frames = n > 0 ? (int64_t)n : -1;
    *out = r;
    return MO_OK;
}

static int seg_video_read(mo_seg_video_reader *r, mo_image *img) {
    try {
        if (!r->cap.read(r->bgr) || r->bgr.empty()) return 0;
    } catch (const cv::Exception &) {
        return 0;
    }
    if (img->rgb && (img->width != r->bgr.cols || img->height != r->bgr.rows)) mo_image_free(img);
    if (!img->rgb && mo_image_alloc(img, r->bgr.cols, r->bgr.rows, nullptr) != MO_OK) return 0;
    cv::Mat rgb(r->bgr.rows, r->bgr.cols, CV_8UC3, img->rgb);
    cv::cvtColor(r->bgr, rgb, cv::COLOR_BGR2RGB);
    return 1;
}

static void seg_video_close(mo_seg_video_reader *r) {
    delete r;
}

static int has_ext(const char *path, const char *ext) {
    size_t n = std::strlen(path), k = std::strlen(ext);
    return n > k && !strcasecmp(path + n - k, ext);
}

static mo_status seg_video_writer_open(mo_cv_seg_video_writer **out, const char *path,
                                       int32_t width, int32_t height, double fps,
                                       mo_error *err) {
    *out = nullptr;
    auto *w = new (std::nothrow) mo_cv_seg_video_writer;
    if (!w) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    int fourcc = has_ext(path, ".avi") ? cv::VideoWriter::fourcc('M', 'J', 'P', 'G')
                                       : cv::VideoWriter::fourcc('m', 'p', '4', 'v');
    try {
        w->writer.open(path, cv::CAP_FFMPEG, fourcc, fps > 0 ? fps : 25.0,
                       cv::Size(width, height));
    } catch (const cv::Exception &e) {
        delete w;
        return mo_error_set(err, MO_ERR_IO, "%s: cannot create video: %s", path, e.what());
    }
    if (!w->writer.isOpened()) {
        delete w;
        return mo_error_set(err, MO_ERR_IO, "%s: cannot create video (no encoder for it)", path);
    }
    w->width = width;
    w->height = height;
    *out = w;
    return MO_OK;
}

static void seg_video_write(mo_cv_seg_video_writer *w, const uint8_t *rgb) {
    cv::Mat in(w->height, w->width, CV_8UC3, const_cast<uint8_t *>(rgb));
    cv::cvtColor(in, w->bgr, cv::COLOR_RGB2BGR);
    w->writer.write(w->bgr);
}

static void seg_video_writer_close(mo_cv_seg_video_writer *w) {
    delete w;
}

void mo_cv_fill_seg_video(mo_opencv_api *api) {
    api->seg_video_open = seg_video_open;
    api->seg_video_read = seg_video_read;
    api->seg_video_close = seg_video_close;
    api->seg_video_writer_open = seg_video_writer_open;
    api->seg_video_write = seg_video_write;
    api->seg_video_writer_close = seg_video_writer_close;
}
