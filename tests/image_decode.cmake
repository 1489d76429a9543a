# io/image_decode.c (PNG with libpng, JPEG with libjpeg) against cv::imread in the OpenCV module,
# pixel for pixel, and the module's loader (io/opencv_plugin.c): a missing module is one line.
# The suite writes its own PNGs and JPEGs, hence libpng and libjpeg here too.
mo_add_check_test(NAME test_image_decode SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_image_decode.c
                  LIBS mo_io PkgConfig::LIBPNG JPEG::JPEG LABELS unit)
