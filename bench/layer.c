/* layer.c - times one depthwise 3x3 + pointwise 1x1 pair through the engine's own fused op, on
 * its own: a layer's figure without the rest of the network moving it. Copies of the weights
 * are used in turn, so that with enough of them (more than the last-level cache holds) they
 * stream from memory as a large network's do; one copy keeps them in the cache.
 *
 * usage: mo_bench_layer SIZE CIN COUT [--stride S] [--copies N] [--threads T] [--rounds R]
 * Prints the best, over R rounds, of the mean time per layer over the N copies, and GFLOP/s
 * (2 x MACs of both convolutions); exits 77 on a CPU without AVX-512, which has no fused op.
 * Built with the project (target mo_bench_layer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "kernels/conv_op.h"
#include "profile.h"
#include "threadpool.h"

#define MAX_COPIES 64

typedef struct layer {
    mo_conv_op dw, pw;
    float *weights; /* dw weights, dw bias, pw weights, pw bias, one allocation */
} layer;

static int usage(void) {
    fprintf(stderr,
            "usage: mo_bench_layer SIZE CIN COUT [--stride 1|2] [--copies N (1-%d)] "
            "[--threads T] [--rounds R]\n",
            MAX_COPIES);
    return 2;
}

static int init_layer(layer *l, int cin, int cout, int stride, mo_error *err) {
    const size_t n = (size_t)cin * 9 + cin + (size_t)cin * cout + cout;
    l->weights = malloc(sizeof(float) * n);
    if (!l->weights) return 0;
    for (size_t i = 0; i < n; i++)
        l->weights[i] = 1e-3f * (float)(i % 17) - 8e-3f;
    float *dw_w = l->weights, *dw_b = dw_w + (size_t)cin * 9, *pw_w = dw_b + cin;
    float *pw_b = pw_w + (size_t)cin * cout;
    mo_conv_geom dw = {.cin = cin,
                       .cout = cin,
                       .kernel = 3,
                       .stride = stride,
                       .pad = 1,
                       .dilation = 1,
                       .groups = cin};
    mo_conv_geom pw = {
        .cin = cin, .cout = cout, .kernel = 1, .stride = 1, .pad = 0, .dilation = 1, .groups = 1};
    return mo_conv_op_init(&l->dw, &dw, dw_w, dw_b, MO_ACT_RELU, MO_KERNEL_AUTO, err) == MO_OK &&
           mo_conv_op_init(&l->pw, &pw, pw_w, pw_b, MO_ACT_RELU, MO_KERNEL_AUTO, err) == MO_OK;
}

int main(int argc, char **argv) {
    long size, cin, cout, stride = 1, copies = 1, threads = 1, rounds = 30;
    const struct {
        const char *name;
        long *value, max;
    } options[] = {{"--stride", &stride, 2},
                   {"--copies", &copies, MAX_COPIES},
                   {"--threads", &threads, 1024},
                   {"--rounds", &rounds, 100000}};
    if (argc < 4 || !cli_parse_int(argv[1], 1, 4096, &size) ||
        !cli_parse_int(argv[2], 1, 65536, &cin) || !cli_parse_int(argv[3], 1, 65536, &cout))
        return usage();
    for (int i = 4; i < argc; i += 2) {
        size_t k = 0;
        while (k < sizeof options / sizeof options[0] && strcmp(argv[i], options[k].name))
            k++;
        if (k == sizeof options / sizeof options[0] || i + 1 >= argc ||
            !cli_parse_int(argv[i + 1], 1, options[k].max, options[k].value))
            return usage();
    }
    mo_error err = {0};
    mo_threadpool *pool;
    if (mo_threadpool_create(&pool, (int32_t)threads, &err) != MO_OK) {
        fprintf(stderr, "mo_bench_layer: %s\n", err.message);
        return 1;
    }
    static layer layers[MAX_COPIES];
    for (int l = 0; l < copies; l++)
        if (!init_layer(&layers[l], (int)cin, (int)cout, (int)stride, &err)) {
            fprintf(stderr, "mo_bench_layer: %s\n", err.message[0] ? err.message : "out of memory");
            return 1;
        }
    if (!mo_conv_op_can_fuse(&layers[0].dw, &layers[0].pw)) {
        fprintf(stderr, "mo_bench_layer: this CPU has no fused depthwise-pointwise kernel "
                        "(AVX-512)\n");
        return 77; /* what ctest takes as skipped */
    }
    int32_t out_h, out_w;
    mo_conv_op_out_size(&layers[0].dw, (int32_t)size, (int32_t)size, &out_h, &out_w);
    const size_t in_n = (size_t)size * size * cin, out_n = (size_t)out_h * out_w * cout;
    float *in = malloc(sizeof(float) * in_n), *out = malloc(sizeof(float) * out_n);
    if (!in || !out) {
        fprintf(stderr, "mo_bench_layer: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < in_n; i++)
        in[i] = 1e-2f * (float)(i % 13);
    double best = 1e30;
    for (int r = 0; r < rounds; r++) {
        const double t0 = mo_seconds_now();
        for (int l = 0; l < copies; l++)
            mo_conv_op_run_fused(&layers[l].dw, &layers[l].pw, out, in, (int32_t)size,
                                 (int32_t)size, pool);
        const double t = (mo_seconds_now() - t0) / copies;
        if (t < best) best = t;
    }
    const double flops = 2.0 * out_h * out_w * cin * (9.0 + cout);
    printf(
        "%ldx%ld -> %dx%d, %ld -> %ld channels, %ld cop%s, %ld thread%s: %.4f ms  %.1f GFLOP/s\n",
        size, size, out_h, out_w, cin, cout, copies, copies == 1 ? "y" : "ies", threads,
        threads == 1 ? "" : "s", best * 1e3, flops / best / 1e9);
    for (int l = 0; l < copies; l++) {
        mo_conv_op_free(&layers[l].dw);
        mo_conv_op_free(&layers[l].pw);
        free(layers[l].weights);
    }
    free(in);
    free(out);
    mo_threadpool_free(pool);
    return 0;
}
