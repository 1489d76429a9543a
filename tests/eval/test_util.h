/* test_util.h - helpers shared by the eval test suites: finding $MO_SHARED_DIR folders (or the
 * reason to skip), listing case folders, reading a JSON file with cJSON, temporary files. */
#ifndef MO_TESTS_EVAL_TEST_UTIL_H
#define MO_TESTS_EVAL_TEST_UTIL_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Writes $MO_SHARED_DIR/<sub> into out and returns 1 when it is a directory; otherwise returns 0
 * and points *why at a sentence saying what is missing. */
int et_shared_subdir(const char *sub, char *out, size_t cap, const char **why);

/* The names of the sub-directories of dir, sorted; returns how many (at most max), -1 on error. */
int et_list_subdirs(const char *dir, char names[][256], int max);

/* Parses a JSON file; NULL when it cannot be read or parsed. Free with cJSON_Delete. */
cJSON *et_read_json(const char *path);

/* Writes `len` bytes to a fresh temporary file whose path goes to out (cap >= 64); returns 1.
 * The caller removes it. */
int et_write_temp(const char *data, size_t len, char *out, size_t cap);

#endif
