# The evaluators' suites (eval/): COCO bbox against pycocotools' output, mIoU against the mmseg
# reference, the JSON and PNG readers' robustness, and the `mobileone eval` command line.
# Shared cases come from $MO_SHARED_DIR/testdata; without them the suites exit 77 (skipped).
add_library(mo_eval_test_util STATIC ${CMAKE_CURRENT_LIST_DIR}/eval/test_util.c)
target_link_libraries(mo_eval_test_util PUBLIC PkgConfig::CJSON)
target_include_directories(mo_eval_test_util PUBLIC ${CMAKE_CURRENT_LIST_DIR})

mo_add_check_test(NAME test_eval_coco SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_eval_coco.c
                  LIBS mo_eval mo_eval_test_util LABELS eval)
mo_add_check_test(NAME test_eval_coco_edges SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_eval_coco_edges.c
                  LIBS mo_eval LABELS eval)
mo_add_check_test(NAME test_eval_miou SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_eval_miou.c
                  LIBS mo_eval mo_eval_test_util LABELS eval)
mo_add_check_test(NAME test_eval_miou_edges SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_eval_miou_edges.c
                  LIBS mo_eval mo_eval_test_util LABELS eval)
mo_add_check_test(NAME test_eval_json_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_eval_json_fuzz.c
                  LIBS mo_eval LABELS eval)
if(TARGET mobileone)
    mo_add_check_test(NAME test_eval_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_eval_cli.c
                      LIBS mo_eval PkgConfig::CJSON LABELS eval)
    target_compile_definitions(test_eval_cli PRIVATE MO_CLI_PATH="$<TARGET_FILE:mobileone>")
    add_dependencies(test_eval_cli mobileone)
endif()
