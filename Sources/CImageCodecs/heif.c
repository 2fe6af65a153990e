// libheif (HEIC via libde265, AVIF via dav1d/aom). The container is parsed first so the primary
// image's declared size is checked before any pixel memory exists. libheif applies the HEIF
// transforms (clean aperture crop, irot rotation, imir mirror) while decoding, so the pixels come
// out upright: the EXIF orientation is copied for reference only and must not be applied again.
#include <libheif/heif.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static pthread_once_t heif_initialized = PTHREAD_ONCE_INIT;

// Newer libheif builds load their decoders as plugins, which only happens in heif_init. The
// library is reference counted and stays loaded for the life of the process.
static void initialize_libheif(void) {
    heif_init(NULL);
}

static int status_for(struct heif_error error) {
    switch (error.code) {
    case heif_error_Unsupported_filetype:
    case heif_error_Unsupported_feature:
        return CIC_ERROR_UNSUPPORTED;
    case heif_error_Memory_allocation_error:
        return CIC_ERROR_MEMORY;
    default:
        return CIC_ERROR_CORRUPT;
    }
}

static int fail_with(cic_image *out, struct heif_error error, const char *step) {
    // libheif's messages may span lines; ours are one line.
    char reason[160];
    snprintf(reason, sizeof(reason), "%s", error.message != NULL ? error.message : "unknown libheif error");
    for (char *character = reason; *character != '\0'; character++) {
        if (*character == '\n' || *character == '\r') {
            *character = ' ';
        }
    }
    for (size_t length = strlen(reason); length > 0 && reason[length - 1] == ' '; length--) {
        reason[length - 1] = '\0';
    }
    return cic_fail(out, status_for(error), "%s: %s (libheif %d.%d)", step, reason, (int)error.code,
                    (int)error.subcode);
}

// HEIF stores EXIF as a 4-byte big-endian offset to the TIFF header followed by the payload.
static int copy_exif(const struct heif_image_handle *handle, cic_image *out) {
    heif_item_id identifier;
    if (heif_image_handle_get_list_of_metadata_block_IDs(handle, "Exif", &identifier, 1) != 1) {
        return CIC_OK;
    }
    size_t size = heif_image_handle_get_metadata_size(handle, identifier);
    if (size < 4 || size > (64u << 20)) {
        return CIC_OK;
    }
    uint8_t *block = malloc(size);
    if (block == NULL) {
        return cic_fail(out, CIC_ERROR_MEMORY, "cannot allocate %zu bytes for EXIF", size);
    }
    int status = CIC_OK;
    if (heif_image_handle_get_metadata(handle, identifier, block).code == heif_error_Ok) {
        size_t offset = 4 + (((size_t)block[0] << 24) | ((size_t)block[1] << 16) | ((size_t)block[2] << 8) | block[3]);
        if (offset < size) {
            status = cic_copy_exif(out, block + offset, size - offset);
        }
    }
    free(block);
    return status;
}

static int decode_primary(struct heif_context *context, uint64_t max_pixels, int header_only,
                          cic_image *out) {
    struct heif_image_handle *handle = NULL;
    struct heif_error error = heif_context_get_primary_image_handle(context, &handle);
    if (error.code != heif_error_Ok) {
        return fail_with(out, error, "no primary image");
    }
    // libheif decodes the coded size ('ispe') before cropping it to the displayed size: a small
    // clean aperture over a huge ispe is still a bomb, so the coded size is checked first.
    int64_t coded_width = heif_image_handle_get_ispe_width(handle);
    int64_t coded_height = heif_image_handle_get_ispe_height(handle);
    int status = CIC_OK;
    if (coded_width > 0 && coded_height > 0) {
        status = cic_check_size(out, (uint64_t)coded_width, (uint64_t)coded_height, max_pixels);
    }
    // The handle's size is the displayed one (after crop and rotation): what we will allocate.
    if (status == CIC_OK) {
        status = cic_check_size(out, (uint64_t)(int64_t)heif_image_handle_get_width(handle),
                                (uint64_t)(int64_t)heif_image_handle_get_height(handle), max_pixels);
    }
    if (status == CIC_OK) {
        out->has_alpha = heif_image_handle_has_alpha_channel(handle) != 0;
        out->layout = CIC_LAYOUT_RGB;
        status = copy_exif(handle, out);
    }
    if (status != CIC_OK || header_only) {
        heif_image_handle_release(handle);
        return status;
    }
    struct heif_decoding_options *options = heif_decoding_options_alloc();
    if (options == NULL) {
        heif_image_handle_release(handle);
        return cic_fail(out, CIC_ERROR_MEMORY, "cannot allocate libheif decoding options");
    }
    options->convert_hdr_to_8bit = 1;
    struct heif_image *image = NULL;
    // Alpha is dropped here, as Pillow's convert("RGB") drops it.
    error = heif_decode_image(handle, &image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, options);
    heif_decoding_options_free(options);
    heif_image_handle_release(handle);
    if (error.code != heif_error_Ok) {
        return fail_with(out, error, "cannot decode the image");
    }
    int stride = 0;
    const uint8_t *plane = heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride);
    int width = heif_image_get_width(image, heif_channel_interleaved);
    int height = heif_image_get_height(image, heif_channel_interleaved);
    if (plane == NULL || width != out->width || height != out->height || stride < width * 3 ||
        heif_image_get_bits_per_pixel(image, heif_channel_interleaved) != 24) {
        heif_image_release(image);
        return cic_fail(out, CIC_ERROR_CORRUPT, "libheif returned %dx%d pixels for a %dx%d image", width,
                        height, out->width, out->height);
    }
    status = cic_allocate_pixels(out, 3);
    if (status == CIC_OK) {
        size_t row_bytes = (size_t)width * 3;
        for (int row = 0; row < height; row++) {
            memcpy(out->pixels + (size_t)row * row_bytes, plane + (size_t)row * (size_t)stride, row_bytes);
        }
    }
    heif_image_release(image);
    return status;
}

int cic_decode_heif(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                    cic_image *out) {
    if (data == NULL || size < 12) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "HEIF data is too short (%zu bytes)", size);
    }
    pthread_once(&heif_initialized, initialize_libheif);
    struct heif_context *context = heif_context_alloc();
    if (context == NULL) {
        return cic_fail(out, CIC_ERROR_MEMORY, "cannot allocate a libheif context");
    }
    struct heif_error error = heif_context_read_from_memory_without_copy(context, data, size, NULL);
    int status = error.code == heif_error_Ok ? decode_primary(context, max_pixels, header_only, out)
                                             : fail_with(out, error, "cannot read the HEIF container");
    heif_context_free(context);
    return status;
}

int cic_heif_can_decode(int av1) {
    pthread_once(&heif_initialized, initialize_libheif);
    return heif_have_decoder_for_format(av1 ? heif_compression_AV1 : heif_compression_HEVC);
}
