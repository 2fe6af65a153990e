// BMP through stb_image (compiled here with only its BMP loader).
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_NO_THREAD_LOCALS
#include <stb/stb_image.h>

#include "internal.h"

int cic_decode_bmp(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                   cic_image *out) {
    if (data == NULL || size < 26 || size > 0x7fffffff) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "BMP data has an impossible length (%zu bytes)", size);
    }
    int width = 0, height = 0, components = 0;
    if (!stbi_info_from_memory(data, (int)size, &width, &height, &components)) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "corrupt BMP header: %s", stbi_failure_reason());
    }
    // stb_image reports the stored header fields, where a BITMAPINFOHEADER height is signed: a
    // negative height means rows are stored top to bottom (stbi_load handles that), so only its
    // magnitude is the size. A negative width has no meaning and marks a corrupt file; without
    // these checks both turned into sizes near 2^32 and were refused as decompression bombs.
    uint32_t header_size = (uint32_t)data[14] | (uint32_t)data[15] << 8 | (uint32_t)data[16] << 16 |
                           (uint32_t)data[17] << 24;
    int64_t signed_width = width, signed_height = height;
    if (header_size != 12) {  // the OS/2 core header (12 bytes) has unsigned 16-bit sizes
        signed_width = (int32_t)((uint32_t)data[18] | (uint32_t)data[19] << 8 |
                                 (uint32_t)data[20] << 16 | (uint32_t)data[21] << 24);
        signed_height = (int32_t)((uint32_t)data[22] | (uint32_t)data[23] << 8 |
                                  (uint32_t)data[24] << 16 | (uint32_t)data[25] << 24);
    }
    if (signed_width <= 0) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "invalid BMP header: width %lld is not positive",
                        (long long)signed_width);
    }
    if (signed_height == INT32_MIN) {
        // Its magnitude does not fit the int stb_image keeps it in.
        return cic_fail(out, CIC_ERROR_CORRUPT, "invalid BMP header: height %lld", (long long)signed_height);
    }
    int status = cic_check_size(out, (uint64_t)signed_width,
                                (uint64_t)(signed_height < 0 ? -signed_height : signed_height), max_pixels);
    if (status != CIC_OK) {
        return status;
    }
    out->layout = CIC_LAYOUT_RGB;
    if (header_only) {
        return CIC_OK;
    }
    int decoded_width = 0, decoded_height = 0;
    unsigned char *pixels = stbi_load_from_memory(data, (int)size, &decoded_width, &decoded_height,
                                                  &components, 3);
    if (pixels == NULL) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "corrupt or truncated BMP: %s", stbi_failure_reason());
    }
    if (decoded_width != out->width || decoded_height != out->height) {
        stbi_image_free(pixels);
        return cic_fail(out, CIC_ERROR_CORRUPT, "BMP size changed while decoding");
    }
    out->pixels = pixels;  // stb allocates with malloc, so cic_image_free can release it
    out->pixels_size = (size_t)out->width * (size_t)out->height * 3;
    return CIC_OK;
}
