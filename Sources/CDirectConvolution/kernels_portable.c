// conv_kernels.h compiled with vector extensions only, for the baseline of whatever CPU this is
// built for (SSE2 on x86-64): the path for CPUs no other kernels fit, and a reference for them.
#include <string.h>
#include "conv_band.h"

#define MVS_SIMD_PORTABLE
#define KERNELS portable
#include "conv_simd.h"
#include "conv_kernels.h"
