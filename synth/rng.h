/* rng.h - the generator's own pseudo-random numbers: xoshiro256** seeded through splitmix64.
 *
 * Deterministic across runs and machines for the integer draws; the float draws are exact
 * conversions of integer bits (no libm), so one seed gives one stream everywhere. Not for
 * cryptography. A synth_rng is a plain value: copy it, keep one per image or per video frame.
 * Streams for different purposes (image i of a seed, the video, frame noise) come from
 * synth_rng_derive, so adding images never changes earlier ones. */
#ifndef MO_SYNTH_RNG_H
#define MO_SYNTH_RNG_H

#include <stdint.h>

typedef struct synth_rng {
    uint64_t s[4];
} synth_rng;

/* splitmix64: one step of the sequence that starts at *state. */
uint64_t synth_splitmix64(uint64_t *state);

/* A generator for (seed, stream, index): distinct streams for distinct triples. */
synth_rng synth_rng_derive(uint64_t seed, uint64_t stream, uint64_t index);

uint64_t synth_rng_u64(synth_rng *r);
/* Uniform in [0, 1) with 24 bits (float) or 53 bits (double). */
float synth_rng_float(synth_rng *r);
double synth_rng_double(synth_rng *r);
/* Uniform in [lo, hi). */
float synth_rng_range(synth_rng *r, float lo, float hi);
/* Uniform integer in [0, n), n >= 1 (exact: Lemire's multiply with rejection). */
uint32_t synth_rng_below(synth_rng *r, uint32_t n);
/* Uniform integer in [lo, hi] (inclusive). */
int32_t synth_rng_int(synth_rng *r, int32_t lo, int32_t hi);
/* 1 with probability p. */
int synth_rng_chance(synth_rng *r, float p);
/* An approximately normal draw (sum of four uniforms, scaled to unit variance): cheap, for
 * sensor noise. Bounded by +-2*sqrt(3). */
float synth_rng_normalish(synth_rng *r);

#endif
