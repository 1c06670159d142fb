// conv_kernels.h compiled for AVX2 + FMA (x86-64 only; run where mvs_kernels_available says so).
#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "conv_band.h"

// Every function below (system headers are already in) may use AVX2 and FMA; the dispatcher in
// direct_conv.c calls them only after checking the CPU.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#define MVS_SIMD_AVX2
#define KERNELS avx2
#include "conv_simd.h"
#include "conv_kernels.h"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
