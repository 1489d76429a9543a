# Detection suites (heads/ssdlite, postprocess/, model/detector, io/ video, `mobileone detect`):
# goldens against torchvision (tests/golden/detect, made by tools/ssdlite_ref.py --small), and
# S0 / S2 at real widths generated into the build folder (label "full").
mo_add_check_test(NAME test_golden_detect SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_golden_detect.c
                  ${CMAKE_CURRENT_LIST_DIR}/golden_util.c
                  LIBS mo_model mo_io LABELS detect golden)

if(NOT MO_PYTHON) # tests/CMakeLists.txt defines it after including the fragments
    set(MO_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with torch and torchvision (Debian's)")
endif()
add_test(NAME golden_detect_full_generate
         COMMAND ${MO_PYTHON} ${CMAKE_SOURCE_DIR}/tools/ssdlite_ref.py --full
                 --out ${CMAKE_BINARY_DIR}/golden_detect_full)
set_tests_properties(golden_detect_full_generate PROPERTIES FIXTURES_SETUP golden_detect_full
                     LABELS "full;detect")
add_test(NAME golden_detect_full
         COMMAND test_golden_detect ${CMAKE_BINARY_DIR}/golden_detect_full)
set_tests_properties(golden_detect_full PROPERTIES FIXTURES_REQUIRED golden_detect_full
                     LABELS "full;detect" ENVIRONMENT "${MO_TEST_ENV}" TIMEOUT 1800)

mo_add_check_test(NAME test_postprocess SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_postprocess.c
                  LIBS mo_postprocess LABELS detect unit)

mo_add_check_test(NAME test_video SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_video.c
                  LIBS mo_io LABELS detect unit)

# `mobileone detect` end to end (the binary from apps/), and OpenCV's vtest.avi when installed
# (Debian opencv-doc; otherwise reported as skipped).
mo_add_check_test(NAME test_detect_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_detect_cli.c
                  LIBS mo_io PkgConfig::CJSON LABELS detect)
add_dependencies(test_detect_cli mobileone)
add_test(NAME detect_vtest COMMAND test_detect_cli vtest)
set_tests_properties(detect_vtest PROPERTIES ENVIRONMENT "${MO_TEST_ENV}" SKIP_RETURN_CODE 77
                     LABELS "video;detect" TIMEOUT 600)

# The shipped detection model: the C pipeline and PyTorch (unfused, eval) detect the same
# objects on 50 decoded synth test images (a split never used in training), as shipped (its
# config's test-time augmentation and zoom) and in one pass.
add_test(NAME detect_shipped_model_agrees
         COMMAND sh -c "$<TARGET_FILE:mobileone> synth --out ${CMAKE_BINARY_DIR}/agree/synth --split test --images 50 && ${MO_PYTHON} ${CMAKE_SOURCE_DIR}/tools/agree_detect.py --skip-missing --model ${CMAKE_SOURCE_DIR}/models/ssdlite_s0_synth.safetensors --images ${CMAKE_BINARY_DIR}/agree/synth/images --n 50 --mobileone $<TARGET_FILE:mobileone> --work ${CMAKE_BINARY_DIR}/agree")
add_test(NAME detect_shipped_model_agrees_one_pass
         COMMAND sh -c "$<TARGET_FILE:mobileone> synth --out ${CMAKE_BINARY_DIR}/agree1/synth --split test --images 50 && ${MO_PYTHON} ${CMAKE_SOURCE_DIR}/tools/agree_detect.py --skip-missing --tta none --zoom 1 --model ${CMAKE_SOURCE_DIR}/models/ssdlite_s0_synth.safetensors --images ${CMAKE_BINARY_DIR}/agree1/synth/images --n 50 --mobileone $<TARGET_FILE:mobileone> --work ${CMAKE_BINARY_DIR}/agree1")
set_tests_properties(detect_shipped_model_agrees detect_shipped_model_agrees_one_pass
                     PROPERTIES ENVIRONMENT "${MO_TEST_ENV}" SKIP_RETURN_CODE 77
                     LABELS "full;detect" TIMEOUT 900)
