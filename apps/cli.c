/* cli.c - shared flag parsing and error lines for the subcommands. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mobileone.h"

int cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
    return 0;
}

int cli_flag(int argc, char **argv, int *i, const char *name, const char **value) {
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0') return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "mobileone %s: %s needs a value\n", argv[0], name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int cli_parse_int(const char *s, long min, long max, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) return 0;
    *out = v;
    return 1;
}

int cli_parse_float(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

int cli_parse_on_off(const char *s) {
    return !strcmp(s, "on") ? 1 : !strcmp(s, "off") ? 0 : -1;
}

int cli_parse_tta(const char *cmd, const char *s, int *out) {
    if ((*out = mo_detect_tta_parse(s)) >= 0) return 1;
    cli_error(cmd, "--tta '%s': expected none, hflip, flips or d8", s);
    return 0;
}

int cli_parse_zoom(const char *cmd, const char *s, long *out) {
    if (cli_parse_int(s, 1, MO_DETECT_MAX_ZOOM, out)) return 1;
    cli_error(cmd, "--zoom '%s': expected 1 (off) to %d", s, MO_DETECT_MAX_ZOOM);
    return 0;
}

int cli_parse_size(const char *s, int32_t *width, int32_t *height) {
    char buf[64];
    if (strlen(s) >= sizeof buf) return 0;
    strcpy(buf, s);
    char *x = strchr(buf, 'x');
    long w, h;
    if (!x) {
        if (!cli_parse_int(buf, 1, 16384, &w)) return 0;
        *width = *height = (int32_t)w;
        return 1;
    }
    *x = '\0';
    if (!cli_parse_int(buf, 1, 16384, &w) || !cli_parse_int(x + 1, 1, 16384, &h)) return 0;
    *width = (int32_t)w;
    *height = (int32_t)h;
    return 1;
}

void cli_error(const char *cmd, const char *fmt, ...) {
    fprintf(stderr, "mobileone %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
