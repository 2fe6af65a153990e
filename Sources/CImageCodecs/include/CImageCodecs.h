#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

// Thin, crash-proof wrappers over the system image libraries. Every entry point
// returns a status code and fills a message; none of them calls exit() or aborts
// on malformed input, and every size is checked against max_pixels before the
// pixel buffer is allocated.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CIC_OK = 0,
    CIC_ERROR_CORRUPT = 1,      // malformed or truncated data
    CIC_ERROR_TOO_LARGE = 2,    // declared size exceeds max_pixels (width/height are filled)
    CIC_ERROR_UNSUPPORTED = 3,  // a valid file using a feature we do not decode
    CIC_ERROR_MEMORY = 4        // allocation failed
} cic_status;

// Pixel layout of cic_image.pixels (interleaved, row-major, no padding).
typedef enum {
    CIC_LAYOUT_GRAY = 1,        // 1 byte per pixel
    CIC_LAYOUT_GRAY_ALPHA = 2,  // 2 bytes per pixel
    CIC_LAYOUT_RGB = 3,         // 3 bytes per pixel
    CIC_LAYOUT_RGBA = 4,        // 4 bytes per pixel
    CIC_LAYOUT_CMYK = 5,        // 4 bytes per pixel, as stored by the decoder (see adobe_inverted)
    CIC_LAYOUT_GRAY16 = 6       // 2 bytes per pixel, native-endian uint16 (16-bit gray PNG)
} cic_layout;

typedef struct {
    int32_t width;
    int32_t height;
    int32_t layout;             // cic_layout
    int32_t adobe_inverted;     // JPEG CMYK with an Adobe APP14 marker: values are stored inverted
    int32_t has_alpha;          // the source carried transparency (alpha channel or tRNS)
    int32_t orientation;        // TIFF Orientation tag (1-8) for TIFF input, else 0
    uint8_t *pixels;            // malloc'ed; release with cic_image_free
    size_t pixels_size;
    uint8_t *exif;              // raw EXIF payload starting at the TIFF header, or NULL
    size_t exif_size;
    char message[200];          // human-readable reason when status != CIC_OK
} cic_image;

void cic_image_init(cic_image *image);
void cic_image_free(cic_image *image);

// header_only != 0: fill width/height/layout (and exif for JPEG/PNG) without decoding pixels.
int cic_decode_jpeg(const uint8_t *data, size_t size, uint64_t max_pixels, int scale_denom,
                    int header_only, cic_image *out);
int cic_decode_png(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                   cic_image *out);
int cic_decode_webp(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                    cic_image *out);
int cic_decode_gif(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                   cic_image *out);
int cic_decode_tiff(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                    cic_image *out);
int cic_decode_bmp(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                   cic_image *out);
// HEIC and AVIF (the primary image of a HEIF container), upright: libheif applies irot/imir.
int cic_decode_heif(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                    cic_image *out);
// 1 when the linked libheif has a decoder for HEVC (av1 == 0) or AV1 (av1 != 0).
int cic_heif_can_decode(int av1);

#ifdef __cplusplus
}
#endif

#endif
