/* cmd_info.c - `mobileone info`: what a model file holds and what it costs to run. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "mobileone.h"

static const char usage[] =
    "usage: mobileone info MODEL [--size HxW] [--config C] [--json]\n"
    "\n"
    "Prints the variant, the form in the file (fused or unfused), k, SE, the parameters of the\n"
    "fused model, and the MACs and activation memory at the input size (default: the config's).\n";

/* A detector's backbone maps are the outputs of stages first_stage..4; stage s has output
 * stride 2^(s + 1). */
static int backbone_maps(const mo_detect_config *det) {
    return 5 - det->first_stage;
}

static int map_stride(const mo_detect_config *det, int k) {
    return 1 << (det->first_stage + k + 1);
}

/* seg / det: the segmentation / detection settings, or NULL for other tasks. */
static void print_json(const char *path, const mo_model_info *i, const mo_segment_config *seg,
                       const mo_detect_config *det) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "model", path);
    cJSON_AddStringToObject(r, "variant", i->variant);
    cJSON_AddStringToObject(r, "task", i->task);
    cJSON_AddStringToObject(r, "form", i->fused_in_file ? "fused" : "unfused");
    cJSON_AddNumberToObject(r, "k", i->num_branches);
    cJSON_AddBoolToObject(r, "se", i->has_se);
    cJSON_AddItemToObject(r, "widths", cJSON_CreateIntArray(i->widths, 5));
    cJSON_AddItemToObject(r, "blocks", cJSON_CreateIntArray(i->blocks, 4));
    cJSON_AddNumberToObject(r, "num_classes", i->num_classes);
    cJSON_AddNumberToObject(r, "params", (double)i->params);
    cJSON_AddItemToObject(r, "size", cJSON_CreateIntArray(i->input_size, 2));
    cJSON_AddNumberToObject(r, "macs", (double)i->macs);
    cJSON_AddNumberToObject(r, "arena_bytes", (double)i->arena_bytes);
    if (seg) {
        cJSON *s = cJSON_AddObjectToObject(r, "segment");
        cJSON_AddNumberToObject(s, "output_stride", seg->output_stride);
        cJSON_AddItemToObject(s, "aspp_rates", cJSON_CreateIntArray(seg->aspp_rates, 3));
        cJSON_AddBoolToObject(s, "flip", seg->flip);
    }
    if (det) {
        cJSON *d = cJSON_AddObjectToObject(r, "detect");
        cJSON_AddNumberToObject(d, "first_stage", det->first_stage);
        cJSON_AddNumberToObject(d, "levels", det->num_levels);
        cJSON *strides = cJSON_AddArrayToObject(d, "map_strides");
        for (int k = 0; k < backbone_maps(det); k++)
            cJSON_AddItemToArray(strides, cJSON_CreateNumber(map_stride(det, k)));
        cJSON_AddNumberToObject(d, "extras", det->num_levels - backbone_maps(det));
        cJSON_AddStringToObject(d, "tta", mo_detect_tta_name(det->tta));
        cJSON_AddNumberToObject(d, "zoom", det->zoom);
        cJSON_AddNumberToObject(d, "zoom_max_side", det->zoom_max_side);
    }
    char *text = cJSON_PrintUnformatted(r);
    if (text) printf("%s\n", text);
    free(text);
    cJSON_Delete(r);
}

static void print_text(const char *path, const mo_model_info *i, const mo_segment_config *seg,
                       const mo_detect_config *det) {
    printf("model        %s\n", path);
    printf("variant      MobileOne-%s%s\n", i->variant, i->has_se ? " (with SE)" : "");
    printf("task         %s, %d classes\n", i->task, i->num_classes);
    printf("form         %s in the file", i->fused_in_file ? "fused" : "unfused");
    if (!i->fused_in_file) printf(", k = %d branches", i->num_branches);
    printf("\nwidths       %d / %d / %d / %d / %d\n", i->widths[0], i->widths[1], i->widths[2],
           i->widths[3], i->widths[4]);
    printf("blocks       %d / %d / %d / %d\n", i->blocks[0], i->blocks[1], i->blocks[2],
           i->blocks[3]);
    printf("parameters   %.3f M (fused)\n", i->params / 1e6);
    printf("MACs         %.1f M at %dx%d\n", i->macs / 1e6, i->input_size[1], i->input_size[0]);
    printf("activations  %.2f MiB arena at %dx%d\n", i->arena_bytes / 1048576.0, i->input_size[1],
           i->input_size[0]);
    if (seg)
        printf("segment      output stride %d, ASPP rates %d / %d / %d, test-time flip %s\n",
               seg->output_stride, seg->aspp_rates[0], seg->aspp_rates[1], seg->aspp_rates[2],
               seg->flip ? "on (two passes per image: twice the MACs)" : "off");
    if (det) {
        printf("detect       maps");
        for (int k = 0; k < backbone_maps(det); k++)
            printf(" OS%d", map_stride(det, k));
        printf(" + %d extras (%d levels)\n", det->num_levels - backbone_maps(det), det->num_levels);
        const int32_t passes = mo_detect_tta_passes(det->tta);
        printf("             test-time augmentation %s", mo_detect_tta_name(det->tta));
        if (passes > 1) printf(" (%d passes per image: %d times the MACs)", passes, passes);
        printf("\n");
        if (det->zoom > 1)
            printf("             zoom %d: the same again at %dx%d for objects below %g of the "
                   "input's side (%d times the MACs in all)\n",
                   det->zoom, i->input_size[1] * det->zoom, i->input_size[0] * det->zoom,
                   det->zoom_max_side, passes * (1 + det->zoom * det->zoom));
    }
}

int mo_cmd_info(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    const char *path = NULL, *config = NULL, *v;
    int json = 0, r;
    int32_t w = 0, h = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if ((r = cli_flag(argc, argv, &i, "--config", &v))) {
            if (r < 0) return 2;
            config = v;
        } else if ((r = cli_flag(argc, argv, &i, "--size", &v))) {
            if (r < 0) return 2;
            if (!cli_parse_size(v, &w, &h)) {
                cli_error("info", "--size '%s': expected WxH or one number", v);
                return 2;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("info", "unknown option '%s' (see --help)", argv[i]);
            return 2;
        } else if (path) {
            cli_error("info", "one model at a time (got '%s' and '%s')", path, argv[i]);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        cli_error("info", "no model given (see --help)");
        return 2;
    }
    mo_error err;
    mo_model_params params = mo_model_default_params();
    params.config_path = config;
    mo_model *model;
    mo_model_info info;
    if (mo_model_load(&model, path, &params, &err) != MO_OK) {
        cli_error("info", "%s", err.message);
        return 1;
    }
    mo_status s = mo_model_get_info(model, h, w, &info, &err);
    const mo_segment_config seg = mo_model_get_segment_config(model);
    const mo_detect_config det = mo_model_get_detect_config(model);
    const int is_segment = s == MO_OK && !strcmp(info.task, "segment");
    const int is_detect = s == MO_OK && !strcmp(info.task, "detect");
    if (s == MO_OK) {
        if (json)
            print_json(path, &info, is_segment ? &seg : NULL, is_detect ? &det : NULL);
        else
            print_text(path, &info, is_segment ? &seg : NULL, is_detect ? &det : NULL);
    }
    mo_model_free(model);
    if (s != MO_OK) {
        cli_error("info", "%s", err.message);
        return 1;
    }
    return 0;
}
