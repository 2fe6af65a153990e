// Convolution helpers for channel-major ([channels, batch, height, width]) feature maps: with that
// layout a convolution is one GEMM of the weights [out, in·k·k] by an im2col matrix [in·k·k, batch·h·w],
// so small late-stage feature maps still batch into large GEMMs. These loops are memory-bound; the
// GEMM does the arithmetic.
#include "CTensorKernels.h"

void cs_im2col_channel_major(const float *input, long channel_stride, long height, long width, long kernel,
                             long stride, long padding, long out_height, long out_width, long image_begin,
                             long image_end, long row_begin, long row_end, float *columns, long ld_columns) {
    const long plane = height * width;
    const long area = kernel * kernel;
    for (long row = row_begin; row < row_end; row++) {
        const long channel = row / area;
        const long ky = (row % area) / kernel;
        const long kx = row % kernel;
        float *out = columns + row * ld_columns;
        for (long image = image_begin; image < image_end; image++) {
            const float *source = input + channel * channel_stride + image * plane;
            for (long oy = 0; oy < out_height; oy++) {
                const long iy = oy * stride - padding + ky;
                if (iy < 0 || iy >= height) {
                    for (long ox = 0; ox < out_width; ox++) out[ox] = 0.0f;
                    out += out_width;
                    continue;
                }
                const float *line = source + iy * width;
                if (stride == 1) {
                    for (long ox = 0; ox < out_width; ox++) {
                        const long ix = ox - padding + kx;
                        out[ox] = (ix >= 0 && ix < width) ? line[ix] : 0.0f;
                    }
                } else {
                    for (long ox = 0; ox < out_width; ox++) {
                        const long ix = ox * stride - padding + kx;
                        out[ox] = (ix >= 0 && ix < width) ? line[ix] : 0.0f;
                    }
                }
                out += out_width;
            }
        }
    }
}

void cs_bias_relu_rows(float *x, const float *bias, long rows, long length, int relu) {
    for (long row = 0; row < rows; row++) {
        float *values = x + row * length;
        const float b = bias[row];
        if (relu) {
            for (long i = 0; i < length; i++) {
                const float v = values[i] + b;
                values[i] = v > 0.0f ? v : 0.0f;
            }
        } else {
            for (long i = 0; i < length; i++) values[i] += b;
        }
    }
}

void cs_average_pool_planes(const float *input, float *output, long planes, long height, long width, long kernel) {
    const long out_height = height / kernel, out_width = width / kernel;
    const float scale = 1.0f / (float)(kernel * kernel);
    for (long p = 0; p < planes; p++) {
        const float *source = input + p * height * width;
        float *target = output + p * out_height * out_width;
        for (long oy = 0; oy < out_height; oy++) {
            for (long ox = 0; ox < out_width; ox++) {
                float sum = 0.0f;
                for (long ky = 0; ky < kernel; ky++) {
                    const float *line = source + (oy * kernel + ky) * width + ox * kernel;
                    for (long kx = 0; kx < kernel; kx++) sum += line[kx];
                }
                target[oy * out_width + ox] = sum * scale;
            }
        }
    }
}

void cs_add_relu(float *x, const float *y, long count) {
    for (long i = 0; i < count; i++) {
        const float v = x[i] + y[i];
        x[i] = v > 0.0f ? v : 0.0f;
    }
}
