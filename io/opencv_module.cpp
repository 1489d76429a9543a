// opencv_module.cpp - the entry point of mobileone-opencv.so: the one exported symbol,
// returning the table of OpenCV-backed functions (opencv_plugin.h) that the host dlopens.
// Everything else in the module is hidden (-fvisibility=hidden).
#include "opencv_plugin.h"

static mo_opencv_api make_api() {
    mo_opencv_api api = {};
    api.abi = MO_OPENCV_ABI;
    api.size = sizeof(mo_opencv_api);
    mo_cv_fill_image(&api);
    mo_cv_fill_draw(&api);
    mo_cv_fill_video(&api);
    mo_cv_fill_seg_video(&api);
    mo_cv_fill_synth(&api);
    return api;
}

extern "C" __attribute__((visibility("default"))) const mo_opencv_api *mo_opencv_plugin_api(void) {
    static const mo_opencv_api api = make_api(); // thread-safe initialization (C++11)
    return &api;
}
