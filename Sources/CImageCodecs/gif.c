// giflib, first frame only, laid on the logical screen the way Pillow loads frame 0:
// the canvas starts as the frame's transparent index (or index 0), the frame rectangle
// is decoded into it, and the canvas grows if the frame extends past the screen.
#include <string.h>
#include <stdlib.h>

#include <gif_lib.h>

#include "internal.h"

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t position;
} gif_reader;

static int read_from_memory(GifFileType *file, GifByteType *target, int length) {
    gif_reader *reader = (gif_reader *)file->UserData;
    size_t available = reader->size - reader->position;
    size_t count = (size_t)length < available ? (size_t)length : available;
    memcpy(target, reader->data + reader->position, count);
    reader->position += count;
    return (int)count;
}

static int finish(GifFileType *file, int status) {
    int ignored = 0;
    DGifCloseFile(file, &ignored);
    return status;
}

int cic_decode_gif(const uint8_t *data, size_t size, uint64_t max_pixels, int header_only,
                   cic_image *out) {
    gif_reader reader = {data, size, 0};
    int error = 0;
    GifFileType *file = DGifOpen(&reader, read_from_memory, &error);
    if (file == NULL) {
        return cic_fail(out, CIC_ERROR_CORRUPT, "corrupt GIF header: %s", GifErrorString(error));
    }
    int status = cic_check_size(out, (uint64_t)file->SWidth, (uint64_t)file->SHeight, max_pixels);
    if (status != CIC_OK) {
        return finish(file, status);
    }
    out->layout = CIC_LAYOUT_RGB;
    int transparent_index = -1;
    GifRecordType record;
    for (;;) {
        if (DGifGetRecordType(file, &record) == GIF_ERROR) {
            return finish(file, cic_fail(out, CIC_ERROR_CORRUPT, "corrupt GIF: %s",
                                         GifErrorString(file->Error)));
        }
        if (record == TERMINATE_RECORD_TYPE) {
            return finish(file, cic_fail(out, CIC_ERROR_CORRUPT, "GIF contains no image"));
        }
        if (record == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType *extension = NULL;
            if (DGifGetExtension(file, &code, &extension) == GIF_ERROR) {
                return finish(file, cic_fail(out, CIC_ERROR_CORRUPT, "corrupt GIF extension"));
            }
            if (code == GRAPHICS_EXT_FUNC_CODE && extension != NULL && extension[0] >= 4 &&
                (extension[1] & 1)) {
                transparent_index = extension[4];
            }
            while (extension != NULL) {
                if (DGifGetExtensionNext(file, &extension) == GIF_ERROR) {
                    return finish(file, cic_fail(out, CIC_ERROR_CORRUPT, "corrupt GIF extension"));
                }
            }
            continue;
        }
        if (record == IMAGE_DESC_RECORD_TYPE) {
            break;
        }
    }
    if (DGifGetImageDesc(file) == GIF_ERROR) {
        return finish(file, cic_fail(out, CIC_ERROR_CORRUPT, "corrupt GIF image descriptor"));
    }
    GifImageDesc frame = file->Image;
    uint64_t canvas_width = (uint64_t)file->SWidth, canvas_height = (uint64_t)file->SHeight;
    if ((uint64_t)(frame.Left + frame.Width) > canvas_width) {
        canvas_width = (uint64_t)(frame.Left + frame.Width);
    }
    if ((uint64_t)(frame.Top + frame.Height) > canvas_height) {
        canvas_height = (uint64_t)(frame.Top + frame.Height);
    }
    status = cic_check_size(out, canvas_width, canvas_height, max_pixels);
    if (status != CIC_OK) {
        return finish(file, status);
    }
    if (header_only) {
        return finish(file, CIC_OK);
    }
    ColorMapObject *map = frame.ColorMap != NULL ? frame.ColorMap : file->SColorMap;
    // Without any palette Pillow treats the indices as gray levels (mode L).
    uint8_t palette[256 * 3];
    for (int index = 0; index < 256; index++) {
        int known = map != NULL && index < map->ColorCount;
        palette[index * 3 + 0] = map == NULL ? (uint8_t)index : known ? map->Colors[index].Red : 0;
        palette[index * 3 + 1] = map == NULL ? (uint8_t)index : known ? map->Colors[index].Green : 0;
        palette[index * 3 + 2] = map == NULL ? (uint8_t)index : known ? map->Colors[index].Blue : 0;
    }
    size_t width = (size_t)out->width, height = (size_t)out->height;
    uint8_t *indices = malloc(width * height);
    if (indices == NULL) {
        return finish(file, cic_fail(out, CIC_ERROR_MEMORY, "cannot allocate GIF canvas"));
    }
    memset(indices, transparent_index >= 0 ? transparent_index : 0, width * height);
    static const int pass_start[4] = {0, 4, 2, 1};
    static const int pass_step[4] = {8, 8, 4, 2};
    int passes = frame.Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; pass++) {
        int start = frame.Interlace ? pass_start[pass] : 0;
        int step = frame.Interlace ? pass_step[pass] : 1;
        for (int row = start; row < frame.Height; row += step) {
            GifPixelType *line = indices + (size_t)(frame.Top + row) * width + (size_t)frame.Left;
            if (DGifGetLine(file, line, frame.Width) == GIF_ERROR) {
                free(indices);
                return finish(file, cic_fail(out, CIC_ERROR_CORRUPT, "corrupt or truncated GIF data: %s",
                                             GifErrorString(file->Error)));
            }
        }
    }
    status = cic_allocate_pixels(out, 3);
    if (status != CIC_OK) {
        free(indices);
        return finish(file, status);
    }
    for (size_t pixel = 0; pixel < width * height; pixel++) {
        memcpy(out->pixels + pixel * 3, palette + indices[pixel] * 3, 3);
    }
    free(indices);
    return finish(file, CIC_OK);
}
