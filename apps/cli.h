/* cli.h - the flag parsing and messages that every subcommand shares.
 *
 * Flags are `--name value` or `--name=value`; a loop over argv calls cli_flag() for each known
 * flag. Errors go to stderr as one line, `mobileone <cmd>: <what>`, and the command returns 2
 * (usage) or 1 (failure). */
#ifndef MO_APPS_CLI_H
#define MO_APPS_CLI_H

#include <stdint.h>
#include <stdio.h>

/* True when argv has -h or --help. */
int cli_wants_help(int argc, char **argv);

/* If argv[*i] is `name` or `name=...`, stores its value in *value (the next argument, or the
 * text after '='), advances *i past it and returns 1. Returns -1 when the value is missing
 * (and prints why), 0 when argv[*i] is another flag. */
int cli_flag(int argc, char **argv, int *i, const char *name, const char **value);

/* Strict number parsing: the whole string, in range. Return 1 on success. */
int cli_parse_int(const char *s, long min, long max, long *out);
int cli_parse_float(const char *s, double *out);
/* "on" -> 1, "off" -> 0, anything else -> -1. */
int cli_parse_on_off(const char *s);

/* A size: `WxH` or one number for a square, each 1..16384. Returns 1 on success. */
int cli_parse_size(const char *s, int32_t *width, int32_t *height);

/* The detector's test-time settings (detect, eval coco): --tta's mode, an mo_detect_tta, and
 * --zoom's factor. Return 1 on success; otherwise print the error line for cmd and return 0. */
int cli_parse_tta(const char *cmd, const char *s, int *out);
int cli_parse_zoom(const char *cmd, const char *s, long *out);

/* Prints `mobileone <cmd>: <message>` to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
