#include "CImageCodecs.h"
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cic_image_init(cic_image *image) {
    memset(image, 0, sizeof(*image));
}

void cic_image_free(cic_image *image) {
    if (image == NULL) {
        return;
    }
    free(image->pixels);
    free(image->exif);
    image->pixels = NULL;
    image->exif = NULL;
    image->pixels_size = 0;
    image->exif_size = 0;
}

int cic_fail(cic_image *image, int status, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(image->message, sizeof(image->message), format, arguments);
    va_end(arguments);
    free(image->pixels);
    image->pixels = NULL;
    image->pixels_size = 0;
    return status;
}

int cic_check_size(cic_image *image, uint64_t width, uint64_t height, uint64_t max_pixels) {
    image->width = (int32_t)(width > INT32_MAX ? INT32_MAX : width);
    image->height = (int32_t)(height > INT32_MAX ? INT32_MAX : height);
    if (width == 0 || height == 0) {
        return cic_fail(image, CIC_ERROR_CORRUPT, "image declares an empty size %llux%llu",
                        (unsigned long long)width, (unsigned long long)height);
    }
    // Widths and heights are below 2^32 in every format, so the product fits in 64 bits.
    if (width > 0xFFFFFFFFull || height > 0xFFFFFFFFull || width * height > max_pixels) {
        return cic_fail(image, CIC_ERROR_TOO_LARGE,
                        "image declares %llux%llu pixels, above the limit of %llu",
                        (unsigned long long)width, (unsigned long long)height,
                        (unsigned long long)max_pixels);
    }
    return CIC_OK;
}

int cic_allocate_pixels(cic_image *image, size_t bytes_per_pixel) {
    size_t count = (size_t)image->width * (size_t)image->height * bytes_per_pixel;
    image->pixels = malloc(count == 0 ? 1 : count);
    if (image->pixels == NULL) {
        return cic_fail(image, CIC_ERROR_MEMORY, "cannot allocate %zu bytes for pixels", count);
    }
    image->pixels_size = count;
    return CIC_OK;
}

int cic_copy_exif(cic_image *image, const uint8_t *bytes, size_t size) {
    free(image->exif);
    image->exif = NULL;
    image->exif_size = 0;
    if (bytes == NULL || size == 0) {
        return CIC_OK;
    }
    image->exif = malloc(size);
    if (image->exif == NULL) {
        return cic_fail(image, CIC_ERROR_MEMORY, "cannot allocate %zu bytes for EXIF", size);
    }
    memcpy(image->exif, bytes, size);
    image->exif_size = size;
    return CIC_OK;
}
