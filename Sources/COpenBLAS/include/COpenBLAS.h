#ifndef CLIPSEARCH_COPENBLAS_H
#define CLIPSEARCH_COPENBLAS_H

#ifdef __cplusplus
extern "C" {
#endif

/// Loads OpenBLAS at run time, after choosing its kernel. Returns 0 on success; otherwise fills
/// `message` (NUL-terminated) with the reason. Safe to call from several threads; loads once.
int clipsearch_blas_load(char *message, int message_capacity);

/// Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C.
void clipsearch_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha,
                      const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/// The kernel OpenBLAS selected ("SkylakeX", "Haswell", ...), or "unloaded".
const char *clipsearch_blas_core_name(void);
/// The kernel ClipSearch asked for through OPENBLAS_CORETYPE, or "" when the user's setting was kept.
const char *clipsearch_blas_requested_core(void);
void clipsearch_blas_set_threads(int threads);
int clipsearch_blas_get_threads(void);

#ifdef __cplusplus
}
#endif
#endif
