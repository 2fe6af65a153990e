// Dev-only: one bf16x3 tile product, the working tree's kernels against another commit's, alternating in
// one process so the host's second-to-second swings hit both (see amx-ab.sh). Each side packs its own
// weights (the layout may differ between commits); both read the same activation planes.
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include "CTensorKernels.h"

void base_linear(const uint16_t *, const uint16_t *, long, long, const uint16_t *, long, long, long, const float *, float *, long, int);
void base_amx_pack_weights(const float *w, long n, long k, uint16_t *packed);

static double now(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec + time.tv_nsec * 1e-9;
}

// Usage: amx_ab rows depth outputs pairs. Prints the median time of each side and the median paired ratio.
static int compare(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    if (argc < 5 || !cs_amx_available()) { fprintf(stderr, "usage: amx_ab rows depth outputs pairs (needs AMX)\n"); return 2; }
    long m = atol(argv[1]), k = atol(argv[2]), n = atol(argv[3]), pairs = atol(argv[4]);
    float *w = malloc(sizeof(float) * n * k), *x = malloc(sizeof(float) * m * k), *y = malloc(sizeof(float) * m * n);
    srand(7);
    for (long i = 0; i < n * k; i++) w[i] = rand() / (float)RAND_MAX - 0.5f;
    for (long i = 0; i < m * k; i++) x[i] = rand() / (float)RAND_MAX - 0.5f;
    uint16_t *current = aligned_alloc(64, cs_amx_packed_count(n, k) * 2), *base = aligned_alloc(64, cs_amx_packed_count(n, k) * 2);
    cs_amx_pack_weights(w, n, k, current);
    base_amx_pack_weights(w, n, k, base);
    long plane = cs_amx_activation_count(m, k);
    uint16_t *planes = aligned_alloc(64, plane * 4);
    cs_amx_convert_rows(x, m, k, k, 0, m, planes, planes + plane);
    long blocks = (n + 31) / 32, repeats = 200000000 / (m * n * k) + 1;
    double *ratios = malloc(sizeof(double) * pairs), *times[2] = {malloc(sizeof(double) * pairs), malloc(sizeof(double) * pairs)};
    for (long pair = 0; pair <= pairs; pair++) {
        double seconds[2];
        for (int turn = 0; turn < 2; turn++) {
            int side = (pair + turn) % 2;  // alternate which side goes first
            double start = now();
            for (long r = 0; r < repeats; r++) {
                if (side == 0) cs_amx_linear(planes, planes + plane, m, k, current, n, 0, blocks, NULL, y, n, 3);
                else base_linear(planes, planes + plane, m, k, base, n, 0, blocks, NULL, y, n, 3);
            }
            seconds[side] = (now() - start) / repeats;
        }
        if (pair == 0) continue;  // warm-up
        times[0][pair - 1] = seconds[0];
        times[1][pair - 1] = seconds[1];
        ratios[pair - 1] = seconds[1] / seconds[0];
    }
    qsort(times[0], pairs, sizeof(double), compare);
    qsort(times[1], pairs, sizeof(double), compare);
    qsort(ratios, pairs, sizeof(double), compare);
    printf("%ld×%ld·%ld×%ld: working tree %.3f ms, base %.3f ms (medians of %ld); base/working-tree time ratio median %.3f, range %.3f–%.3f\n",
           m, k, k, n, times[0][pairs / 2] * 1e3, times[1][pairs / 2] * 1e3, pairs, ratios[pairs / 2], ratios[0], ratios[pairs - 1]);
    return 0;
}
