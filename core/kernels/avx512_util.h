/* avx512_util.h - small inline helpers shared by the AVX-512 kernels (include only from files
 * compiled with -mavx512f). */
#ifndef MO_CORE_AVX512_UTIL_H
#define MO_CORE_AVX512_UTIL_H

#include <immintrin.h>

#include "conv_ref.h"

static inline __m512 activate(__m512 v, mo_act act) {
    if (act == MO_ACT_NONE) return v;
    v = _mm512_max_ps(v, _mm512_setzero_ps());
    return act == MO_ACT_RELU6 ? _mm512_min_ps(v, _mm512_set1_ps(6.0f)) : v;
}

/* The first n (0..16) lanes. */
static inline __mmask16 lanes(int32_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

#endif
