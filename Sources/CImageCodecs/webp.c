// libwebp: the header is parsed first (WebPGetFeatures) so the size is checked before
// the pixel buffer exists; pixels are then decoded straight into our buffer.
#include <webp/decode.h>

#include "internal.h"

int cic_decode_webp(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                    cic_image *out) {
    if (data == NULL || size < 12) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "WebP data is too short (%zu bytes)", size);
    }
    WebPBitstreamFeatures features;
    VP8StatusCode code = WebPGetFeatures(data, size, &features);
    if (code == VP8_STATUS_NOT_ENOUGH_DATA) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "truncated WebP header");
    }
    if (code != VP8_STATUS_OK) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "corrupt WebP header (libwebp status %d)", (int)code);
    }
    int status = cic_check_size(out, (uint64_t)features.width, (uint64_t)features.height, max_pixels);
    if (status != CIC_OK) {
        return status;
    }
    out->has_alpha = features.has_alpha;
    out->layout = features.has_alpha ? CIC_LAYOUT_RGBA : CIC_LAYOUT_RGB;
    if (features.has_animation) {
        return cic_fail(out, CIC_ERROR_UNSUPPORTED, "animated WebP is not supported");
    }
    if (header_only) {
        return CIC_OK;
    }
    size_t bytes_per_pixel = features.has_alpha ? 4 : 3;
    status = cic_allocate_pixels(out, bytes_per_pixel);
    if (status != CIC_OK) {
        return status;
    }
    int stride = out->width * (int)bytes_per_pixel;
    uint8_t *result = features.has_alpha
        ? WebPDecodeRGBAInto(data, size, out->pixels, out->pixels_size, stride)
        : WebPDecodeRGBInto(data, size, out->pixels, out->pixels_size, stride);
    if (result == NULL) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "corrupt or truncated WebP data");
    }
    return CIC_OK;
}
