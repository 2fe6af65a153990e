// libpng's regular API with transformations chosen to give the bytes Pillow's PNG
// plugin produces: 16-bit samples keep their high byte, palettes and low bit depths
// are expanded, transparency (tRNS) is reported but not turned into alpha.
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <png.h>

#include "internal.h"

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t position;
} memory_reader;

typedef struct {
    char message[160];
} png_failure;

static void read_from_memory(png_structp png, png_bytep target, png_size_t length) {
    memory_reader *reader = (memory_reader *)png_get_io_ptr(png);
    if (reader->size - reader->position < length) {
        png_error(png, "truncated PNG data");
    }
    memcpy(target, reader->data + reader->position, length);
    reader->position += length;
}

static void on_error(png_structp png, png_const_charp message) {
    png_failure *failure = (png_failure *)png_get_error_ptr(png);
    snprintf(failure->message, sizeof(failure->message), "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

int cic_decode_png(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                   cic_image *out) {
    if (data == NULL || size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "missing PNG signature");
    }
    png_failure failure = {{0}};
    memory_reader reader = {data, size, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, on_error, on_warning);
    if (png == NULL) {
        return cic_fail(out, CIC_ERROR_MEMORY, "cannot create a PNG reader");
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return cic_fail(out, CIC_ERROR_MEMORY, "cannot create PNG info");
    }
    // Rows written by libpng live in out->pixels, so nothing local must survive longjmp.
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_free(png, rows);
        png_destroy_read_struct(&png, &info, NULL);
        return cic_fail(out, CIC_ERROR_CORRUPT, "corrupt PNG: %s", failure.message);
    }
    png_set_read_fn(png, &reader, read_from_memory);
    // Our own max_pixels check replaces libpng's default 1,000,000-per-side limit.
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_chunk_malloc_max(png, 64u << 20);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    int status = cic_check_size(out, width, height, max_pixels);
    if (status != CIC_OK) {
        png_destroy_read_struct(&png, &info, NULL);
        return status;
    }
    png_bytep exif = NULL;
    png_uint_32 exif_size = 0;
    if (png_get_eXIf_1(png, info, &exif_size, &exif) != 0 && exif != NULL) {
        cic_copy_exif(out, exif, exif_size);
    }
    out->has_alpha = (color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS);

    size_t bytes_per_pixel;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
        if (bit_depth == 16) {
            // Pillow opens this as mode I;16 and clamps on conversion, so keep all 16 bits.
            out->layout = CIC_LAYOUT_GRAY16;
            bytes_per_pixel = 2;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            png_set_swap(png);
#endif
        } else {
            out->layout = CIC_LAYOUT_GRAY;
            bytes_per_pixel = 1;
            png_set_expand_gray_1_2_4_to_8(png);
        }
        break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
        out->layout = CIC_LAYOUT_GRAY_ALPHA;
        bytes_per_pixel = 2;
        break;
    case PNG_COLOR_TYPE_PALETTE:
        out->layout = CIC_LAYOUT_RGB;
        bytes_per_pixel = 3;
        png_set_palette_to_rgb(png);
        break;
    case PNG_COLOR_TYPE_RGB:
        out->layout = CIC_LAYOUT_RGB;
        bytes_per_pixel = 3;
        break;
    case PNG_COLOR_TYPE_RGB_ALPHA:
        out->layout = CIC_LAYOUT_RGBA;
        bytes_per_pixel = 4;
        break;
    default:
        png_destroy_read_struct(&png, &info, NULL);
        return cic_fail(out, CIC_ERROR_UNSUPPORTED, "PNG colour type %d", color_type);
    }
    if (bit_depth == 16 && out->layout != CIC_LAYOUT_GRAY16) {
        png_set_strip_16(png);  // keeps the high byte, like Pillow's ";16B" unpackers
    }
    if (header_only) {
        png_destroy_read_struct(&png, &info, NULL);
        return CIC_OK;
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    // png_set_palette_to_rgb also expands tRNS into an alpha channel, so the final layout
    // is read back from libpng rather than predicted.
    if (out->layout != CIC_LAYOUT_GRAY16) {
        static const int32_t layouts[5] = {0, CIC_LAYOUT_GRAY, CIC_LAYOUT_GRAY_ALPHA, CIC_LAYOUT_RGB,
                                           CIC_LAYOUT_RGBA};
        int channels = png_get_channels(png, info);
        if (channels < 1 || channels > 4 || png_get_bit_depth(png, info) != 8) {
            png_destroy_read_struct(&png, &info, NULL);
            return cic_fail(out, CIC_ERROR_UNSUPPORTED, "unexpected PNG output with %d channels", channels);
        }
        out->layout = layouts[channels];
        bytes_per_pixel = (size_t)channels;
    }
    size_t stride = (size_t)width * bytes_per_pixel;
    size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes != stride) {
        png_destroy_read_struct(&png, &info, NULL);
        return cic_fail(out, CIC_ERROR_UNSUPPORTED, "unexpected PNG row size %zu for %u pixels",
                        row_bytes, (unsigned)width);
    }
    status = cic_allocate_pixels(out, bytes_per_pixel);
    if (status != CIC_OK) {
        png_destroy_read_struct(&png, &info, NULL);
        return status;
    }
    rows = png_malloc(png, sizeof(png_bytep) * height);
    for (png_uint_32 row = 0; row < height; row++) {
        rows[row] = out->pixels + (size_t)row * stride;
    }
    png_read_image(png, rows);
    png_free(png, rows);
    png_destroy_read_struct(&png, &info, NULL);
    return CIC_OK;
}
