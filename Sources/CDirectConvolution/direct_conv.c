// Direct 3x3 convolution for channels-last activations with AVX-512 (see CDirectConvolution.h).
//
// Why: the network's convolutions have few channels (32-64), where im2col + OpenBLAS sgemm spends
// a third of its time copying (im2col, then sgemm's own packing of that copy) and, with the
// Haswell kernels this machine's OpenBLAS runs, uses half the vector width. Here the band is
// copied once with a zero border; each output pixel's nine taps are then fixed offsets into it, so
// a tile of MR consecutive pixels x 32 output channels is accumulated in 28 zmm registers.
//
// Layout of the padded band: (rows + 2 + slack) rows of (width + 2) pixels of cin floats. Output
// pixel (y, x) of the band is padded index o = y*(width+2) + x; tap (ky, kx) reads o + ky*(width+2)
// + kx. Tiles run over consecutive o, so a tile may cover the two border columns: those results
// are computed and dropped.

#include "conv_band.h"

int mvs_direct_conv_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

static int slack_rows(int width) { return 2 + MR / (width + 2); }

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

// One tile: MR pixels from padded index o, NV (1 or 2) vectors of 16 output channels starting at
// column `col`. `cin` is a constant in the specialised callers, so the row offsets i*cin fold
// into addressing displacements. The row loops are spelled out (FOR_ROWS) so the accumulators
// stay in registers: 2 x 14 accumulators + 2 weight vectors + 1 broadcast = 31 zmm.
#define STORE(i) {                                                                                 \
        const long oi = o + i;                                                                     \
        const long y = oi / pw;                                                                    \
        const long x = oi - y * pw;                                                                \
        if (x < width && y < rows) {                                                               \
            const long at = (y * width + x) * cout + col;                                          \
            store(out + at, p##i, m0, ep, col, addend ? addend + at : 0);                          \
            if (nv == 2) store(out + at + 16, q##i, m1, ep, col + 16, addend ? addend + at + 16 : 0); \
        } }

#define DEFINE_TILE(NAME, NV, FMA)                                                                 \
__attribute__((target("avx512f"), always_inline)) static inline void NAME(                        \
    const float *pad, long o, long cin, long pw, const float *weights, long cout, long col,        \
    __mmask16 m0, __mmask16 m1, float *out, long width, long rows, const mvs_epilogue *ep,         \
    const float *addend) {                                                                         \
    const int nv = NV;                                                                             \
    FOR_ROWS(DECLARE)                                                                              \
    for (int ky = 0; ky < 3; ky++) {                                                               \
        for (int kx = 0; kx < 3; kx++) {                                                           \
            const float *a = pad + (o + ky * pw + kx) * cin;                                       \
            const float *w = weights + (long)((ky * 3 + kx) * cin) * cout + col;                   \
            for (long ci = 0; ci < cin; ci++) {                                                    \
                const __m512 b0 = _mm512_maskz_loadu_ps(m0, w + ci * cout);                        \
                const __m512 b1 = NV == 2 ? _mm512_maskz_loadu_ps(m1, w + ci * cout + 16)          \
                                          : _mm512_setzero_ps();                                   \
                (void)b1;                                                                          \
                FOR_ROWS(FMA)                                                                      \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    FOR_ROWS(STORE)                                                                                \
}

DEFINE_TILE(tile2, 2, FMA2)
DEFINE_TILE(tile1, 1, FMA1)

__attribute__((target("avx512f"), always_inline)) static inline void band_kernel(
    const float *pad, long cin, long width, long rows, const float *weights, long cout, float *out,
    const mvs_epilogue *ep, const float *addend) {
    const long pw = width + 2;
    const long last = (rows - 1) * pw + width;  // one past the last output pixel's padded index
    for (long col = 0; col < cout;) {
        const long left = cout - col;
        if (left > 16) {
            const __mmask16 m1 = left >= 32 ? (__mmask16)0xFFFF : (__mmask16)((1u << (left - 16)) - 1);
            for (long o = 0; o < last; o += MR)
                tile2(pad, o, cin, pw, weights, cout, col, (__mmask16)0xFFFF, m1, out, width, rows, ep, addend);
            col += 32;
        } else {
            const __mmask16 m0 = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
            for (long o = 0; o < last; o += MR)
                tile1(pad, o, cin, pw, weights, cout, col, m0, 0, out, width, rows, ep, addend);
            col += 16;
        }
    }
}

__attribute__((target("avx512f"))) static void band_kernel_32(
    const float *pad, long width, long rows, const float *weights, long cout, float *out,
    const mvs_epilogue *ep, const float *addend) {
    band_kernel(pad, 32, width, rows, weights, cout, out, ep, addend);
}

__attribute__((target("avx512f"))) static void band_kernel_64(
    const float *pad, long width, long rows, const float *weights, long cout, float *out,
    const mvs_epilogue *ep, const float *addend) {
    band_kernel(pad, 64, width, rows, weights, cout, out, ep, addend);
}

__attribute__((target("avx512f"))) static void band_kernel_any(
    const float *pad, long cin, long width, long rows, const float *weights, long cout, float *out,
    const mvs_epilogue *ep, const float *addend) {
    band_kernel(pad, cin, width, rows, weights, cout, out, ep, addend);
}

void mvs_conv3x3_band(const float *first, int c1, const float *second, int c2,
                      int height, int width, int y0, int rows,
                      const float *weights, int cout, float *out, float *scratch,
                      const mvs_epilogue *epilogue) {
    const int cin = c1 + (second ? c2 : 0);
    mvs_fill_band(first, c1, second, second ? c2 : 0, height, width, y0, rows, scratch);
    float *band_out = out + (size_t)y0 * width * cout;
    const float *addend = epilogue->kind == 3 ? epilogue->addend + (size_t)y0 * width * cout : 0;
    if (cin == 32) band_kernel_32(scratch, width, rows, weights, cout, band_out, epilogue, addend);
    else if (cin == 64) band_kernel_64(scratch, width, rows, weights, cout, band_out, epilogue, addend);
    else band_kernel_any(scratch, cin, width, rows, weights, cout, band_out, epilogue, addend);
}
