// Dev-only: how steady this host's AMX tile unit is (see scripts/bench/amx-variance.sh).
// 1) The bf16x3 product ClipSearch runs for a ViT-B/32 MLP at batch 32 (1600×768 by 768×3072), one
//    thread, repeated: wall ms per run. 2) A tile-multiply loop on non-zero data with no memory traffic:
//    TFLOP/s (bf16 operations) per run. Both depend only on the host, not on the rest of the program.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "CTensorKernels.h"

static double now(void) {
    struct timespec clock;
    clock_gettime(CLOCK_MONOTONIC, &clock);
    return clock.tv_sec + clock.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summary(const char *name, double *values, int count, const char *unit) {
    qsort(values, count, sizeof *values, compare);
    printf("%-34s min %7.2f  median %7.2f  max %7.2f %s\n", name, values[0], values[count / 2], values[count - 1], unit);
}

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t bytes_per_row[16];
    uint8_t rows[16];
} tile_configuration;

__attribute__((target("amx-tile,amx-bf16"))) static double tile_loop_tflops(const uint16_t *data, long steps) {
    tile_configuration configuration;
    memset(&configuration, 0, sizeof configuration);
    configuration.palette = 1;
    for (int tile = 0; tile < 8; tile++) configuration.rows[tile] = 16, configuration.bytes_per_row[tile] = 64;
    _tile_loadconfig(&configuration);
    _tile_loadd(4, data, 64);
    _tile_loadd(5, data + 512, 64);
    _tile_loadd(6, data + 1024, 64);
    _tile_loadd(7, data + 1536, 64);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    double start = now();
    for (long step = 0; step < steps; step++) {
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    double seconds = now() - start;
    _tile_release();
    return steps * 4 * 16.0 * 16 * 32 * 2 / seconds / 1e12;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 30;
    if (runs < 1 || runs > 1000) return fprintf(stderr, "runs must be 1–1000\n"), 2;
    if (!cs_amx_available()) return fprintf(stderr, "this CPU (or kernel) offers no AMX tiles\n"), 1;
    long m = 1600, k = 768, n = 3072;
    float *weights = malloc(sizeof(float) * n * k), *inputs = malloc(sizeof(float) * m * k), *outputs = malloc(sizeof(float) * m * n);
    srand(1);
    for (long i = 0; i < n * k; i++) weights[i] = (float)((double)rand() / RAND_MAX) - 0.5f;
    for (long i = 0; i < m * k; i++) inputs[i] = (float)((double)rand() / RAND_MAX) - 0.5f;
    uint16_t *packed = aligned_alloc(64, sizeof(uint16_t) * cs_amx_packed_count(n, k));
    long plane = cs_amx_activation_count(m, k);
    uint16_t *planes = aligned_alloc(64, sizeof(uint16_t) * 2 * plane);
    cs_amx_pack_weights(weights, n, k, packed);
    cs_amx_convert_rows(inputs, m, k, k, 0, m, planes, planes + plane);

    double *milliseconds = malloc(sizeof(double) * runs), *tflops = malloc(sizeof(double) * runs);
    for (int run = 0; run < runs; run++) {
        double start = now();
        cs_amx_linear(planes, planes + plane, m, k, packed, n, 0, n / 32, NULL, outputs, n, 3);
        milliseconds[run] = (now() - start) * 1e3;
        tflops[run] = tile_loop_tflops(planes, 200000);
    }
    printf("%d runs, one thread\n", runs);
    summary("bf16x3 product 1600x768 * 768x3072", milliseconds, runs, "ms");
    summary("tile loop, no memory traffic", tflops, runs, "TFLOP/s (bf16 operations)");
    return 0;
}
