# Segmentation (DeepLabv3 head, label maps, palettes, the `segment` command): suites of their own.
# Goldens come from tools/deeplabv3_ref.py: --small into tests/golden/segment (committed),
# --resize into tests/golden/seg_resize.safetensors (committed), --full into the build folder.
mo_add_check_test(NAME test_seg_golden SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_seg_golden.c
                  ${CMAKE_CURRENT_LIST_DIR}/golden_util.c
                  LIBS mo_model LABELS segment)

# S0 and S1 at real widths, 21 classes, 512x512, OS16 and OS8 (never committed).
add_test(NAME seg_golden_full_generate
         COMMAND ${MO_PYTHON} ${CMAKE_SOURCE_DIR}/tools/deeplabv3_ref.py --full
                 --out ${CMAKE_BINARY_DIR}/seg_golden_full)
set_tests_properties(seg_golden_full_generate PROPERTIES FIXTURES_SETUP seg_golden_full
                     LABELS "full;segment")
add_test(NAME seg_golden_full COMMAND test_seg_golden ${CMAKE_BINARY_DIR}/seg_golden_full)
set_tests_properties(seg_golden_full PROPERTIES FIXTURES_REQUIRED seg_golden_full
                     LABELS "full;segment" ENVIRONMENT "${MO_TEST_ENV}" TIMEOUT 3600)
mo_add_check_test(NAME test_seg_upsample SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_seg_upsample.c
                  LIBS mo_heads LABELS segment)
mo_add_check_test(NAME test_seg_io SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_seg_io.c
                  LIBS mo_io LABELS segment)
