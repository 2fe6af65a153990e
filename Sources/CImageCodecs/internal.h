#ifndef CIMAGECODECS_INTERNAL_H
#define CIMAGECODECS_INTERNAL_H

#include "CImageCodecs.h"

// Records the message, frees any pixels and returns status.
int cic_fail(cic_image *image, int status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
// Fills width/height and refuses empty or oversized images before any allocation.
int cic_check_size(cic_image *image, uint64_t width, uint64_t height, uint64_t max_pixels);
int cic_allocate_pixels(cic_image *image, size_t bytes_per_pixel);
int cic_copy_exif(cic_image *image, const uint8_t *bytes, size_t size);

#endif
