#include "CTensorKernels.h"
#include <string.h>

#if defined(__x86_64__)
#define KERNEL_SUFFIX avx512
#define KERNEL_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#define KERNEL_VECTOR_BYTES 64
#include "kernels_body.h"
#define KERNEL_SUFFIX avx2
#define KERNEL_TARGET __attribute__((target("avx2,fma,f16c")))
#define KERNEL_VECTOR_BYTES 32
#include "kernels_body.h"
#endif
#define KERNEL_SUFFIX baseline
#define KERNEL_TARGET
#define KERNEL_VECTOR_BYTES 16
#include "kernels_body.h"

typedef enum { ISA_UNKNOWN = 0, ISA_BASELINE, ISA_AVX2, ISA_AVX512 } instruction_set;
static instruction_set detected_isa = ISA_UNKNOWN;

static instruction_set current_isa(void) {
    instruction_set isa = __atomic_load_n(&detected_isa, __ATOMIC_RELAXED);
    if (isa != ISA_UNKNOWN) return isa;
    isa = ISA_BASELINE;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
        isa = ISA_AVX512;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        isa = ISA_AVX2;
    }
#endif
    __atomic_store_n(&detected_isa, isa, __ATOMIC_RELAXED);
    return isa;
}

#if defined(__x86_64__)
#define DISPATCH(name, ...)                                              \
    switch (current_isa()) {                                             \
    case ISA_AVX512: name##_avx512(__VA_ARGS__); break;                  \
    case ISA_AVX2: name##_avx2(__VA_ARGS__); break;                      \
    default: name##_baseline(__VA_ARGS__); break;                        \
    }
#else
#define DISPATCH(name, ...) name##_baseline(__VA_ARGS__)
#endif

void cs_layer_norm(const float *x, float *y, const float *gamma, const float *beta, long rows, long dim, float eps) {
    DISPATCH(layer_norm, x, y, gamma, beta, rows, dim, eps)
}
void cs_quick_gelu(float *x, long count) { DISPATCH(quick_gelu, x, count) }
void cs_gelu(float *x, long count) { DISPATCH(gelu, x, count) }
void cs_gelu_tanh(float *x, long count) { DISPATCH(gelu_tanh, x, count) }
void cs_relu(float *x, long count) { DISPATCH(relu, x, count) }
void cs_add(float *x, const float *y, long count) { DISPATCH(add, x, y, count) }
void cs_softmax_rows(float *x, long rows, long dim) { DISPATCH(softmax_rows, x, rows, dim) }
void cs_normalize_rows(float *x, long rows, long dim) { DISPATCH(normalize_rows, x, rows, dim) }
void cs_attention_head(const float *q, const float *k, const float *v, long ld_input, float *out, long ld_output,
                       long seq, long valid_length, long head_dim, float scale, int causal, float *scratch) {
    DISPATCH(attention_head, q, k, v, ld_input, out, ld_output, seq, valid_length, head_dim, scale, causal, scratch)
}

void cs_linear_rows(const float *x, long m, long k, const float *w, long n_begin, long n_end, const float *bias,
                    float *y, long ldy) {
    DISPATCH(linear_rows, x, m, k, w, n_begin, n_end, bias, y, ldy)
}

long cs_packed_panel_width(void) {
    switch (current_isa()) {
    case ISA_AVX512: return 32;
    case ISA_AVX2: return 16;
    default: return 8;
    }
}

void cs_pack_weights(const float *w, long n, long k, float *packed) { DISPATCH(pack_weights, w, n, k, packed) }

void cs_packed_linear(const float *x, long m, long k, const float *packed, long n, long panel_begin, long panel_end,
                      const float *bias, float *y, long ldy) {
    DISPATCH(packed_linear, x, m, k, packed, n, panel_begin, panel_end, bias, y, ldy)
}

void cs_broadcast_row(float *out, const float *row, long rows, long dim) {
    for (long r = 0; r < rows; r++) memcpy(out + r * dim, row, (size_t)dim * sizeof(float));
}

const char *cs_kernel_isa(void) {
    switch (current_isa()) {
    case ISA_AVX512: return "avx512";
    case ISA_AVX2: return "avx2";
    default: return "baseline";
    }
}

#include <malloc.h>
void cs_configure_allocator(void) {
    // Activations of a batch are tens of MB, allocated and freed every layer. glibc would serve each
    // from a fresh mmap and the kernel would zero its pages every time: keep them in the heap instead.
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
}
