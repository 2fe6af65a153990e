// Matrix products on Intel AMX tiles (bf16 multiplies, fp32 accumulation).
//
// A tile multiply (TDPBF16PS) does 16×16×32 multiply-adds; one core sustains ~1.2 TFLOP/s with it here,
// seven times its fp32 AVX-512 peak. bf16 keeps only 8 bits of mantissa, so by default every fp32
// operand is split into two bf16 numbers, x = hi + lo, and the product is hi·hi + hi·lo + lo·hi
// ("bf16x3"): the dropped lo·lo term and the split's residual are ~2^-16 of the product, close to fp32
// rounding after accumulation, at three tile multiplies per step — still faster than fp32 FMA.
// One pass (hi·hi only) is the plain bf16 mode.
#include "CTensorKernels.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

static int amx_state = -1;  // -1 unknown, 0 unavailable, 1 ready

int cs_amx_available(void) {
    int state = __atomic_load_n(&amx_state, __ATOMIC_ACQUIRE);
    if (state >= 0) return state;
    unsigned int eax, ebx, ecx, edx;
    int usable = 0;
    __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(0));
    int amx_bf16 = (edx >> 22) & 1, amx_tile = (edx >> 24) & 1, avx512f = (ebx >> 16) & 1;
    __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(1));
    int avx512_bf16 = (eax >> 5) & 1;
    if (amx_bf16 && amx_tile && avx512f && avx512_bf16) {
        // Linux hands out the 8 KB tile state only to processes that ask for it (once, for all threads).
        usable = syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
    }
    __atomic_store_n(&amx_state, usable, __ATOMIC_RELEASE);
    return usable;
}

typedef struct {
    uint8_t palette;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t bytes_per_row[16];
    uint8_t rows[16];
} tile_configuration;

// Tiles 0–3: the 32×32 fp32 accumulator block; 4–5: two 16×32 activation tiles; 6–7: two weight tiles.
AMX_TARGET static void configure_tiles(void) {
    tile_configuration configuration;
    memset(&configuration, 0, sizeof configuration);
    configuration.palette = 1;
    for (int tile = 0; tile < 8; tile++) {
        configuration.rows[tile] = 16;
        configuration.bytes_per_row[tile] = 64;
    }
    _tile_loadconfig(&configuration);
}

static inline long round_up(long value, long multiple) { return (value + multiple - 1) / multiple * multiple; }

long cs_amx_packed_count(long n, long k) { return round_up(n, 32) * round_up(k, 32) * 2; }
long cs_amx_activation_count(long m, long k) { return round_up(m, 32) * round_up(k, 32); }

// Rounds 16 floats to bf16 (nearest, ties to even) and returns them as fp32 bit patterns whose low
// 16 bits are zero, so the hi part can be subtracted exactly and the pair interleaved with shifts.
AMX_TARGET static inline __m512i bf16_bits(__m512 value) {
    __m512i bits = _mm512_castps_si512(value);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    bits = _mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff)));
    return _mm512_and_si512(bits, _mm512_set1_epi32((int)0xffff0000u));
}

// The lanes of a 16-float load that lie before the end of a row: all, the first `remaining`, or none.
static inline __mmask16 lane_mask(long remaining) {
    return remaining >= 16 ? (__mmask16)0xffff : remaining > 0 ? (__mmask16)((1u << remaining) - 1) : 0;
}

// Weight layout: 32-column blocks, each a run of 32-deep chunks of 2048 values: lo tile of columns 0–15,
// lo tile of columns 16–31, then the two hi tiles (lo first because the kernels read it first, so a chunk
// streams from memory front to back). A tile holds (k pair, column, k parity) so that the
// 16 rows of 64 bytes are what TDPBF16PS expects for its second operand: one 32-bit (even, odd) depth
// pair per column, 16 columns per row. Each weight row's 32 depths become 16 such pairs, scattered
// down the tile's rows.
AMX_TARGET void cs_amx_pack_weights(const float *w, long n, long k, uint16_t *packed) {
    long chunks = round_up(k, 32) / 32, blocks = round_up(n, 32) / 32;
    const __m512i pair_rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                 _mm512_set1_epi32(16));
    // 16-bit lane 2i + 1 is the upper half of 32-bit lane i: of the first vector for i < 16, of the
    // second for i ≥ 16 (lanes 32–63 of the pair), so one index list gathers all 32 bf16 halves.
    uint16_t upper_halves[32];
    for (int lane = 0; lane < 32; lane++) upper_halves[lane] = (uint16_t)(2 * lane + 1);
    const __m512i halves = _mm512_loadu_si512(upper_halves);
    for (long block = 0; block < blocks; block++) {
        for (long chunk = 0; chunk < chunks; chunk++) {
            int32_t *destination = (int32_t *)(packed + (block * chunks + chunk) * 2048);
            long depth = chunk * 32;
            __mmask16 first = lane_mask(k - depth), second = lane_mask(k - depth - 16);
            for (long offset = 0; offset < 32; offset++) {
                long row = block * 32 + offset;
                __m512 low_depths = row < n ? _mm512_maskz_loadu_ps(first, w + row * k + depth) : _mm512_setzero_ps();
                __m512 high_depths = row < n ? _mm512_maskz_loadu_ps(second, w + row * k + depth + 16) : _mm512_setzero_ps();
                __m512i low_high = bf16_bits(low_depths), high_high = bf16_bits(high_depths);
                __m512 low_rest = _mm512_sub_ps(low_depths, _mm512_castsi512_ps(low_high));
                __m512 high_rest = _mm512_sub_ps(high_depths, _mm512_castsi512_ps(high_high));
                __m512i high = _mm512_permutex2var_epi16(low_high, halves, high_high);
                __m512i low = _mm512_permutex2var_epi16(bf16_bits(low_rest), halves, bf16_bits(high_rest));
                int32_t *column = destination + (offset / 16) * 256 + offset % 16;
                _mm512_i32scatter_epi32(column + 512, pair_rows, high, 4);
                _mm512_i32scatter_epi32(column, pair_rows, low, 4);
            }
        }
    }
}

// Packs the transpose of a source stored depth-major — element (row j, depth d) at source[d * ld + j],
// as an im2col matrix is — for the 32-column blocks [block_begin, block_end) of its n rows: a
// convolution's columns become the weight-side operand without a separate transpose.
AMX_TARGET void cs_amx_pack_transposed(const float *source, long k, long n, long ld, long block_begin, long block_end,
                                       uint16_t *packed) {
    long chunks = round_up(k, 32) / 32;
    for (long block = block_begin; block < block_end; block++) {
        for (long chunk = 0; chunk < chunks; chunk++) {
            uint32_t *destination = (uint32_t *)(packed + (block * chunks + chunk) * 2048);
            for (long half = 0; half < 2; half++) {
                long column = block * 32 + half * 16;
                __mmask16 mask = lane_mask(n - column);
                for (long pair = 0; pair < 16; pair++) {
                    long depth = chunk * 32 + pair * 2;
                    __m512 even = depth < k ? _mm512_maskz_loadu_ps(mask, source + depth * ld + column) : _mm512_setzero_ps();
                    __m512 odd = depth + 1 < k ? _mm512_maskz_loadu_ps(mask, source + (depth + 1) * ld + column) : _mm512_setzero_ps();
                    __m512i even_high = bf16_bits(even), odd_high = bf16_bits(odd);
                    __m512i even_low = bf16_bits(_mm512_sub_ps(even, _mm512_castsi512_ps(even_high)));
                    __m512i odd_low = bf16_bits(_mm512_sub_ps(odd, _mm512_castsi512_ps(odd_high)));
                    // One 64-byte tile row: (even, odd) bf16 pairs for 16 columns, even in the low half.
                    _mm512_storeu_si512(destination + 512 + half * 256 + pair * 16, _mm512_or_si512(odd_high, _mm512_srli_epi32(even_high, 16)));
                    _mm512_storeu_si512(destination + half * 256 + pair * 16, _mm512_or_si512(odd_low, _mm512_srli_epi32(even_low, 16)));
                }
            }
        }
    }
}

// Rows [row_begin, row_end) of x (row-major, `ldx` apart) into hi and lo planes, laid out as the tiles
// TDPBF16PS reads: for each 16-row band, its round_up(k, 32) / 32 chunks of 16×32 values, 1 KB each,
// one after another. A tile load then reads 1 KB of consecutive memory instead of 16 rows one plane
// width apart, which the 32×32 product sustains ~10–20 % faster on this machine. Padding columns
// are zero. Padding rows are zeroed by the call whose range reaches m, as far as cs_amx_linear reads
// them: a last block of at most 16 rows is multiplied as one 16-row band, so a 10-token query zeroes
// 6 rows, not 22 (the rest of the allocation stays unwritten).
AMX_TARGET void cs_amx_convert_rows(const float *x, long m, long k, long ldx, long row_begin, long row_end,
                                    uint16_t *high, uint16_t *low) {
    long width = round_up(k, 32), tail = m % 32;
    long padded = tail == 0 ? m : tail <= 16 ? round_up(m, 16) : round_up(m, 32);
    long last = row_end >= m ? padded : row_end;
    for (long row = row_begin; row < last; row++) {
        // Row `row` of the band starting at row - row % 16 owns 32 values of every chunk tile.
        long band_start = (row / 16) * 16 * width + (row % 16) * 32;
        if (row >= m) {
            for (long column = 0; column < width; column += 32) {
                memset(high + band_start + column * 16, 0, 64);
                memset(low + band_start + column * 16, 0, 64);
            }
            continue;
        }
        const float *source = x + row * ldx;
        for (long column = 0; column < width; column += 16) {
            __mmask16 mask = lane_mask(k - column);
            __m512 value = _mm512_maskz_loadu_ps(mask, source + column);
            __m256bh rounded = _mm512_cvtneps_pbh(value);
            __m512 back = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)rounded), 16));
            __m256bh residual = _mm512_cvtneps_pbh(_mm512_sub_ps(value, back));
            long at = band_start + (column / 32) * 512 + column % 32;
            _mm256_storeu_si256((__m256i *)(high + at), (__m256i)rounded);
            _mm256_storeu_si256((__m256i *)(low + at), (__m256i)residual);
        }
    }
}

// Adds bias and writes the valid part of a 32×32 (or 16×32) accumulator block.
static inline void store_block(const float *block, long rows, long columns, const float *bias, long column_start,
                               float *y, long ldy) {
    for (long row = 0; row < rows; row++) {
        float *destination = y + row * ldy;
        const float *source = block + row * 32;
        if (bias) {
            for (long column = 0; column < columns; column++) destination[column] = source[column] + bias[column_start + column];
        } else {
            memcpy(destination, source, (size_t)columns * sizeof(float));
        }
    }
}

#define MULTIPLY_FOUR() \
    _tile_dpbf16ps(0, 4, 6); \
    _tile_dpbf16ps(1, 4, 7); \
    _tile_dpbf16ps(2, 5, 6); \
    _tile_dpbf16ps(3, 5, 7)

// `high` and `low` point at the first of two 16-row bands (see cs_amx_convert_rows); a band is
// 16 * width values long. The three products run hi·lo, hi·hi, lo·hi, so each step replaces one operand
// pair: 8 tile loads per chunk instead of 10 (within noise of the 10-load order on the model's shapes
// in scripts/bench/amx-ab.sh).
// Chunks [chunk_begin, chunk_end) are added to the block in `accumulator` (`resume`) or to zero.
AMX_TARGET static void block_32x32(const uint16_t *high, const uint16_t *low, long width, const uint16_t *weights,
                                   long chunk_begin, long chunk_end, int passes, int resume, float *accumulator) {
    long band = 16 * width;
    if (resume) {
        _tile_loadd(0, accumulator, 128);
        _tile_loadd(1, accumulator + 16, 128);
        _tile_loadd(2, accumulator + 16 * 32, 128);
        _tile_loadd(3, accumulator + 16 * 32 + 16, 128);
    } else {
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
    }
    for (long chunk = chunk_begin; chunk < chunk_end; chunk++) {
        const uint16_t *tile = weights + chunk * 2048;
        const uint16_t *high_tile = high + chunk * 512, *low_tile = low + chunk * 512;
        _tile_loadd(4, high_tile, 64);
        _tile_loadd(5, high_tile + band, 64);
        if (passes > 1) {
            _tile_loadd(6, tile, 64);
            _tile_loadd(7, tile + 512, 64);
            MULTIPLY_FOUR();
        }
        _tile_loadd(6, tile + 1024, 64);
        _tile_loadd(7, tile + 1536, 64);
        MULTIPLY_FOUR();
        if (passes > 1) {
            _tile_loadd(4, low_tile, 64);
            _tile_loadd(5, low_tile + band, 64);
            MULTIPLY_FOUR();
        }
    }
    _tile_stored(0, accumulator, 128);
    _tile_stored(1, accumulator + 16, 128);
    _tile_stored(2, accumulator + 16 * 32, 128);
    _tile_stored(3, accumulator + 16 * 32 + 16, 128);
}

// The same for the last 16 rows of a product whose rows do not fill a 32-row block (short texts).
// (Loading the lo weight tiles into the idle tiles 2–3, so no tile is loaded twice, measured
// slower on the text tower.)
AMX_TARGET static void block_16x32(const uint16_t *high, const uint16_t *low, const uint16_t *weights, long chunk_begin,
                                   long chunk_end, int passes, int resume, float *accumulator) {
    if (resume) {
        _tile_loadd(0, accumulator, 128);
        _tile_loadd(1, accumulator + 16, 128);
    } else {
        _tile_zero(0);
        _tile_zero(1);
    }
    for (long chunk = chunk_begin; chunk < chunk_end; chunk++) {
        const uint16_t *tile = weights + chunk * 2048;
        _tile_loadd(4, high + chunk * 512, 64);
        if (passes > 1) {
            _tile_loadd(6, tile, 64);
            _tile_loadd(7, tile + 512, 64);
            _tile_dpbf16ps(0, 4, 6);
            _tile_dpbf16ps(1, 4, 7);
            _tile_loadd(5, low + chunk * 512, 64);
        }
        _tile_loadd(6, tile + 1024, 64);
        _tile_loadd(7, tile + 1536, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        if (passes > 1) {
            _tile_dpbf16ps(0, 5, 6);
            _tile_dpbf16ps(1, 5, 7);
        }
    }
    _tile_stored(0, accumulator, 128);
    _tile_stored(1, accumulator + 16, 128);
}

// Row blocks are visited in groups whose activations fit in L2 next to one weight block, so each
// weight block is read from memory once per group rather than once per 32 rows. A deep product with
// more rows than one such group (the 3072-deep MLP output at batch 32 allows only 64 rows) is split
// into 768-deep pieces instead: groups of a piece are larger (224 rows for half of a 768-wide output),
// so its weights stream from memory about three times less often, and the partial sums wait in a
// per-thread buffer between pieces.
enum { piece_chunks = 24 };

static float *piece_buffer(long count) {
    static __thread float *buffer = NULL;
    static __thread long capacity = 0;
    if (count > capacity) {
        free(buffer);
        buffer = aligned_alloc(64, (size_t)count * sizeof(float));
        capacity = buffer ? count : 0;
    }
    return buffer;
}

AMX_TARGET void cs_amx_linear(const uint16_t *high, const uint16_t *low, long m, long k, const uint16_t *packed,
                              long n, long block_begin, long block_end, const float *bias, float *y, long ldy,
                              int passes) {
    long width = round_up(k, 32), chunks = width / 32, blocks = block_end - block_begin;
    long plane_bytes = 2 * (passes > 1 ? 2 : 1);
    // hi (and lo) planes: 2 bytes per value each. One image's 50 rows then fit one group even for
    // the 3072-wide MLP input, so its weights stream from memory once, not twice.
    long group_rows = (1L << 20) / (width * plane_bytes) / 32 * 32;
    if (group_rows < 32) group_rows = 32;
    long piece = chunks;
    float *sums = NULL;
    if (m > group_rows && chunks > piece_chunks) {
        long rows = (1L << 20) / (piece_chunks * 32 * plane_bytes + blocks * 32 * (long)sizeof(float)) / 32 * 32;
        if (rows > group_rows && (sums = piece_buffer((rows < m ? round_up(rows, 32) : round_up(m, 32)) * blocks * 32))) {
            group_rows = rows;
            piece = piece_chunks;
        }
    }
    float accumulator[32 * 32] __attribute__((aligned(64)));
    configure_tiles();
    for (long group = 0; group < m; group += group_rows) {
        long group_end = group + group_rows < m ? group + group_rows : m;
        for (long chunk = 0; chunk < chunks; chunk += piece) {
            long chunk_end = chunk + piece < chunks ? chunk + piece : chunks;
            for (long block = block_begin; block < block_end; block++) {
                const uint16_t *weights = packed + block * chunks * 2048;
                long column_start = block * 32;
                long columns = n - column_start < 32 ? n - column_start : 32;
                for (long row = group; row < group_end; row += 32) {
                    long rows = group_end - row < 32 ? group_end - row : 32;
                    float *sum = sums ? sums + (((row - group) / 32) * blocks + (block - block_begin)) * 1024 : accumulator;
                    if (rows <= 16) {
                        block_16x32(high + row * width, low + row * width, weights, chunk, chunk_end, passes, chunk > 0, sum);
                    } else {
                        block_32x32(high + row * width, low + row * width, width, weights, chunk, chunk_end, passes, chunk > 0, sum);
                    }
                    if (chunk_end == chunks) store_block(sum, rows, columns, bias, column_start, y + row * ldy + column_start, ldy);
                }
            }
        }
    }
    _tile_release();
}

#else
int cs_amx_available(void) { return 0; }
long cs_amx_packed_count(long n, long k) { (void)n; (void)k; return 0; }
long cs_amx_activation_count(long m, long k) { (void)m; (void)k; return 0; }
void cs_amx_pack_weights(const float *w, long n, long k, uint16_t *packed) { (void)w; (void)n; (void)k; (void)packed; }
void cs_amx_convert_rows(const float *x, long m, long k, long ldx, long row_begin, long row_end, uint16_t *high,
                         uint16_t *low) {
    (void)x; (void)m; (void)k; (void)ldx; (void)row_begin; (void)row_end; (void)high; (void)low;
}
void cs_amx_pack_transposed(const float *source, long k, long n, long ld, long block_begin, long block_end,
                            uint16_t *packed) {
    (void)source; (void)k; (void)n; (void)ld; (void)block_begin; (void)block_end; (void)packed;
}
void cs_amx_linear(const uint16_t *high, const uint16_t *low, long m, long k, const uint16_t *packed, long n,
                   long block_begin, long block_end, const float *bias, float *y, long ldy, int passes) {
    (void)high; (void)low; (void)m; (void)k; (void)packed; (void)n; (void)block_begin; (void)block_end;
    (void)bias; (void)y; (void)ldy; (void)passes;
}
#endif
