// libtiff from memory through TIFFClientOpen, first directory, via the RGBA interface.
#include <string.h>
#include <stdlib.h>

#include <tiffio.h>

#include "internal.h"

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t position;
} tiff_reader;

static tmsize_t read_proc(thandle_t handle, void *target, tmsize_t length) {
    tiff_reader *reader = (tiff_reader *)handle;
    if (length < 0 || reader->position > reader->size) {
        return -1;
    }
    size_t available = reader->size - reader->position;
    size_t count = (size_t)length < available ? (size_t)length : available;
    memcpy(target, reader->data + reader->position, count);
    reader->position += count;
    return (tmsize_t)count;
}

static tmsize_t write_proc(thandle_t handle, void *source, tmsize_t length) {
    (void)handle;
    (void)source;
    (void)length;
    return -1;
}

static toff_t seek_proc(thandle_t handle, toff_t offset, int whence) {
    tiff_reader *reader = (tiff_reader *)handle;
    uint64_t base = whence == SEEK_CUR ? reader->position : whence == SEEK_END ? reader->size : 0;
    uint64_t target = base + offset;
    if (target > reader->size) {
        return (toff_t)-1;
    }
    reader->position = (size_t)target;
    return target;
}

static int close_proc(thandle_t handle) {
    (void)handle;
    return 0;
}

static toff_t size_proc(thandle_t handle) {
    return ((tiff_reader *)handle)->size;
}

static int map_proc(thandle_t handle, void **base, toff_t *size) {
    (void)handle;
    (void)base;
    (void)size;
    return 0;
}

static void unmap_proc(thandle_t handle, void *base, toff_t size) {
    (void)handle;
    (void)base;
    (void)size;
}

int cic_decode_tiff(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                    cic_image *out) {
    // libtiff reports through global handlers that print to stderr; errors surface as return codes.
    TIFFSetErrorHandler(NULL);
    TIFFSetWarningHandler(NULL);
    tiff_reader reader = {data, size, 0};
    TIFF *tiff = TIFFClientOpen("memory", "rm", (thandle_t)&reader, read_proc, write_proc, seek_proc,
                                close_proc, size_proc, map_proc, unmap_proc);
    if (tiff == NULL) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "corrupt TIFF header");
    }
    uint32_t width = 0, height = 0;
    uint16_t orientation = ORIENTATION_TOPLEFT;
    TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &height);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_ORIENTATION, &orientation);
    int status = cic_check_size(out, width, height, max_pixels);
    if (status != CIC_OK) {
        TIFFClose(tiff);
        return status;
    }
    out->layout = CIC_LAYOUT_RGBA;
    char reason[1024] = {0};
    if (!TIFFRGBAImageOK(tiff, reason)) {
        TIFFClose(tiff);
        return cic_fail(out, CIC_ERROR_UNSUPPORTED, "TIFF layout not supported: %.150s", reason);
    }
    if (header_only) {
        TIFFClose(tiff);
        return CIC_OK;
    }
    status = cic_allocate_pixels(out, 4);
    if (status != CIC_OK) {
        TIFFClose(tiff);
        return status;
    }
    // Asking for the file's own orientation keeps the stored row order, as Pillow does;
    // the Orientation tag is applied later with the EXIF rules.
    int read = TIFFReadRGBAImageOriented(tiff, width, height, (uint32_t *)out->pixels,
                                         orientation >= 1 && orientation <= 8 ? orientation
                                                                              : ORIENTATION_TOPLEFT,
                                         1);
    TIFFClose(tiff);
    if (!read) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "corrupt or truncated TIFF data");
    }
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    for (size_t pixel = 0; pixel < (size_t)width * height; pixel++) {
        uint32_t value = ((uint32_t *)out->pixels)[pixel];
        out->pixels[pixel * 4 + 0] = (uint8_t)TIFFGetR(value);
        out->pixels[pixel * 4 + 1] = (uint8_t)TIFFGetG(value);
        out->pixels[pixel * 4 + 2] = (uint8_t)TIFFGetB(value);
        out->pixels[pixel * 4 + 3] = (uint8_t)TIFFGetA(value);
    }
#endif
    out->orientation = (orientation >= 1 && orientation <= 8) ? orientation : 1;
    return CIC_OK;
}
