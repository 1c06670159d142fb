// Shared by the AVX-512 3x3 convolution kernels (direct_conv.c, winograd_conv.c); not public.
#pragma once
#include "CDirectConvolution.h"
#include <immintrin.h>
#include <string.h>

// Pixels (or Winograd tiles) per register tile: with two vectors of 16 output channels,
// 2 x 14 accumulators + 2 weight vectors + 1 broadcast = 31 of the 32 zmm registers.
#define MR 14

// Copies band rows y0-1 ..< y0+rows+1 of the concatenated sources with a zero border and slack
// rows below (the layout described in direct_conv.c).
void mvs_fill_band(const float *first, int c1, const float *second, int c2, int height, int width,
                   int y0, int rows, float *pad);

// The row loops of a register tile, spelled out so the accumulators p0..p13 / q0..q13 stay in
// registers. FMA2 / FMA1 read row i's value of input channel ci at a[i * cin + ci].
#define FOR_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

#define DECLARE(i) __m512 p##i = _mm512_setzero_ps(), q##i = _mm512_setzero_ps();
#define FMA2(i) { const __m512 av = _mm512_set1_ps(a[i * cin + ci]);                                \
                  p##i = _mm512_fmadd_ps(av, b0, p##i); q##i = _mm512_fmadd_ps(av, b1, q##i); }
#define FMA1(i) { const __m512 av = _mm512_set1_ps(a[i * cin + ci]); p##i = _mm512_fmadd_ps(av, b0, p##i); }

// Applies the epilogue to 16 output channels starting at `col` and stores them.
__attribute__((target("avx512f"), always_inline)) static inline void store_kind(
    float *dst, __m512 v, __mmask16 m, const mvs_epilogue *ep, long col, const float *addend, int kind) {
    switch (kind) {
    case 1:
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, ep->bias + col));
        break;
    case 2:
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, ep->bias + col));
        v = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LE_OQ), v,
                               _mm512_set1_ps(ep->slope));
        break;
    case 3:
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, addend));
        v = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LE_OQ), v,
                               _mm512_set1_ps(ep->slope));
        break;
    case 4: {
        v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, ep->bias + col));
        const __m512 a = ep->slope_count == 1 ? _mm512_set1_ps(ep->slopes[0])
                                              : _mm512_maskz_loadu_ps(m, ep->slopes + col);
        v = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LE_OQ), v, a);
        break;
    }
    default:
        break;
    }
    _mm512_mask_storeu_ps(dst, m, v);
}

__attribute__((target("avx512f"), always_inline)) static inline void store(
    float *dst, __m512 v, __mmask16 m, const mvs_epilogue *ep, long col, const float *addend) {
    store_kind(dst, v, m, ep, col, addend, ep->kind);
}
