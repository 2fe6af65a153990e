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

// TIFFRGBAImage packs each pixel as R | G << 8 | B << 16 | A << 24 (its PACK4 macro).
static inline uint32_t pack_pixel(uint32_t red, uint32_t green, uint32_t blue, uint32_t alpha) {
    return red | green << 8 | blue << 16 | alpha << 24;
}

// Pillow unpacks unassociated alpha ("RGBA") as stored and convert("RGB") drops the alpha, while
// libtiff's own routine premultiplies the colour by alpha, which made such TIFFs darker. Pillow reads
// associated (premultiplied) alpha with its "RGBa" unpacker, which divides the colour by alpha
// (truncating, clipped at 255, black where alpha is 0); libtiff returns the premultiplied values
// unchanged. The put routines below replace libtiff's for 8-bit RGB with alpha and follow its
// contract: w x h pixels, after each row the source advances fromskew more pixels (contiguous) or
// samples (separate planes) and the raster toskew more pixels.
static inline uint32_t unpremultiply(uint32_t value, uint32_t alpha) {
    if (alpha == 255) {
        return value;
    }
    if (alpha == 0) {
        return 0;
    }
    uint32_t divided = value * 255 / alpha;
    return divided > 255 ? 255 : divided;
}

// The contiguous (RGBA RGBA …) layout for both kinds of alpha; `associated` divides the colour.
static inline void put_contiguous(TIFFRGBAImage *image, uint32_t *raster, uint32_t w, uint32_t h,
                                  int32_t fromskew, int32_t toskew, unsigned char *source,
                                  int associated) {
    int samples = image->samplesperpixel;
    for (; h > 0; h--) {
        for (uint32_t column = 0; column < w; column++) {
            uint32_t alpha = source[3];
            *raster++ = associated
                ? pack_pixel(unpremultiply(source[0], alpha), unpremultiply(source[1], alpha),
                             unpremultiply(source[2], alpha), alpha)
                : pack_pixel(source[0], source[1], source[2], alpha);
            source += samples;
        }
        raster += toskew;
        source += (int64_t)fromskew * samples;
    }
}

static void put_unassociated_contiguous(TIFFRGBAImage *image, uint32_t *raster, uint32_t x,
                                        uint32_t y, uint32_t w, uint32_t h, int32_t fromskew,
                                        int32_t toskew, unsigned char *source) {
    (void)x;
    (void)y;
    put_contiguous(image, raster, w, h, fromskew, toskew, source, 0);
}

static void put_associated_contiguous(TIFFRGBAImage *image, uint32_t *raster, uint32_t x,
                                      uint32_t y, uint32_t w, uint32_t h, int32_t fromskew,
                                      int32_t toskew, unsigned char *source) {
    (void)x;
    (void)y;
    put_contiguous(image, raster, w, h, fromskew, toskew, source, 1);
}

static void put_unassociated_separate(TIFFRGBAImage *image, uint32_t *raster, uint32_t x,
                                      uint32_t y, uint32_t w, uint32_t h, int32_t fromskew,
                                      int32_t toskew, unsigned char *red, unsigned char *green,
                                      unsigned char *blue, unsigned char *alpha) {
    (void)image;
    (void)x;
    (void)y;
    for (; h > 0; h--) {
        for (uint32_t column = 0; column < w; column++) {
            *raster++ = pack_pixel(*red++, *green++, *blue++, *alpha++);
        }
        red += fromskew;
        green += fromskew;
        blue += fromskew;
        alpha += fromskew;
        raster += toskew;
    }
}

// Swaps in the routines above where Pillow and libtiff disagree: 8-bit RGB whose first extra
// sample the file declares as alpha. Separate planes with associated alpha keep libtiff's
// routine (premultiplied values): Pillow cannot open that layout at all.
static void choose_put_routine(TIFF *tiff, TIFFRGBAImage *image) {
    uint16_t extra_count = 0;
    uint16_t *extra_kinds = NULL;
    if (image->photometric != PHOTOMETRIC_RGB || image->bitspersample != 8 ||
        image->samplesperpixel < 4 ||
        !TIFFGetField(tiff, TIFFTAG_EXTRASAMPLES, &extra_count, &extra_kinds) || extra_count < 1) {
        return;
    }
    if (extra_kinds[0] == EXTRASAMPLE_UNASSALPHA) {
        if (image->isContig) {
            image->put.contig = put_unassociated_contiguous;
        } else {
            image->put.separate = put_unassociated_separate;
        }
    } else if (extra_kinds[0] == EXTRASAMPLE_ASSOCALPHA && image->isContig) {
        image->put.contig = put_associated_contiguous;
    }
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
    // TIFFReadRGBAImageOriented, opened up so that choose_put_routine can replace the put
    // routine. Asking for the file's own orientation keeps the stored row order, as Pillow does;
    // the Orientation tag is applied later with the EXIF rules.
    TIFFRGBAImage reader_state;
    int read = 0;
    if (TIFFRGBAImageBegin(&reader_state, tiff, 1, reason)) {
        reader_state.req_orientation =
            orientation >= 1 && orientation <= 8 ? orientation : ORIENTATION_TOPLEFT;
        choose_put_routine(tiff, &reader_state);
        read = TIFFRGBAImageGet(&reader_state, (uint32_t *)out->pixels, width, height);
        TIFFRGBAImageEnd(&reader_state);
    }
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
