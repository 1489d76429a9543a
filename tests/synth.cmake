# `mobileone synth` (synth/, io/synth_io.cpp, apps/cmd_synth.c): determinism, the COCO file and
# masks read back with the project's own readers, the scene statistics, the video, the CLI.
if(TARGET mo_synth AND TARGET mobileone)
    mo_add_check_test(NAME test_synth SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_synth.c
                      LIBS mo_synth mo_eval mo_io PkgConfig::CJSON LABELS synth)
    target_compile_definitions(test_synth PRIVATE MO_CLI_PATH="$<TARGET_FILE:mobileone>")
    add_dependencies(test_synth mobileone)
    set_tests_properties(test_synth PROPERTIES TIMEOUT 600)
endif()
