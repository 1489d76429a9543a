/* ssd_tta.c - a pass's input transform, and its head outputs carried back to the anchors. */
#include "ssd_tta.h"

#include <math.h>
#include <string.h>

mo_tta_transform mo_tta_pass(int32_t i) {
    return (mo_tta_transform){.hflip = i & 1, .vflip = (i >> 1) & 1, .transpose = (i >> 2) & 1};
}

/* Where T sends (y, x) of an h x w grid (square with a transpose). */
static void transformed(mo_tta_transform t, int32_t h, int32_t w, int32_t y, int32_t x, int32_t *ty,
                        int32_t *tx) {
    if (t.transpose) {
        const int32_t swap = y;
        y = x, x = swap;
    }
    *ty = t.vflip ? h - 1 - y : y;
    *tx = t.hflip ? w - 1 - x : x;
}

void mo_tta_transform_map(mo_tta_transform t, const float *in, int32_t h, int32_t w, int32_t c,
                          float *out) {
    for (int32_t y = 0; y < h; y++)
        for (int32_t x = 0; x < w; x++) {
            int32_t ty, tx;
            transformed(t, h, w, y, x, &ty, &tx);
            memcpy(out + ((int64_t)ty * w + tx) * c, in + ((int64_t)y * w + x) * c,
                   sizeof(float) * (size_t)c);
        }
}

/* dst += softmax(x), computed as torch.softmax: exp(x - max) / sum. */
static void add_softmax(const float *x, int32_t k, float *dst) {
    float max = x[0], sum = 0.0f;
    for (int32_t c = 1; c < k; c++)
        max = x[c] > max ? x[c] : max;
    for (int32_t c = 0; c < k; c++)
        sum += expf(x[c] - max);
    for (int32_t c = 0; c < k; c++)
        dst[c] += expf(x[c] - max) / sum;
}

void mo_tta_add(mo_tta_transform t, int32_t levels, const int32_t (*grids)[2], int32_t A, int32_t K,
                const float *cls_logits, const float *bbox_regression, float *probs,
                float *regression) {
    int64_t offset = 0;
    for (int32_t l = 0; l < levels; l++) {
        const int32_t h = grids[l][0], w = grids[l][1];
        for (int32_t y = 0; y < h; y++)
            for (int32_t x = 0; x < w; x++) {
                int32_t ty, tx;
                transformed(t, h, w, y, x, &ty, &tx);
                for (int32_t a = 0; a < A; a++) {
                    /* Past the two squares, anchors come in (wide, tall) pairs per ratio. */
                    const int32_t ta = t.transpose && a >= 2 ? ((a - 2) ^ 1) + 2 : a;
                    const int64_t from = offset + ((int64_t)ty * w + tx) * A + ta;
                    const int64_t to = offset + ((int64_t)y * w + x) * A + a;
                    add_softmax(cls_logits + from * K, K, probs + to * K);
                    float d[4];
                    memcpy(d, bbox_regression + from * 4, sizeof d);
                    if (t.hflip) d[0] = -d[0];
                    if (t.vflip) d[1] = -d[1];
                    float *r = regression + to * 4;
                    const int s = t.transpose;
                    r[0] += d[s ? 1 : 0];
                    r[1] += d[s ? 0 : 1];
                    r[2] += d[s ? 3 : 2];
                    r[3] += d[s ? 2 : 3];
                }
            }
        offset += (int64_t)h * w * A;
    }
}
