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

#include "CDirectConvolution.h"
#include <immintrin.h>
#include <string.h>

#define MR 14

int mvs_direct_conv_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

static int slack_rows(int width) { return 2 + MR / (width + 2); }

size_t mvs_conv3x3_band_scratch(int rows, int width, int in_channels) {
    return (size_t)(rows + 2 + slack_rows(width)) * (size_t)(width + 2) * (size_t)in_channels;
}

// Copies band rows y0-1 ..< y0+rows+1 of the concatenated sources with a zero border.
static void fill_band(const float *first, int c1, const float *second, int c2, int height, int width,
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
#define FOR_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

#define DECLARE(i) __m512 p##i = _mm512_setzero_ps(), q##i = _mm512_setzero_ps();
#define FMA2(i) { const __m512 av = _mm512_set1_ps(a[i * cin + ci]);                                \
                  p##i = _mm512_fmadd_ps(av, b0, p##i); q##i = _mm512_fmadd_ps(av, b1, q##i); }
#define FMA1(i) { const __m512 av = _mm512_set1_ps(a[i * cin + ci]); p##i = _mm512_fmadd_ps(av, b0, p##i); }
#define STORE(i) {                                                                                 \
        const long oi = o + i;                                                                     \
        const long y = oi / pw;                                                                    \
        const long x = oi - y * pw;                                                                \
        if (x < width && y < rows) {                                                               \
            const long at = (y * width + x) * cout + col;                                          \
            store(out + at, p##i, m0, ep, col, addend ? addend + at : 0);                          \
            if (nv == 2) store(out + at + 16, q##i, m1, ep, col + 16, addend ? addend + at + 16 : 0); \
        } }

// Applies the epilogue to 16 output channels starting at `col` and stores them.
__attribute__((target("avx512f"), always_inline)) static inline void store(
    float *dst, __m512 v, __mmask16 m, const mvs_epilogue *ep, long col, const float *addend) {
    switch (ep->kind) {
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
    fill_band(first, c1, second, second ? c2 : 0, height, width, y0, rows, scratch);
    float *band_out = out + (size_t)y0 * width * cout;
    const float *addend = epilogue->kind == 3 ? epilogue->addend + (size_t)y0 * width * cout : 0;
    if (cin == 32) band_kernel_32(scratch, width, rows, weights, cout, band_out, epilogue, addend);
    else if (cin == 64) band_kernel_64(scratch, width, rows, weights, cout, band_out, epilogue, addend);
    else band_kernel_any(scratch, cin, width, rows, weights, cout, band_out, epilogue, addend);
}

// ---------------------------------------------------------------------------------------------
// Winograd F(2x2, 3x3). Each 4x4 input tile d (stride 2) becomes V = Bᵀ d B, each kernel
// U = G g Gᵀ; the 16 positions xi of the tile are 16 independent products
// M[xi][tile][co] = Σ_ci V[xi][tile][ci] U[xi][ci][co], run with the same register tiles as the
// direct kernel; the 2x2 outputs are Y = Aᵀ M A. Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
// G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1], Aᵀ = [1 1 1 0; 0 1 -1 -1].

static long round_up(long value, long step) { return (value + step - 1) / step * step; }

size_t mvs_winograd_band_scratch(int rows, int width, int in_channels, int out_channels) {
    const long tiles = round_up((long)(rows / 2) * (width / 2), MR);
    return mvs_conv3x3_band_scratch(rows, width, in_channels) + (size_t)(16 * tiles) * (in_channels + out_channels);
}

void mvs_winograd_transform_weights(const float *oihw, int cout, int total_in, int first_channel, int cin,
                                    float *transformed) {
    for (int co = 0; co < cout; co++) {
        for (int ci = 0; ci < cin; ci++) {
            const float *g = oihw + ((size_t)co * total_in + first_channel + ci) * 9;
            float gg[4][3];  // G g
            for (int c = 0; c < 3; c++) {
                gg[0][c] = g[c];
                gg[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
                gg[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
                gg[3][c] = g[6 + c];
            }
            for (int r = 0; r < 4; r++) {
                const float u[4] = {gg[r][0], 0.5f * (gg[r][0] + gg[r][1] + gg[r][2]),
                                    0.5f * (gg[r][0] - gg[r][1] + gg[r][2]), gg[r][2]};
                for (int c = 0; c < 4; c++)
                    transformed[((size_t)(r * 4 + c) * cin + ci) * cout + co] = u[c];
            }
        }
    }
}

// V[xi][t][c] for every tile t of the band (tiles past the last are zeroed).
__attribute__((target("avx512f"))) static void winograd_input(
    const float *pad, long cin, long width, long tile_rows, long tiles_padded, float *v) {
    const long pw = width + 2;
    const long tw = width / 2;
    const long tiles = tile_rows * tw;
    for (long t = 0; t < tiles_padded; t++) {
        const long ty = t / tw, tx = t - ty * tw;
        for (long c = 0; c < cin; c += 16) {
            const __mmask16 m = cin - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cin - c)) - 1);
            if (t >= tiles) {
                for (int xi = 0; xi < 16; xi++) _mm512_mask_storeu_ps(v + ((long)xi * tiles_padded + t) * cin + c, m, _mm512_setzero_ps());
                continue;
            }
            __m512 d[4][4], s[4][4];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    d[i][j] = _mm512_maskz_loadu_ps(m, pad + ((2 * ty + i) * pw + 2 * tx + j) * cin + c);
            for (int j = 0; j < 4; j++) {  // Bᵀ d
                s[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
                s[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
                s[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
                s[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
            }
            for (int i = 0; i < 4; i++) {  // (Bᵀ d) B
                const __m512 r[4] = {_mm512_sub_ps(s[i][0], s[i][2]), _mm512_add_ps(s[i][1], s[i][2]),
                                     _mm512_sub_ps(s[i][2], s[i][1]), _mm512_sub_ps(s[i][1], s[i][3])};
                for (int j = 0; j < 4; j++)
                    _mm512_mask_storeu_ps(v + ((long)(i * 4 + j) * tiles_padded + t) * cin + c, m, r[j]);
            }
        }
    }
}

// M[t][col..] = Σ_ci V[t][ci] U[ci][col..] for MR tiles from t0 (one Winograd position).
#define WG_TILE(NAME, NV, FMA)                                                                     \
__attribute__((target("avx512f"), always_inline)) static inline void NAME(                        \
    const float *v, long t0, long cin, const float *u, long cout, long col,                        \
    __mmask16 m0, __mmask16 m1, float *mout) {                                                     \
    const int nv = NV;                                                                             \
    FOR_ROWS(DECLARE)                                                                              \
    const float *a = v + t0 * cin;                                                                 \
    const float *w = u + col;                                                                      \
    for (long ci = 0; ci < cin; ci++) {                                                            \
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, w + ci * cout);                                \
        const __m512 b1 = NV == 2 ? _mm512_maskz_loadu_ps(m1, w + ci * cout + 16)                  \
                                  : _mm512_setzero_ps();                                           \
        (void)b1;                                                                                  \
        FOR_ROWS(FMA)                                                                              \
    }                                                                                              \
    FOR_ROWS(WG_STORE)                                                                             \
}
#define WG_STORE(i) {                                                                              \
        float *dst = mout + (t0 + i) * cout + col;                                                 \
        _mm512_mask_storeu_ps(dst, m0, p##i);                                                      \
        if (nv == 2) _mm512_mask_storeu_ps(dst + 16, m1, q##i); }

WG_TILE(wg_tile2, 2, FMA2)
WG_TILE(wg_tile1, 1, FMA1)

__attribute__((target("avx512f"), always_inline)) static inline void winograd_products(
    const float *v, long cin, long tiles_padded, const float *u, long cout, float *mout) {
    for (int xi = 0; xi < 16; xi++) {
        const float *vx = v + (long)xi * tiles_padded * cin;
        const float *ux = u + (long)xi * cin * cout;
        float *mx = mout + (long)xi * tiles_padded * cout;
        for (long col = 0; col < cout;) {
            const long left = cout - col;
            if (left > 16) {
                const __mmask16 m1 = left >= 32 ? (__mmask16)0xFFFF : (__mmask16)((1u << (left - 16)) - 1);
                for (long t = 0; t < tiles_padded; t += MR)
                    wg_tile2(vx, t, cin, ux, cout, col, (__mmask16)0xFFFF, m1, mx);
                col += 32;
            } else {
                const __mmask16 m0 = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
                for (long t = 0; t < tiles_padded; t += MR)
                    wg_tile1(vx, t, cin, ux, cout, col, m0, 0, mx);
                col += 16;
            }
        }
    }
}

__attribute__((target("avx512f"))) static void winograd_products_32(
    const float *v, long tiles_padded, const float *u, long cout, float *mout) {
    winograd_products(v, 32, tiles_padded, u, cout, mout);
}
__attribute__((target("avx512f"))) static void winograd_products_64(
    const float *v, long tiles_padded, const float *u, long cout, float *mout) {
    winograd_products(v, 64, tiles_padded, u, cout, mout);
}
__attribute__((target("avx512f"))) static void winograd_products_any(
    const float *v, long cin, long tiles_padded, const float *u, long cout, float *mout) {
    winograd_products(v, cin, tiles_padded, u, cout, mout);
}

// Y = Aᵀ M A for every tile, then the epilogue, stored into the band's output rows.
__attribute__((target("avx512f"))) static void winograd_output(
    const float *mout, long tiles_padded, long tile_rows, long width, long cout, float *out,
    const mvs_epilogue *ep, const float *addend) {
    const long tw = width / 2;
    for (long t = 0; t < tile_rows * tw; t++) {
        const long ty = t / tw, tx = t - ty * tw;
        for (long c = 0; c < cout; c += 16) {
            const __mmask16 m = cout - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cout - c)) - 1);
            __m512 x[4][4], s[2][4];
            for (int xi = 0; xi < 16; xi++)
                x[xi / 4][xi % 4] = _mm512_maskz_loadu_ps(m, mout + ((long)xi * tiles_padded + t) * cout + c);
            for (int j = 0; j < 4; j++) {  // Aᵀ M
                s[0][j] = _mm512_add_ps(_mm512_add_ps(x[0][j], x[1][j]), x[2][j]);
                s[1][j] = _mm512_sub_ps(_mm512_sub_ps(x[1][j], x[2][j]), x[3][j]);
            }
            for (int i = 0; i < 2; i++) {  // (Aᵀ M) A
                const __m512 y0 = _mm512_add_ps(_mm512_add_ps(s[i][0], s[i][1]), s[i][2]);
                const __m512 y1 = _mm512_sub_ps(_mm512_sub_ps(s[i][1], s[i][2]), s[i][3]);
                const long at = ((2 * ty + i) * width + 2 * tx) * cout + c;
                store(out + at, y0, m, ep, c, addend ? addend + at : 0);
                store(out + at + cout, y1, m, ep, c, addend ? addend + at + cout : 0);
            }
        }
    }
}

void mvs_winograd_band(const float *first, int c1, const float *second, int c2,
                       int height, int width, int y0, int rows,
                       const float *transformed, int cout, float *out, float *scratch,
                       const mvs_epilogue *epilogue) {
    const int cin = c1 + (second ? c2 : 0);
    const long tile_rows = rows / 2;
    const long tiles_padded = round_up(tile_rows * (width / 2), MR);
    float *pad = scratch;
    float *v = pad + mvs_conv3x3_band_scratch(rows, width, cin);
    float *m = v + 16 * tiles_padded * cin;
    fill_band(first, c1, second, second ? c2 : 0, height, width, y0, rows, pad);
    winograd_input(pad, cin, width, tile_rows, tiles_padded, v);
    if (cin == 32) winograd_products_32(v, tiles_padded, transformed, cout, m);
    else if (cin == 64) winograd_products_64(v, tiles_padded, transformed, cout, m);
    else winograd_products_any(v, cin, tiles_padded, transformed, cout, m);
    float *band_out = out + (size_t)y0 * width * cout;
    const float *addend = epilogue->kind == 3 ? epilogue->addend + (size_t)y0 * width * cout : 0;
    winograd_output(m, tiles_padded, tile_rows, width, cout, band_out, epilogue, addend);
}
