#include "CPNGShims.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int MVS_PNG_COLOR_GRAY = PNG_COLOR_TYPE_GRAY;
const int MVS_PNG_COLOR_GRAY_ALPHA = PNG_COLOR_TYPE_GRAY_ALPHA;
const int MVS_PNG_COLOR_RGB = PNG_COLOR_TYPE_RGB;
const int MVS_PNG_COLOR_RGBA = PNG_COLOR_TYPE_RGBA;
const int MVS_PNG_COLOR_PALETTE = PNG_COLOR_TYPE_PALETTE;

// Per-call state handed to libpng's callbacks.
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t position;
    int truncated;
    char *message;
    size_t message_size;
    // Growing output buffer for the encoder.
    uint8_t *out;
    size_t out_size;
    size_t out_capacity;
    int out_of_memory;
    // What libpng holds through `counted_malloc`, now and at most (reported in mvs_png_info).
    size_t held_bytes;
    size_t peak_bytes;
} mvs_io;

// Largest single buffer libpng may ask for while reading: ancillary chunks (text, ICC profiles)
// and their decompressed contents. libpng allocates a chunk's declared length before reading
// it, so without a cap a 100-byte file declaring a 2 GB tEXt chunk gets 2 GB reserved.
// libpng's own buffers are at most a row or two (its default width limit of 10^6 pixels x 8 bytes
// is 8 MB) plus zlib's state, so the cap only stops lengths that a file merely declares.
#define MVS_PNG_MAX_ALLOCATION ((size_t)64 << 20)
// Ancillary chunks are skipped beyond this size (libpng's recommended 8 MB for untrusted input).
#define MVS_PNG_MAX_CHUNK_BYTES ((png_alloc_size_t)8 << 20)

// Each block carries its size in front so `counted_free` can keep the running total.
typedef union { size_t size; max_align_t align; } mvs_block_header;

static png_voidp counted_malloc(png_structp png, png_alloc_size_t size) {
    mvs_io *io = (mvs_io *)png_get_mem_ptr(png);
    if (size > MVS_PNG_MAX_ALLOCATION) return NULL; // libpng turns this into an error or a skipped chunk
    mvs_block_header *block = malloc(sizeof(mvs_block_header) + size);
    if (!block) return NULL;
    block->size = size;
    io->held_bytes += size;
    if (io->held_bytes > io->peak_bytes) io->peak_bytes = io->held_bytes;
    return block + 1;
}

static void counted_free(png_structp png, png_voidp pointer) {
    if (!pointer) return;
    mvs_io *io = (mvs_io *)png_get_mem_ptr(png);
    mvs_block_header *block = (mvs_block_header *)pointer - 1;
    io->held_bytes -= block->size;
    free(block);
}

static void set_message(mvs_io *io, const char *text) {
    if (io->message && io->message_size > 0) {
        snprintf(io->message, io->message_size, "%s", text ? text : "unknown libpng error");
    }
}

static void on_error(png_structp png, png_const_charp text) {
    mvs_io *io = (mvs_io *)png_get_error_ptr(png);
    set_message(io, text);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text; // Warnings (e.g. an odd sRGB profile) do not stop decoding.
}

static void on_read(png_structp png, png_bytep into, size_t length) {
    mvs_io *io = (mvs_io *)png_get_io_ptr(png);
    if (length > io->size - io->position) {
        io->truncated = 1;
        png_error(png, "file ends before the image data does (truncated)");
    }
    memcpy(into, io->data + io->position, length);
    io->position += length;
}

static void on_write(png_structp png, png_bytep from, size_t length) {
    mvs_io *io = (mvs_io *)png_get_io_ptr(png);
    if (length > io->out_capacity - io->out_size) {
        size_t wanted = io->out_capacity ? io->out_capacity : 4096;
        while (wanted - io->out_size < length) {
            if (wanted > SIZE_MAX / 2) { io->out_of_memory = 1; png_error(png, "output too large"); }
            wanted *= 2;
        }
        uint8_t *grown = realloc(io->out, wanted);
        if (!grown) { io->out_of_memory = 1; png_error(png, "out of memory while encoding"); }
        io->out = grown;
        io->out_capacity = wanted;
    }
    memcpy(io->out + io->out_size, from, length);
    io->out_size += length;
}

static void on_flush(png_structp png) { (void)png; }

// Sets the expansions shared by info and decode so both report the same layout.
static void configure_expansion(png_structp png, png_infop info) {
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) {
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(png); // PNG is big-endian; hand back host order.
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

static mvs_png_status read_common(const uint8_t *data, size_t size, mvs_png_info *result,
                                  uint8_t *out, size_t out_size,
                                  char *message, size_t message_size) {
    if (message && message_size) message[0] = 0;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        if (message && message_size) snprintf(message, message_size, "not a PNG file (bad signature)");
        return size < 8 && size > 0 && png_sig_cmp(data, 0, size) == 0 ? MVS_PNG_TRUNCATED : MVS_PNG_NOT_PNG;
    }
    mvs_io io = {0};
    io.data = data;
    io.size = size;
    io.message = message;
    io.message_size = message_size;

    png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &io, on_error, on_warning,
                                               &io, counted_malloc, counted_free);
    if (!png) return MVS_PNG_NO_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (!info) { png_destroy_read_struct(&png, NULL, NULL); return MVS_PNG_NO_MEMORY; }
    png_bytep *volatile rows = NULL;

    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        if (result) result->libpng_peak_bytes = io.peak_bytes;
        return io.truncated ? MVS_PNG_TRUNCATED : MVS_PNG_LIBPNG;
    }
    png_set_read_fn(png, &io, on_read);
    // Untrusted input: bound what ancillary chunks may claim and how many of them are kept.
    png_set_chunk_malloc_max(png, MVS_PNG_MAX_CHUNK_BYTES);
    png_set_chunk_cache_max(png, 1000);
    png_read_info(png, info);

    mvs_png_info local = {0};
    local.width = png_get_image_width(png, info);
    local.height = png_get_image_height(png, info);
    local.bit_depth = png_get_bit_depth(png, info);
    local.color_type = png_get_color_type(png, info);
    local.interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    configure_expansion(png, info);
    local.out_channels = png_get_channels(png, info);
    local.out_bit_depth = png_get_bit_depth(png, info);
    if (result) *result = local;

    if (out) {
        size_t row_bytes = png_get_rowbytes(png, info);
        size_t expected = (size_t)local.width * local.out_channels * (local.out_bit_depth / 8);
        if (row_bytes != expected || local.height == 0 || out_size / local.height != row_bytes ||
            out_size % local.height != 0) {
            png_destroy_read_struct(&png, &info, NULL);
            if (message && message_size) snprintf(message, message_size, "output buffer size mismatch");
            return MVS_PNG_BAD_ARGUMENT;
        }
        rows = malloc(sizeof(png_bytep) * local.height);
        if (!rows) { png_destroy_read_struct(&png, &info, NULL); return MVS_PNG_NO_MEMORY; }
        for (uint32_t y = 0; y < local.height; y++) rows[y] = out + (size_t)y * row_bytes;
        png_read_image(png, rows);
        png_read_end(png, NULL);
        free(rows);
        rows = NULL;
    }
    png_destroy_read_struct(&png, &info, NULL);
    if (result) result->libpng_peak_bytes = io.peak_bytes;
    return MVS_PNG_OK;
}

mvs_png_status mvs_png_read_info(const uint8_t *data, size_t size, mvs_png_info *info,
                                 char *message, size_t message_size) {
    if (!info) return MVS_PNG_BAD_ARGUMENT;
    return read_common(data, size, info, NULL, 0, message, message_size);
}

mvs_png_status mvs_png_decode(const uint8_t *data, size_t size, uint8_t *out, size_t out_size,
                              char *message, size_t message_size) {
    if (!out) return MVS_PNG_BAD_ARGUMENT;
    return read_common(data, size, NULL, out, out_size, message, message_size);
}

mvs_png_status mvs_png_decode_measured(const uint8_t *data, size_t size, uint8_t *out, size_t out_size,
                                       mvs_png_info *info, char *message, size_t message_size) {
    if (!out || !info) return MVS_PNG_BAD_ARGUMENT;
    return read_common(data, size, info, out, out_size, message, message_size);
}

static int channels_of(int color_type) {
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGBA: return 4;
    case PNG_COLOR_TYPE_PALETTE: return 1;
    default: return 0;
    }
}

mvs_png_status mvs_png_encode(const uint16_t *samples, uint32_t width, uint32_t height,
                              int color_type, int bit_depth,
                              const uint8_t *palette_rgb, int palette_count,
                              uint8_t **out, size_t *out_size,
                              char *message, size_t message_size) {
    if (message && message_size) message[0] = 0;
    int channels = channels_of(color_type);
    if (!samples || !out || !out_size || channels == 0 || width == 0 || height == 0 ||
        !(bit_depth == 1 || bit_depth == 2 || bit_depth == 4 || bit_depth == 8 || bit_depth == 16) ||
        (color_type == PNG_COLOR_TYPE_PALETTE && (!palette_rgb || palette_count < 1 || palette_count > 256))) {
        if (message && message_size) snprintf(message, message_size, "invalid encode arguments");
        return MVS_PNG_BAD_ARGUMENT;
    }
    size_t row_samples = (size_t)width * channels;
    size_t row_bytes = (row_samples * bit_depth + 7) / 8;

    mvs_io io = {0};
    io.message = message;
    io.message_size = message_size;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, on_error, on_warning);
    if (!png) return MVS_PNG_NO_MEMORY;
    png_infop info = png_create_info_struct(png);
    if (!info) { png_destroy_write_struct(&png, NULL); return MVS_PNG_NO_MEMORY; }
    uint8_t *volatile row = NULL;

    if (setjmp(png_jmpbuf(png))) {
        free(row);
        free(io.out);
        png_destroy_write_struct(&png, &info);
        return io.out_of_memory ? MVS_PNG_NO_MEMORY : MVS_PNG_LIBPNG;
    }
    png_set_write_fn(png, &io, on_write, on_flush);
    png_set_IHDR(png, info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color palette[256];
        for (int i = 0; i < palette_count; i++) {
            palette[i].red = palette_rgb[3 * i];
            palette[i].green = palette_rgb[3 * i + 1];
            palette[i].blue = palette_rgb[3 * i + 2];
        }
        png_set_PLTE(png, info, palette, palette_count);
    }
    png_write_info(png, info);

    row = malloc(row_bytes);
    if (!row) png_error(png, "out of memory while encoding");
    const uint16_t max_value = (uint16_t)((1u << bit_depth) - 1u);
    for (uint32_t y = 0; y < height; y++) {
        const uint16_t *src = samples + (size_t)y * row_samples;
        memset(row, 0, row_bytes);
        for (size_t i = 0; i < row_samples; i++) {
            uint16_t v = src[i] > max_value ? max_value : src[i];
            switch (bit_depth) {
            case 16: row[2 * i] = (uint8_t)(v >> 8); row[2 * i + 1] = (uint8_t)(v & 0xff); break;
            case 8: row[i] = (uint8_t)v; break;
            default: {
                // Sub-byte samples are packed most significant bits first.
                size_t bit = i * bit_depth;
                row[bit / 8] |= (uint8_t)(v << (8 - bit_depth - (bit % 8)));
            }
            }
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    free(row);
    row = NULL;
    png_destroy_write_struct(&png, &info);
    *out = io.out;
    *out_size = io.out_size;
    return MVS_PNG_OK;
}

void mvs_png_free(void *buffer) { free(buffer); }
