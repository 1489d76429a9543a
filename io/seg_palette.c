/* seg_palette.c - VOC and ADE20K palettes, palette files, color overlays. */
#include "seg_palette.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void mo_palette_voc(mo_palette *p) {
    /* The VOC devkit's labelcolormap: bit k of the index's 3k, 3k+1, 3k+2 bits go to bit 7 - k of
     * R, G, B. */
    p->count = 256;
    for (int i = 0; i < 256; i++) {
        int r = 0, g = 0, b = 0, c = i;
        for (int k = 0; k < 8; k++, c >>= 3) {
            r |= ((c >> 0) & 1) << (7 - k);
            g |= ((c >> 1) & 1) << (7 - k);
            b |= ((c >> 2) & 1) << (7 - k);
        }
        p->rgb[i][0] = (uint8_t)r;
        p->rgb[i][1] = (uint8_t)g;
        p->rgb[i][2] = (uint8_t)b;
    }
}

/* mmsegmentation ADE20KDataset.METAINFO['palette'], in class order. */
static const uint8_t ade20k[150][3] = {
    {120, 120, 120}, {180, 120, 120}, {6, 230, 230},   {80, 50, 50},    {4, 200, 3},
    {120, 120, 80},  {140, 140, 140}, {204, 5, 255},   {230, 230, 230}, {4, 250, 7},
    {224, 5, 255},   {235, 255, 7},   {150, 5, 61},    {120, 120, 70},  {8, 255, 51},
    {255, 6, 82},    {143, 255, 140}, {204, 255, 4},   {255, 51, 7},    {204, 70, 3},
    {0, 102, 200},   {61, 230, 250},  {255, 6, 51},    {11, 102, 255},  {255, 7, 71},
    {255, 9, 224},   {9, 7, 230},     {220, 220, 220}, {255, 9, 92},    {112, 9, 255},
    {8, 255, 214},   {7, 255, 224},   {255, 184, 6},   {10, 255, 71},   {255, 41, 10},
    {7, 255, 255},   {224, 255, 8},   {102, 8, 255},   {255, 61, 6},    {255, 194, 7},
    {255, 122, 8},   {0, 255, 20},    {255, 8, 41},    {255, 5, 153},   {6, 51, 255},
    {235, 12, 255},  {160, 150, 20},  {0, 163, 255},   {140, 140, 140}, {250, 10, 15},
    {20, 255, 0},    {31, 255, 0},    {255, 31, 0},    {255, 224, 0},   {153, 255, 0},
    {0, 0, 255},     {255, 71, 0},    {0, 235, 255},   {0, 173, 255},   {31, 0, 255},
    {11, 200, 200},  {255, 82, 0},    {0, 255, 245},   {0, 61, 255},    {0, 255, 112},
    {0, 255, 133},   {255, 0, 0},     {255, 163, 0},   {255, 102, 0},   {194, 255, 0},
    {0, 143, 255},   {51, 255, 0},    {0, 82, 255},    {0, 255, 41},    {0, 255, 173},
    {10, 0, 255},    {173, 255, 0},   {0, 255, 153},   {255, 92, 0},    {255, 0, 255},
    {255, 0, 245},   {255, 0, 102},   {255, 173, 0},   {255, 0, 20},    {255, 184, 184},
    {0, 31, 255},    {0, 255, 61},    {0, 71, 255},    {255, 0, 204},   {0, 255, 194},
    {0, 255, 82},    {0, 10, 255},    {0, 112, 255},   {51, 0, 255},    {0, 194, 255},
    {0, 122, 255},   {0, 255, 163},   {255, 153, 0},   {0, 255, 10},    {255, 112, 0},
    {143, 255, 0},   {82, 0, 255},    {163, 255, 0},   {255, 235, 0},   {8, 184, 170},
    {133, 0, 255},   {0, 255, 92},    {184, 0, 255},   {255, 0, 31},    {0, 184, 255},
    {0, 214, 255},   {255, 0, 112},   {92, 255, 0},    {0, 224, 255},   {112, 224, 255},
    {70, 184, 160},  {163, 0, 255},   {153, 0, 255},   {71, 255, 0},    {255, 0, 163},
    {255, 204, 0},   {255, 0, 143},   {0, 255, 235},   {133, 255, 0},   {255, 0, 235},
    {245, 0, 255},   {255, 0, 122},   {255, 245, 0},   {10, 190, 212},  {214, 255, 0},
    {0, 204, 255},   {20, 0, 255},    {255, 255, 0},   {0, 153, 255},   {0, 41, 255},
    {0, 255, 204},   {41, 0, 255},    {41, 255, 0},    {173, 0, 255},   {0, 245, 255},
    {71, 0, 255},    {122, 0, 255},   {0, 255, 184},   {0, 92, 255},    {184, 255, 0},
    {0, 133, 255},   {255, 214, 0},   {25, 194, 194},  {102, 255, 0},   {92, 0, 255},
};

void mo_palette_ade20k(mo_palette *p) {
    p->count = 150;
    memcpy(p->rgb, ade20k, sizeof ade20k);
    for (int i = 150; i < 256; i++) memcpy(p->rgb[i], ade20k[i % 150], 3);
}

static mo_status load_file(mo_palette *p, const char *path, mo_error *err) {
    FILE *f = fopen(path, "r");
    if (!f)
        return mo_error_set(err, MO_ERR_IO, "%s: cannot open palette: %s", path,
                            strerror(errno));
    char line[256];
    int lineno = 0;
    p->count = 0;
    mo_status s = MO_OK;
    while (s == MO_OK && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        for (char *c = line; *c; c++)
            if (*c == ',') *c = ' ';
        int rgb[3], used = 0;
        char extra;
        int n = sscanf(line, "%d %d %d %n%c", &rgb[0], &rgb[1], &rgb[2], &used, &extra);
        if (n <= 0) continue; /* blank or comment */
        if (n != 3 || rgb[0] < 0 || rgb[0] > 255 || rgb[1] < 0 || rgb[1] > 255 || rgb[2] < 0 ||
            rgb[2] > 255)
            s = mo_error_set(err, MO_ERR_FORMAT, "%s:%d: expected 'R G B' with values 0..255",
                             path, lineno);
        else if (p->count == 256)
            s = mo_error_set(err, MO_ERR_FORMAT, "%s:%d: more than 256 colors", path, lineno);
        else
            for (int k = 0; k < 3; k++) p->rgb[p->count][k] = (uint8_t)rgb[k];
        if (s == MO_OK) p->count++;
    }
    fclose(f);
    if (s == MO_OK && p->count == 0)
        s = mo_error_set(err, MO_ERR_FORMAT, "%s: the palette has no colors", path);
    for (int i = p->count; s == MO_OK && i < 256; i++) memcpy(p->rgb[i], p->rgb[i % p->count], 3);
    return s;
}

mo_status mo_palette_load(mo_palette *p, const char *spec, int32_t num_classes, mo_error *err) {
    if (!spec || !spec[0]) spec = num_classes == 150 ? "ade20k" : "voc";
    if (!strcmp(spec, "voc")) mo_palette_voc(p);
    else if (!strcmp(spec, "ade20k")) mo_palette_ade20k(p);
    else return load_file(p, spec, err);
    return MO_OK;
}

void mo_overlay(uint8_t *out, const uint8_t *rgb, const uint8_t *labels, int64_t n,
                const mo_palette *p, float opacity) {
    const float a = opacity < 0 ? 0 : opacity > 1 ? 1 : opacity;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *color = p->rgb[labels[i]];
        for (int k = 0; k < 3; k++)
            out[i * 3 + k] = (uint8_t)lrintf((1 - a) * rgb[i * 3 + k] + a * color[k]);
    }
}
