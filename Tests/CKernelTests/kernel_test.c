// Tests the 3x3 convolution kernels of Sources/CDirectConvolution straight from C, without Swift:
// every kernel set this binary has and this CPU runs, direct and Winograd, against a scalar
// reference (PyTorch F.conv2d(torch.cat([a, b], 1), w, b, padding=1) with each fused epilogue),
// on hand-computable constant inputs (borders, padding) and on random data. It exists so the
// kernels can be checked on other architectures too: scripts/test-kernels-c builds it natively
// and for aarch64 (run under qemu-user). `kernel_test bench` times each kernel set instead.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "CDirectConvolution.h"

static const char *names[] = {"portable", "avx2", "avx512", "neon"};
static int failures = 0;

static float frand(unsigned long long *state) {  // SplitMix64 -> [-1, 1)
    unsigned long long z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)((double)(z >> 11) * 0x1.0p-53 * 2 - 1);
}

// out[y][x][co] = epilogue(Σ in[y+ky-1][x+kx-1][ci] · oihw[co][ci][ky][kx]), zero padding 1.
static void reference(const float *in, int h, int w, int cin, const float *oihw, int cout,
                      const mvs_epilogue *ep, float *out) {
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int co = 0; co < cout; co++) {
        double sum = 0;
        for (int ky = 0; ky < 3; ky++) for (int kx = 0; kx < 3; kx++) {
            const int sy = y + ky - 1, sx = x + kx - 1;
            if (sy < 0 || sy >= h || sx < 0 || sx >= w) continue;
            for (int ci = 0; ci < cin; ci++)
                sum += (double)in[(sy * w + sx) * cin + ci] * oihw[((co * cin + ci) * 3 + ky) * 3 + kx];
        }
        const size_t at = ((size_t)y * w + x) * cout + co;
        float v = (float)sum, slope = ep->slope;
        switch (ep->kind) {
        case MVS_EPILOGUE_NONE: break;
        case MVS_EPILOGUE_BIAS: v += ep->bias[co]; break;
        case MVS_EPILOGUE_BIAS_LEAKY_RELU: v += ep->bias[co]; break;
        case MVS_EPILOGUE_ADD_PIXEL_LEAKY_RELU: v += ep->addend[at]; break;
        case MVS_EPILOGUE_BIAS_PRELU:
            v += ep->bias[co];
            slope = ep->slope_count == 1 ? ep->slopes[0] : ep->slopes[co];
            break;
        }
        if (ep->kind >= MVS_EPILOGUE_BIAS_LEAKY_RELU && v <= 0) v *= slope;
        out[at] = v;
    }
}

// Runs `kernels` (direct or Winograd) over the whole image in bands of `band` rows.
static void run(int kernels, int winograd, const float *first, int c1, const float *second, int c2, int h, int w,
                const float *packed, const float *transformed, int cout, float *out, int band, const mvs_epilogue *ep) {
    const int cin = c1 + c2;
    const size_t scratch_floats = winograd ? mvs_winograd_band_scratch(band, w, cin, cout)
                                           : mvs_conv3x3_band_scratch(band, w, cin);
    float *scratch = malloc(scratch_floats * sizeof(float));
    for (size_t i = 0; i < scratch_floats; i++) scratch[i] = NAN;  // the kernels must not read stale scratch
    for (int y0 = 0; y0 < h; y0 += band) {
        const int rows = h - y0 < band ? h - y0 : band;
        const int ran = winograd
            ? mvs_winograd_band(kernels, first, c1, second, c2, h, w, y0, rows, transformed, cout, out, scratch, ep)
            : mvs_conv3x3_band(kernels, first, c1, second, c2, h, w, y0, rows, packed, cout, out, scratch, ep);
        if (ran != kernels) { printf("FAIL %s ran as %s\n", names[kernels], names[ran]); failures++; }
    }
    free(scratch);
}

static void pack(const float *oihw, int cout, int cin, float *packed) {  // [9][cin][cout]
    for (int co = 0; co < cout; co++) for (int ci = 0; ci < cin; ci++) for (int t = 0; t < 9; t++)
        packed[((size_t)t * cin + ci) * cout + co] = oihw[((size_t)co * cin + ci) * 9 + t];
}

// One case: random (or all-ones, `ones`) data through every epilogue, direct and Winograd.
static void check_case(int kernels, int c1, int c2, int cout, int h, int w, int band, int ones) {
    const int cin = c1 + c2;
    unsigned long long seed = (unsigned long long)(c1 * 131 + c2 * 17 + cout * 7 + h * 3 + w);
    float *a = malloc(sizeof(float) * h * w * c1), *b = malloc(sizeof(float) * h * w * (c2 ? c2 : 1));
    float *joined = malloc(sizeof(float) * h * w * cin), *oihw = malloc(sizeof(float) * cout * cin * 9);
    float *packed = malloc(sizeof(float) * cout * cin * 9), *transformed = malloc(sizeof(float) * 16 * cin * cout);
    float *bias = malloc(sizeof(float) * cout), *slopes = malloc(sizeof(float) * cout);
    float *addend = malloc(sizeof(float) * h * w * cout);
    float *want = malloc(sizeof(float) * h * w * cout), *got = malloc(sizeof(float) * h * w * cout);
    for (int i = 0; i < h * w * c1; i++) a[i] = ones ? 1 : frand(&seed);
    for (int i = 0; i < h * w * c2; i++) b[i] = ones ? 1 : frand(&seed);
    for (int p = 0; p < h * w; p++) {
        for (int c = 0; c < c1; c++) joined[p * cin + c] = a[p * c1 + c];
        for (int c = 0; c < c2; c++) joined[p * cin + c1 + c] = b[p * c2 + c];
    }
    for (int i = 0; i < cout * cin * 9; i++) oihw[i] = ones ? 1 : frand(&seed);
    for (int i = 0; i < cout; i++) { bias[i] = ones ? 0.5f : frand(&seed); slopes[i] = 0.01f * (i + 1); }
    for (int i = 0; i < h * w * cout; i++) addend[i] = ones ? -100 : frand(&seed);
    pack(oihw, cout, cin, packed);
    mvs_winograd_transform_weights(oihw, cout, cin, 0, cin, transformed);
    // Every epilogue kind, then PReLU once more with one slope per channel.
    for (int kind = MVS_EPILOGUE_NONE; kind <= MVS_EPILOGUE_BIAS_PRELU + 1; kind++) {
        const int per_channel = kind > MVS_EPILOGUE_BIAS_PRELU;
        mvs_epilogue ep = {per_channel ? MVS_EPILOGUE_BIAS_PRELU : (mvs_epilogue_kind)kind, bias, addend, slopes,
                           per_channel ? cout : 1, 0.2f};
        reference(joined, h, w, cin, oihw, cout, &ep, want);
        if (ones && kind == MVS_EPILOGUE_NONE) {  // all ones: each output counts the taps inside the image, times cin
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {
                const int taps = (3 - (y == 0) - (y == h - 1)) * (3 - (x == 0) - (x == w - 1));
                if (want[(y * w + x) * cout] != (float)(taps * cin)) { printf("FAIL reference\n"); failures++; }
            }
        }
        for (int winograd = 0; winograd <= (h % 2 == 0 && w % 2 == 0 && band % 2 == 0); winograd++) {
            for (int i = 0; i < h * w * cout; i++) got[i] = NAN;
            run(kernels, winograd, a, c1, c2 ? b : NULL, c2, h, w, packed, transformed, cout, got, band, &ep);
            double worst = 0;
            int bad = 0;
            for (int i = 0; i < h * w * cout; i++) {
                const double d = fabs((double)got[i] - want[i]);
                if (!(d <= 1e-4 + 1e-5 * fabs(want[i]))) bad++;
                if (!(d <= worst)) worst = d;
            }
            if (ones && !winograd && memcmp(got, want, sizeof(float) * h * w * cout) != 0) bad++;  // exact
            if (bad) failures++;
            printf("%s %-8s %-8s %2d+%-2d->%-2d %2dx%-2d band %d epilogue %d: max |diff| %.3g%s\n", bad ? "FAIL" : "ok  ",
                   names[kernels], winograd ? "winograd" : "direct", c1, c2, cout, h, w, band, kind, worst,
                   ones ? " (all ones)" : "");
        }
    }
    free(a); free(b); free(joined); free(oihw); free(packed); free(transformed);
    free(bias); free(slopes); free(addend); free(want); free(got);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

// Single-threaded ms per 128x128 32->32 (and 64->32) convolution, best of many: the minimum is
// what the kernel takes when the core is its own, on a machine shared with other work.
static void bench(void) {
    const int h = 128, w = 128, cout = 32, band = 8;
    for (int cin = 32; cin <= 64; cin += 32) {
        unsigned long long seed = 1;
        float *in = malloc(sizeof(float) * h * w * cin), *oihw = malloc(sizeof(float) * cout * cin * 9);
        float *packed = malloc(sizeof(float) * cout * cin * 9), *u = malloc(sizeof(float) * 16 * cin * cout);
        float *bias = malloc(sizeof(float) * cout), *out = malloc(sizeof(float) * h * w * cout);
        for (int i = 0; i < h * w * cin; i++) in[i] = frand(&seed);
        for (int i = 0; i < cout * cin * 9; i++) oihw[i] = frand(&seed);
        for (int i = 0; i < cout; i++) bias[i] = frand(&seed);
        pack(oihw, cout, cin, packed);
        mvs_winograd_transform_weights(oihw, cout, cin, 0, cin, u);
        mvs_epilogue ep = {MVS_EPILOGUE_BIAS_LEAKY_RELU, bias, NULL, NULL, 0, 0.2f};
        for (int k = 0; k < 4; k++) {
            if (!mvs_kernels_available(k)) continue;
            for (int winograd = 0; winograd <= 1; winograd++) {
                double best = 1e9;
                for (int r = 0; r < 30; r++) {
                    const double t0 = now();
                    run(k, winograd, in, cin, NULL, 0, h, w, packed, u, cout, out, band, &ep);
                    const double t = now() - t0;
                    if (t < best) best = t;
                }
                printf("bench %-8s %-8s %d->%d 128x128: %.2f ms (%.1f direct-GFLOP/s)\n", names[k],
                       winograd ? "winograd" : "direct", cin, cout, best * 1e3, 2.0 * h * w * 9 * cin * cout / best * 1e-9);
            }
        }
        free(in); free(oihw); free(packed); free(u); free(bias); free(out);
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "bench") == 0) { bench(); return 0; }
    // c1, c2, cout, h, w, band: the network's 32 and 32+32, odd channel counts that leave partial
    // vector blocks at every width (4, 8, 16 lanes), narrow and odd images, bands of 1 to all rows.
    const int cases[][6] = {{32, 0, 32, 8, 10, 4}, {32, 32, 32, 6, 4, 6}, {32, 32, 32, 5, 3, 2},
                            {2, 0, 48, 4, 17, 3}, {24, 40, 5, 4, 2, 2}, {16, 0, 40, 2, 2, 2},
                            {24, 0, 28, 4, 6, 4}, {8, 16, 28, 7, 9, 1}, {1, 0, 1, 4, 5, 4}, {5, 3, 13, 6, 8, 2}};
    int ran = 0;
    for (int k = 0; k < 4; k++) {
        if (!mvs_kernels_available(k)) { printf("skip %s: not in this binary or not on this CPU\n", names[k]); continue; }
        ran++;
        check_case(k, 3, 2, 5, 5, 6, 2, 1);  // all ones: hand-computable tap counts at the borders
        check_case(k, 4, 0, 17, 4, 4, 4, 1);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            check_case(k, cases[i][0], cases[i][1], cases[i][2], cases[i][3], cases[i][4], cases[i][5], 0);
    }
    printf("%d kernel sets tested, %d failures\n", ran, failures);
    return failures || ran == 0 ? 1 : 0;
}
