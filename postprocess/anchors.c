/* anchors.c - DefaultBoxGenerator's boxes, bit-faithful to torchvision's f32 arithmetic. */
#include "anchors.h"

#include <math.h>

#include "error.h"

mo_anchor_params mo_anchor_default_params(void) {
    return (mo_anchor_params){.num_levels = 6, .num_ratios = 2, .ratios = {2, 3},
                              .min_ratio = 0.2, .max_ratio = 0.95, .clip = 1};
}

int32_t mo_anchors_per_location(const mo_anchor_params *p) {
    return 2 + 2 * p->num_ratios;
}

int64_t mo_anchor_count(const mo_anchor_params *p, const int32_t (*grids)[2]) {
    int64_t n = 0;
    for (int32_t k = 0; k < p->num_levels; k++) n += (int64_t)grids[k][0] * grids[k][1];
    return n * mo_anchors_per_location(p);
}

/* The L + 1 scales in double, as Python computes them; the (w, h) pairs become f32 once. */
static void level_scales(const mo_anchor_params *p, double *scales) {
    const int32_t L = p->num_levels;
    for (int32_t k = 0; k < L; k++)
        scales[k] = p->num_scales ? p->scales[k]
                                  : p->min_ratio + (p->max_ratio - p->min_ratio) * k / (L - 1.0);
    scales[L] = p->num_scales ? p->scales[L] : 1.0;
}

mo_anchor_params mo_anchor_params_zoomed(const mo_anchor_params *p, int32_t zoom) {
    mo_anchor_params z = *p;
    if (p->num_levels < 1 || p->num_levels > MO_ANCHOR_MAX_LEVELS) return z; /* generate says */
    level_scales(p, z.scales);
    for (int32_t k = 0; k <= p->num_levels; k++)
        z.scales[k] /= zoom;
    z.num_scales = p->num_levels + 1;
    return z;
}

static float clamp01(float v, int clip) {
    if (!clip) return v;
    return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

mo_status mo_anchors_generate(const mo_anchor_params *p, const int32_t (*grids)[2],
                              int32_t image_h, int32_t image_w, float *out, mo_error *err) {
    if (p->num_levels < 2 || p->num_levels > MO_ANCHOR_MAX_LEVELS || p->num_ratios < 0 ||
        p->num_ratios > MO_ANCHOR_MAX_RATIOS || !(p->min_ratio > 0) ||
        !(p->max_ratio >= p->min_ratio))
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "anchors: %d levels, %d ratios, scales %g..%g: need 2..%d levels, "
                            "0..%d ratios and 0 < min <= max", p->num_levels, p->num_ratios,
                            p->min_ratio, p->max_ratio, MO_ANCHOR_MAX_LEVELS,
                            MO_ANCHOR_MAX_RATIOS);
    if (p->num_scales && p->num_scales != p->num_levels + 1)
        return mo_error_set(err, MO_ERR_ARGUMENT, "anchors: %d scales for %d levels (need %d)",
                            p->num_scales, p->num_levels, p->num_levels + 1);
    for (int32_t k = 0; k < p->num_scales; k++)
        if (!(p->scales[k] > 0))
            return mo_error_set(err, MO_ERR_ARGUMENT, "anchors: scale %g must be > 0",
                                p->scales[k]);
    for (int32_t r = 0; r < p->num_ratios; r++)
        if (!(p->ratios[r] > 0))
            return mo_error_set(err, MO_ERR_ARGUMENT, "anchors: aspect ratio %g must be > 0",
                                p->ratios[r]);
    double scales[MO_ANCHOR_MAX_LEVELS + 1];
    level_scales(p, scales);
    const int32_t L = p->num_levels;
    const int32_t A = mo_anchors_per_location(p);
    const float fw = (float)image_w, fh = (float)image_h;
    float *o = out;
    for (int32_t k = 0; k < L; k++) {
        float wh[2 + 2 * MO_ANCHOR_MAX_RATIOS][2];
        const double s = scales[k], s_prime = sqrt(scales[k] * scales[k + 1]);
        wh[0][0] = wh[0][1] = (float)s;
        wh[1][0] = wh[1][1] = (float)s_prime;
        for (int32_t r = 0; r < p->num_ratios; r++) {
            const double sq = sqrt(p->ratios[r]);
            wh[2 + 2 * r][0] = wh[3 + 2 * r][1] = (float)(s * sq);
            wh[2 + 2 * r][1] = wh[3 + 2 * r][0] = (float)(s / sq);
        }
        for (int32_t a = 0; a < A; a++) {
            wh[a][0] = clamp01(wh[a][0], p->clip);
            wh[a][1] = clamp01(wh[a][1], p->clip);
        }
        const int32_t gh = grids[k][0], gw = grids[k][1];
        for (int32_t j = 0; j < gh; j++) {
            const float cy = ((float)j + 0.5f) / (float)gh;
            for (int32_t i = 0; i < gw; i++) {
                const float cx = ((float)i + 0.5f) / (float)gw;
                for (int32_t a = 0; a < A; a++, o += 4) {
                    o[0] = (cx - 0.5f * wh[a][0]) * fw;
                    o[1] = (cy - 0.5f * wh[a][1]) * fh;
                    o[2] = (cx + 0.5f * wh[a][0]) * fw;
                    o[3] = (cy + 0.5f * wh[a][1]) * fh;
                }
            }
        }
    }
    return MO_OK;
}
