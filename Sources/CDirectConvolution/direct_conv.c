// The choke point of the 3x3 convolution kernels (see CDirectConvolution.h): CPU feature checks,
// the padded band every instruction set reads, and the dispatch to the kernels of conv_kernels.h.
//
// Why: the network's convolutions have few channels (32-64), where im2col + OpenBLAS sgemm spends
// a third of its time copying (im2col, then sgemm's own packing of that copy). Here the band is
// copied once with a zero border; each output pixel's nine taps are then fixed offsets into it, so
// a tile of MR consecutive pixels x 2 vectors of output channels is accumulated in registers.
//
// Layout of the padded band: (rows + 2 + slack) rows of (width + 2) pixels of cin floats. Output
// pixel (y, x) of the band is padded index o = y*(width+2) + x; tap (ky, kx) reads o + ky*(width+2)
// + kx. Tiles run over consecutive o, so a tile may cover the two border columns: those results
// are computed and dropped, and the last tile may read up to MR_MAX pixels into the slack rows.

#include <string.h>
#include "conv_band.h"

int mvs_kernels_available(int kernels) {
    switch (kernels) {
    case MVS_KERNELS_PORTABLE:
        return 1;
#if defined(__x86_64__)
    case MVS_KERNELS_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
    case MVS_KERNELS_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") ? 1 : 0;
#endif
#if defined(__aarch64__)
    case MVS_KERNELS_NEON:
        return 1;  // part of the aarch64 base architecture
#endif
    default:
        return 0;
    }
}

// Kernels the CPU cannot run (or this binary lacks) become the portable ones: a wrong request
// costs speed, never an illegal instruction. (The feature check reads a cached word.)
static int runnable(int kernels) {
    return mvs_kernels_available(kernels) ? kernels : MVS_KERNELS_PORTABLE;
}

static int slack_rows(int width) { return 2 + MR_MAX / (width + 2); }

size_t mvs_conv3x3_band_scratch(int rows, int width, int in_channels) {
    return (size_t)(rows + 2 + slack_rows(width)) * (size_t)(width + 2) * (size_t)in_channels;
}

void mvs_fill_band(const float *first, int c1, const float *second, int c2, int height, int width,
                   int y0, int rows, float *pad) {
    const int cin = c1 + c2;
    const size_t row_floats = (size_t)(width + 2) * cin;
    const int total_rows = rows + 2 + slack_rows(width);
    for (int r = 0; r < total_rows; r++) {
        float *dst = pad + (size_t)r * row_floats;
        const int sy = y0 - 1 + r;
        if (r >= rows + 2 || sy < 0 || sy >= height) {
            memset(dst, 0, row_floats * sizeof(float));
            continue;
        }
        memset(dst, 0, (size_t)cin * sizeof(float));
        memset(dst + (size_t)(width + 1) * cin, 0, (size_t)cin * sizeof(float));
        float *d = dst + cin;
        const float *s1 = first + (size_t)sy * width * c1;
        if (second == NULL) {
            memcpy(d, s1, (size_t)width * c1 * sizeof(float));
        } else {
            const float *s2 = second + (size_t)sy * width * c2;
            for (int x = 0; x < width; x++) {
                memcpy(d + (size_t)x * cin, s1 + (size_t)x * c1, (size_t)c1 * sizeof(float));
                memcpy(d + (size_t)x * cin + c1, s2 + (size_t)x * c2, (size_t)c2 * sizeof(float));
            }
        }
    }
}

int mvs_conv3x3_band(int kernels, const float *first, int c1, const float *second, int c2,
                     int height, int width, int y0, int rows,
                     const float *weights, int cout, float *out, float *scratch,
                     const mvs_epilogue *epilogue) {
    const int cin = c1 + (second ? c2 : 0);
    mvs_fill_band(first, c1, second, second ? c2 : 0, height, width, y0, rows, scratch);
    float *band_out = out + (size_t)y0 * width * cout;
    const float *addend = epilogue->kind == MVS_EPILOGUE_ADD_PIXEL_LEAKY_RELU ? epilogue->addend + (size_t)y0 * width * cout : 0;
    const int ran = runnable(kernels);
    switch (ran) {
#if defined(__x86_64__)
    case MVS_KERNELS_AVX512:
        mvs_direct_kernel_avx512(scratch, cin, width, rows, weights, cout, band_out, epilogue, addend);
        break;
    case MVS_KERNELS_AVX2:
        mvs_direct_kernel_avx2(scratch, cin, width, rows, weights, cout, band_out, epilogue, addend);
        break;
#endif
#if defined(__aarch64__)
    case MVS_KERNELS_NEON:
        mvs_direct_kernel_neon(scratch, cin, width, rows, weights, cout, band_out, epilogue, addend);
        break;
#endif
    default:
        mvs_direct_kernel_portable(scratch, cin, width, rows, weights, cout, band_out, epilogue, addend);
        break;
    }
    return ran;
}

size_t mvs_winograd_band_scratch(int rows, int width, int in_channels, int out_channels) {
    // V and M hold the band's tiles rounded up to the kernels' MR, at most MR_MAX more.
    const long tiles = (long)(rows / 2) * (width / 2) + MR_MAX;
    return mvs_conv3x3_band_scratch(rows, width, in_channels) + (size_t)(16 * tiles) * (in_channels + out_channels);
}

int mvs_winograd_band(int kernels, const float *first, int c1, const float *second, int c2,
                      int height, int width, int y0, int rows,
                      const float *transformed, int cout, float *out, float *scratch,
                      const mvs_epilogue *epilogue) {
    const int cin = c1 + (second ? c2 : 0);
    float *pad = scratch;
    float *work = pad + mvs_conv3x3_band_scratch(rows, width, cin);
    mvs_fill_band(first, c1, second, second ? c2 : 0, height, width, y0, rows, pad);
    float *band_out = out + (size_t)y0 * width * cout;
    const float *addend = epilogue->kind == MVS_EPILOGUE_ADD_PIXEL_LEAKY_RELU ? epilogue->addend + (size_t)y0 * width * cout : 0;
    const int ran = runnable(kernels);
    switch (ran) {
#if defined(__x86_64__)
    case MVS_KERNELS_AVX512:
        mvs_winograd_kernel_avx512(pad, cin, width, rows, transformed, cout, band_out, epilogue, addend, work);
        break;
    case MVS_KERNELS_AVX2:
        mvs_winograd_kernel_avx2(pad, cin, width, rows, transformed, cout, band_out, epilogue, addend, work);
        break;
#endif
#if defined(__aarch64__)
    case MVS_KERNELS_NEON:
        mvs_winograd_kernel_neon(pad, cin, width, rows, transformed, cout, band_out, epilogue, addend, work);
        break;
#endif
    default:
        mvs_winograd_kernel_portable(pad, cin, width, rows, transformed, cout, band_out, epilogue, addend, work);
        break;
    }
    return ran;
}
