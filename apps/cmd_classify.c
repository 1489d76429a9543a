/* cmd_classify.c - `mobileone classify`: top-k classes for images or a raw input tensor. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class_names.h"
#include "cli.h"
#include "commands.h"
#include "image.h"
#include "mobileone.h"

static const char usage[] =
    "usage: mobileone classify --model M [--top K] [--json] [--classes FILE] [--config C]\n"
    "                          (IMAGE... | --input-tensor RAW.bin)\n"
    "\n"
    "Prints the top-K classes of each image with their probabilities.\n"
    "  --model M            model file (.safetensors), fused or unfused\n"
    "  --top K              classes to print per image (default 5)\n"
    "  --json               one JSON line per image: {\"image\",\"top\":[{\"class\",\"name\","
    "\"prob\",\"logit\"}]}\n"
    "  --classes FILE       class names, one per line (default: the model's, or ImageNet's)\n"
    "  --config C           JSON config overriding the one embedded in the model\n"
    "  --input-tensor RAW   a raw little-endian float32 1x3xHxW NCHW tensor, already normalized,\n"
    "                       at the model's input size, instead of images\n"
    "Images are resized (shorter side to size/crop_pct, PIL bilinear), center-cropped and\n"
    "normalized as timm's eval transform does.\n";

typedef struct classify_opts {
    const char *model, *classes, *config, *tensor;
    long top;
    int json;
} classify_opts;

/* Reads a raw NCHW tensor of exactly 3 x h x w floats and writes it NHWC into out. */
static int read_tensor(const char *path, int32_t h, int32_t w, float *out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("classify", "%s: cannot open", path);
        return 0;
    }
    size_t n = (size_t)3 * h * w;
    float *nchw = malloc(sizeof(float) * n);
    size_t got = nchw ? fread(nchw, sizeof(float), n, f) : 0;
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (got != n || extra) {
        cli_error("classify", "%s: expected exactly %zu float32 values (1x3x%dx%d), got %s", path,
                  n, h, w, extra ? "more" : "fewer");
        free(nchw);
        return 0;
    }
    for (int32_t c = 0; c < 3; c++)
        for (int32_t p = 0; p < h * w; p++) out[(size_t)p * 3 + c] = nchw[(size_t)c * h * w + p];
    free(nchw);
    return 1;
}

static int32_t top_index(const float *v, int32_t n, const unsigned char *taken) {
    int32_t best = -1;
    for (int32_t i = 0; i < n; i++)
        if (!taken[i] && (best < 0 || v[i] > v[best])) best = i;
    return best;
}

static void report(const char *label, const float *logits, int32_t n, const classify_opts *o,
                   const class_names *names) {
    float max = logits[0];
    for (int32_t i = 1; i < n; i++) max = logits[i] > max ? logits[i] : max;
    double sum = 0;
    for (int32_t i = 0; i < n; i++) sum += exp((double)logits[i] - max);
    unsigned char *taken = calloc((size_t)n, 1);
    int32_t k = o->top < n ? (int32_t)o->top : n;
    cJSON *root = o->json ? cJSON_CreateObject() : NULL, *top = NULL;
    if (root) {
        cJSON_AddStringToObject(root, "image", label);
        top = cJSON_AddArrayToObject(root, "top");
    } else {
        printf("%s\n", label);
    }
    for (int32_t j = 0; j < k && taken; j++) {
        int32_t i = top_index(logits, n, taken);
        taken[i] = 1;
        double prob = exp((double)logits[i] - max) / sum;
        const char *name = class_names_get(names, i);
        if (root) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "class", i);
            cJSON_AddItemToObject(e, "name", name ? cJSON_CreateString(name) : cJSON_CreateNull());
            cJSON_AddNumberToObject(e, "prob", prob);
            cJSON_AddNumberToObject(e, "logit", logits[i]);
            cJSON_AddItemToArray(top, e);
        } else {
            printf("  %5d  %6.2f%%  %-40s logit %.4f\n", i, 100.0 * prob, name ? name : "?",
                   logits[i]);
        }
    }
    if (root) {
        char *text = cJSON_PrintUnformatted(root);
        if (text) printf("%s\n", text);
        free(text);
        cJSON_Delete(root);
    }
    fflush(stdout);
    free(taken);
}

static int parse(int argc, char **argv, classify_opts *o, int *first_image) {
    *o = (classify_opts){.top = 5};
    int i = 1, n_images = 0;
    for (; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "--json")) {
            o->json = 1;
        } else if ((r = cli_flag(argc, argv, &i, "--model", &v))) {
            if (r < 0) return 0;
            o->model = v;
        } else if ((r = cli_flag(argc, argv, &i, "--classes", &v))) {
            if (r < 0) return 0;
            o->classes = v;
        } else if ((r = cli_flag(argc, argv, &i, "--config", &v))) {
            if (r < 0) return 0;
            o->config = v;
        } else if ((r = cli_flag(argc, argv, &i, "--input-tensor", &v))) {
            if (r < 0) return 0;
            o->tensor = v;
        } else if ((r = cli_flag(argc, argv, &i, "--top", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_int(v, 1, 1000000, &o->top)) {
                cli_error("classify", "--top '%s': expected a positive integer", v);
                return 0;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("classify", "unknown option '%s' (see --help)", argv[i]);
            return 0;
        } else {
            if (!n_images++) *first_image = i;
            argv[n_images - 1 + *first_image] = argv[i]; /* compact positionals */
        }
    }
    if (!o->model) cli_error("classify", "--model is required (see --help)");
    else if (!n_images && !o->tensor) cli_error("classify", "no images given (see --help)");
    else if (n_images && o->tensor) cli_error("classify", "give images or --input-tensor, not both");
    return o->model && (n_images > 0) != (o->tensor != NULL) ? n_images + 1 : 0;
}

int mo_cmd_classify(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    classify_opts o;
    int first = 0, parsed = parse(argc, argv, &o, &first);
    if (!parsed) return 2;
    int n_images = parsed - 1;

    mo_error err;
    mo_model_params params = mo_model_default_params();
    params.config_path = o.config;
    mo_model *model;
    if (mo_model_load(&model, o.model, &params, &err) != MO_OK) {
        cli_error("classify", "%s", err.message);
        return 1;
    }
    mo_model_info info;
    mo_model_config cfg = mo_model_get_config(model);
    int32_t h = cfg.input_size[0], w = cfg.input_size[1];
    int status = 0;
    if (mo_model_get_info(model, h, w, &info, &err) != MO_OK ||
        mo_model_plan(model, h, w, &err) != MO_OK) {
        cli_error("classify", "%s", err.message);
        mo_model_free(model);
        return 1;
    }
    class_names names;
    float *input = malloc(sizeof(float) * 3 * (size_t)h * w);
    float *logits = malloc(sizeof(float) * (size_t)info.num_classes);
    if (!input || !logits ||
        !class_names_pick(&names, o.classes, cfg.num_class_names, cfg.class_names,
                          info.num_classes, "classify")) {
        free(input), free(logits), mo_model_free(model);
        return 1;
    }
    if (o.tensor) {
        if (read_tensor(o.tensor, h, w, input) && mo_classify(model, input, logits, &err) == MO_OK)
            report(o.tensor, logits, info.num_classes, &o, &names);
        else
            status = 1;
    }
    for (int j = 0; j < n_images; j++) {
        const char *path = argv[first + j];
        mo_image img;
        mo_status s = mo_image_read(&img, path, &err);
        if (s == MO_OK) {
            if (h != w) {
                s = err.status = MO_ERR_UNSUPPORTED;
                snprintf(err.message, sizeof err.message,
                         "%s: image preprocessing needs a square input size, the config has %dx%d",
                         path, w, h);
            } else {
                s = mo_preprocess_classify(&img, h, cfg.crop_pct, cfg.mean, cfg.std, input, &err);
            }
            mo_image_free(&img);
        }
        if (s == MO_OK) s = mo_classify(model, input, logits, &err);
        if (s == MO_OK) {
            report(path, logits, info.num_classes, &o, &names);
        } else {
            cli_error("classify", "%s", err.message);
            status = 1;
        }
    }
    class_names_free(&names);
    free(input);
    free(logits);
    mo_model_free(model);
    return status;
}
