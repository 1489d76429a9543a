# Turns configs/imagenet_classes.txt (one name a line) into a C array compiled into the CLI.
file(STRINGS ${SRC} lines ENCODING UTF-8)
set(body "")
set(count 0)
foreach(line IN LISTS lines)
    string(REPLACE "\\" "\\\\" line "${line}")
    string(REPLACE "\"" "\\\"" line "${line}")
    string(APPEND body "    \"${line}\",\n")
    math(EXPR count "${count} + 1")
endforeach()
file(WRITE ${DST} "/* Generated from configs/imagenet_classes.txt; do not edit. */\n"
     "#include <stdint.h>\nconst char *const mo_imagenet_classes[] = {\n${body}    0};\n"
     "const int32_t mo_imagenet_class_count = ${count};\n")
