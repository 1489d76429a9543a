// draw_shim.cpp - rectangles, labels and image encoding with OpenCV's imgproc / imgcodecs;
// part of the module mobileone-opencv.so (see opencv_plugin.h), reached through opencv_plugin.c.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

extern "C" {
#include "draw.h"
#include "error.h"
}
#include "opencv_plugin.h"

// A bright colour per label (RGB), stable across runs.
static cv::Scalar label_colour(int32_t label) {
    static const unsigned char palette[10][3] = {
        {230, 25, 75}, {60, 180, 75}, {255, 225, 25}, {0, 130, 200}, {245, 130, 48},
        {145, 30, 180}, {70, 240, 240}, {240, 50, 230}, {210, 245, 60}, {250, 190, 190}};
    const unsigned char *c = palette[(label < 0 ? -label : label) % 10];
    return cv::Scalar(c[0], c[1], c[2]);
}

static void draw_detections(mo_image *img, const mo_detection *dets, int32_t count,
                            const char *const *names, int32_t num_names) {
    cv::Mat rgb(img->height, img->width, CV_8UC3, img->rgb);
    const int thick = std::max(1, (int)std::lround(std::min(img->width, img->height) / 300.0));
    const double font = std::max(0.35, std::min(img->width, img->height) / 900.0);
    for (int32_t i = 0; i < count; i++) {
        const mo_detection &d = dets[i];
        const cv::Scalar colour = label_colour(d.label);
        cv::Point p1((int)std::lround(d.x), (int)std::lround(d.y));
        cv::Point p2((int)std::lround(d.x + d.w), (int)std::lround(d.y + d.h));
        // Axis-aligned: anti-aliasing would change nothing visible and costs draw time, which
        // on video competes with the network for the cores.
        cv::rectangle(rgb, p1, p2, colour, thick, cv::LINE_8);
        char text[160];
        const char *name = d.label >= 0 && d.label < num_names && names ? names[d.label] : nullptr;
        if (name) std::snprintf(text, sizeof text, "%s %.2f", name, d.score);
        else std::snprintf(text, sizeof text, "#%d %.2f", d.label, d.score);
        int base = 0;
        cv::Size ts = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font, 1, &base);
        int top = p1.y - ts.height - base - 2 >= 0 ? p1.y - ts.height - base - 2 : p1.y;
        cv::rectangle(rgb, cv::Point(p1.x, top), cv::Point(p1.x + ts.width + 2,
                      top + ts.height + base + 2), colour, cv::FILLED);
        cv::putText(rgb, text, cv::Point(p1.x + 1, top + ts.height + 1), cv::FONT_HERSHEY_SIMPLEX,
                    font, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    }
}

static mo_status image_write(const char *path, const mo_image *img, mo_error *err) {
    std::string p(path);
    size_t slash = p.find_last_of('/'), dot = p.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
        return mo_error_set(err, MO_ERR_ARGUMENT, "%s: an image output needs an extension "
                            "(.jpg, .png)", path);
    std::string tmp = p.substr(0, dot) + ".tmp" + p.substr(dot);
    cv::Mat rgb(img->height, img->width, CV_8UC3, img->rgb), bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    bool ok = false;
    try {
        ok = cv::imwrite(tmp, bgr);
    } catch (const cv::Exception &) {
        ok = false;
    }
    if (!ok) {
        std::remove(tmp.c_str());
        return mo_error_set(err, MO_ERR_IO, "%s: cannot encode or write the image", path);
    }
    if (std::rename(tmp.c_str(), path) != 0) {
        std::remove(tmp.c_str());
        return mo_error_set(err, MO_ERR_IO, "%s: cannot rename: %s", path, std::strerror(errno));
    }
    return MO_OK;
}

void mo_cv_fill_draw(mo_opencv_api *api) {
    api->draw_detections = draw_detections;
    api->image_write = image_write;
}
