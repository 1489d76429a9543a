/* rng.c - xoshiro256** (Blackman & Vigna, 2018) seeded with splitmix64. See rng.h. */
#include "rng.h"

uint64_t synth_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

synth_rng synth_rng_derive(uint64_t seed, uint64_t stream, uint64_t index) {
    uint64_t st = seed;
    uint64_t a = synth_splitmix64(&st);
    st = a ^ (stream * 0xD1B54A32D192ED03ull);
    uint64_t b = synth_splitmix64(&st);
    st = b ^ (index * 0x8CB92BA72F3D8DD7ull);
    synth_rng r;
    for (int i = 0; i < 4; i++)
        r.s[i] = synth_splitmix64(&st);
    if (!(r.s[0] | r.s[1] | r.s[2] | r.s[3])) r.s[0] = 1; /* the one forbidden state */
    return r;
}

static inline uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t synth_rng_u64(synth_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float synth_rng_float(synth_rng *r) {
    return (float)(synth_rng_u64(r) >> 40) * (1.0f / 16777216.0f);
}

double synth_rng_double(synth_rng *r) {
    return (double)(synth_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

float synth_rng_range(synth_rng *r, float lo, float hi) {
    return lo + (hi - lo) * synth_rng_float(r);
}

uint32_t synth_rng_below(synth_rng *r, uint32_t n) {
    /* Lemire's nearly-divisionless method with rejection: exact uniformity. */
    uint64_t m = (synth_rng_u64(r) >> 32) * (uint64_t)n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (synth_rng_u64(r) >> 32) * (uint64_t)n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

int32_t synth_rng_int(synth_rng *r, int32_t lo, int32_t hi) {
    return lo + (int32_t)synth_rng_below(r, (uint32_t)(hi - lo + 1));
}

int synth_rng_chance(synth_rng *r, float p) {
    return synth_rng_float(r) < p;
}

float synth_rng_normalish(synth_rng *r) {
    uint64_t x = synth_rng_u64(r);
    uint32_t sum = (uint32_t)(x & 0xFFFF) + (uint32_t)((x >> 16) & 0xFFFF) +
                   (uint32_t)((x >> 32) & 0xFFFF) + (uint32_t)(x >> 48);
    /* four U(0,1): mean 2, variance 1/3 */
    return ((float)sum * (1.0f / 65536.0f) - 2.0f) * 1.7320508f;
}
