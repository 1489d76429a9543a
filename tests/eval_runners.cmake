# The dataset runners (`mobileone eval coco|voc|ade20k|miou --model`, apps/eval_run_*.c) end to
# end: a tiny synthetic data set made at test time by `mobileone synth`, the small golden
# models (and copies of them with 21, 150 and 81 classes), results compared with the
# saved-results path of the same commands.
if(TARGET mobileone AND TARGET mo_synth)
    mo_add_check_test(NAME test_eval_runners
                      SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_eval_runners.c
                              ${CMAKE_CURRENT_LIST_DIR}/eval_model_reclass.c
                      LIBS mo_core PkgConfig::CJSON LABELS eval)
    target_compile_definitions(test_eval_runners PRIVATE MO_CLI_PATH="$<TARGET_FILE:mobileone>")
    add_dependencies(test_eval_runners mobileone)
    set_tests_properties(test_eval_runners PROPERTIES TIMEOUT 600)
endif()
