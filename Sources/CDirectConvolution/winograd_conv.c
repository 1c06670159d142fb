// Winograd F(2x2, 3x3) weights for the kernels of conv_kernels.h (see CDirectConvolution.h).
//
// Why Winograd: 16 multiplications per 2x2 outputs and input channel instead of 36 (2.25x fewer),
// in exchange for transforms that are cheap adds. Each 4x4 input tile d (stride 2) of the padded
// band becomes V = Bᵀ d B and each kernel U = G g Gᵀ (here, once, at load); the 16 positions xi of
// a tile are 16 independent products M[tile][xi][co] = Σ_ci V[tile][xi][ci] U[xi][ci][co], run
// with register tiles like the direct kernel's; the 2x2 outputs are Y = Aᵀ M A. V and M are
// tile-major ([tile][xi][channel]) so each transform reads or writes one contiguous run per tile;
// U, written here, is [xi][ci][co].
// Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1],
// Aᵀ = [1 1 1 0; 0 1 -1 -1]. Rounding differs from the direct sum by a few ulps (tests: 1e-4).

#include "conv_band.h"

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
