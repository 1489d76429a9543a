/* cmd_fuse.c - `mobileone fuse IN OUT`: write the reparameterized model. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "mobileone.h"

static const char usage[] =
    "usage: mobileone fuse IN OUT [--config C]\n"
    "\n"
    "Reparameterizes the backbone of IN (each block's branches and BatchNorms folded into one\n"
    "conv) and writes OUT under Apple's fused names (stageN.j.reparam_conv.*), with the config\n"
    "embedded. A classifier keeps its linear layer; a detection (SSDLite) or segmentation\n"
    "(DeepLabv3) model keeps its head's tensors as they are, under torchvision's names. OUT is\n"
    "written under a temporary name and renamed when complete.\n";

int mo_cmd_fuse(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    const char *paths[2] = {NULL, NULL}, *config = NULL, *v;
    int n = 0, r;
    for (int i = 1; i < argc; i++) {
        if ((r = cli_flag(argc, argv, &i, "--config", &v))) {
            if (r < 0) return 2;
            config = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("fuse", "unknown option '%s' (see --help)", argv[i]);
            return 2;
        } else if (n == 2) {
            cli_error("fuse", "too many arguments: '%s' (see --help)", argv[i]);
            return 2;
        } else {
            paths[n++] = argv[i];
        }
    }
    if (n != 2) {
        cli_error("fuse", "needs IN and OUT (see --help)");
        return 2;
    }
    mo_error err;
    mo_model_params params = mo_model_default_params();
    params.config_path = config;
    mo_model *model;
    if (mo_model_load(&model, paths[0], &params, &err) != MO_OK) {
        cli_error("fuse", "%s", err.message);
        return 1;
    }
    mo_status s = mo_model_save_fused(model, paths[1], &err);
    mo_model_free(model);
    if (s != MO_OK) {
        cli_error("fuse", "%s", err.message);
        return 1;
    }
    fprintf(stderr, "mobileone fuse: wrote %s\n", paths[1]);
    return 0;
}
