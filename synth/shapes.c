/* shapes.c - signed distance functions of the synthetic shapes (see shapes.h).
 *
 * The exact 2D distances for boxes, equilateral triangles, 5-pointed stars and hexagons follow
 * Inigo Quilez's "2D distance functions" (iquilezles.org/articles/distfunctions2d), rewritten in
 * C. Shapes are centred on their bounding box, not their centroid, so that size means extent. */
#include "shapes.h"

#include <math.h>

static const char *const kind_names[SYNTH_NUM_KINDS] = {
    "circle",        "square", "triangle", "star",    "ring",     "cross",
    "holed_ellipse", "blob",   "line",     "hexagon", "crescent",
};

const char *synth_kind_name(int32_t kind) {
    return kind >= 0 && kind < SYNTH_NUM_KINDS ? kind_names[kind] : "?";
}

static inline float clampf(float v, float lo, float hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

static inline float maxf(float a, float b) {
    return a > b ? a : b;
}

static inline float minf(float a, float b) {
    return a < b ? a : b;
}

/* A box of half sizes (bx, by). */
static float sd_box(float x, float y, float bx, float by) {
    float dx = fabsf(x) - bx, dy = fabsf(y) - by;
    float ox = maxf(dx, 0.0f), oy = maxf(dy, 0.0f);
    return sqrtf(ox * ox + oy * oy) + minf(maxf(dx, dy), 0.0f);
}

/* An equilateral triangle of half side r, centroid at the origin, apex up (+y). */
static float sd_triangle(float x, float y, float r) {
    const float k = 1.7320508f;
    x = fabsf(x) - r;
    y = y + r / k;
    if (x + k * y > 0.0f) {
        float nx = (x - k * y) * 0.5f, ny = (-k * x - y) * 0.5f;
        x = nx, y = ny;
    }
    x -= clampf(x, -2.0f * r, 0.0f);
    float d = sqrtf(x * x + y * y);
    return y > 0.0f ? -d : d;
}

/* A 5-pointed star of outer radius r, inner ratio rf, a point up (+y). */
static float sd_star5(float x, float y, float r, float rf) {
    const float k1x = 0.809016994f, k1y = -0.587785252f;
    const float k2x = -k1x, k2y = k1y;
    x = fabsf(x);
    float d1 = maxf(k1x * x + k1y * y, 0.0f);
    x -= 2.0f * d1 * k1x, y -= 2.0f * d1 * k1y;
    float d2 = maxf(k2x * x + k2y * y, 0.0f);
    x -= 2.0f * d2 * k2x, y -= 2.0f * d2 * k2y;
    x = fabsf(x);
    y -= r;
    float bax = rf * -k1y, bay = rf * k1x - 1.0f;
    float h = clampf((x * bax + y * bay) / (bax * bax + bay * bay), 0.0f, r);
    float qx = x - bax * h, qy = y - bay * h;
    float d = sqrtf(qx * qx + qy * qy);
    return (y * bax - x * bay) < 0.0f ? -d : d;
}

/* A regular hexagon of apothem r, flat sides top and bottom. */
static float sd_hexagon(float x, float y, float r) {
    const float kx = -0.866025404f, ky = 0.5f, kz = 0.577350269f;
    x = fabsf(x), y = fabsf(y);
    float d = 2.0f * minf(kx * x + ky * y, 0.0f);
    x -= d * kx, y -= d * ky;
    x -= clampf(x, -kz * r, kz * r);
    y -= r;
    float len = sqrtf(x * x + y * y);
    return y < 0.0f ? -len : len;
}

/* An ellipse of semi-axes (a, b): the k0 * (k0 - 1) / k1 approximation. */
static float sd_ellipse(float x, float y, float a, float b) {
    float ux = x / a, uy = y / b;
    float k0 = sqrtf(ux * ux + uy * uy);
    float vx = ux / a, vy = uy / b;
    float k1 = sqrtf(vx * vx + vy * vy);
    if (k1 < 1e-12f) return -minf(a, b);
    return k0 * (k0 - 1.0f) / k1;
}

void synth_shape_random(synth_shape *s, int32_t kind, synth_rng *r) {
    for (int i = 0; i < 8; i++)
        s->p[i] = 0.0f;
    s->kind = kind;
    float *p = s->p;
    switch (kind) {
    case SYNTH_SQUARE:
        p[0] = synth_rng_chance(r, 0.4f) ? synth_rng_range(r, 0.03f, 0.15f) : 0;
        break;
    case SYNTH_TRIANGLE:
        p[0] = synth_rng_range(r, 0.8f, 1.15f); /* height / equilateral */
        break;
    case SYNTH_STAR:
        p[0] = synth_rng_range(r, 0.38f, 0.55f); /* inner / outer */
        break;
    case SYNTH_RING:
        p[0] = synth_rng_range(r, 0.14f, 0.3f); /* half thickness */
        break;
    case SYNTH_CROSS:
        p[0] = synth_rng_range(r, 0.2f, 0.34f); /* arm half width */
        break;
    case SYNTH_HOLED_ELLIPSE:
        p[0] = synth_rng_range(r, 0.4f, 0.7f);                   /* minor semi-axis */
        p[1] = synth_rng_range(r, 0.12f, 0.75f) * p[0];          /* hole radius */
        p[2] = synth_rng_range(r, -1.0f, 1.0f) * (0.85f - p[1]); /* hole offset */
        break;
    case SYNTH_BLOB:
        for (int k = 0; k < 3; k++) {
            float a = synth_rng_range(r, 0.0f, 0.09f), ph = synth_rng_range(r, 0.0f, 6.2831853f);
            p[2 * k] = a * cosf(ph), p[2 * k + 1] = a * sinf(ph);
        }
        break;
    case SYNTH_LINE:
        p[0] = synth_rng_range(r, 0.035f, 0.1f); /* half thickness */
        break;
    case SYNTH_CRESCENT:
        p[0] = synth_rng_range(r, 0.7f, 0.95f); /* bite radius */
        p[1] = synth_rng_range(r, 0.3f, 0.6f);  /* bite offset */
        break;
    default:
        break;
    }
}

float synth_shape_sdf(const synth_shape *s, float x, float y) {
    const float *p = s->p;
    switch (s->kind) {
    case SYNTH_CIRCLE:
        return sqrtf(x * x + y * y) - 1.0f;
    case SYNTH_SQUARE:
        return sd_box(x, y, 1.0f - p[0], 1.0f - p[0]) - p[0];
    case SYNTH_TRIANGLE: {
        /* side 2 spans x; the height sqrt(3) * p[0] is centred on y */
        float sy = p[0];
        float yy = y / sy + 0.28867513f; /* bbox centre -> centroid frame */
        return sd_triangle(x, yy, 1.0f) * minf(1.0f, sy);
    }
    case SYNTH_STAR:
        return sd_star5(x / 0.951f, y / 0.951f + 0.0955f, 1.0f, p[0]) * 0.951f;
    case SYNTH_RING:
        return fabsf(sqrtf(x * x + y * y) - (1.0f - p[0])) - p[0];
    case SYNTH_CROSS:
        return minf(sd_box(x, y, 1.0f, p[0]), sd_box(x, y, p[0], 1.0f));
    case SYNTH_HOLED_ELLIPSE: {
        float outer = sd_ellipse(x, y, 1.0f, p[0]);
        float dx = x - p[2];
        float hole = sqrtf(dx * dx + y * y) - p[1];
        return maxf(outer, -hole);
    }
    case SYNTH_BLOB: {
        /* r(t) = 0.8 (1 + sum_k a_k cos(k t + phi_k)), k = 2..4, through powers of e^{it} */
        float len = sqrtf(x * x + y * y);
        if (len < 1e-6f) return -0.5f;
        float c1 = x / len, s1 = y / len;
        float ck = c1 * c1 - s1 * s1, sk = 2.0f * c1 * s1; /* k = 2 */
        float rad = 1.0f;
        for (int k = 0; k < 3; k++) {
            rad += p[2 * k] * ck - p[2 * k + 1] * sk; /* a cos(kt + phi) */
            float nc = ck * c1 - sk * s1, ns = sk * c1 + ck * s1;
            ck = nc, sk = ns;
        }
        return (len - 0.78f * rad) * 0.8f;
    }
    case SYNTH_LINE: {
        float w = p[0];
        float dx = x - clampf(x, -1.0f + w, 1.0f - w);
        return sqrtf(dx * dx + y * y) - w;
    }
    case SYNTH_HEXAGON:
        return sd_hexagon(x, y, 0.866025404f); /* corners at x = +-1 */
    case SYNTH_CRESCENT: {
        float outer = sqrtf(x * x + y * y) - 1.0f;
        float dx = x - p[1];
        float bite = sqrtf(dx * dx + y * y) - p[0];
        return maxf(outer, -bite);
    }
    default:
        return 1.0f;
    }
}
