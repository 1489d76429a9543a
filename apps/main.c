/* main.c - the `mobileone` dispatcher: `mobileone <command> [options]`. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"bench", mo_cmd_bench, "network latency and GFLOP/s, per thread count"},
    {"classify", mo_cmd_classify, "top-k ImageNet classes for images"},
    {"detect", mo_cmd_detect, "objects in images, folders, videos, cameras (SSDLite)"},
    {"eval", mo_cmd_eval, "COCO bbox mAP; VOC, ADE20K or any-class mIoU"},
    {"fuse", mo_cmd_fuse, "write the reparameterized (fused) model"},
    {"info", mo_cmd_info, "variant, form, parameters, MACs and memory of a model"},
    {"segment", mo_cmd_segment, "label maps and color overlays (DeepLabv3) for images, videos"},
    {"synth", mo_cmd_synth, "synthetic detection / segmentation images, masks, COCO, video"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: mobileone <command> [options]   (mobileone <command> --help)\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mobileone: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
