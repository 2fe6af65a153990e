#ifndef CLIPSEARCH_CTENSORKERNELS_H
#define CLIPSEARCH_CTENSORKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

// Row-parallel element kernels. Each is compiled three times (AVX-512, AVX2+FMA, baseline) and the
// best one for this CPU is chosen at first use, so a single binary runs everywhere at full speed.

/// y[r] = (x[r] - mean) / sqrt(var + eps) * gamma + beta, for rows [0, rows).
void cs_layer_norm(const float *x, float *y, const float *gamma, const float *beta, long rows, long dim, float eps);
/// x = x * sigmoid(1.702 x), in place.
void cs_quick_gelu(float *x, long count);
/// x = 0.5 x (1 + erf(x / sqrt 2)), in place.
void cs_gelu(float *x, long count);
/// GELU with the tanh approximation ("gelu_new", "gelu_pytorch_tanh"), in place.
void cs_gelu_tanh(float *x, long count);
/// max(x, 0), in place.
void cs_relu(float *x, long count);
/// out[r, :] = row for every r: used to pre-load a bias before an accumulating GEMM.
void cs_broadcast_row(float *out, const float *row, long rows, long dim);
/// x += y, element-wise.
void cs_add(float *x, const float *y, long count);
/// Softmax over each row of length `dim`, in place.
void cs_softmax_rows(float *x, long rows, long dim);
/// One attention head: out[i] = sum_j softmax_j(scale * q_i . k_j) v_j, with j <= i when causal, and
/// j < valid_length (keys past it are padding). q, k, v rows are `ld_input` floats apart, out rows
/// `ld_output` apart. `scratch` holds at least max((head_dim + 1) * seq, 4352) floats.
void cs_attention_head(const float *q, const float *k, const float *v, long ld_input, float *out, long ld_output,
                       long seq, long valid_length, long head_dim, float scale, int causal, float *scratch);
/// y[i, j] = x[i, :] . w[j, :] (+ bias[j]) for output columns j in [n_begin, n_end); x is [m, k], w is
/// [n, k], y rows are `ldy` apart. For few rows, where streaming the weights once beats GEMM packing.
void cs_linear_rows(const float *x, long m, long k, const float *w, long n_begin, long n_end, const float *bias,
                    float *y, long ldy);
/// Output columns per packed weight panel for this CPU's kernels (32 with AVX-512).
long cs_packed_panel_width(void);
/// Packs w [n, k] into ceil(n / panel) panels of k × panel floats (see cs_packed_panel_width).
void cs_pack_weights(const float *w, long n, long k, float *packed);
/// y[i, j] = x[i, :] . w[j, :] (+ bias[j]) over the columns of panels [panel_begin, panel_end), with w
/// packed by cs_pack_weights: no per-call packing, for the few-hundred-row products of inference.
void cs_packed_linear(const float *x, long m, long k, const float *packed, long n, long panel_begin, long panel_end,
                      const float *bias, float *y, long ldy);
/// Scales each row to unit L2 norm (rows of zeros stay zero).
void cs_normalize_rows(float *x, long rows, long dim);
/// Keeps large activation buffers in the heap (no page zeroing per allocation). Call once.
void cs_configure_allocator(void);
/// Name of the instruction set the kernels use ("avx512", "avx2", "baseline").
const char *cs_kernel_isa(void);

#ifdef __cplusplus
}
#endif
// Backward kernels (backward_kernels.c), used by training.
#ifdef __cplusplus
extern "C" {
#endif
/// LayerNorm backward over `rows` rows: dx = ∂L/∂x (skipped when NULL); dgamma, dbeta accumulate (+=) when not NULL.
void cs_layer_norm_backward(const float *x, const float *dy, const float *gamma, float *dx, float *dgamma,
                            float *dbeta, long rows, long dim, float eps);
/// grad *= activation'(pre), in place. kind: 0 quick_gelu, 1 gelu (erf), 2 gelu (tanh), 3 relu.
void cs_activation_backward(int kind, const float *pre, float *grad, long count);
/// One attention head's backward (layout as cs_attention_head): writes dq, dk, dv (rows `ld_input`
/// apart, overwritten) from dout. `probabilities` and `dscores` hold at least seq floats each.
void cs_attention_head_backward(const float *q, const float *k, const float *v, long ld_input, const float *dout,
                                long ld_output, float *dq, float *dk, float *dv, long seq, long valid_length,
                                long head_dim, float scale, int causal, float *probabilities, float *dscores);
/// sums[i] += Σ_r x[r, i].
void cs_column_sums(const float *x, long rows, long dim, float *sums);
#ifdef __cplusplus
}
#endif

#endif

// Convolution helpers (convolution.c), appended for the ResNet image towers. Feature maps are
// channel-major: element (c, n, y, x) lives at c * channel_stride + n * height * width + y * width + x.
#ifdef __cplusplus
extern "C" {
#endif
/// Rows [row_begin, row_end) of the im2col matrix (row = (channel, ky, kx)) for images
/// [image_begin, image_end); row r starts at columns + r * ld_columns. Out-of-image taps are zero.
void cs_im2col_channel_major(const float *input, long channel_stride, long height, long width, long kernel,
                             long stride, long padding, long out_height, long out_width, long image_begin,
                             long image_end, long row_begin, long row_end, float *columns, long ld_columns);
/// x[r, :] += bias[r] (then max(., 0) when relu != 0), for rows of `length` values.
void cs_bias_relu_rows(float *x, const float *bias, long rows, long length, int relu);
/// Non-overlapping kernel×kernel average pooling (floor mode) of `planes` height×width planes.
void cs_average_pool_planes(const float *input, float *output, long planes, long height, long width, long kernel);
/// x = max(x + y, 0), element-wise.
void cs_add_relu(float *x, const float *y, long count);
#ifdef __cplusplus
}
#endif

// Intel AMX tile products (amx.c): bf16 multiplies with fp32 accumulation; weights split hi + lo so
// three passes (hi·hi + hi·lo + lo·hi) come close to fp32 rounding.
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/// 1 when this CPU has AMX-BF16 and the kernel granted the tile state to this process (asked once).
int cs_amx_available(void);
/// uint16 values cs_amx_pack_weights writes for w [n, k] (hi and lo planes).
long cs_amx_packed_count(long n, long k);
/// uint16 values of one activation plane (hi or lo) for x [m, k]: rows padded to 32, columns to 32.
long cs_amx_activation_count(long m, long k);
/// Packs w [n, k] into 32-column blocks of 32-deep chunks (hi tiles, then lo tiles).
void cs_amx_pack_weights(const float *w, long n, long k, uint16_t *packed);
/// Packs like cs_amx_pack_weights, blocks [block_begin, block_end) only, from a depth-major source:
/// element (row j < n, depth d < k) at source[d * ld + j] (an im2col matrix).
void cs_amx_pack_transposed(const float *source, long k, long n, long ld, long block_begin, long block_end,
                            uint16_t *packed);
/// Splits rows [row_begin, row_end) of x (rows `ldx` apart) into bf16 hi and lo planes stored as
/// consecutive 16×32 tiles (16-row bands, 32-column chunks); the call whose range reaches m also
/// zeroes the padding rows. Only cs_amx_linear reads this layout.
void cs_amx_convert_rows(const float *x, long m, long k, long ldx, long row_begin, long row_end,
                         uint16_t *high, uint16_t *low);
/// y[i, j] = x[i, :] . w[j, :] (+ bias[j]) for the columns of 32-column blocks [block_begin, block_end);
/// passes 3: hi·hi + hi·lo + lo·hi, passes 1: hi·hi (plain bf16).
void cs_amx_linear(const uint16_t *high, const uint16_t *low, long m, long k, const uint16_t *packed, long n,
                   long block_begin, long block_end, const float *bias, float *y, long ldy, int passes);

// Worker pool (worker_pool.c). Runs body(context, i) once for each i in 0..<count: the calling thread
// and threads − 1 spinning workers (created at the first call) claim indices until none is left.
// Returns 0 without running anything when the pool is busy with another caller's job or has no
// workers; the caller then runs the job another way.
typedef void (*cs_parallel_body)(void *context, long index);
int cs_parallel_run(long threads, long count, cs_parallel_body body, void *context);

#ifdef __cplusplus
}
#endif
