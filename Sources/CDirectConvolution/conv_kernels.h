// The direct and Winograd F(2x2, 3x3) 3x3 convolution kernels, written once against the vector
// vocabulary of conv_simd.h and compiled once per instruction set: each kernels_*.c file defines
// KERNELS (the name suffix) and the vocabulary, then includes this. Everything here is static
// except mvs_direct_kernel_<KERNELS> and mvs_winograd_kernel_<KERNELS> (conv_band.h).
//
// Direct (PyTorch F.conv2d(x, w, b, padding=1), channels-last): the padded band (direct_conv.c)
// makes each output pixel's nine taps fixed offsets; a register tile of MR consecutive padded
// pixels x 2 vectors of output channels accumulates Σ_tap Σ_ci a[ci] · w[tap][ci][co..].
// Winograd: the same tile, with MR 4x4 input tiles of one Winograd position in place of pixels and
// one "tap" (see winograd_conv.c for the transforms).

#define KERNELS_CAT2(a, b) a##_##b
#define KERNELS_CAT(a, b) KERNELS_CAT2(a, b)

// Applies the epilogue to VL output channels starting at `col` and stores them. `kind` is a
// constant where the caller is specialised, so the switch leaves the loop.
__attribute__((always_inline)) static inline void store_kind(
    float *dst, vec v, vmask m, const mvs_epilogue *ep, long col, const float *addend, mvs_epilogue_kind kind) {
    switch (kind) {
    case MVS_EPILOGUE_BIAS:
        v = vadd(v, vload(m, ep->bias + col));
        break;
    case MVS_EPILOGUE_BIAS_LEAKY_RELU:
        v = vleaky(vadd(v, vload(m, ep->bias + col)), vset1(ep->slope));
        break;
    case MVS_EPILOGUE_ADD_PIXEL_LEAKY_RELU:
        v = vleaky(vadd(v, vload(m, addend)), vset1(ep->slope));
        break;
    case MVS_EPILOGUE_BIAS_PRELU:
        v = vleaky(vadd(v, vload(m, ep->bias + col)),
                   ep->slope_count == 1 ? vset1(ep->slopes[0]) : vload(m, ep->slopes + col));
        break;
    default:
        break;
    }
    vstore(dst, m, v);
}

// The row loops of a register tile, spelled out (FOR_ROWS) so the accumulators p0.. / q0.. stay
// in registers. Row i of the tile reads input channel ci at a[i * lda + ci].
#define TILE_DECLARE(i) vec p##i = vzero(), q##i = vzero();
#define TILE_FMA(i) {                                                                              \
        const vec av = vset1(a[i * lda + ci]);                                                     \
        p##i = vfma(av, b0, p##i);                                                                 \
        if (nv == 2) q##i = vfma(av, b1, q##i); }
// Direct: pixel o + i of the padded band; border columns and rows past the band are dropped.
#define TILE_STORE_PIXEL(i) {                                                                      \
        const long oi = o + i;                                                                     \
        const long y = oi / pw;                                                                    \
        const long x = oi - y * pw;                                                                \
        if (x < width && y < rows) {                                                               \
            const long at = (y * width + x) * cout + col;                                          \
            store_kind(out + at, p##i, m0, ep, col, addend ? addend + at : 0, ep->kind);           \
            if (nv == 2)                                                                           \
                store_kind(out + at + VL, q##i, m1, ep, col + VL, addend ? addend + at + VL : 0, ep->kind); \
        } }
// Winograd: the products of tile o + i, stored raw ([tile][16][cout], `out` at this position).
#define TILE_STORE_PRODUCT(i) {                                                                    \
        float *dst = out + (o + i) * 16 * cout + col;                                              \
        vstore(dst, m0, p##i);                                                                     \
        if (nv == 2) vstore(dst + VL, m1, q##i); }

// One register tile: rows o ..< o+MR (padded pixels, or Winograd tiles) times nv (1 or 2) vectors
// of output channels from `col` (lanes m0, m1), summed over `cin` input channels and, for the
// direct kernel, the nine taps. `nv`, `direct` and (in the specialised callers) `cin` are
// constants after inlining, so row offsets fold into addressing displacements and the unused
// half disappears. Direct: `src` is the padded band (pixel stride cin), `w` [9][cin][cout].
// Winograd: `src` is V at one position (tile stride 16*cin), `w` U at that position [cin][cout].
__attribute__((always_inline)) static inline void tile(
    int nv, int direct, const float *src, long o, long cin, long pw, const float *w, long cout, long col,
    vmask m0, vmask m1, float *out, long width, long rows, const mvs_epilogue *ep, const float *addend) {
    const long lda = direct ? cin : 16 * cin;
    FOR_ROWS(TILE_DECLARE)
    const int taps = direct ? 3 : 1;
    for (int ky = 0; ky < taps; ky++) {
        for (int kx = 0; kx < taps; kx++) {
            const float *a = src + (o + ky * pw + kx) * lda;
            const float *wt = w + (long)((ky * 3 + kx) * cin) * cout + col;
            for (long ci = 0; ci < cin; ci++) {
                const vec b0 = vload(m0, wt + ci * cout);
                const vec b1 = nv == 2 ? vload(m1, wt + ci * cout + VL) : vzero();
                (void)b1;
                FOR_ROWS(TILE_FMA)
            }
        }
    }
    if (direct) {
        FOR_ROWS(TILE_STORE_PIXEL)
    } else {
        FOR_ROWS(TILE_STORE_PRODUCT)
    }
}

// Every tile of rows 0 ..< `last` (a multiple of MR for Winograd; the direct kernel's last tile
// may run past the band into the zero slack rows) for every block of output channels: full
// 2-vector blocks, then a partial 2-vector block or a 1-vector block for the rest.
__attribute__((always_inline)) static inline void all_tiles(
    int direct, const float *src, long last, long cin, long pw, const float *w, long cout,
    float *out, long width, long rows, const mvs_epilogue *ep, const float *addend) {
    long col = 0;
    for (; cout - col >= 2 * VL; col += 2 * VL)
        for (long o = 0; o < last; o += MR)
            tile(2, direct, src, o, cin, pw, w, cout, col, vmask_first(VL), vmask_first(VL), out, width, rows, ep, addend);
    const long left = cout - col;
    if (left > VL) {
        for (long o = 0; o < last; o += MR)
            tile(2, direct, src, o, cin, pw, w, cout, col, vmask_first(VL), vmask_first(left - VL), out, width, rows,
                 ep, addend);
    } else if (left > 0) {
        for (long o = 0; o < last; o += MR)
            tile(1, direct, src, o, cin, pw, w, cout, col, vmask_first(left), vmask_first(left), out, width, rows,
                 ep, addend);
    }
}

// Direct kernel, specialised for the network's 32 and 64 input channels.
__attribute__((always_inline)) static inline void direct_band(
    const float *pad, long cin, long width, long rows, const float *weights, long cout, float *out,
    const mvs_epilogue *ep, const float *addend) {
    const long pw = width + 2;
    const long last = (rows - 1) * pw + width;  // one past the last output pixel's padded index
    all_tiles(1, pad, last, cin, pw, weights, cout, out, width, rows, ep, addend);
}
static void direct_band_32(const float *pad, long width, long rows, const float *weights, long cout, float *out,
                           const mvs_epilogue *ep, const float *addend) {
    direct_band(pad, 32, width, rows, weights, cout, out, ep, addend);
}
static void direct_band_64(const float *pad, long width, long rows, const float *weights, long cout, float *out,
                           const mvs_epilogue *ep, const float *addend) {
    direct_band(pad, 64, width, rows, weights, cout, out, ep, addend);
}
static void direct_band_any(const float *pad, long cin, long width, long rows, const float *weights, long cout,
                            float *out, const mvs_epilogue *ep, const float *addend) {
    direct_band(pad, cin, width, rows, weights, cout, out, ep, addend);
}

void KERNELS_CAT(mvs_direct_kernel, KERNELS)(const float *pad, long cin, long width, long rows,
                                             const float *weights, long cout, float *out,
                                             const mvs_epilogue *ep, const float *addend) {
    if (cin == 32) direct_band_32(pad, width, rows, weights, cout, out, ep, addend);
    else if (cin == 64) direct_band_64(pad, width, rows, weights, cout, out, ep, addend);
    else direct_band_any(pad, cin, width, rows, weights, cout, out, ep, addend);
}

// V[t][xi][c ..< c+VL] = (Bᵀ d B)[xi] for the 4x4 input tile d at (2*ty, 2*tx) of the padded band
// (lanes m). Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
__attribute__((always_inline)) static inline void winograd_input_block(
    const float *pad, long cin, long pw, long ty, long tx, long c, vmask m, float *vt) {
    for (int half = 0; half < 2; half++) {  // two columns of Bᵀ d at a time: fewer live registers
        vec s[4][2];
        for (int jj = 0; jj < 2; jj++) {  // Bᵀ d, columns j = 2*half + jj
            const long j = 2 * half + jj;
            const float *d = pad + ((2 * ty) * pw + 2 * tx + j) * cin + c;
            const vec d0 = vload(m, d), d1 = vload(m, d + pw * cin);
            const vec d2 = vload(m, d + 2 * pw * cin), d3 = vload(m, d + 3 * pw * cin);
            s[0][jj] = vsub(d0, d2);
            s[1][jj] = vadd(d1, d2);
            s[2][jj] = vsub(d2, d1);
            s[3][jj] = vsub(d1, d3);
        }
        for (int i = 0; i < 4; i++)
            for (int jj = 0; jj < 2; jj++)
                vstore(vt + (i * 4 + 2 * half + jj) * cin + c, m, s[i][jj]);
    }
    for (int i = 0; i < 4; i++) {  // (Bᵀ d) B, in place
        float *row = vt + (i * 4) * cin + c;
        const vec s0 = vload(m, row), s1 = vload(m, row + cin);
        const vec s2 = vload(m, row + 2 * cin), s3 = vload(m, row + 3 * cin);
        vstore(row, m, vsub(s0, s2));
        vstore(row + cin, m, vadd(s1, s2));
        vstore(row + 2 * cin, m, vsub(s2, s1));
        vstore(row + 3 * cin, m, vsub(s1, s3));
    }
}

// V[t] for every tile t of the band; tiles from `tiles` to `tiles_padded` are zeroed. Full
// vectors first, with a mask that is a constant (plain loads and stores: AVX2's masked stores are
// slow), then the masked tail.
static void winograd_input(const float *pad, long cin, long width, long tile_rows, long tiles_padded, float *v) {
    const long pw = width + 2;
    const long tw = width / 2;
    const long tiles = tile_rows * tw;
    memset(v + tiles * 16 * cin, 0, (size_t)((tiles_padded - tiles) * 16 * cin) * sizeof(float));
    for (long ty = 0; ty < tile_rows; ty++)
    for (long tx = 0; tx < tw; tx++) {
        float *vt = v + (ty * tw + tx) * 16 * cin;
        long c = 0;
        for (; c + VL <= cin; c += VL) winograd_input_block(pad, cin, pw, ty, tx, c, vmask_first(VL), vt);
        if (c < cin) winograd_input_block(pad, cin, pw, ty, tx, c, vmask_first(cin - c), vt);
    }
}

// M[t][xi][co] = Σ_ci V[t][xi][ci] U[xi][ci][co] for every tile and Winograd position xi.
__attribute__((always_inline)) static inline void winograd_products(
    const float *v, long cin, long tiles_padded, const float *u, long cout, float *mout) {
    for (int xi = 0; xi < 16; xi++)
        all_tiles(0, v + (long)xi * cin, tiles_padded, cin, 0, u + (long)xi * cin * cout, cout,
                  mout + (long)xi * cout, 0, 0, 0, 0);
}
static void winograd_products_32(const float *v, long tiles_padded, const float *u, long cout, float *mout) {
    winograd_products(v, 32, tiles_padded, u, cout, mout);
}
static void winograd_products_64(const float *v, long tiles_padded, const float *u, long cout, float *mout) {
    winograd_products(v, 64, tiles_padded, u, cout, mout);
}
static void winograd_products_any(const float *v, long cin, long tiles_padded, const float *u, long cout,
                                  float *mout) {
    winograd_products(v, cin, tiles_padded, u, cout, mout);
}

// Y = Aᵀ M A (Aᵀ = [1 1 1 0; 0 1 -1 -1]) for output channels c ..< c+VL (lanes m) of tile
// (ty, tx), then the epilogue, stored into the band's output rows.
__attribute__((always_inline)) static inline void winograd_output_block(
    const float *mt, long ty, long tx, long width, long cout, long c, vmask m, float *out,
    const mvs_epilogue *ep, const float *addend, mvs_epilogue_kind kind) {
    vec s[2][4];
    for (int j = 0; j < 4; j++) {  // Aᵀ M
        const vec x0 = vload(m, mt + j * cout), x1 = vload(m, mt + (4 + j) * cout);
        const vec x2 = vload(m, mt + (8 + j) * cout), x3 = vload(m, mt + (12 + j) * cout);
        s[0][j] = vadd(vadd(x0, x1), x2);
        s[1][j] = vsub(vsub(x1, x2), x3);
    }
    for (int i = 0; i < 2; i++) {  // (Aᵀ M) A
        const vec y0 = vadd(vadd(s[i][0], s[i][1]), s[i][2]);
        const vec y1 = vsub(vsub(s[i][1], s[i][2]), s[i][3]);
        const long at = ((2 * ty + i) * width + 2 * tx) * cout + c;
        store_kind(out + at, y0, m, ep, c, addend ? addend + at : 0, kind);
        store_kind(out + at + cout, y1, m, ep, c, addend ? addend + at + cout : 0, kind);
    }
}

// Every tile's outputs: full vectors with a constant mask, then the masked tail (as the input).
__attribute__((always_inline)) static inline void winograd_output_kind(
    const float *mout, long tile_rows, long width, long cout, float *out,
    const mvs_epilogue *ep, const float *addend, mvs_epilogue_kind kind) {
    const long tw = width / 2;
    for (long ty = 0; ty < tile_rows; ty++)
    for (long tx = 0; tx < tw; tx++) {
        const float *mt = mout + (ty * tw + tx) * 16 * cout;
        long c = 0;
        for (; c + VL <= cout; c += VL)
            winograd_output_block(mt + c, ty, tx, width, cout, c, vmask_first(VL), out, ep, addend, kind);
        if (c < cout)
            winograd_output_block(mt + c, ty, tx, width, cout, c, vmask_first(cout - c), out, ep, addend, kind);
    }
}

static void winograd_output(const float *mout, long tile_rows, long width, long cout, float *out,
                            const mvs_epilogue *ep, const float *addend) {
    switch (ep->kind) {
#define WINOGRAD_OUTPUT_CASE(k) case k: winograd_output_kind(mout, tile_rows, width, cout, out, ep, addend, k); break;
    WINOGRAD_OUTPUT_CASE(MVS_EPILOGUE_BIAS)
    WINOGRAD_OUTPUT_CASE(MVS_EPILOGUE_BIAS_LEAKY_RELU)
    WINOGRAD_OUTPUT_CASE(MVS_EPILOGUE_ADD_PIXEL_LEAKY_RELU)
    WINOGRAD_OUTPUT_CASE(MVS_EPILOGUE_BIAS_PRELU)
#undef WINOGRAD_OUTPUT_CASE
    default: winograd_output_kind(mout, tile_rows, width, cout, out, ep, addend, MVS_EPILOGUE_NONE); break;
    }
}

void KERNELS_CAT(mvs_winograd_kernel, KERNELS)(const float *pad, long cin, long width, long rows,
                                               const float *transformed, long cout, float *out,
                                               const mvs_epilogue *ep, const float *addend, float *work) {
    const long tile_rows = rows / 2;
    const long tiles_padded = mvs_round_up(tile_rows * (width / 2), MR);
    float *v = work;
    float *m = v + 16 * tiles_padded * cin;
    winograd_input(pad, cin, width, tile_rows, tiles_padded, v);
    if (cin == 32) winograd_products_32(v, tiles_padded, transformed, cout, m);
    else if (cin == 64) winograd_products_64(v, tiles_padded, transformed, cout, m);
    else winograd_products_any(v, cin, tiles_padded, transformed, cout, m);
    winograd_output(m, tile_rows, width, cout, out, ep, addend);
}
