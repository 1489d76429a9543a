/* miou.c - the confusion-count accumulator and mmseg's metrics (see miou.h).
 *
 * 8-bit pairs (palette / grey PNGs) go through a 256x256 count matrix per image: one increment
 * per pixel, then the matrix is folded into the per-class I, P, L of that image (skipping the
 * ignored GT row), which are added to the data-set totals (int64 and, for the float32 flavour,
 * float32 as mmseg 1.x sums its float32 histograms). 16-bit maps take a direct per-pixel path. */
#include "miou.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "np_sum.h"

struct mo_miou {
    mo_miou_params p;
    int64_t num_images;
    int64_t *I, *P, *L;             /* [C] exact totals */
    float *I32, *U32, *P32, *L32;   /* [C] float32 running sums (mmseg 1.x) */
    int64_t *img_i, *img_p, *img_l; /* [C] one image's counts */
    uint32_t *conf;                 /* [256*256] one image's (gt, pred) counts */
    uint8_t lut[256];               /* GT value -> value compared with ignore_index / classes */
};

mo_miou_params mo_miou_default_params(int32_t num_classes) {
    mo_miou_params p = {num_classes, 255, 0};
    return p;
}

void mo_miou_free(mo_miou *m) {
    if (!m) return;
    free(m->I);
    free(m->P);
    free(m->L);
    free(m->I32);
    free(m->U32);
    free(m->P32);
    free(m->L32);
    free(m->img_i);
    free(m->img_p);
    free(m->img_l);
    free(m->conf);
    free(m);
}

/* reduce_zero_label on uint8: 0 -> 255, v -> v - 1, and 254 (from 255) -> 255. */
static int reduce_u8(int v) {
    v &= 0xff;
    int r = v == 0 ? 255 : v - 1;
    return r == 254 ? 255 : r;
}

mo_status mo_miou_create(mo_miou **out, const mo_miou_params *params, mo_error *err) {
    *out = NULL;
    if (!params || params->num_classes < 1 || params->num_classes > 65536)
        return mo_error_set(err, MO_ERR_ARGUMENT, "miou: the number of classes must be 1..65536");
    mo_miou *m = calloc(1, sizeof *m);
    if (!m) return mo_error_set(err, MO_ERR_MEMORY, "miou: out of memory");
    m->p = *params;
    size_t C = (size_t)params->num_classes;
    m->I = calloc(C, sizeof(int64_t));
    m->P = calloc(C, sizeof(int64_t));
    m->L = calloc(C, sizeof(int64_t));
    m->I32 = calloc(C, sizeof(float));
    m->U32 = calloc(C, sizeof(float));
    m->P32 = calloc(C, sizeof(float));
    m->L32 = calloc(C, sizeof(float));
    m->img_i = calloc(C, sizeof(int64_t));
    m->img_p = calloc(C, sizeof(int64_t));
    m->img_l = calloc(C, sizeof(int64_t));
    m->conf = calloc(256 * 256, sizeof(uint32_t));
    if (!m->I || !m->P || !m->L || !m->I32 || !m->U32 || !m->P32 || !m->L32 || !m->img_i ||
        !m->img_p || !m->img_l || !m->conf) {
        mo_miou_free(m);
        return mo_error_set(err, MO_ERR_MEMORY, "miou: out of memory");
    }
    for (int v = 0; v < 256; v++)
        m->lut[v] = (uint8_t)(params->reduce_zero_label ? reduce_u8(v) : v);
    *out = m;
    return MO_OK;
}

int64_t mo_miou_num_images(const mo_miou *m) {
    return m->num_images;
}

/* Adds the counts of one image (img_i/p/l) to the totals and clears them. */
static void finish_image(mo_miou *m) {
    size_t C = (size_t)m->p.num_classes;
    for (size_t c = 0; c < C; c++) {
        int64_t i = m->img_i[c], p = m->img_p[c], l = m->img_l[c];
        m->I[c] += i;
        m->P[c] += p;
        m->L[c] += l;
        m->I32[c] = m->I32[c] + (float)i;
        m->U32[c] = m->U32[c] + (float)(p + l - i);
        m->P32[c] = m->P32[c] + (float)p;
        m->L32[c] = m->L32[c] + (float)l;
        m->img_i[c] = m->img_p[c] = m->img_l[c] = 0;
    }
    m->num_images++;
}

void mo_miou_add_u8(mo_miou *m, const uint8_t *gt, const uint8_t *pred, size_t n) {
    uint32_t *conf = m->conf;
    const uint8_t *lut = m->lut;
    for (size_t i = 0; i < n; i++)
        conf[((uint32_t)lut[gt[i]] << 8) | pred[i]]++;
    const int32_t C = m->p.num_classes, ign = m->p.ignore_index;
    const int32_t cmax = C < 256 ? C : 256;
    for (int32_t g = 0; g < 256; g++) {
        uint32_t *row = conf + ((size_t)g << 8);
        if (g == ign) {
            memset(row, 0, 256 * sizeof *row);
            continue;
        }
        uint64_t label = 0;
        for (int32_t p = 0; p < 256; p++) {
            uint32_t v = row[p];
            if (!v) continue;
            label += v;
            if (p < cmax) m->img_p[p] += v;
            row[p] = 0;
            if (p == g && g < C) m->img_i[g] += v;
        }
        if (g < C) m->img_l[g] += (int64_t)label;
    }
    finish_image(m);
}

mo_status mo_miou_add(mo_miou *m, const mo_label_map *gt, const mo_label_map *pred,
                      const char *name, mo_error *err) {
    if (!name) name = "image";
    if (gt->width != pred->width || gt->height != pred->height)
        return mo_error_set(err, MO_ERR_SHAPE,
                            "%s: ground truth is %dx%d but the prediction is %dx%d", name,
                            gt->width, gt->height, pred->width, pred->height);
    size_t n = (size_t)gt->width * (size_t)gt->height;
    if (gt->bits == 8 && pred->bits == 8) {
        mo_miou_add_u8(m, gt->data8, pred->data8, n);
        return MO_OK;
    }
    const int64_t C = m->p.num_classes, ign = m->p.ignore_index;
    for (size_t i = 0; i < n; i++) {
        int64_t g = gt->bits == 8 ? gt->data8[i] : gt->data16[i];
        int64_t p = pred->bits == 8 ? pred->data8[i] : pred->data16[i];
        if (m->p.reduce_zero_label) g = reduce_u8((int)g);
        if (g == ign) continue;
        if (p < C) m->img_p[p]++;
        if (g < C) {
            m->img_l[g]++;
            if (p == g) m->img_i[g]++;
        }
    }
    finish_image(m);
    return MO_OK;
}

void mo_miou_result_free(mo_miou_result *r) {
    if (!r) return;
    free(r->iou);
    free(r->acc);
    free(r->area_intersect);
    free(r->area_union);
    free(r->area_pred);
    free(r->area_label);
    memset(r, 0, sizeof *r);
}

mo_status mo_miou_compute(const mo_miou *m, int float32, mo_miou_result *out, mo_error *err) {
    memset(out, 0, sizeof *out);
    size_t C = (size_t)m->p.num_classes;
    out->num_classes = m->p.num_classes;
    out->num_images = m->num_images;
    out->float32 = float32 != 0;
    out->iou = malloc(C * sizeof(double));
    out->acc = malloc(C * sizeof(double));
    out->area_intersect = malloc(C * sizeof(int64_t));
    out->area_union = malloc(C * sizeof(int64_t));
    out->area_pred = malloc(C * sizeof(int64_t));
    out->area_label = malloc(C * sizeof(int64_t));
    double *a = malloc(2 * C * sizeof(double));
    float *f = malloc(4 * C * sizeof(float));
    if (!out->iou || !out->acc || !out->area_intersect || !out->area_union || !out->area_pred ||
        !out->area_label || !a || !f) {
        free(a);
        free(f);
        mo_miou_result_free(out);
        return mo_error_set(err, MO_ERR_MEMORY, "miou: out of memory");
    }
    for (size_t c = 0; c < C; c++) {
        out->area_intersect[c] = m->I[c];
        out->area_union[c] = m->P[c] + m->L[c] - m->I[c];
        out->area_pred[c] = m->P[c];
        out->area_label[c] = m->L[c];
    }
    if (!float32) {
        double *I = a, *L = a + C;
        for (size_t c = 0; c < C; c++) {
            I[c] = (double)m->I[c];
            L[c] = (double)m->L[c];
            out->iou[c] = I[c] / (double)out->area_union[c]; /* 0/0 -> NaN */
            out->acc[c] = I[c] / L[c];
        }
        out->aAcc = mo_np_sum(I, C) / mo_np_sum(L, C);
        out->mIoU = mo_np_nanmean(out->iou, C);
        out->mAcc = mo_np_nanmean(out->acc, C);
    } else {
        float *iou = f, *acc = f + C;
        for (size_t c = 0; c < C; c++) {
            iou[c] = m->I32[c] / m->U32[c];
            acc[c] = m->I32[c] / m->L32[c];
            out->iou[c] = iou[c];
            out->acc[c] = acc[c];
        }
        out->aAcc = (float)(mo_np_sum_f32(m->I32, C) / mo_np_sum_f32(m->L32, C));
        out->mIoU = mo_np_nanmean_f32(iou, C);
        out->mAcc = mo_np_nanmean_f32(acc, C);
    }
    free(a);
    free(f);
    return MO_OK;
}

double mo_miou_percent(double v, int float32) {
    if (isnan(v)) return v;
    if (float32) {
        float x = (float)v * 100.0f;
        return rintf(x * 100.0f) / 100.0f;
    }
    double x = v * 100.0;
    return rint(x * 100.0) / 100.0;
}
