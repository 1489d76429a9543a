/* box_coder.c - BoxCoder decode / encode (torchvision detection/_utils.py). */
#include "box_coder.h"

#include <math.h>

mo_box_coder mo_box_coder_ssd(void) {
    return (mo_box_coder){.wx = 10.0f, .wy = 10.0f, .ww = 5.0f, .wh = 5.0f,
                          .clip = (float)log(1000.0 / 16.0)};
}

void mo_box_decode(const mo_box_coder *c, const float *deltas, const float *anchors, int64_t n,
                   float *boxes) {
    for (int64_t i = 0; i < n; i++) {
        const float *a = anchors + 4 * i, *d = deltas + 4 * i;
        const float wa = a[2] - a[0], ha = a[3] - a[1];
        const float cxa = a[0] + 0.5f * wa, cya = a[1] + 0.5f * ha;
        const float dx = d[0] / c->wx, dy = d[1] / c->wy;
        float dw = d[2] / c->ww, dh = d[3] / c->wh;
        dw = dw > c->clip ? c->clip : dw;
        dh = dh > c->clip ? c->clip : dh;
        const float cx = dx * wa + cxa, cy = dy * ha + cya;
        const float w = expf(dw) * wa, h = expf(dh) * ha;
        const float hw = 0.5f * w, hh = 0.5f * h;
        float *b = boxes + 4 * i;
        b[0] = cx - hw;
        b[1] = cy - hh;
        b[2] = cx + hw;
        b[3] = cy + hh;
    }
}

void mo_box_encode(const mo_box_coder *c, const float *boxes, const float *anchors, int64_t n,
                   float *deltas) {
    for (int64_t i = 0; i < n; i++) {
        const float *a = anchors + 4 * i, *b = boxes + 4 * i;
        const float wa = a[2] - a[0], ha = a[3] - a[1];
        const float cxa = a[0] + 0.5f * wa, cya = a[1] + 0.5f * ha;
        const float w = b[2] - b[0], h = b[3] - b[1];
        const float cx = b[0] + 0.5f * w, cy = b[1] + 0.5f * h;
        float *d = deltas + 4 * i;
        d[0] = c->wx * (cx - cxa) / wa;
        d[1] = c->wy * (cy - cya) / ha;
        d[2] = c->ww * logf(w / wa);
        d[3] = c->wh * logf(h / ha);
    }
}

void mo_boxes_clip(float *boxes, int64_t n, float width, float height) {
    for (int64_t i = 0; i < 4 * n; i++) {
        const float hi = (i & 1) ? height : width;
        boxes[i] = boxes[i] < 0.0f ? 0.0f : boxes[i] > hi ? hi : boxes[i];
    }
}
