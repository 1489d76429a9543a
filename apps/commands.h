/* commands.h - the subcommands of the `mobileone` CLI, one file each (apps/cmd_<name>.c).
 * Each takes the arguments after its own name (argv[0] is the subcommand name) and returns
 * the process exit status: 0 success, 1 failure, 2 usage error. */
#ifndef MO_APPS_COMMANDS_H
#define MO_APPS_COMMANDS_H

int mo_cmd_bench(int argc, char **argv);
int mo_cmd_segment(int argc, char **argv);
int mo_cmd_info(int argc, char **argv);
int mo_cmd_fuse(int argc, char **argv);
int mo_cmd_classify(int argc, char **argv);
int mo_cmd_detect(int argc, char **argv);
int mo_cmd_eval(int argc, char **argv);
int mo_cmd_synth(int argc, char **argv);

#endif
