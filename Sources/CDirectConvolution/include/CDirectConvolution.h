#pragma once
// 3x3 convolutions on channels-last float32 data without im2col (direct and Winograd F(2x2, 3x3)),
// one algorithm compiled for several instruction sets and chosen at run time; called from Swift
// through Sources/Inference/Kernels/DirectConvolution.swift only.
#include <stddef.h>

/// The instruction sets the kernels are compiled for (`kernels` arguments below). The numbers are
/// shared with Swift's `ConvolutionKernels`.
enum {
    /// GCC/Clang vector extensions (4 floats), no intrinsics: SSE2 on x86-64, NEON on aarch64,
    /// whatever the compiler makes of it elsewhere. Runs on every CPU.
    MVS_KERNELS_PORTABLE = 0,
    /// x86-64 AVX2 + FMA (8 floats, 16 registers).
    MVS_KERNELS_AVX2 = 1,
    /// x86-64 AVX-512F (16 floats, 32 registers, mask registers).
    MVS_KERNELS_AVX512 = 2,
    /// aarch64 NEON intrinsics (4 floats, 32 registers).
    MVS_KERNELS_NEON = 3,
};

/// 1 when this binary contains `kernels` and this CPU runs them (CPU features checked once), else 0.
int mvs_kernels_available(int kernels);

/// Floats of scratch `mvs_conv3x3_band` needs for a band of `rows` image rows (any `kernels`).
size_t mvs_conv3x3_band_scratch(int rows, int width, int in_channels);

/// What the kernel applies to each output value before storing it (co = output channel).
typedef enum {
    /// Stored as computed.
    MVS_EPILOGUE_NONE = 0,
    /// x + bias[co].
    MVS_EPILOGUE_BIAS = 1,
    /// LeakyReLU(x + bias[co]) with `slope`.
    MVS_EPILOGUE_BIAS_LEAKY_RELU = 2,
    /// LeakyReLU(x + addend[y][x][co]) with `slope`.
    MVS_EPILOGUE_ADD_PIXEL_LEAKY_RELU = 3,
    /// PReLU(x + bias[co]) with slopes[0] (slope_count 1) or slopes[co].
    MVS_EPILOGUE_BIAS_PRELU = 4,
} mvs_epilogue_kind;

/// The epilogue of one convolution: its kind and the arrays that kind reads.
typedef struct {
    mvs_epilogue_kind kind;
    const float *bias;
    /// [height][width][cout], the same image for every entry (the cross-conv's target part).
    const float *addend;
    const float *slopes;
    int slope_count;
    float slope;
} mvs_epilogue;

/// 3x3 convolution, zero padding 1, of one horizontal band of one image, channels-last, without
/// an im2col matrix: the band (plus a one-pixel zero border) is copied once into `scratch`, and
/// a register-blocked kernel reads every tap from it directly.
/// PyTorch: F.conv2d(torch.cat([first, second], 1), w, b, padding=1), output rows y0 ..< y0+rows.
///
/// first [height][width][c1] ++ second [height][width][c2] (second may be NULL, c2 = 0),
/// weights [9*(c1+c2)][cout] (tap-major, then input channel), output rows y0 ..< y0+rows of
/// out [height][width][cout] (written, not accumulated), after `epilogue`.
/// Runs `kernels` where available, else the portable kernels; returns the kernels that ran.
int mvs_conv3x3_band(int kernels, const float *first, int c1, const float *second, int c2,
                     int height, int width, int y0, int rows,
                     const float *weights, int cout, float *out, float *scratch,
                     const mvs_epilogue *epilogue);

/// Floats of scratch `mvs_winograd_band` needs for a band of `rows` (even) image rows (any `kernels`).
size_t mvs_winograd_band_scratch(int rows, int width, int in_channels, int out_channels);

/// The same convolution as `mvs_conv3x3_band` by Winograd F(2x2, 3x3): 2.25x fewer
/// multiplications. `rows`, `y0` and `width` must be even; `transformed` holds the weights as
/// U = G g Gᵀ, laid out [16][c1+c2][cout] (`mvs_winograd_transform_weights`).
/// Runs `kernels` where available, else the portable kernels; returns the kernels that ran.
int mvs_winograd_band(int kernels, const float *first, int c1, const float *second, int c2,
                      int height, int width, int y0, int rows,
                      const float *transformed, int cout, float *out, float *scratch,
                      const mvs_epilogue *epilogue);

/// U[xi][ci][co] = (G g Gᵀ)[xi] for g = the 3x3 kernel of (co, ci) in OIHW `oihw`
/// [cout][total_in][3][3], input channels first_channel ..< first_channel + cin.
void mvs_winograd_transform_weights(const float *oihw, int cout, int total_in, int first_channel, int cin,
                                    float *transformed);
