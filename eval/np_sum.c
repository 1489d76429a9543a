/* np_sum.c - numpy's blocked pairwise summation (see np_sum.h). */
#include "np_sum.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NP_BUFSIZE 8192
#define NP_PW_BLOCKSIZE 128

static double pairwise_f64(const double *a, size_t n) {
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= NP_PW_BLOCKSIZE) {
        double r[8];
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        size_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_f64(a, n2) + pairwise_f64(a + n2, n - n2);
}

static float pairwise_f32(const float *a, size_t n) {
    if (n < 8) {
        float res = 0.f;
        for (size_t i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= NP_PW_BLOCKSIZE) {
        float r[8];
        for (int j = 0; j < 8; j++)
            r[j] = a[j];
        size_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++)
                r[j] += a[i + j];
        float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_f32(a, n2) + pairwise_f32(a + n2, n - n2);
}

double mo_np_sum(const double *x, size_t n) {
    double sum = 0.;
    for (size_t i = 0; i < n; i += NP_BUFSIZE)
        sum += pairwise_f64(x + i, n - i < NP_BUFSIZE ? n - i : NP_BUFSIZE);
    return sum;
}

float mo_np_sum_f32(const float *x, size_t n) {
    float sum = 0.f;
    for (size_t i = 0; i < n; i += NP_BUFSIZE)
        sum += pairwise_f32(x + i, n - i < NP_BUFSIZE ? n - i : NP_BUFSIZE);
    return sum;
}

double mo_np_mean(const double *x, size_t n) {
    if (n == 0) return NAN;
    return mo_np_sum(x, n) / (double)n;
}

double mo_np_nanmean(const double *x, size_t n) {
    double *z = malloc(sizeof(double) * (n ? n : 1));
    if (!z) return NAN;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        z[i] = isnan(x[i]) ? 0.0 : x[i];
        cnt += !isnan(x[i]);
    }
    double r = cnt ? mo_np_sum(z, n) / (double)cnt : NAN;
    free(z);
    return r;
}

float mo_np_nanmean_f32(const float *x, size_t n) {
    float *z = malloc(sizeof(float) * (n ? n : 1));
    if (!z) return NAN;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        z[i] = isnan(x[i]) ? 0.0f : x[i];
        cnt += !isnan(x[i]);
    }
    float r = cnt ? (float)((double)mo_np_sum_f32(z, n) / (double)cnt) : NAN;
    free(z);
    return r;
}
