// Backward kernels for training. They run far less often than the inference kernels (once per
// training step, not per query), so they are plain C that the compiler vectorises at -O3, with
// double accumulators where a reduction's rounding would show up in gradient-parity tests.
#include "CTensorKernels.h"
#include <math.h>
#include <string.h>

// One binary runs everywhere: the loader picks the AVX-512, AVX2 or baseline clone of each kernel.
#if defined(__x86_64__) && defined(__clang__)
#define BACKWARD_KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BACKWARD_KERNEL
#endif

BACKWARD_KERNEL void cs_layer_norm_backward(const float *x, const float *dy, const float *gamma, float *dx, float *dgamma,
                            float *dbeta, long rows, long dim, float eps) {
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * dim, *dyr = dy + r * dim;
        double sum = 0.0, squares = 0.0;
        for (long i = 0; i < dim; i++) sum += xr[i];
        double mean = sum / (double)dim;
        for (long i = 0; i < dim; i++) {
            double centred = xr[i] - mean;
            squares += centred * centred;
        }
        double rstd = 1.0 / sqrt(squares / (double)dim + (double)eps);
        double meanGrad = 0.0, meanGradX = 0.0;
        for (long i = 0; i < dim; i++) {
            double normalized = (xr[i] - mean) * rstd;
            double g = (double)dyr[i] * gamma[i];
            meanGrad += g;
            meanGradX += g * normalized;
            if (dgamma) dgamma[i] += (float)(dyr[i] * normalized);
            if (dbeta) dbeta[i] += dyr[i];
        }
        meanGrad /= (double)dim;
        meanGradX /= (double)dim;
        if (!dx) continue;
        float *dxr = dx + r * dim;
        for (long i = 0; i < dim; i++) {
            double normalized = (xr[i] - mean) * rstd;
            double g = (double)dyr[i] * gamma[i];
            dxr[i] = (float)(rstd * (g - meanGrad - normalized * meanGradX));
        }
    }
}

BACKWARD_KERNEL void cs_activation_backward(int kind, const float *pre, float *grad, long count) {
    switch (kind) {
    case 0:  // quick_gelu: x * sigmoid(1.702 x)
        for (long i = 0; i < count; i++) {
            float s = 1.0f / (1.0f + expf(-1.702f * pre[i]));
            grad[i] *= s + 1.702f * pre[i] * s * (1.0f - s);
        }
        break;
    case 1:  // gelu (erf)
        for (long i = 0; i < count; i++) {
            float x = pre[i];
            float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752f));
            float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
            grad[i] *= cdf + x * pdf;
        }
        break;
    case 2:  // gelu, tanh approximation
        for (long i = 0; i < count; i++) {
            float x = pre[i];
            float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);
            float t = tanhf(inner);
            float derivative = 0.5f * (1.0f + t) +
                               0.5f * x * (1.0f - t * t) * 0.79788456080286536f * (1.0f + 3.0f * 0.044715f * x * x);
            grad[i] *= derivative;
        }
        break;
    default:  // relu
        for (long i = 0; i < count; i++) grad[i] = pre[i] > 0.0f ? grad[i] : 0.0f;
        break;
    }
}

// `restrict`: dq, dk and dv share one buffer but cover disjoint columns, so the compiler may vectorise.
BACKWARD_KERNEL void cs_attention_head_backward(const float *restrict q, const float *restrict k, const float *restrict v,
                                long ld_input, const float *restrict dout, long ld_output, float *restrict dq,
                                float *restrict dk, float *restrict dv, long seq, long valid_length, long head_dim,
                                float scale, int causal, float *restrict probabilities, float *restrict dscores) {
    // Reassociating the dot products lets them vectorise (as the forward kernel does).
#pragma clang fp reassociate(on)
    for (long i = 0; i < seq; i++) {
        for (long d = 0; d < head_dim; d++) {
            dq[i * ld_input + d] = 0.0f;
            dk[i * ld_input + d] = 0.0f;
            dv[i * ld_input + d] = 0.0f;
        }
    }
    for (long i = 0; i < seq; i++) {
        const float *query = q + i * ld_input;
        const float *gradOut = dout + i * ld_output;
        long keys = causal ? (i + 1 < valid_length ? i + 1 : valid_length) : valid_length;
        if (keys < 1) keys = 1;
        // Recompute this query's attention probabilities (cheaper than storing seq² per head).
        float maximum = -INFINITY;
        for (long j = 0; j < keys; j++) {
            const float *restrict key = k + j * ld_input;
            float dot = 0.0f;
            for (long d = 0; d < head_dim; d++) dot += query[d] * key[d];
            probabilities[j] = dot * scale;
            if (probabilities[j] > maximum) maximum = probabilities[j];
        }
        double sum = 0.0;
        for (long j = 0; j < keys; j++) {
            probabilities[j] = expf(probabilities[j] - maximum);
            sum += probabilities[j];
        }
        float inverse = (float)(1.0 / sum);
        double weighted = 0.0;
        for (long j = 0; j < keys; j++) {
            probabilities[j] *= inverse;
            const float *value = v + j * ld_input;
            float dot = 0.0f;
            for (long d = 0; d < head_dim; d++) dot += gradOut[d] * value[d];
            dscores[j] = dot;
            weighted += (double)dot * probabilities[j];
        }
        float *restrict gradQuery = dq + i * ld_input;
        for (long j = 0; j < keys; j++) {
            float p = probabilities[j];
            float ds = p * (dscores[j] - (float)weighted) * scale;
            const float *restrict key = k + j * ld_input;
            float *restrict gradKey = dk + j * ld_input;
            float *restrict gradValue = dv + j * ld_input;
            for (long d = 0; d < head_dim; d++) gradValue[d] += p * gradOut[d];
            for (long d = 0; d < head_dim; d++) gradQuery[d] += ds * key[d];
            for (long d = 0; d < head_dim; d++) gradKey[d] += ds * query[d];
        }
    }
}

BACKWARD_KERNEL void cs_column_sums(const float *x, long rows, long dim, float *sums) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * dim;
        for (long i = 0; i < dim; i++) sums[i] += row[i];
    }
}
