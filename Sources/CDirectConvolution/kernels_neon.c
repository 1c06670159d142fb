// conv_kernels.h compiled with NEON intrinsics (aarch64 only, where NEON is always present).
#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>
#include "conv_band.h"

#define MVS_SIMD_NEON
#define KERNELS neon
#include "conv_simd.h"
#include "conv_kernels.h"
#endif
