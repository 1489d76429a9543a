/* model_builder.c - synthetic MobileOne files with Apple's names, written by hand. */
#include "model_builder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char name[256];
    int32_t ndim;
    int64_t shape[4];
    int bn_var; /* a running_var: positive values */
} entry;

typedef struct builder {
    entry *e;
    int32_t n, cap;
} builder;

static void add(builder *b, const char *name, int32_t ndim, int64_t d0, int64_t d1, int64_t d2,
                int64_t d3) {
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->e = realloc(b->e, sizeof *b->e * (size_t)b->cap);
    }
    entry *e = &b->e[b->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->ndim = ndim;
    int64_t d[4] = {d0, d1, d2, d3};
    memcpy(e->shape, d, sizeof d);
    e->bn_var = strstr(name, "running_var") != NULL;
}

static void add_bn(builder *b, const char *prefix, int64_t c) {
    static const char *parts[] = {"weight", "bias", "running_mean", "running_var"};
    char name[224];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s.%s", prefix, parts[i]);
        add(b, name, 1, c, 0, 0, 0);
    }
}

static void add_block(builder *b, const model_spec *s, const char *block, int32_t cin,
                      int32_t cout, int32_t kernel, int32_t stride, int32_t groups, int se) {
    char name[160];
    if (s->k == 0) {
        snprintf(name, sizeof name, "%s.reparam_conv.weight", block);
        add(b, name, 4, cout, cin / groups, kernel, kernel);
        snprintf(name, sizeof name, "%s.reparam_conv.bias", block);
        add(b, name, 1, cout, 0, 0, 0);
    } else {
        int32_t k = !strcmp(block, "stage0") ? 1 : s->k;
        for (int32_t i = 0; i < k; i++) {
            snprintf(name, sizeof name, "%s.rbr_conv.%d.conv.weight", block, i);
            add(b, name, 4, cout, cin / groups, kernel, kernel);
            snprintf(name, sizeof name, "%s.rbr_conv.%d.bn", block, i);
            add_bn(b, name, cout);
        }
        if (kernel > 1) {
            snprintf(name, sizeof name, "%s.rbr_scale.conv.weight", block);
            add(b, name, 4, cout, cin / groups, 1, 1);
            snprintf(name, sizeof name, "%s.rbr_scale.bn", block);
            add_bn(b, name, cout);
        }
        if (cin == cout && stride == 1) {
            snprintf(name, sizeof name, "%s.rbr_skip", block);
            add_bn(b, name, cin);
        }
    }
    if (se) {
        int64_t rd = (int64_t)(cout * 0.0625);
        snprintf(name, sizeof name, "%s.se.reduce.weight", block);
        add(b, name, 4, rd, cout, 1, 1);
        snprintf(name, sizeof name, "%s.se.reduce.bias", block);
        add(b, name, 1, rd, 0, 0, 0);
        snprintf(name, sizeof name, "%s.se.expand.weight", block);
        add(b, name, 4, cout, rd, 1, 1);
        snprintf(name, sizeof name, "%s.se.expand.bias", block);
        add(b, name, 1, cout, 0, 0, 0);
    }
}

model_spec model_spec_variant(int index, int32_t k) {
    static const int32_t widths[5][5] = {{48, 48, 128, 256, 1024}, {64, 96, 192, 512, 1280},
                                         {64, 96, 256, 640, 2048}, {64, 128, 320, 768, 2048},
                                         {64, 192, 448, 896, 2048}};
    model_spec s = {.blocks = {2, 8, 10, 1}, .k = k, .se = index == 4, .num_classes = 1000,
                    .seed = 1};
    memcpy(s.widths, widths[index], sizeof s.widths);
    return s;
}

static uint32_t next(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

static float uniform(uint32_t *state) { /* in [-1, 1) */
    return (float)next(state) / (float)(1u << 23) - 1.0f;
}

static int write_file(const char *path, const builder *b, const model_spec *s) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t cap = 1 << 16, len = 0, offset = 0;
    char *h = malloc(cap);
    len += (size_t)snprintf(h + len, cap - len, "{");
    if (s->config) {
        len += (size_t)snprintf(h + len, cap - len, "\"__metadata__\":{\"mobileone.config\":\"");
        for (const char *c = s->config; *c; c++) {
            if (len + 8 > cap) h = realloc(h, cap *= 2);
            if (*c == '"' || *c == '\\') h[len++] = '\\';
            h[len++] = *c;
        }
        len += (size_t)snprintf(h + len, cap - len, "\"}%s", b->n ? "," : "");
    }
    for (int32_t i = 0; i < b->n; i++) {
        const entry *e = &b->e[i];
        if (len + 512 > cap) h = realloc(h, cap *= 2);
        int i64 = s->bad_dtype && !strcmp(e->name, s->bad_dtype);
        int64_t numel = 1;
        len += (size_t)snprintf(h + len, cap - len, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[",
                                i ? "," : "", e->name, i64 ? "I64" : "F32");
        for (int32_t d = 0; d < e->ndim; d++) {
            numel *= e->shape[d];
            len += (size_t)snprintf(h + len, cap - len, d ? ",%lld" : "%lld",
                                    (long long)e->shape[d]);
        }
        size_t bytes = (size_t)numel * (i64 ? 8 : 4);
        len += (size_t)snprintf(h + len, cap - len, "],\"data_offsets\":[%zu,%zu]}", offset,
                                offset + bytes);
        offset += bytes;
    }
    len += (size_t)snprintf(h + len, cap - len, "}");
    unsigned char n8[8];
    for (int i = 0; i < 8; i++) n8[i] = (unsigned char)((uint64_t)len >> (8 * i));
    fwrite(n8, 1, 8, f);
    fwrite(h, 1, len, f);
    free(h);
    uint32_t state = s->seed;
    for (int32_t i = 0; i < b->n; i++) {
        const entry *e = &b->e[i];
        int64_t numel = 1;
        for (int32_t d = 0; d < e->ndim; d++) numel *= e->shape[d];
        int i64 = s->bad_dtype && !strcmp(e->name, s->bad_dtype);
        /* He-uniform conv weights keep activations in a sane range through deep stacks. */
        float scale = 1.0f;
        if (e->ndim == 4) scale = sqrtf(6.0f / (float)(e->shape[1] * e->shape[2] * e->shape[3]));
        for (int64_t j = 0; j < numel; j++) {
            if (i64) {
                int64_t zero = 0;
                fwrite(&zero, 8, 1, f);
                continue;
            }
            float v = uniform(&state);
            if (e->ndim == 4) v *= scale;
            if (e->bn_var) v = 1.0f + 0.5f * v;
            else if (strstr(e->name, "bn.weight") || strstr(e->name, "rbr_skip.weight"))
                v = 1.0f + 0.3f * v;
            else if (e->ndim == 1) v *= 0.1f;
            fwrite(&v, 4, 1, f);
        }
    }
    return fclose(f) == 0 ? 0 : -1;
}

int model_build(const char *path, const model_spec *s) {
    builder b = {0};
    add_block(&b, s, "stage0", 3, s->widths[0], 3, 2, 1, 0);
    char block[32];
    for (int32_t st = 1; st <= 4; st++)
        for (int32_t i = 0; i < s->blocks[st - 1]; i++) {
            int32_t cin = i == 0 ? s->widths[st - 1] : s->widths[st];
            int se = s->se && ((st == 3 && i >= s->blocks[2] - s->blocks[2] / 2) || st == 4);
            snprintf(block, sizeof block, "stage%d.%d", st, 2 * i);
            add_block(&b, s, block, cin, cin, 3, i == 0 ? 2 : 1, cin, se);
            snprintf(block, sizeof block, "stage%d.%d", st, 2 * i + 1);
            add_block(&b, s, block, cin, s->widths[st], 1, 1, 1, se);
        }
    add(&b, "linear.weight", 2, s->num_classes, s->widths[4], 0, 0);
    add(&b, "linear.bias", 1, s->num_classes, 0, 0, 0);
    if (s->extra) add(&b, s->extra, 1, 1, 0, 0, 0);
    for (int32_t i = 0; i < b.n; i++) {
        if (s->drop && !strcmp(b.e[i].name, s->drop)) b.e[i--] = b.e[--b.n];
        else if (s->bad_shape && !strcmp(b.e[i].name, s->bad_shape)) b.e[i].shape[0]++;
    }
    int r = write_file(path, &b, s);
    free(b.e);
    return r;
}
