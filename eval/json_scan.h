/* json_scan.h - a strict, allocation-free pull parser for JSON held in memory. Internal to eval.
 *
 * Why not cJSON: a COCO results file of 500,000 detections is 43 MB of text; as a cJSON tree it
 * needs ~9 nodes of 64 bytes plus key strings per detection (~400 MB) and most of the time goes
 * to malloc. This scanner walks the text once, hands the caller the values it asks for and
 * validates (but does not keep) everything it skips.
 *
 * Grammar: RFC 8259 exactly (no comments, no trailing commas, no NaN/Infinity, no leading zeros),
 * nesting at most MO_JS_MAX_DEPTH. Numbers are converted correctly rounded (Clinger's fast path,
 * else strtod), as Python's json does; a number that overflows a double is an error.
 *
 * Errors: the first error is stored in the mo_error given to mo_js_init as
 * "<name>: line L, column C: <what>"; every later call then fails too, so callers may check once.
 * The buffer must stay alive and be followed by a NUL byte (buf[len] == '\0').
 *
 * Use:
 *     mo_js_begin_object(s);                     // or mo_js_begin_array
 *     int first = 1;
 *     while (mo_js_next_key(s, &first, key, sizeof key) > 0) { ...read or mo_js_skip... }
 */
#ifndef MO_EVAL_JSON_SCAN_H
#define MO_EVAL_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "mobileone.h"

#define MO_JS_MAX_DEPTH 256

typedef struct mo_json_scan {
    const char *begin, *p, *end;
    const char *name; /* the file name for messages */
    mo_error *err;    /* may be NULL */
    int failed;
    mo_status status; /* of the first error */
} mo_json_scan;

/* What the next value is. */
typedef enum mo_js_kind {
    MO_JS_END = 0, /* end of input or after an error */
    MO_JS_OBJECT,
    MO_JS_ARRAY,
    MO_JS_STRING,
    MO_JS_NUMBER,
    MO_JS_TRUE,
    MO_JS_FALSE,
    MO_JS_NULL,
    MO_JS_INVALID
} mo_js_kind;

void mo_js_init(mo_json_scan *s, const char *buf, size_t len, const char *name, mo_error *err);

/* Kind of the next value (skips white space; consumes nothing). */
mo_js_kind mo_js_peek(mo_json_scan *s);
const char *mo_js_kind_name(mo_js_kind kind);

/* Consume '{' / '['. Return 1, or 0 after recording an error. */
int mo_js_begin_object(mo_json_scan *s);
int mo_js_begin_array(mo_json_scan *s);

/* Next member of an object: reads `"key":` into key (NUL-terminated, decoded; a key longer than
 * cap-1 bytes comes back as "", which matches no key a caller looks for). Returns 1 for a member, 0
 * at the closing '}' (consumed), -1 on error. `first` must start at 1. */
int mo_js_next_key(mo_json_scan *s, int *first, char *key, size_t cap);

/* Next element of an array: 1 if there is one (not consumed), 0 at ']' (consumed), -1 error. */
int mo_js_next_item(mo_json_scan *s, int *first);

/* Values. Each returns 1, or 0 after recording an error (wrong kind, malformed, out of range). */
int mo_js_number(mo_json_scan *s, double *out);
/* A number with an integral value in int64 range (1, 1.0 and 1e3 all count, as in Python). */
int mo_js_int64(mo_json_scan *s, int64_t *out);
/* A string, decoded to UTF-8, into a malloc'd buffer the caller frees. */
int mo_js_string_dup(mo_json_scan *s, char **out);
int mo_js_skip(mo_json_scan *s);

/* After the top-level value: only white space may follow. */
int mo_js_finish(mo_json_scan *s);

/* Records "<name>: line L, column C: <message>" at the current position (first error wins) and
 * returns 0. */
int mo_js_fail(mo_json_scan *s, mo_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The 1-based line of position `at` in the text (for callers' own messages; it counts from the
 * start, so call it on error paths only). */
long mo_js_line_at(const mo_json_scan *s, const char *at);

#endif
