/* seg_upsample.c - bilinear resize (F.interpolate, align_corners=False) and label maps. */
#include "seg_upsample.h"

#include <math.h>

mo_bilinear_tap mo_bilinear_tap_at(int32_t dst, int32_t in, int32_t out) {
    /* ATen's upsample_bilinear2d on CPU (1.13), measured with one-hot inputs: the scale is the
     * float in / out, the source coordinate and lambda are computed in double (acc_type), the
     * weights stored as float, w0 = 1 - w1 in float. */
    const float scale = (float)in / (float)out;
    double src = (double)scale * (dst + 0.5) - 0.5;
    if (src < 0) src = 0;
    int32_t i0 = (int32_t)floor(src);
    if (i0 > in - 1) i0 = in - 1;
    double lambda = src - i0;
    lambda = lambda < 0 ? 0 : lambda > 1 ? 1 : lambda;
    const float w1 = (float)lambda;
    return (mo_bilinear_tap){.i0 = i0, .i1 = i0 + (i0 < in - 1), .w0 = 1.0f - w1, .w1 = w1};
}

void f32_resize_bilinear_row(float *out, const float *row0, const float *row1,
                             mo_bilinear_tap ty, int32_t in_w, int32_t out_w, int32_t c) {
    for (int32_t x = 0; x < out_w; x++) {
        const mo_bilinear_tap tx = mo_bilinear_tap_at(x, in_w, out_w);
        const float *a = row0 + (int64_t)tx.i0 * c, *b = row0 + (int64_t)tx.i1 * c;
        const float *d0 = row1 + (int64_t)tx.i0 * c, *d1 = row1 + (int64_t)tx.i1 * c;
        float *o = out + (int64_t)x * c;
        for (int32_t k = 0; k < c; k++) {
            float top = a[k] * tx.w0 + b[k] * tx.w1;
            float bottom = d0[k] * tx.w0 + d1[k] * tx.w1;
            o[k] = top * ty.w0 + bottom * ty.w1;
        }
    }
}

typedef struct resize_job {
    float *out;
    const float *in;
    int32_t out_h, out_w, in_h, in_w, c;
} resize_job;

static void resize_row(void *ctx, int64_t y) {
    const resize_job *j = ctx;
    const mo_bilinear_tap ty = mo_bilinear_tap_at((int32_t)y, j->in_h, j->out_h);
    const int64_t in_stride = (int64_t)j->in_w * j->c;
    f32_resize_bilinear_row(j->out + y * j->out_w * j->c, j->in + ty.i0 * in_stride,
                            j->in + ty.i1 * in_stride, ty, j->in_w, j->out_w, j->c);
}

void f32_resize_bilinear(float *out, int32_t out_h, int32_t out_w, const float *in, int32_t in_h,
                         int32_t in_w, int32_t c, mo_threadpool *pool) {
    resize_job j = {out, in, out_h, out_w, in_h, in_w, c};
    mo_threadpool_run(pool, out_h, resize_row, &j);
}

int64_t mo_seg_labels_scratch_floats(int32_t mid_w, int32_t c) {
    return 2 * (int64_t)mid_w * c;
}

void mo_seg_argmax(uint8_t *labels, const float *logits, int64_t n, int32_t c) {
    for (int64_t p = 0; p < n; p++) {
        const float *v = logits + p * c;
        int32_t best = 0;
        for (int32_t k = 1; k < c; k++)
            if (v[k] > v[best]) best = k;
        labels[p] = (uint8_t)best;
    }
}

typedef struct labels_job {
    uint8_t *labels;
    const float *small;
    float *scratch;
    int32_t out_h, out_w, small_h, small_w, mid_h, mid_w, c, chunks;
} labels_job;

/* Row r of the middle map, cached in slot r % 2 (the two rows a tap needs, r and r + 1, never
 * share a slot); computed from the small map when the slot holds another row. */
static const float *mid_row(const labels_job *j, float *slots, int32_t *tags, int32_t r) {
    const int s = r & 1;
    float *row = slots + (int64_t)s * j->mid_w * j->c;
    if (tags[s] != r) {
        const mo_bilinear_tap t = mo_bilinear_tap_at(r, j->small_h, j->mid_h);
        const int64_t stride = (int64_t)j->small_w * j->c;
        f32_resize_bilinear_row(row, j->small + t.i0 * stride, j->small + t.i1 * stride, t,
                                j->small_w, j->mid_w, j->c);
        tags[s] = r;
    }
    return row;
}

static void labels_chunk(void *ctx, int64_t chunk) {
    const labels_job *j = ctx;
    const int32_t begin = (int32_t)(chunk * j->out_h / j->chunks);
    const int32_t end = (int32_t)((chunk + 1) * j->out_h / j->chunks);
    float *slots = j->scratch + chunk * mo_seg_labels_scratch_floats(j->mid_w, j->c);
    int32_t tags[2] = {-1, -1};
    const int32_t c = j->c;
    for (int32_t y = begin; y < end; y++) {
        const mo_bilinear_tap ty = mo_bilinear_tap_at(y, j->mid_h, j->out_h);
        const float *r0 = mid_row(j, slots, tags, ty.i0);
        const float *r1 = mid_row(j, slots, tags, ty.i1);
        uint8_t *out = j->labels + (int64_t)y * j->out_w;
        for (int32_t x = 0; x < j->out_w; x++) {
            const mo_bilinear_tap tx = mo_bilinear_tap_at(x, j->mid_w, j->out_w);
            const float *a = r0 + (int64_t)tx.i0 * c, *b = r0 + (int64_t)tx.i1 * c;
            const float *d0 = r1 + (int64_t)tx.i0 * c, *d1 = r1 + (int64_t)tx.i1 * c;
            int32_t best = 0;
            float best_v = 0;
            for (int32_t k = 0; k < c; k++) {
                float top = a[k] * tx.w0 + b[k] * tx.w1;
                float bottom = d0[k] * tx.w0 + d1[k] * tx.w1;
                float v = top * ty.w0 + bottom * ty.w1;
                if (k == 0 || v > best_v) best = k, best_v = v;
            }
            out[x] = (uint8_t)best;
        }
    }
}

void mo_seg_labels(uint8_t *labels, int32_t out_h, int32_t out_w, const float *small,
                   int32_t small_h, int32_t small_w, int32_t mid_h, int32_t mid_w, int32_t c,
                   float *scratch, mo_threadpool *pool) {
    int32_t chunks = mo_threadpool_size(pool);
    if (chunks > out_h) chunks = out_h;
    labels_job j = {labels, small, scratch, out_h, out_w, small_h, small_w, mid_h, mid_w, c,
                    chunks};
    mo_threadpool_run(pool, chunks, labels_chunk, &j);
}
