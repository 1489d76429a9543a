/* peak.c - measures one core's f32 FMA peak (GFLOP/s) with independent AVX-512 FMA chains.
 * Build: cc -O3 -mavx512f -mfma bench/peak.c -o peak. Prints the figure bench/compare uses. */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void) {
    __m512 acc[12], a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(0.9999999f);
    for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
    const long iters = 200000000L / 12;
    double best = 0;
    for (int round = 0; round < 5; round++) {
        double t0 = now();
        for (long n = 0; n < iters; n++) {
#pragma GCC unroll 12
            for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
        }
        double s = now() - t0, gflops = (double)iters * 12 * 16 * 2 / s / 1e9;
        if (gflops > best) best = gflops;
    }
    float sink = 0;
    for (int i = 0; i < 12; i++) sink += _mm512_reduce_add_ps(acc[i]);
    printf("%.1f\n", best + 0 * sink);
    return 0;
}
