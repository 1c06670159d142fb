// Winograd F(2x2, 3x3) convolution for channels-last activations with AVX-512
// (see CDirectConvolution.h).
//
// Why: 16 multiplications per 2x2 outputs and input channel instead of 36 (2.25x fewer), in
// exchange for transforms that are cheap adds. Each 4x4 input tile d (stride 2) of the padded band
// becomes V = Bᵀ d B and each kernel U = G g Gᵀ (once, at load); the 16 positions xi of a tile are
// 16 independent products M[xi][tile][co] = Σ_ci V[xi][tile][ci] U[xi][ci][co], run with register
// tiles like the direct kernel's; the 2x2 outputs are Y = Aᵀ M A. V and M are tile-major
// ([tile][xi][channel]) so each transform reads or writes one contiguous run per tile.
// Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1],
// Aᵀ = [1 1 1 0; 0 1 -1 -1]. Rounding differs from the direct sum by a few ulps (tests: 1e-4).

#include "conv_band.h"

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
    memset(v + tiles * 16 * cin, 0, (size_t)((tiles_padded - tiles) * 16 * cin) * sizeof(float));
    for (long ty = 0; ty < tile_rows; ty++)
    for (long tx = 0; tx < tw; tx++) {
        const long t = ty * tw + tx;
        for (long c = 0; c < cin; c += 16) {
            const __mmask16 m = cin - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cin - c)) - 1);
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
                    _mm512_mask_storeu_ps(v + (t * 16 + i * 4 + j) * cin + c, m, r[j]);
            }
        }
    }
}

// M[t][col..] = Σ_ci V[t][ci] U[ci][col..] for MR tiles from t0 (one Winograd position).
#define WFMA2(i) { const __m512 av = _mm512_set1_ps(a[i * lda + ci]);                               \
                   p##i = _mm512_fmadd_ps(av, b0, p##i); q##i = _mm512_fmadd_ps(av, b1, q##i); }
#define WFMA1(i) { const __m512 av = _mm512_set1_ps(a[i * lda + ci]); p##i = _mm512_fmadd_ps(av, b0, p##i); }
#define WG_TILE(NAME, NV, FMA)                                                                     \
__attribute__((target("avx512f"), always_inline)) static inline void NAME(                        \
    const float *v, long t0, long cin, const float *u, long cout, long col,                        \
    __mmask16 m0, __mmask16 m1, float *mout) {                                                     \
    const int nv = NV;                                                                             \
    const long lda = 16 * cin, ldm = 16 * cout;                                                    \
    FOR_ROWS(DECLARE)                                                                              \
    const float *a = v + t0 * lda;                                                                 \
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
        float *dst = mout + (t0 + i) * ldm + col;                                                  \
        _mm512_mask_storeu_ps(dst, m0, p##i);                                                      \
        if (nv == 2) _mm512_mask_storeu_ps(dst + 16, m1, q##i); }

WG_TILE(wg_tile2, 2, WFMA2)
WG_TILE(wg_tile1, 1, WFMA1)

__attribute__((target("avx512f"), always_inline)) static inline void winograd_products(
    const float *v, long cin, long tiles_padded, const float *u, long cout, float *mout) {
    for (int xi = 0; xi < 16; xi++) {
        const float *vx = v + (long)xi * cin;
        const float *ux = u + (long)xi * cin * cout;
        float *mx = mout + (long)xi * cout;
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

// Y = Aᵀ M A for every tile, then the epilogue (`kind` is a constant in each caller, so the
// epilogue's switch disappears from the loop), stored into the band's output rows.
__attribute__((target("avx512f"), always_inline)) static inline void winograd_output_kind(
    const float *mout, long tiles_padded, long tile_rows, long width, long cout, float *out,
    const mvs_epilogue *ep, const float *addend, int kind) {
    const long tw = width / 2;
    for (long ty = 0; ty < tile_rows; ty++)
    for (long tx = 0; tx < tw; tx++) {
        const long t = ty * tw + tx;
        for (long c = 0; c < cout; c += 16) {
            const __mmask16 m = cout - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cout - c)) - 1);
            __m512 x[4][4], s[2][4];
            const float *mt = mout + t * 16 * cout + c;
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    x[i][j] = _mm512_maskz_loadu_ps(m, mt + (i * 4 + j) * cout);
            for (int j = 0; j < 4; j++) {  // Aᵀ M
                s[0][j] = _mm512_add_ps(_mm512_add_ps(x[0][j], x[1][j]), x[2][j]);
                s[1][j] = _mm512_sub_ps(_mm512_sub_ps(x[1][j], x[2][j]), x[3][j]);
            }
            for (int i = 0; i < 2; i++) {  // (Aᵀ M) A
                const __m512 y0 = _mm512_add_ps(_mm512_add_ps(s[i][0], s[i][1]), s[i][2]);
                const __m512 y1 = _mm512_sub_ps(_mm512_sub_ps(s[i][1], s[i][2]), s[i][3]);
                const long at = ((2 * ty + i) * width + 2 * tx) * cout + c;
                store_kind(out + at, y0, m, ep, c, addend ? addend + at : 0, kind);
                store_kind(out + at + cout, y1, m, ep, c, addend ? addend + at + cout : 0, kind);
            }
        }
    }
}

__attribute__((target("avx512f"))) static void winograd_output(
    const float *mout, long tiles_padded, long tile_rows, long width, long cout, float *out,
    const mvs_epilogue *ep, const float *addend) {
    switch (ep->kind) {
    case 1: winograd_output_kind(mout, tiles_padded, tile_rows, width, cout, out, ep, addend, 1); break;
    case 2: winograd_output_kind(mout, tiles_padded, tile_rows, width, cout, out, ep, addend, 2); break;
    case 3: winograd_output_kind(mout, tiles_padded, tile_rows, width, cout, out, ep, addend, 3); break;
    case 4: winograd_output_kind(mout, tiles_padded, tile_rows, width, cout, out, ep, addend, 4); break;
    default: winograd_output_kind(mout, tiles_padded, tile_rows, width, cout, out, ep, addend, 0); break;
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
    mvs_fill_band(first, c1, second, second ? c2 : 0, height, width, y0, rows, pad);
    winograd_input(pad, cin, width, tile_rows, tiles_padded, v);
    if (cin == 32) winograd_products_32(v, tiles_padded, transformed, cout, m);
    else if (cin == 64) winograd_products_64(v, tiles_padded, transformed, cout, m);
    else winograd_products_any(v, cin, tiles_padded, transformed, cout, m);
    float *band_out = out + (size_t)y0 * width * cout;
    const float *addend = epilogue->kind == 3 ? epilogue->addend + (size_t)y0 * width * cout : 0;
    winograd_output(m, tiles_padded, tile_rows, width, cout, band_out, epilogue, addend);
}
