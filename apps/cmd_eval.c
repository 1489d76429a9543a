/* cmd_eval.c - `mobileone eval`: placeholder until the evaluators land. */
#include "cli.h"
#include "commands.h"

int mo_cmd_eval(int argc, char **argv) {
    (void)argc;
    cli_error(argv[0], "not built yet");
    return 1;
}
