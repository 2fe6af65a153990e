// OpenBLAS 0.3.21 does not recognise recent Xeons and silently falls back to its slowest kernel.
// The kernel is chosen from OPENBLAS_CORETYPE when the library is loaded, so we cannot link it
// normally (it would load before main runs): we set the variable from the CPU's flags, then dlopen.
#define _GNU_SOURCE
#include "COpenBLAS.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };

typedef void (*sgemm_function)(int, int, int, int, int, int, float, const float *, int, const float *, int,
                               float, float *, int);
typedef char *(*corename_function)(void);
typedef void (*set_threads_function)(int);
typedef int (*get_threads_function)(void);

static sgemm_function sgemm_pointer;
static corename_function corename_pointer;
static set_threads_function set_threads_pointer;
static get_threads_function get_threads_pointer;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];
static char requested_core[32];

static void choose_core_type(void) {
    const char *user_choice = getenv("OPENBLAS_CORETYPE");
    if (user_choice != NULL && user_choice[0] != '\0') return;
    const char *core = NULL;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl")) {
        core = "SkylakeX";
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        core = "Haswell";
    }
#endif
    if (core != NULL) {
        setenv("OPENBLAS_CORETYPE", core, 0);
        snprintf(requested_core, sizeof requested_core, "%s", core);
    }
}

static void load_library(void) {
    choose_core_type();
    const char *candidates[] = {"libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", NULL};
    void *handle = NULL;
    for (int index = 0; candidates[index] != NULL && handle == NULL; index++) {
        handle = dlopen(candidates[index], RTLD_NOW | RTLD_GLOBAL);
    }
    if (handle == NULL) {
        const char *reason = dlerror();
        snprintf(load_error, sizeof load_error,
                 "cannot load OpenBLAS (libopenblas.so.0): %s; install it with 'apt-get install libopenblas0-pthread'",
                 reason ? reason : "not found");
        return;
    }
    sgemm_pointer = (sgemm_function)dlsym(handle, "cblas_sgemm");
    corename_pointer = (corename_function)dlsym(handle, "openblas_get_corename");
    set_threads_pointer = (set_threads_function)dlsym(handle, "openblas_set_num_threads");
    get_threads_pointer = (get_threads_function)dlsym(handle, "openblas_get_num_threads");
    if (sgemm_pointer == NULL) {
        snprintf(load_error, sizeof load_error, "OpenBLAS library has no cblas_sgemm symbol");
    }
}

int clipsearch_blas_load(char *message, int message_capacity) {
    pthread_once(&load_once, load_library);
    if (sgemm_pointer != NULL) return 0;
    if (message != NULL && message_capacity > 0) snprintf(message, (size_t)message_capacity, "%s", load_error);
    return 1;
}

void clipsearch_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc) {
    if (sgemm_pointer == NULL) {
        pthread_once(&load_once, load_library);
        // Callers are expected to have called clipsearch_blas_load and reported its error.
        if (sgemm_pointer == NULL) abort();
    }
    sgemm_pointer(RowMajor, transpose_a ? Trans : NoTrans, transpose_b ? Trans : NoTrans, m, n, k, alpha, a, lda, b,
                  ldb, beta, c, ldc);
}

const char *clipsearch_blas_core_name(void) {
    if (corename_pointer == NULL) return "unloaded";
    return corename_pointer();
}

const char *clipsearch_blas_requested_core(void) { return requested_core; }

void clipsearch_blas_set_threads(int threads) {
    if (set_threads_pointer != NULL) set_threads_pointer(threads);
}

int clipsearch_blas_get_threads(void) { return get_threads_pointer != NULL ? get_threads_pointer() : 1; }
