/* json_scan.c - the strict pull parser of json_scan.h: RFC 8259 text in memory, no allocation
 * except for strings a caller asks to keep. Numbers: Clinger's exact fast path (at most 19
 * significant digits with a value below 2^53 and a power of ten up to 1e22), strtod otherwise;
 * both round correctly, as Python's float() does. */
#include "json_scan.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void mo_js_init(mo_json_scan *s, const char *buf, size_t len, const char *name, mo_error *err) {
    s->begin = s->p = buf;
    s->end = buf + len;
    s->name = name ? name : "<json>";
    s->err = err;
    s->failed = 0;
    s->status = MO_OK;
}

long mo_js_line_at(const mo_json_scan *s, const char *at) {
    long line = 1;
    for (const char *q = s->begin; q < at && q < s->end; q++)
        if (*q == '\n') line++;
    return line;
}

int mo_js_fail(mo_json_scan *s, mo_status status, const char *fmt, ...) {
    if (s->failed) return 0;
    s->failed = 1;
    s->status = status;
    long line = 1, col = 1;
    for (const char *q = s->begin; q < s->p && q < s->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    mo_error_set(s->err, status, "%s: line %ld, column %ld: %s", s->name, line, col, what);
    return 0;
}

static void skip_ws(mo_json_scan *s) {
    const char *p = s->p, *end = s->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    s->p = p;
}

mo_js_kind mo_js_peek(mo_json_scan *s) {
    if (s->failed) return MO_JS_END;
    skip_ws(s);
    if (s->p >= s->end) return MO_JS_END;
    switch (*s->p) {
    case '{':
        return MO_JS_OBJECT;
    case '[':
        return MO_JS_ARRAY;
    case '"':
        return MO_JS_STRING;
    case 't':
        return MO_JS_TRUE;
    case 'f':
        return MO_JS_FALSE;
    case 'n':
        return MO_JS_NULL;
    case '-':
        return MO_JS_NUMBER;
    default:
        return (*s->p >= '0' && *s->p <= '9') ? MO_JS_NUMBER : MO_JS_INVALID;
    }
}

const char *mo_js_kind_name(mo_js_kind kind) {
    switch (kind) {
    case MO_JS_END:
        return "end of input";
    case MO_JS_OBJECT:
        return "an object";
    case MO_JS_ARRAY:
        return "an array";
    case MO_JS_STRING:
        return "a string";
    case MO_JS_NUMBER:
        return "a number";
    case MO_JS_TRUE:
        return "true";
    case MO_JS_FALSE:
        return "false";
    case MO_JS_NULL:
        return "null";
    case MO_JS_INVALID:
        return "an invalid character";
    }
    return "?";
}

static int fail_kind(mo_json_scan *s, const char *wanted) {
    mo_js_kind k = mo_js_peek(s);
    if (s->failed) return 0;
    if (k == MO_JS_END)
        return mo_js_fail(s, MO_ERR_FORMAT, "unexpected end of input, expected %s", wanted);
    if (k == MO_JS_INVALID)
        return mo_js_fail(s, MO_ERR_FORMAT, "invalid character '%c' (0x%02x), expected %s",
                          (*s->p >= 0x20 && *s->p < 0x7f) ? *s->p : '?', (unsigned char)*s->p,
                          wanted);
    return mo_js_fail(s, MO_ERR_FORMAT, "expected %s, found %s", wanted, mo_js_kind_name(k));
}

int mo_js_begin_object(mo_json_scan *s) {
    if (mo_js_peek(s) != MO_JS_OBJECT) return fail_kind(s, "an object");
    s->p++;
    return 1;
}

int mo_js_begin_array(mo_json_scan *s) {
    if (mo_js_peek(s) != MO_JS_ARRAY) return fail_kind(s, "an array");
    s->p++;
    return 1;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(mo_json_scan *s, const char *q, unsigned *out) {
    if (s->end - q < 4) {
        s->p = q;
        return mo_js_fail(s, MO_ERR_FORMAT, "truncated \\u escape");
    }
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(q[i]);
        if (h < 0) {
            s->p = q + i;
            return mo_js_fail(s, MO_ERR_FORMAT, "bad hex digit in \\u escape");
        }
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Scans the string at s->p (which is '"'). When out is not NULL, writes up to cap-1 decoded bytes
 * and a NUL and sets *len to the full decoded length (which may exceed cap-1). */
static int scan_string(mo_json_scan *s, char *out, size_t cap, size_t *len) {
    const char *q = s->p + 1, *end = s->end;
    size_t n = 0;
    char tmp[4];
    for (;;) {
        const char *run = q;
        while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
            q++;
        if (out) {
            size_t k = (size_t)(q - run);
            if (n < cap) memcpy(out + n, run, (n + k < cap) ? k : cap - n);
            n += k;
        }
        if (q >= end) {
            s->p = q;
            return mo_js_fail(s, MO_ERR_FORMAT, "unterminated string");
        }
        if (*q == '"') break;
        if (*q != '\\') {
            s->p = q;
            return mo_js_fail(s, MO_ERR_FORMAT, "control character 0x%02x in a string",
                              (unsigned char)*q);
        }
        q++;
        if (q >= end) {
            s->p = q;
            return mo_js_fail(s, MO_ERR_FORMAT, "unterminated string");
        }
        size_t k = 1;
        switch (*q) {
        case '"':
            tmp[0] = '"';
            break;
        case '\\':
            tmp[0] = '\\';
            break;
        case '/':
            tmp[0] = '/';
            break;
        case 'b':
            tmp[0] = '\b';
            break;
        case 'f':
            tmp[0] = '\f';
            break;
        case 'n':
            tmp[0] = '\n';
            break;
        case 'r':
            tmp[0] = '\r';
            break;
        case 't':
            tmp[0] = '\t';
            break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(s, q + 1, &cp)) return 0;
            q += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && end - q >= 7 && q[1] == '\\' && q[2] == 'u') {
                unsigned lo;
                if (!read_hex4(s, q + 3, &lo)) return 0;
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    q += 6;
                }
            }
            k = put_utf8(tmp, cp);
            break;
        }
        default:
            s->p = q;
            return mo_js_fail(s, MO_ERR_FORMAT, "bad escape '\\%c' in a string",
                              (*q >= 0x20 && *q < 0x7f) ? *q : '?');
        }
        q++;
        if (out) {
            for (size_t i = 0; i < k; i++, n++)
                if (n < cap) out[n] = tmp[i];
        }
    }
    s->p = q + 1;
    if (out) {
        out[n < cap ? n : cap - 1] = '\0';
        if (len) *len = n;
    }
    return 1;
}

static int expect_char(mo_json_scan *s, char c, const char *what) {
    skip_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    if (s->p >= s->end)
        return mo_js_fail(s, MO_ERR_FORMAT, "unexpected end of input, expected %s", what);
    return mo_js_fail(s, MO_ERR_FORMAT, "expected %s", what);
}

int mo_js_next_key(mo_json_scan *s, int *first, char *key, size_t cap) {
    if (s->failed) return -1;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') { /* closes an empty object or follows a value */
        s->p++;
        return 0;
    }
    if (!*first) {
        if (!expect_char(s, ',', "',' or '}'")) return -1;
        skip_ws(s);
    }
    *first = 0;
    if (s->p >= s->end) {
        mo_js_fail(s, MO_ERR_FORMAT, "unexpected end of input in an object");
        return -1;
    }
    if (*s->p != '"') {
        mo_js_fail(s, MO_ERR_FORMAT, "expected a string key");
        return -1;
    }
    size_t len = 0;
    if (!scan_string(s, key, cap, &len)) return -1;
    if (len >= cap) key[0] = '\0';
    if (!expect_char(s, ':', "':'")) return -1;
    return 1;
}

int mo_js_next_item(mo_json_scan *s, int *first) {
    if (s->failed) return -1;
    skip_ws(s);
    if (s->p < s->end && *s->p == ']' && *first) {
        s->p++;
        return 0;
    }
    if (!*first) {
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return 0;
        }
        if (!expect_char(s, ',', "',' or ']'")) return -1;
        skip_ws(s);
        if (s->p < s->end && *s->p == ']') {
            mo_js_fail(s, MO_ERR_FORMAT, "trailing comma before ']'");
            return -1;
        }
    }
    *first = 0;
    if (s->p >= s->end) {
        mo_js_fail(s, MO_ERR_FORMAT, "unexpected end of input in an array");
        return -1;
    }
    return 1;
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Scans a number token. Sets *out (correctly rounded); *is_int when it has no fraction and no
 * exponent, and then *ival holds its exact value if *ival_ok. */
static int scan_number(mo_json_scan *s, double *out, int *is_int, int64_t *ival, int *ival_ok) {
    const char *start = s->p, *q = s->p, *end = s->end;
    int neg = 0;
    if (q < end && *q == '-') {
        neg = 1;
        q++;
    }
    if (q >= end || *q < '0' || *q > '9') {
        s->p = q;
        return mo_js_fail(s, MO_ERR_FORMAT, "malformed number");
    }
    uint64_t mant = 0;
    int digits = 0;  /* significant digits kept in mant */
    int dropped = 0; /* significant digits beyond 19 */
    long exp10 = 0;
    int nonzero_seen = 0;
    if (*q == '0') {
        q++;
        if (q < end && *q >= '0' && *q <= '9') {
            s->p = q;
            return mo_js_fail(s, MO_ERR_FORMAT, "leading zero in a number");
        }
    } else {
        while (q < end && *q >= '0' && *q <= '9') {
            nonzero_seen = 1;
            if (digits < 19) {
                mant = mant * 10 + (uint64_t)(*q - '0');
                digits++;
            } else {
                dropped++;
                exp10++;
            }
            q++;
        }
    }
    int integer = 1;
    if (q < end && *q == '.') {
        integer = 0;
        q++;
        if (q >= end || *q < '0' || *q > '9') {
            s->p = q;
            return mo_js_fail(s, MO_ERR_FORMAT, "malformed number (digits must follow '.')");
        }
        while (q < end && *q >= '0' && *q <= '9') {
            if (*q != '0') nonzero_seen = 1;
            if (!nonzero_seen) {
                exp10--; /* leading zeros of the fraction */
            } else if (digits < 19) {
                mant = mant * 10 + (uint64_t)(*q - '0');
                digits++;
                exp10--;
            } else {
                dropped++;
            }
            q++;
        }
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        integer = 0;
        q++;
        int eneg = 0;
        if (q < end && (*q == '+' || *q == '-')) {
            eneg = *q == '-';
            q++;
        }
        if (q >= end || *q < '0' || *q > '9') {
            s->p = q;
            return mo_js_fail(s, MO_ERR_FORMAT, "malformed number (digits must follow 'e')");
        }
        long e = 0;
        while (q < end && *q >= '0' && *q <= '9') {
            if (e < 100000) e = e * 10 + (*q - '0');
            q++;
        }
        exp10 += eneg ? -e : e;
    }
    s->p = q;
    *is_int = integer;
    *ival_ok = 0;
    if (integer && dropped == 0) {
        /* exact int64 when it fits: 19 digits may exceed INT64_MAX */
        if (mant <= (uint64_t)INT64_MAX) {
            *ival = neg ? -(int64_t)mant : (int64_t)mant;
            *ival_ok = 1;
        } else if (neg && mant == (uint64_t)INT64_MAX + 1) {
            *ival = INT64_MIN;
            *ival_ok = 1;
        }
    }
    double v;
    if (mant == 0) {
        v = 0.0;
    } else if (dropped == 0 && mant <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        v = (double)mant;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
    } else {
        char buf[512];
        size_t n = (size_t)(q - start);
        char *tok = n < sizeof buf ? buf : malloc(n + 1);
        if (!tok) return mo_js_fail(s, MO_ERR_MEMORY, "out of memory reading a number");
        memcpy(tok, start, n);
        tok[n] = '\0';
        errno = 0;
        v = strtod(tok, NULL);
        int range = errno == ERANGE;
        if (tok != buf) free(tok);
        if (range && isinf(v)) {
            s->p = start;
            return mo_js_fail(s, MO_ERR_FORMAT, "number out of range for a double");
        }
        neg = 0; /* strtod applied the sign */
    }
    *out = neg ? -v : v;
    return 1;
}

int mo_js_number(mo_json_scan *s, double *out) {
    if (mo_js_peek(s) != MO_JS_NUMBER) return fail_kind(s, "a number");
    int is_int, ok;
    int64_t iv;
    return scan_number(s, out, &is_int, &iv, &ok);
}

int mo_js_int64(mo_json_scan *s, int64_t *out) {
    if (mo_js_peek(s) != MO_JS_NUMBER) return fail_kind(s, "an integer");
    const char *start = s->p;
    int is_int, ok;
    int64_t iv;
    double v;
    if (!scan_number(s, &v, &is_int, &iv, &ok)) return 0;
    if (ok) {
        *out = iv;
        return 1;
    }
    /* 9.2e18 is the largest magnitude a double converts to int64 without overflow */
    if (v != floor(v) || !(fabs(v) < 9.2e18)) {
        s->p = start;
        return mo_js_fail(s, MO_ERR_FORMAT, "expected an integer id, found %.17g", v);
    }
    *out = (int64_t)v;
    return 1;
}

int mo_js_string_dup(mo_json_scan *s, char **out) {
    *out = NULL;
    if (mo_js_peek(s) != MO_JS_STRING) return fail_kind(s, "a string");
    const char *start = s->p;
    if (!scan_string(s, NULL, 0, NULL)) return 0;
    size_t cap = (size_t)(s->p - start); /* decoded length never exceeds the raw length */
    char *buf = malloc(cap + 1);
    if (!buf) return mo_js_fail(s, MO_ERR_MEMORY, "out of memory reading a string");
    s->p = start;
    size_t len;
    if (!scan_string(s, buf, cap + 1, &len)) {
        free(buf);
        return 0;
    }
    *out = buf;
    return 1;
}

static int match_word(mo_json_scan *s, const char *w) {
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
        return mo_js_fail(s, MO_ERR_FORMAT, "invalid literal (expected '%s')", w);
    s->p += n;
    return 1;
}

static int skip_value(mo_json_scan *s, int depth) {
    if (depth > MO_JS_MAX_DEPTH)
        return mo_js_fail(s, MO_ERR_FORMAT, "nesting deeper than %d", MO_JS_MAX_DEPTH);
    mo_js_kind k = mo_js_peek(s);
    int first = 1, r;
    char key[8];
    switch (k) {
    case MO_JS_OBJECT:
        s->p++;
        while ((r = mo_js_next_key(s, &first, key, sizeof key)) > 0)
            if (!skip_value(s, depth + 1)) return 0;
        return r == 0;
    case MO_JS_ARRAY:
        s->p++;
        while ((r = mo_js_next_item(s, &first)) > 0)
            if (!skip_value(s, depth + 1)) return 0;
        return r == 0;
    case MO_JS_STRING:
        return scan_string(s, NULL, 0, NULL);
    case MO_JS_NUMBER: {
        double v;
        int a, b;
        int64_t c;
        return scan_number(s, &v, &a, &c, &b);
    }
    case MO_JS_TRUE:
        return match_word(s, "true");
    case MO_JS_FALSE:
        return match_word(s, "false");
    case MO_JS_NULL:
        return match_word(s, "null");
    default:
        return fail_kind(s, "a value");
    }
}

int mo_js_skip(mo_json_scan *s) {
    return skip_value(s, 0);
}

int mo_js_finish(mo_json_scan *s) {
    if (s->failed) return 0;
    skip_ws(s);
    if (s->p < s->end) return mo_js_fail(s, MO_ERR_FORMAT, "extra data after the JSON value");
    return 1;
}
