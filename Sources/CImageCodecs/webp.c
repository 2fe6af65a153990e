// libwebp: the header is parsed first (WebPGetFeatures) so the size is checked before
// the pixel buffer exists; pixels are then decoded straight into our buffer.
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "internal.h"

// Pillow opens every WebP through libwebp's WebPAnimDecoder with default options (RGBA, the
// ANIM background colour ignored), so its first frame is the first frame drawn on a canvas
// cleared to transparent black: pixels outside the frame's rectangle are 0 and the frame's own
// pixels are copied unblended. The same decoder here gives the same bytes. The canvas size was
// checked from the VP8X header before this runs, so the decoder's canvas allocation is bounded.
static int decode_first_frame(const uint8_t *data, size_t size, cic_image *out) {
    WebPAnimDecoderOptions options;
    if (!WebPAnimDecoderOptionsInit(&options)) {
        return cic_fail(out, CIC_ERROR_UNSUPPORTED, "libwebp's animation decoder has another ABI version");
    }
    options.color_mode = MODE_RGBA;
    options.use_threads = 0;
    WebPData input = {data, size};
    WebPAnimDecoder *decoder = WebPAnimDecoderNew(&input, &options);
    if (decoder == NULL) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "corrupt or truncated animated WebP");
    }
    WebPAnimInfo info;
    uint8_t *canvas = NULL;
    int timestamp = 0;
    int status = CIC_OK;
    if (!WebPAnimDecoderGetInfo(decoder, &info) || (int32_t)info.canvas_width != out->width ||
        (int32_t)info.canvas_height != out->height) {
        status = cic_fail(out, CIC_ERROR_CORRUPT, "animated WebP canvas disagrees with its header");
    } else if (!WebPAnimDecoderGetNext(decoder, &canvas, &timestamp)) {
        status = cic_fail(out, CIC_ERROR_CORRUPT, "corrupt or truncated first frame of animated WebP");
    } else {
        status = cic_allocate_pixels(out, 4);
        if (status == CIC_OK) {
            memcpy(out->pixels, canvas, out->pixels_size);
        }
    }
    WebPAnimDecoderDelete(decoder);
    return status;
}

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
    out->layout = features.has_alpha || features.has_animation ? CIC_LAYOUT_RGBA : CIC_LAYOUT_RGB;
    if (header_only) {
        return CIC_OK;
    }
    if (features.has_animation) {
        return decode_first_frame(data, size, out);
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
