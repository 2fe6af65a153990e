// Included once per instruction set by kernels.c with KERNEL_SUFFIX and KERNEL_TARGET defined.
// Loops are written so the compiler vectorises them; exp and erf are branch-free polynomials
// (relative error ~1e-7) because libm's scalar calls would dominate the transformer's run time.
#include <math.h>
#include <stdint.h>
#include <string.h>

#define KERNEL_NAME2(name, suffix) name##_##suffix
#define KERNEL_NAME1(name, suffix) KERNEL_NAME2(name, suffix)
#define KERNEL(name) KERNEL_NAME1(name, KERNEL_SUFFIX)

KERNEL_TARGET static inline float KERNEL(exp_approx)(float x) {
    x = fminf(fmaxf(x, -87.0f), 88.0f);
    float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500E-4f;
    p = p * r + 1.3981999507E-3f;
    p = p * r + 8.3334519073E-3f;
    p = p * r + 4.1665795894E-2f;
    p = p * r + 1.6666665459E-1f;
    p = p * r + 5.0000001201E-1f;
    float y = p * r * r + r + 1.0f;
    union { int32_t i; float f; } scale;
    scale.i = ((int32_t)n + 127) << 23;
    return y * scale.f;
}

// erf from erfc's Chebyshev fit (Numerical Recipes erfcc, fractional error < 1.2e-7).
KERNEL_TARGET static inline float KERNEL(erf_approx)(float x) {
    float z = fabsf(x);
    float t = 1.0f / (1.0f + 0.5f * z);
    float poly = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f +
                 t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
    float erfc_value = t * KERNEL(exp_approx)(-z * z + poly);
    float value = 1.0f - erfc_value;
    return x >= 0.0f ? value : -value;
}

KERNEL_TARGET static void KERNEL(layer_norm)(const float *x, float *y, const float *gamma, const float *beta,
                                             long rows, long dim, float eps) {
#pragma clang fp reassociate(on)
    for (long row = 0; row < rows; row++) {
        const float *input = x + row * dim;
        float *output = y + row * dim;
        float sum = 0.0f;
        for (long i = 0; i < dim; i++) sum += input[i];
        float mean = sum / (float)dim;
        float squares = 0.0f;
        for (long i = 0; i < dim; i++) {
            float centered = input[i] - mean;
            squares += centered * centered;
        }
        float inverse = 1.0f / sqrtf(squares / (float)dim + eps);
        for (long i = 0; i < dim; i++) output[i] = (input[i] - mean) * inverse * gamma[i] + beta[i];
    }
}

KERNEL_TARGET static void KERNEL(quick_gelu)(float *x, long count) {
    for (long i = 0; i < count; i++) {
        float value = x[i];
        x[i] = value / (1.0f + KERNEL(exp_approx)(-1.702f * value));
    }
}

KERNEL_TARGET static void KERNEL(gelu)(float *x, long count) {
    for (long i = 0; i < count; i++) {
        float value = x[i];
        x[i] = 0.5f * value * (1.0f + KERNEL(erf_approx)(value * 0.70710678118654752f));
    }
}

KERNEL_TARGET static void KERNEL(gelu_tanh)(float *x, long count) {
    for (long i = 0; i < count; i++) {
        float value = x[i];
        float inner = 0.7978845608028654f * (value + 0.044715f * value * value * value);
        float tanh_value = 1.0f - 2.0f / (KERNEL(exp_approx)(2.0f * inner) + 1.0f);
        x[i] = 0.5f * value * (1.0f + tanh_value);
    }
}

KERNEL_TARGET static void KERNEL(relu)(float *x, long count) {
    for (long i = 0; i < count; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

// values = exp(values - max(values)) in place; returns 1 / their sum (the softmax's normaliser),
// shared by softmax_rows and both attention kernels.
KERNEL_TARGET static inline float KERNEL(exponentiate_shifted)(float *values, long count) {
#pragma clang fp reassociate(on)
    float maximum = -INFINITY;
    for (long i = 0; i < count; i++) maximum = fmaxf(maximum, values[i]);
    float sum = 0.0f;
    for (long i = 0; i < count; i++) {
        values[i] = KERNEL(exp_approx)(values[i] - maximum);
        sum += values[i];
    }
    return 1.0f / sum;
}

KERNEL_TARGET static void KERNEL(softmax_rows)(float *x, long rows, long dim) {
#pragma clang fp reassociate(on)
    for (long row = 0; row < rows; row++) {
        float *values = x + row * dim;
        float inverse = KERNEL(exponentiate_shifted)(values, dim);
        for (long i = 0; i < dim; i++) values[i] *= inverse;
    }
}

// Scores are computed against a transposed copy of K so that the inner loop runs over keys with
// broadcast FMAs (no horizontal reductions); then each output row accumulates weighted value rows.
#if KERNEL_VECTOR_BYTES == 64
// The vision towers' case (no mask, ≤ 64 keys, 64-dimensional heads: ViT-B/32 has 50 tokens): four
// query rows at a time keep their 4 × 64 scores in registers, and each output row is accumulated in
// four registers, instead of streaming both through memory once per key and per dimension.
typedef float KERNEL(attention_vector) __attribute__((vector_size(64), aligned(4)));
KERNEL_TARGET static void KERNEL(attention_head_small)(const float *q, const float *k, const float *v, long ld_input,
                                                       float *out, long ld_output, long seq, long keys,
                                                       float scale, float *scratch) {
#pragma clang fp reassociate(on)
    typedef KERNEL(attention_vector) vec;
    float *keys_transposed = scratch + 4 * 64;  // [64 dimensions][64 keys], zero past `keys`
    float *scores = scratch;                    // [4 rows][64]
    for (long d = 0; d < 64; d++) {
        float *row = keys_transposed + d * 64;
        for (long j = 0; j < 64; j++) row[j] = j < keys ? k[j * ld_input + d] : 0.0f;
    }
    for (long first = 0; first < seq; first += 4) {
        long rows = seq - first < 4 ? seq - first : 4;
        vec accumulator[4][4];
        for (int r = 0; r < 4; r++)
            for (int t = 0; t < 4; t++) accumulator[r][t] = (vec){0};
        for (long d = 0; d < 64; d++) {
            const vec *row = (const vec *)(keys_transposed + d * 64);
            vec key0 = row[0], key1 = row[1], key2 = row[2], key3 = row[3];
            for (int r = 0; r < 4; r++) {
                float factor = r < rows ? q[(first + r) * ld_input + d] * scale : 0.0f;
                accumulator[r][0] += factor * key0;
                accumulator[r][1] += factor * key1;
                accumulator[r][2] += factor * key2;
                accumulator[r][3] += factor * key3;
            }
        }
        for (long r = 0; r < rows; r++) {
            vec *stored = (vec *)(scores + r * 64);
            for (int t = 0; t < 4; t++) stored[t] = accumulator[r][t];
            float *row_scores = scores + r * 64;
            float inverse = KERNEL(exponentiate_shifted)(row_scores, keys);
            vec output0 = {0}, output1 = {0}, output2 = {0}, output3 = {0};
            for (long j = 0; j < keys; j++) {
                const vec *value = (const vec *)(v + j * ld_input);
                float weight = row_scores[j] * inverse;
                output0 += weight * value[0];
                output1 += weight * value[1];
                output2 += weight * value[2];
                output3 += weight * value[3];
            }
            vec *output = (vec *)(out + (first + r) * ld_output);
            output[0] = output0;
            output[1] = output1;
            output[2] = output2;
            output[3] = output3;
        }
    }
}
#endif

KERNEL_TARGET static void KERNEL(attention_head)(const float *q, const float *k, const float *v, long ld_input,
                                                 float *out, long ld_output, long seq, long valid_length,
                                                 long head_dim, float scale, int causal, float *scratch) {
#pragma clang fp reassociate(on)
#if KERNEL_VECTOR_BYTES == 64
    if (!causal && head_dim == 64 && seq <= 64) {
        KERNEL(attention_head_small)(q, k, v, ld_input, out, ld_output, seq, valid_length < seq ? (valid_length < 1 ? 1 : valid_length) : seq, scale, scratch);
        return;
    }
#endif
    float *scores = scratch;
    float *keys_transposed = scratch + seq;
    long visible = valid_length < seq ? valid_length : seq;
    if (visible < 1) visible = 1;
    for (long j = 0; j < visible; j++)
        for (long d = 0; d < head_dim; d++) keys_transposed[d * seq + j] = k[j * ld_input + d];
    for (long i = 0; i < seq; i++) {
        const float *query = q + i * ld_input;
        long keys = causal ? (i + 1 < visible ? i + 1 : visible) : visible;
        for (long j = 0; j < keys; j++) scores[j] = 0.0f;
        for (long d = 0; d < head_dim; d++) {
            float factor = query[d] * scale;
            const float *row = keys_transposed + d * seq;
            for (long j = 0; j < keys; j++) scores[j] += factor * row[j];
        }
        float inverse = KERNEL(exponentiate_shifted)(scores, keys);
        float *output = out + i * ld_output;
        for (long d = 0; d < head_dim; d++) output[d] = 0.0f;
        for (long j = 0; j < keys; j++) {
            const float *value = v + j * ld_input;
            float weight = scores[j] * inverse;
            for (long d = 0; d < head_dim; d++) output[d] += weight * value[d];
        }
    }
}

KERNEL_TARGET static void KERNEL(add)(float *x, const float *y, long count) {
    for (long i = 0; i < count; i++) x[i] += y[i];
}

KERNEL_TARGET static void KERNEL(normalize_rows)(float *x, long rows, long dim) {
    for (long row = 0; row < rows; row++) {
        float *values = x + row * dim;
        double squares = 0.0;
        for (long i = 0; i < dim; i++) squares += (double)values[i] * values[i];
        if (squares <= 0.0) continue;
        float inverse = (float)(1.0 / sqrt(squares));
        for (long i = 0; i < dim; i++) values[i] *= inverse;
    }
}


// y[m, n] = sum_k x[m, k] w[n, k] (+ bias[n]) for few rows m: the weights stream through once while
// a 4×4 tile of dot products stays in registers. OpenBLAS repacks the whole weight matrix on every
// call, which dominates when m is small (a text query is ~10 tokens).
typedef float KERNEL(vector) __attribute__((vector_size(KERNEL_VECTOR_BYTES), aligned(4)));
#define LANES ((long)(KERNEL_VECTOR_BYTES / sizeof(float)))

KERNEL_TARGET static inline float KERNEL(horizontal_sum)(KERNEL(vector) v) {
    float total = 0.0f;
    for (long lane = 0; lane < LANES; lane++) total += v[lane];
    return total;
}

KERNEL_TARGET static void KERNEL(linear_rows)(const float *x, long m, long k, const float *w, long n_begin,
                                              long n_end, const float *bias, float *y, long ldy) {
    typedef KERNEL(vector) vec;
    long vector_end = k - k % LANES;
    for (long n = n_begin; n < n_end; n += 4) {
        long n_count = n_end - n < 4 ? n_end - n : 4;
        const float *w_rows[4];
        for (long j = 0; j < 4; j++) w_rows[j] = w + (n + (j < n_count ? j : 0)) * k;
        for (long row = 0; row < m; row += 4) {
            long m_count = m - row < 4 ? m - row : 4;
            const float *x_rows[4];
            for (long i = 0; i < 4; i++) x_rows[i] = x + (row + (i < m_count ? i : 0)) * k;
            vec accumulators[4][4];
            for (long i = 0; i < 4; i++)
                for (long j = 0; j < 4; j++) accumulators[i][j] = (vec){0};
            for (long index = 0; index < vector_end; index += LANES) {
                vec weights[4], inputs[4];
                for (long j = 0; j < 4; j++) weights[j] = *(const vec *)(w_rows[j] + index);
                for (long i = 0; i < 4; i++) inputs[i] = *(const vec *)(x_rows[i] + index);
                for (long i = 0; i < 4; i++)
                    for (long j = 0; j < 4; j++) accumulators[i][j] += inputs[i] * weights[j];
            }
            for (long i = 0; i < m_count; i++) {
                for (long j = 0; j < n_count; j++) {
                    float total = KERNEL(horizontal_sum)(accumulators[i][j]);
                    for (long index = vector_end; index < k; index++) total += x_rows[i][index] * w_rows[j][index];
                    y[(row + i) * ldy + n + j] = total + (bias ? bias[n + j] : 0.0f);
                }
            }
        }
    }
}

// Weights packed once into panels of PANEL output columns: panel p holds, for each k, the PANEL
// weights w[p·PANEL + j][k] side by side (zeros past n). A 6-row × PANEL micro-kernel then keeps
// 12 vector accumulators in registers and streams one panel with no per-call packing.
#define PANEL (2 * LANES)

KERNEL_TARGET static void KERNEL(pack_weights)(const float *w, long n, long k, float *packed) {
    long panels = (n + PANEL - 1) / PANEL;
    for (long p = 0; p < panels; p++) {
        float *panel = packed + p * k * PANEL;
        for (long j = 0; j < PANEL; j++) {
            long column = p * PANEL + j;
            if (column < n) {
                const float *row = w + column * k;
                for (long index = 0; index < k; index++) panel[index * PANEL + j] = row[index];
            } else {
                for (long index = 0; index < k; index++) panel[index * PANEL + j] = 0.0f;
            }
        }
    }
}

KERNEL_TARGET static inline void KERNEL(packed_tile)(const float *x, long rows, long k, const float *panel,
                                                     long column0, long n, const float *bias, float *y, long ldy) {
    typedef KERNEL(vector) vec;
    const float *x_rows[6];
    for (long r = 0; r < 6; r++) x_rows[r] = x + (r < rows ? r : rows - 1) * k;
    vec c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};
    vec c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};
    for (long index = 0; index < k; index++) {
        vec b0 = *(const vec *)(panel + index * PANEL);
        vec b1 = *(const vec *)(panel + index * PANEL + LANES);
        float a0 = x_rows[0][index], a1 = x_rows[1][index], a2 = x_rows[2][index];
        float a3 = x_rows[3][index], a4 = x_rows[4][index], a5 = x_rows[5][index];
        c00 += a0 * b0; c01 += a0 * b1;
        c10 += a1 * b0; c11 += a1 * b1;
        c20 += a2 * b0; c21 += a2 * b1;
        c30 += a3 * b0; c31 += a3 * b1;
        c40 += a4 * b0; c41 += a4 * b1;
        c50 += a5 * b0; c51 += a5 * b1;
    }
    vec results[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    long columns = n - column0 < PANEL ? n - column0 : PANEL;
    for (long r = 0; r < rows; r++) {
        float *out = y + r * ldy + column0;
        for (long j = 0; j < columns; j++) {
            float value = results[r][j / LANES][j % LANES];
            out[j] = value + (bias ? bias[column0 + j] : 0.0f);
        }
    }
}

KERNEL_TARGET static void KERNEL(packed_linear)(const float *x, long m, long k, const float *packed, long n,
                                                long panel_begin, long panel_end, const float *bias, float *y,
                                                long ldy) {
    // Panels are visited in groups small enough to stay in L2 while every row block reuses them,
    // so each weight is read from memory once per call.
    long group = (256 * 1024) / (k * PANEL * (long)sizeof(float));
    if (group < 1) group = 1;
    for (long first = panel_begin; first < panel_end; first += group) {
        long last = first + group < panel_end ? first + group : panel_end;
        for (long row = 0; row < m; row += 6) {
            long rows = m - row < 6 ? m - row : 6;
            for (long p = first; p < last; p++) {
                KERNEL(packed_tile)(x + row * k, rows, k, packed + p * k * PANEL, p * PANEL, n, bias, y + row * ldy, ldy);
            }
        }
    }
}
#undef PANEL
#undef LANES

#undef KERNEL_SUFFIX
#undef KERNEL_TARGET
#undef KERNEL_VECTOR_BYTES
