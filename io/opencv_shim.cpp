// opencv_shim.cpp - cv::imread for the formats that io/image_decode.c leaves to OpenCV (and for
// tests comparing the two); part of the module mobileone-opencv.so (see opencv_plugin.h).
// Decoding keeps to imgcodecs; colors leave here as RGB (OpenCV works in BGR).
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>

extern "C" {
#include "error.h"
#include "image.h"
}
#include "opencv_plugin.h"

static mo_status image_read(mo_image *img, const char *path, mo_error *err) {
    img->rgb = nullptr;
    cv::Mat bgr;
    try {
        bgr = cv::imread(path, cv::IMREAD_COLOR);
    } catch (const cv::Exception &e) {
        return mo_error_set(err, MO_ERR_FORMAT, "%s: cannot decode: %s", path, e.what());
    }
    if (bgr.empty()) {
        FILE *f = std::fopen(path, "rb");
        if (!f) return mo_error_set(err, MO_ERR_IO, "%s: cannot open", path);
        std::fclose(f);
        return mo_error_set(err, MO_ERR_FORMAT, "%s: not a readable image", path);
    }
    mo_status s = mo_image_alloc(img, bgr.cols, bgr.rows, err);
    if (s != MO_OK) return s;
    cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, img->rgb);
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    return MO_OK;
}

void mo_cv_fill_image(mo_opencv_api *api) {
    api->image_read = image_read;
}
