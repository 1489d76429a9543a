/* background.h - what is behind and over the objects: textured backgrounds, lighting, blur,
 * sensor noise.
 *
 * Images are float RGB, 0..255 nominal, (H, W, 3) row-major, until synth_quantize turns them into
 * u8. Everything draws from the synth_rng it is given, so a seed fixes the picture. Buffers are
 * the caller's; nothing here allocates. */
#ifndef MO_SYNTH_BACKGROUND_H
#define MO_SYNTH_BACKGROUND_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* Sinusoids and value-noise octaves a background may mix. */
#define SYNTH_BG_MAX_WAVES 6
#define SYNTH_BG_MIN_CELL 8

/* Floats of scratch that synth_background_draw needs for a width x height image. */
size_t synth_background_scratch_size(int32_t width, int32_t height);

/* A random colour as RGB 0..255 from HSV with hue uniform in [0, 1), saturation in
 * [s_lo, s_hi) and value in [v_lo, v_hi). Objects of every class draw from one such law. */
void synth_random_color(synth_rng *r, float s_lo, float s_hi, float v_lo, float v_hi, float rgb[3]);

/* Fills rgb (H, W, 3) with a texture: two or three colours mixed by a sum of random sinusoids
 * and value noise, at a random contrast (soft clouds to hard-edged patches). */
void synth_background_draw(float *rgb, int32_t width, int32_t height, float *scratch, synth_rng *r);

/* Whole-image effects: a linear or radial illumination gradient with a colour cast, a Gaussian
 * blur, additive noise. */
typedef struct synth_look {
    int32_t radial; /* 0: linear gradient along (dx, dy); 1: radial around (cx, cy) */
    float gain;     /* relative brightness change across the image */
    float dx, dy, cx, cy, radius;
    float cast[3];     /* per-channel gain (white balance) */
    float blur_sigma;  /* px */
    float noise_sigma; /* grey levels */
} synth_look;

void synth_look_random(synth_look *look, int32_t width, int32_t height, synth_rng *r);

/* Multiplies rgb by the look's illumination field and colour cast. */
void synth_apply_light(float *rgb, int32_t width, int32_t height, const synth_look *look);

/* Separable Gaussian blur of rgb in place (tmp: width * height * 3 floats); sigma <= 0 skips.
 * Borders replicate the edge pixel. */
void synth_blur(float *rgb, float *tmp, int32_t width, int32_t height, float sigma);

/* out = clamp(round(rgb + noise_sigma * N(0, 1))) per channel. */
void synth_quantize(const float *rgb, uint8_t *out, int32_t width, int32_t height,
                    float noise_sigma, synth_rng *r);

#endif
