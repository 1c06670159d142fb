// Shared by the 3x3 convolution kernels of every instruction set; not public.
#pragma once
#include "CDirectConvolution.h"

// The most pixels (or Winograd tiles) any instruction set puts in one register tile (AVX-512's
// 14). Scratch is sized for it, so one scratch size serves every `kernels`.
#define MR_MAX 14

// Copies band rows y0-1 ..< y0+rows+1 of the concatenated sources with a zero border and slack
// rows below (the layout described in direct_conv.c).
void mvs_fill_band(const float *first, int c1, const float *second, int c2, int height, int width,
                   int y0, int rows, float *pad);

// The per-instruction-set halves of mvs_conv3x3_band / mvs_winograd_band, run on a band that
// mvs_fill_band has copied to `pad` (conv_kernels.h; `out` and `addend` point at the band's first
// row). Winograd's `work` holds its transformed tiles and products, sized by
// mvs_winograd_band_scratch less the padded band.
#define DECLARE_KERNELS(SUFFIX)                                                                    \
    void mvs_direct_kernel_##SUFFIX(const float *pad, long cin, long width, long rows,               \
                                    const float *weights, long cout, float *out,                   \
                                    const mvs_epilogue *ep, const float *addend);                  \
    void mvs_winograd_kernel_##SUFFIX(const float *pad, long cin, long width, long rows,             \
                                      const float *transformed, long cout, float *out,             \
                                      const mvs_epilogue *ep, const float *addend, float *work);
DECLARE_KERNELS(portable)
#if defined(__x86_64__)
DECLARE_KERNELS(avx2)
DECLARE_KERNELS(avx512)
#endif
#if defined(__aarch64__)
DECLARE_KERNELS(neon)
#endif

static inline long mvs_round_up(long value, long step) { return (value + step - 1) / step * step; }
