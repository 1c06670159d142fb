// The vector vocabulary conv_kernels.h is written in, one definition per instruction set; the
// including kernels_*.c file defines which (MVS_SIMD_AVX512, _AVX2, _NEON or _PORTABLE) and has
// already included the system headers. Not public; included once per translation unit.
//
//   vec            a vector of VL floats
//   vmask          which lanes of a vector a load or store touches (masked-out lanes read as 0)
//   MR, FOR_ROWS   pixels per register tile, and X(0) .. X(MR-1): MR rows x 2 vectors of
//                  accumulators + 2 weight vectors + 1 broadcast must fit the register file
//   vmask_first(n) the first min(n, VL) lanes (n >= 1)
//   vload(m, p), vstore(p, m, v), vzero(), vset1(x), vfma(a, b, c) = a*b + c, vadd, vsub, vmul,
//   vleaky(v, a) = v <= 0 ? v*a : v (LeakyReLU / PReLU with slope vector a; NaN passes through)

#define FOR_ROWS_6(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define FOR_ROWS_12(X) FOR_ROWS_6(X) X(6) X(7) X(8) X(9) X(10) X(11)
#define FOR_ROWS_14(X) FOR_ROWS_12(X) X(12) X(13)

#if defined(MVS_SIMD_AVX512)
// 32 zmm: 2 x 14 accumulators + 2 weights + 1 broadcast = 31. Masked loads cost nothing here.
typedef __m512 vec;
typedef __mmask16 vmask;
#define VL 16
#define MR 14
#define FOR_ROWS FOR_ROWS_14
static inline vmask vmask_first(long n) { return n >= 16 ? (vmask)0xFFFF : (vmask)((1u << n) - 1); }
#define vload(m, p) _mm512_maskz_loadu_ps((m), (p))
#define vstore(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define vzero() _mm512_setzero_ps()
#define vset1(x) _mm512_set1_ps(x)
#define vfma(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define vadd(a, b) _mm512_add_ps((a), (b))
#define vsub(a, b) _mm512_sub_ps((a), (b))
#define vmul(a, b) _mm512_mul_ps((a), (b))
static inline vec vleaky(vec v, vec a) {
    return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LE_OQ), v, a);
}

#elif defined(MVS_SIMD_AVX2)
// 16 ymm: 2 x 6 accumulators + 2 weights + 1 broadcast = 15 (the classic 6x16 sgemm tile). A
// mask is a lane vector for vmaskmovps; full masks are constants after inlining, and the compiler
// turns those loads and stores into plain ones.
typedef __m256 vec;
typedef __m256i vmask;
#define VL 8
#define MR 6
#define FOR_ROWS FOR_ROWS_6
static inline vmask vmask_first(long n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 8 ? n : 8)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#define vload(m, p) _mm256_maskload_ps((p), (m))
#define vstore(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define vzero() _mm256_setzero_ps()
#define vset1(x) _mm256_set1_ps(x)
#define vfma(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define vadd(a, b) _mm256_add_ps((a), (b))
#define vsub(a, b) _mm256_sub_ps((a), (b))
#define vmul(a, b) _mm256_mul_ps((a), (b))
static inline vec vleaky(vec v, vec a) {
    return _mm256_blendv_ps(v, _mm256_mul_ps(v, a), _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LE_OQ));
}

#elif defined(MVS_SIMD_NEON) || defined(MVS_SIMD_PORTABLE)
// 4 floats. A mask is the lane count; a partial load or store goes through a small array, and
// the full case (the lane count a constant VL after inlining) is a plain vector load or store.
#define VL 4
typedef int vmask;
static inline vmask vmask_first(long n) { return n < VL ? (vmask)n : VL; }

#if defined(MVS_SIMD_NEON)
// 32 q registers: 2 x 12 accumulators + 2 weights + 1 broadcast = 27.
typedef float32x4_t vec;
#define MR 12
#define FOR_ROWS FOR_ROWS_12
static inline vec vload_full(const float *p) { return vld1q_f32(p); }
static inline void vstore_full(float *p, vec v) { vst1q_f32(p, v); }
#define vzero() vdupq_n_f32(0.0f)
#define vset1(x) vdupq_n_f32(x)
#define vfma(a, b, c) vfmaq_f32((c), (a), (b))
#define vadd(a, b) vaddq_f32((a), (b))
#define vsub(a, b) vsubq_f32((a), (b))
#define vmul(a, b) vmulq_f32((a), (b))
static inline vec vleaky(vec v, vec a) { return vbslq_f32(vcleq_f32(v, vdupq_n_f32(0.0f)), vmulq_f32(v, a), v); }
#else
// Vector extensions, no intrinsics: the compiler picks the instructions. 6 rows so that x86-64's
// 16 SSE registers hold the tile (2 x 6 + 2 + 1 = 15). a*b + c is left to the compiler to fuse
// where the target has FMA (not in baseline x86-64).
typedef float vec __attribute__((vector_size(16), aligned(4)));
typedef int vec_int __attribute__((vector_size(16), aligned(4)));
#define MR 6
#define FOR_ROWS FOR_ROWS_6
static inline vec vload_full(const float *p) { vec v; memcpy(&v, p, sizeof v); return v; }
static inline void vstore_full(float *p, vec v) { memcpy(p, &v, sizeof v); }
#define vzero() ((vec){0.0f, 0.0f, 0.0f, 0.0f})
static inline vec vset1(float x) { return (vec){x, x, x, x}; }
#define vfma(a, b, c) ((a) * (b) + (c))
#define vadd(a, b) ((a) + (b))
#define vsub(a, b) ((a) - (b))
#define vmul(a, b) ((a) * (b))
static inline vec vleaky(vec v, vec a) {
    const vec_int negative = v <= vzero();  // all ones where v <= 0 (false for NaN)
    return (vec)(((vec_int)(v * a) & negative) | ((vec_int)v & ~negative));
}
#endif

static inline vec vload(vmask m, const float *p) {
    if (m >= VL) return vload_full(p);
    float lanes[VL] = {0};
    for (int i = 0; i < m; i++) lanes[i] = p[i];
    return vload_full(lanes);
}
static inline void vstore(float *p, vmask m, vec v) {
    if (m >= VL) { vstore_full(p, v); return; }
    float lanes[VL];
    vstore_full(lanes, v);
    for (int i = 0; i < m; i++) p[i] = lanes[i];
}
#else
#error "define one of MVS_SIMD_AVX512, MVS_SIMD_AVX2, MVS_SIMD_NEON, MVS_SIMD_PORTABLE"
#endif

_Static_assert(MR <= MR_MAX, "scratch is sized for MR_MAX rows per tile");
