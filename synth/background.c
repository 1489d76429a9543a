/* background.c - textured backgrounds, lighting, blur and noise (see background.h).
 *
 * The sinusoids are evaluated separably: sin(a x + b y + p) = sin(a x) cos(b y + p) +
 * cos(a x) sin(b y + p), from per-column and per-row tables, so a wave costs two multiplies a
 * pixel. Value noise is a lattice of random values interpolated with smoothstep weights. */
#include "background.h"

#include <math.h>
#include <string.h>

#define TWO_PI 6.2831853f

static inline float clampf(float v, float lo, float hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

void synth_random_color(synth_rng *r, float s_lo, float s_hi, float v_lo, float v_hi,
                        float rgb[3]) {
    float h = synth_rng_float(r) * 6.0f;
    float s = synth_rng_range(r, s_lo, s_hi), v = synth_rng_range(r, v_lo, v_hi) * 255.0f;
    int i = (int)h;
    float f = h - (float)i;
    float p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    switch (i) {
    case 0:
        rgb[0] = v, rgb[1] = t, rgb[2] = p;
        break;
    case 1:
        rgb[0] = q, rgb[1] = v, rgb[2] = p;
        break;
    case 2:
        rgb[0] = p, rgb[1] = v, rgb[2] = t;
        break;
    case 3:
        rgb[0] = p, rgb[1] = q, rgb[2] = v;
        break;
    case 4:
        rgb[0] = t, rgb[1] = p, rgb[2] = v;
        break;
    default:
        rgb[0] = v, rgb[1] = p, rgb[2] = q;
        break;
    }
}

static int32_t lattice_w(int32_t width) {
    return width / SYNTH_BG_MIN_CELL + 3;
}

size_t synth_background_scratch_size(int32_t width, int32_t height) {
    /* wave tables (4 per wave: sin/cos per column, cos/sin per row), one noise lattice, and a
     * width * height field */
    return (size_t)SYNTH_BG_MAX_WAVES * 2 * (size_t)(width + height) +
           (size_t)lattice_w(width) * (size_t)lattice_w(height) + (size_t)width * height;
}

/* Adds amp * value noise of cell size `cell` to field (H, W). */
static void add_value_noise(float *field, int32_t width, int32_t height, float cell, float amp,
                            float *lattice, synth_rng *r) {
    int32_t lw = (int32_t)((float)width / cell) + 3, lh = (int32_t)((float)height / cell) + 3;
    for (int32_t i = 0; i < lw * lh; i++)
        lattice[i] = synth_rng_float(r) * 2.0f - 1.0f;
    float inv = 1.0f / cell;
    for (int32_t y = 0; y < height; y++) {
        float fy = (float)y * inv;
        int32_t iy = (int32_t)fy;
        float ty = fy - (float)iy;
        ty = ty * ty * (3 - 2 * ty);
        const float *row0 = lattice + (size_t)iy * lw, *row1 = row0 + lw;
        float *out = field + (size_t)y * width;
        for (int32_t x = 0; x < width; x++) {
            float fx = (float)x * inv;
            int32_t ix = (int32_t)fx;
            float tx = fx - (float)ix;
            tx = tx * tx * (3 - 2 * tx);
            float a = row0[ix] + (row0[ix + 1] - row0[ix]) * tx;
            float b = row1[ix] + (row1[ix + 1] - row1[ix]) * tx;
            out[x] += amp * (a + (b - a) * ty);
        }
    }
}

void synth_background_draw(float *rgb, int32_t width, int32_t height, float *scratch,
                           synth_rng *r) {
    int32_t nw = synth_rng_int(r, 2, SYNTH_BG_MAX_WAVES);
    float *tab = scratch;
    float *lattice = tab + (size_t)SYNTH_BG_MAX_WAVES * 2 * (size_t)(width + height);
    float *field = lattice + (size_t)lattice_w(width) * (size_t)lattice_w(height);
    memset(field, 0, sizeof(float) * (size_t)width * height);
    float total = 0;
    /* waves: wavelength 6..250 px, random direction; the layout of tab per wave w is
     * [sx (W), cx (W), cy (H), sy (H)] */
    for (int32_t w = 0; w < nw; w++) {
        float len = expf(synth_rng_range(r, logf(6.0f), logf(250.0f)));
        float ang = synth_rng_range(r, 0, TWO_PI), ph = synth_rng_range(r, 0, TWO_PI);
        float a = TWO_PI / len * cosf(ang), b = TWO_PI / len * sinf(ang);
        float amp = synth_rng_range(r, 0.2f, 1.0f) * (len < 20 ? 0.35f : 1.0f);
        total += amp;
        float *sx = tab + (size_t)w * 2 * (width + height), *cx = sx + width;
        float *cy = cx + width, *sy = cy + height;
        for (int32_t x = 0; x < width; x++)
            sx[x] = amp * sinf(a * (float)x), cx[x] = amp * cosf(a * (float)x);
        for (int32_t y = 0; y < height; y++)
            cy[y] = cosf(b * (float)y + ph), sy[y] = sinf(b * (float)y + ph);
        for (int32_t y = 0; y < height; y++) {
            float *out = field + (size_t)y * width;
            float c = cy[y], s = sy[y];
            for (int32_t x = 0; x < width; x++)
                out[x] += sx[x] * c + cx[x] * s;
        }
    }
    /* value noise: one coarse and one fine octave */
    float coarse = synth_rng_range(r, 32.0f, 96.0f), fine = synth_rng_range(r, 8.0f, 24.0f);
    float ac = synth_rng_range(r, 0.3f, 1.5f), af = synth_rng_range(r, 0.1f, 0.6f);
    add_value_noise(field, width, height, coarse, ac, lattice, r);
    add_value_noise(field, width, height, fine < SYNTH_BG_MIN_CELL ? SYNTH_BG_MIN_CELL : fine, af,
                    lattice, r);
    total += ac + af;
    /* colours: two or three from a muted law; contrast from soft to hard-edged */
    float c[3][3];
    int32_t ncol = synth_rng_chance(r, 0.4f) ? 3 : 2;
    for (int32_t i = 0; i < ncol; i++)
        synth_random_color(r, 0.0f, 0.7f, 0.15f, 0.95f, c[i]);
    float contrast =
        synth_rng_chance(r, 0.3f) ? synth_rng_range(r, 3.0f, 8.0f) : synth_rng_range(r, 0.8f, 2.0f);
    float scale = contrast / (0.6f * total);
    for (int32_t y = 0; y < height; y++) {
        const float *in = field + (size_t)y * width;
        float *out = rgb + (size_t)y * width * 3;
        for (int32_t x = 0; x < width; x++) {
            float t = clampf(0.5f + in[x] * scale, 0.0f, 1.0f);
            const float *a, *b;
            float u;
            if (ncol == 2)
                a = c[0], b = c[1], u = t;
            else if (t < 0.5f)
                a = c[0], b = c[1], u = 2 * t;
            else
                a = c[1], b = c[2], u = 2 * t - 1;
            out[3 * x + 0] = a[0] + (b[0] - a[0]) * u;
            out[3 * x + 1] = a[1] + (b[1] - a[1]) * u;
            out[3 * x + 2] = a[2] + (b[2] - a[2]) * u;
        }
    }
}

void synth_look_random(synth_look *look, int32_t width, int32_t height, synth_rng *r) {
    look->radial = synth_rng_chance(r, 0.45f);
    look->gain = synth_rng_range(r, 0.15f, 0.6f);
    float ang = synth_rng_range(r, 0, TWO_PI);
    look->dx = cosf(ang), look->dy = sinf(ang);
    look->cx = synth_rng_range(r, -0.2f, 1.2f) * (float)width;
    look->cy = synth_rng_range(r, -0.2f, 1.2f) * (float)height;
    look->radius = synth_rng_range(r, 0.6f, 1.4f) * (float)(width > height ? width : height);
    for (int c = 0; c < 3; c++)
        look->cast[c] = 1.0f + synth_rng_range(r, -0.08f, 0.08f);
    look->blur_sigma = synth_rng_range(r, 0.4f, 1.1f);
    look->noise_sigma = synth_rng_range(r, 1.5f, 7.0f);
}

void synth_apply_light(float *rgb, int32_t width, int32_t height, const synth_look *look) {
    float half = 0.5f * (float)(width > height ? width : height);
    for (int32_t y = 0; y < height; y++) {
        float *p = rgb + (size_t)y * width * 3;
        float ry = (float)y - 0.5f * (float)height;
        for (int32_t x = 0; x < width; x++) {
            float s;
            if (look->radial) {
                float ddx = (float)x - look->cx, ddy = (float)y - look->cy;
                s = 1.0f - 2.0f * clampf(sqrtf(ddx * ddx + ddy * ddy) / look->radius, 0, 1);
            } else {
                s = clampf((((float)x - 0.5f * (float)width) * look->dx + ry * look->dy) / half, -1,
                           1);
            }
            float f = 1.0f + 0.5f * look->gain * s;
            p[3 * x + 0] *= f * look->cast[0];
            p[3 * x + 1] *= f * look->cast[1];
            p[3 * x + 2] *= f * look->cast[2];
        }
    }
}

void synth_blur(float *rgb, float *tmp, int32_t width, int32_t height, float sigma) {
    if (sigma <= 0) return;
    enum { MAX_R = 8 };
    int32_t rad = (int32_t)ceilf(2.5f * sigma);
    if (rad > MAX_R) rad = MAX_R;
    float k[MAX_R + 1], sum = 0;
    for (int32_t i = 0; i <= rad; i++) {
        k[i] = expf(-0.5f * (float)(i * i) / (sigma * sigma));
        sum += i ? 2 * k[i] : k[i];
    }
    for (int32_t i = 0; i <= rad; i++)
        k[i] /= sum;
    /* horizontal: rgb -> tmp */
    for (int32_t y = 0; y < height; y++) {
        const float *in = rgb + (size_t)y * width * 3;
        float *out = tmp + (size_t)y * width * 3;
        for (int32_t x = 0; x < width; x++) {
            float a0 = k[0] * in[3 * x], a1 = k[0] * in[3 * x + 1], a2 = k[0] * in[3 * x + 2];
            for (int32_t i = 1; i <= rad; i++) {
                int32_t xl = x - i < 0 ? 0 : x - i, xr = x + i >= width ? width - 1 : x + i;
                a0 += k[i] * (in[3 * xl] + in[3 * xr]);
                a1 += k[i] * (in[3 * xl + 1] + in[3 * xr + 1]);
                a2 += k[i] * (in[3 * xl + 2] + in[3 * xr + 2]);
            }
            out[3 * x] = a0, out[3 * x + 1] = a1, out[3 * x + 2] = a2;
        }
    }
    /* vertical: tmp -> rgb, a row at a time */
    size_t stride = (size_t)width * 3;
    for (int32_t y = 0; y < height; y++) {
        float *out = rgb + (size_t)y * stride;
        const float *c = tmp + (size_t)y * stride;
        for (size_t j = 0; j < stride; j++)
            out[j] = k[0] * c[j];
        for (int32_t i = 1; i <= rad; i++) {
            int32_t yu = y - i < 0 ? 0 : y - i, yd = y + i >= height ? height - 1 : y + i;
            const float *u = tmp + (size_t)yu * stride, *d = tmp + (size_t)yd * stride;
            float ki = k[i];
            for (size_t j = 0; j < stride; j++)
                out[j] += ki * (u[j] + d[j]);
        }
    }
}

void synth_quantize(const float *rgb, uint8_t *out, int32_t width, int32_t height,
                    float noise_sigma, synth_rng *r) {
    size_t n = (size_t)width * height * 3;
    for (size_t i = 0; i < n; i++) {
        float v = rgb[i] + noise_sigma * synth_rng_normalish(r) + 0.5f;
        out[i] = (uint8_t)clampf(v, 0.0f, 255.0f);
    }
}
