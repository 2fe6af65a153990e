// libjpeg-turbo through the classic libjpeg API, configured like Pillow's decoder:
// islow DCT and fancy upsampling (the library defaults), RGB/gray/CMYK output.
#include <stdio.h>  // jpeglib.h needs FILE and size_t first
#include <setjmp.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "internal.h"

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} guarded_error_manager;

static void on_fatal_error(j_common_ptr info) {
    guarded_error_manager *manager = (guarded_error_manager *)info->err;
    (*info->err->format_message)(info, manager->message);
    longjmp(manager->jump, 1);
}

// libjpeg only warns about a premature end of data and pads the image with gray; Pillow
// refuses truncated files, so that one warning is promoted to an error.
static void on_message(j_common_ptr info, int level) {
    if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) {
        guarded_error_manager *manager = (guarded_error_manager *)info->err;
        snprintf(manager->message, sizeof(manager->message), "truncated JPEG data");
        longjmp(manager->jump, 1);
    }
}

static int capture_exif(struct jpeg_decompress_struct *info, cic_image *out) {
    for (jpeg_saved_marker_ptr marker = info->marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length > 6 &&
            memcmp(marker->data, "Exif\0\0", 6) == 0) {
            return cic_copy_exif(out, marker->data + 6, marker->data_length - 6);
        }
    }
    return CIC_OK;
}

int cic_decode_jpeg(const uint8_t *data, size_t size, uint64_t max_pixels, int scale_denom,
                    int header_only, cic_image *out) {
    if (data == NULL || size < 4) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "JPEG data is too short (%zu bytes)", size);
    }
    if (scale_denom != 1 && scale_denom != 2 && scale_denom != 4 && scale_denom != 8) {
        return cic_fail(out, CIC_ERROR_UNSUPPORTED, "JPEG scale 1/%d is not one of 1, 2, 4, 8",
                        scale_denom);
    }
    struct jpeg_decompress_struct info;
    guarded_error_manager manager;
    memset(&info, 0, sizeof(info));
    info.err = jpeg_std_error(&manager.base);
    manager.base.error_exit = on_fatal_error;
    manager.base.emit_message = on_message;
    manager.message[0] = 0;
    if (setjmp(manager.jump)) {
        jpeg_destroy_decompress(&info);
        return cic_fail(out, CIC_ERROR_CORRUPT, "corrupt JPEG: %s", manager.message);
    }
    jpeg_CreateDecompress(&info, JPEG_LIB_VERSION, sizeof(info));
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_save_markers(&info, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&info, TRUE);

    int status = capture_exif(&info, out);
    if (status != CIC_OK) {
        jpeg_destroy_decompress(&info);
        return status;
    }
    size_t bytes_per_pixel;
    switch (info.num_components) {
    case 1:
        info.out_color_space = JCS_GRAYSCALE;
        out->layout = CIC_LAYOUT_GRAY;
        bytes_per_pixel = 1;
        break;
    case 3:
        info.out_color_space = JCS_RGB;
        out->layout = CIC_LAYOUT_RGB;
        bytes_per_pixel = 3;
        break;
    case 4:
        // libjpeg turns YCCK into CMYK itself when asked for CMYK output.
        info.out_color_space = JCS_CMYK;
        out->layout = CIC_LAYOUT_CMYK;
        bytes_per_pixel = 4;
        break;
    default:
        jpeg_destroy_decompress(&info);
        return cic_fail(out, CIC_ERROR_UNSUPPORTED, "JPEG with %d colour components",
                        info.num_components);
    }
    out->adobe_inverted = info.saw_Adobe_marker ? 1 : 0;
    info.scale_num = 1;
    info.scale_denom = (unsigned int)scale_denom;
    // Size check on the declared size, before libjpeg allocates anything large.
    status = cic_check_size(out, info.image_width, info.image_height, max_pixels);
    if (status != CIC_OK) {
        jpeg_destroy_decompress(&info);
        return status;
    }
    jpeg_calc_output_dimensions(&info);
    out->width = (int32_t)info.output_width;
    out->height = (int32_t)info.output_height;
    if (header_only) {
        jpeg_destroy_decompress(&info);
        return CIC_OK;
    }
    jpeg_start_decompress(&info);
    if ((int)info.output_components != (int)bytes_per_pixel) {
        jpeg_destroy_decompress(&info);
        return cic_fail(out, CIC_ERROR_UNSUPPORTED, "unexpected JPEG output with %d components",
                        info.output_components);
    }
    status = cic_allocate_pixels(out, bytes_per_pixel);
    if (status != CIC_OK) {
        jpeg_destroy_decompress(&info);
        return status;
    }
    size_t stride = (size_t)out->width * bytes_per_pixel;
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = out->pixels + (size_t)info.output_scanline * stride;
        if (jpeg_read_scanlines(&info, &row, 1) != 1) {
            jpeg_destroy_decompress(&info);
            return cic_fail(out, CIC_ERROR_CORRUPT, "truncated JPEG data");
        }
    }
    // Trailing garbage or a missing end marker after complete pixel data is tolerated.
    jpeg_abort_decompress(&info);
    jpeg_destroy_decompress(&info);
    return CIC_OK;
}
