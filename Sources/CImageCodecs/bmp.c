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
    int status = cic_check_size(out, (uint64_t)width, (uint64_t)height, max_pixels);
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
    if (decoded_width != width || decoded_height != height) {
        stbi_image_free(pixels);
        return cic_fail(out, CIC_ERROR_CORRUPT, "BMP size changed while decoding");
    }
    out->pixels = pixels;  // stb allocates with malloc, so cic_image_free can release it
    out->pixels_size = (size_t)width * (size_t)height * 3;
    return CIC_OK;
}
