#pragma once
// C shims around libpng. libpng reports errors by longjmp, which must never cross Swift frames:
// every libpng call happens inside these functions, under their own setjmp, and failures come
// back as a status code plus a message.
#include <stddef.h>
#include <stdint.h>

/// Result of a shim call.
typedef enum {
    MVS_PNG_OK = 0,
    MVS_PNG_NOT_PNG = 1,     // signature mismatch
    MVS_PNG_TRUNCATED = 2,   // the data ended before libpng was done
    MVS_PNG_LIBPNG = 3,      // libpng raised an error (message says which)
    MVS_PNG_NO_MEMORY = 4,
    MVS_PNG_BAD_ARGUMENT = 5 // programmer error in the caller (sizes, types)
} mvs_png_status;

/// What the file declares, and the layout `mvs_png_decode` will produce from it.
typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;        // as stored: 1, 2, 4, 8, 16
    int color_type;       // as stored: PNG_COLOR_TYPE_*
    int interlaced;
    int out_channels;     // after expansion: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
    int out_bit_depth;    // after expansion: 8 or 16 (16-bit samples in host byte order)
    size_t libpng_peak_bytes; // the most memory libpng held at once while reading (set on failure too)
} mvs_png_info;

/// Reads the signature and header chunks only; allocates nothing proportional to the image.
mvs_png_status mvs_png_read_info(const uint8_t *data, size_t size, mvs_png_info *info,
                                 char *message, size_t message_size);

/// Decodes the whole image into `out` (`out_size` must equal width * height * out_channels *
/// out_bit_depth / 8). Palettes become RGB(A), grey below 8 bits is scaled to 8 bits, tRNS becomes alpha.
mvs_png_status mvs_png_decode(const uint8_t *data, size_t size, uint8_t *out, size_t out_size,
                              char *message, size_t message_size);

/// `mvs_png_decode` that also fills `info` (including `libpng_peak_bytes`), for tests.
mvs_png_status mvs_png_decode_measured(const uint8_t *data, size_t size, uint8_t *out, size_t out_size,
                                       mvs_png_info *info, char *message, size_t message_size);

/// Encodes samples (one uint16 per sample, interleaved channels, rows top to bottom) as a PNG of
/// the given colour type and bit depth. For palette images the samples are indices into
/// `palette_rgb` (3 bytes per entry). On success `*out` is a malloc'd buffer to release with
/// `mvs_png_free`.
mvs_png_status mvs_png_encode(const uint16_t *samples, uint32_t width, uint32_t height,
                              int color_type, int bit_depth,
                              const uint8_t *palette_rgb, int palette_count,
                              uint8_t **out, size_t *out_size,
                              char *message, size_t message_size);

void mvs_png_free(void *buffer);

/// libpng's colour type constants, re-exported because Swift cannot import function-like macros.
extern const int MVS_PNG_COLOR_GRAY;
extern const int MVS_PNG_COLOR_GRAY_ALPHA;
extern const int MVS_PNG_COLOR_RGB;
extern const int MVS_PNG_COLOR_RGBA;
extern const int MVS_PNG_COLOR_PALETTE;
