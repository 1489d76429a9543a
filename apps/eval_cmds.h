/* eval_cmds.h - the parts of `mobileone eval` (cmd_eval.c: dispatch and `coco`; eval_seg.c:
 * `voc`, `ade20k`, `miou`) and what they share. Each *_main gets argv[0] = "eval <name>" and
 * returns the exit status: 0 success, 1 failure, 2 usage error. */
#ifndef MO_APPS_EVAL_CMDS_H
#define MO_APPS_EVAL_CMDS_H

#include <stdio.h>

int mo_eval_coco_main(int argc, char **argv);
int mo_eval_seg_main(int argc, char **argv, const char *dataset);

/* A double as JSON: the shortest text that reads back to it (Python's repr style, so 1.0 and
 * -1.0 keep their ".0"); NaN and infinities as null. */
void mo_eval_json_double(FILE *out, double v);

/* Monotonic seconds, for --timing. */
double mo_eval_now(void);

/* For the later dataset-runner mode: flags that belong to it are recognised and refused with a
 * message. Returns 1 (and prints) when argv[i] is such a flag. */
int mo_eval_runner_flag(const char *cmd, const char *arg);

#endif
