/* cmd_bench.c - `mobileone bench`: network latency (min / median / max) and GFLOP/s. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "mobileone.h"

static const char usage[] =
    "usage: mobileone bench --model M [--size HxW] [--threads 1,2] [--runs N] [--warmup N]\n"
    "                       [--profile] [--json]\n"
    "\n"
    "Times the network alone (no decoding, no postprocessing, one pass: a segmenter's\n"
    "test-time flipping, which doubles `segment`'s time, and a detector's test-time\n"
    "augmentation (up to 8 passes) and zoomed pass are left out) on a fixed random input at\n"
    "the model's input size (or --size), for each thread count. Prints min / median / max in\n"
    "ms and GFLOP/s (2 x MACs / median). --profile adds the time per layer kind (with AVX-512 the\n"
    "stem runs inside the first dw+pw layer and is counted there), then per backbone layer as\n"
    "it runs (a fused group is one layer; a block's SE counts with it). --json prints one\n"
    "object per configuration: {\"model\",\"size\",\"threads\",\"runs\",\"min_ms\",\"median_ms\",\n"
    "\"max_ms\",\"gflops\"}.\n";

/* Time per layer kind, then per backbone layer as it runs, per run. */
static void print_profile(const mo_model *m, long runs, FILE *f) {
    mo_model_profile p;
    mo_model_get_profile(m, &p);
    double total = 0;
    for (int k = 0; k < p.count; k++) total += p.seconds[k];
    for (int k = 0; k < p.count; k++)
        fprintf(f, "    %-10s %8.3f ms/run  %5.1f %%\n", p.names[k], 1e3 * p.seconds[k] / runs,
                total > 0 ? 100 * p.seconds[k] / total : 0.0);
    mo_model_layer_profile layers[256];
    const int32_t n = mo_model_get_layer_profile(m, layers, 256);
    fprintf(f, "    %-28s %-9s %8s %8s\n", "layer", "kind", "ms/run", "GFLOP/s");
    for (int32_t i = 0; i < n && i < 256; i++) {
        const double s = layers[i].seconds / runs;
        fprintf(f, "    %-28s %-9s %8.3f %8.1f\n", layers[i].name, layers[i].kind, 1e3 * s,
                s > 0 ? 2.0 * (double)layers[i].macs / s * 1e-9 : 0.0);
    }
}

typedef struct bench_opts {
    const char *model;
    int32_t w, h;
    int32_t threads[16];
    int32_t num_threads;
    long runs, warmup;
    int json, profile;
} bench_opts;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e3 * (double)t.tv_sec + 1e-6 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int parse_threads(const char *s, bench_opts *o) {
    char buf[128];
    if (strlen(s) >= sizeof buf) return 0;
    strcpy(buf, s);
    o->num_threads = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        long t;
        if (o->num_threads == 16 || !cli_parse_int(tok, 1, 1024, &t)) return 0;
        o->threads[o->num_threads++] = (int32_t)t;
    }
    return o->num_threads > 0;
}

static int parse(int argc, char **argv, bench_opts *o) {
    *o = (bench_opts){.threads = {1}, .num_threads = 1, .runs = 50, .warmup = 5};
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "--json")) o->json = 1;
        else if (!strcmp(argv[i], "--profile")) o->profile = 1;
        else if ((r = cli_flag(argc, argv, &i, "--model", &v))) {
            if (r < 0) return 0;
            o->model = v;
        } else if ((r = cli_flag(argc, argv, &i, "--size", &v))) {
            if (r < 0 || !cli_parse_size(v, &o->w, &o->h)) {
                cli_error("bench", "--size: expected WxH or one number");
                return 0;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--threads", &v))) {
            if (r < 0 || !parse_threads(v, o)) {
                cli_error("bench", "--threads: expected a list such as 1,2");
                return 0;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--runs", &v))) {
            if (r < 0 || !cli_parse_int(v, 1, 1000000, &o->runs)) {
                cli_error("bench", "--runs: expected a positive integer");
                return 0;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--warmup", &v))) {
            if (r < 0 || !cli_parse_int(v, 0, 1000000, &o->warmup)) {
                cli_error("bench", "--warmup: expected a non-negative integer");
                return 0;
            }
        } else {
            cli_error("bench", "unknown argument '%s' (see --help)", argv[i]);
            return 0;
        }
    }
    if (!o->model) cli_error("bench", "--model is required (see --help)");
    return o->model != NULL;
}

/* One configuration: load with `threads`, plan, warm up, time. Returns 0 on failure. */
static int bench_one(const bench_opts *o, int32_t threads) {
    mo_error err;
    mo_model_params params = mo_model_default_params();
    params.threads = threads;
    mo_model *m;
    if (mo_model_load(&m, o->model, &params, &err) != MO_OK) {
        cli_error("bench", "%s", err.message);
        return 0;
    }
    mo_model_config cfg = mo_model_get_config(m);
    int32_t h = o->h ? o->h : cfg.input_size[0], w = o->w ? o->w : cfg.input_size[1];
    mo_model_info info;
    float *input = malloc(sizeof(float) * 3 * (size_t)h * w);
    double *ms = malloc(sizeof(double) * (size_t)o->runs);
    int ok = input && ms && mo_model_get_info(m, h, w, &info, &err) == MO_OK &&
             mo_model_plan(m, h, w, &err) == MO_OK;
    for (int64_t i = 0; ok && i < 3 * (int64_t)h * w; i++) input[i] = sinf((float)i * 0.1f);
    for (long i = 0; ok && i < o->warmup; i++) ok = mo_model_forward(m, input, &err) == MO_OK;
    if (ok && o->profile) mo_model_set_profiling(m, 1);
    for (long i = 0; ok && i < o->runs; i++) {
        double t0 = now_ms();
        ok = mo_model_forward(m, input, &err) == MO_OK;
        ms[i] = now_ms() - t0;
    }
    if (!ok) {
        cli_error("bench", "%s", err.message);
    } else {
        qsort(ms, (size_t)o->runs, sizeof *ms, by_value);
        double median = o->runs % 2 ? ms[o->runs / 2] : 0.5 * (ms[o->runs / 2 - 1] + ms[o->runs / 2]);
        double gflops = 2.0 * (double)info.macs / (median * 1e6);
        if (o->json) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "model", o->model);
            const int size[2] = {h, w};
            cJSON_AddItemToObject(r, "size", cJSON_CreateIntArray(size, 2));
            cJSON_AddNumberToObject(r, "threads", threads);
            cJSON_AddNumberToObject(r, "runs", (double)o->runs);
            cJSON_AddNumberToObject(r, "min_ms", ms[0]);
            cJSON_AddNumberToObject(r, "median_ms", median);
            cJSON_AddNumberToObject(r, "max_ms", ms[o->runs - 1]);
            cJSON_AddNumberToObject(r, "gflops", gflops);
            char *text = cJSON_PrintUnformatted(r);
            printf("%s\n", text);
            free(text);
            cJSON_Delete(r);
        } else {
            printf("%-10s %4dx%-4d threads %2d  min %8.3f  median %8.3f  max %8.3f ms  %7.1f "
                   "GFLOP/s\n", info.variant, w, h, threads, ms[0], median, ms[o->runs - 1],
                   gflops);
        }
        if (o->profile) print_profile(m, o->runs, o->json ? stderr : stdout);
        fflush(stdout);
    }
    free(input);
    free(ms);
    mo_model_free(m);
    return ok;
}

int mo_cmd_bench(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    bench_opts o;
    if (!parse(argc, argv, &o)) return 2;
    for (int32_t i = 0; i < o.num_threads; i++)
        if (!bench_one(&o, o.threads[i])) return 1;
    return 0;
}
