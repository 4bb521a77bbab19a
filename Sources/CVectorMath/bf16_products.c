// bf16 matrix products with fp32 accumulation (AVX512_BF16 `vdpbf16ps`), for the encoder's opt-in
// `--precision bf16`. Only the functions that use the instructions carry the target attribute, so the
// file builds for any x86-64 (and as stubs elsewhere); callers check motifattn_bf16_supported() first.
// The Swift wrappers (MotifAttnKernels, BF16Products.swift) document the contracts.
#include "vector_math.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
#include <cpuid.h>
#include <immintrin.h>
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define HAVE_BF16_KERNELS 1
#else
#define HAVE_BF16_KERNELS 0
#endif

// Rows of the activation tile: 8 rows × 32 columns take 16 accumulators, 2 weight vectors and a broadcast.
#define ROW_TILE 8

uint16_t motifattn_bf16_from_float(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40); // NaN stays NaN (quiet)
    bits += 0x7fffu + ((bits >> 16) & 1u);                                          // round to nearest, ties to even
    return (uint16_t)(bits >> 16);
}

float motifattn_float_from_bf16(uint16_t value) {
    uint32_t bits = (uint32_t)value << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

int motifattn_bf16_supported(void) {
#if HAVE_BF16_KERNELS
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return 0; // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6u) != 0xe6u) return 0;                                   // SSE, AVX, opmask, ZMM state enabled
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 16)) || !(b & (1u << 30))) return 0; // AVX512F, BW
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return 0;
    return (a >> 5) & 1u;                                                  // AVX512_BF16
#else
    return 0;
#endif
}

long motifattn_bf16_packed_count(long n, long k) {
    long pairs = (k + 1) / 2, blocks = (n + 15) / 16 + 1; // one spare block: the kernel reads column blocks in pairs
    return blocks * pairs * 32;
}

void motifattn_bf16_pack_weight(const float *w, long n, long k, uint16_t *out) {
    long pairs = (k + 1) / 2, blocks = (n + 15) / 16 + 1;
    for (long block = 0; block < blocks; block++)
        for (long p = 0; p < pairs; p++)
            for (long lane = 0; lane < 16; lane++)
                for (long e = 0; e < 2; e++) {
                    long column = block * 16 + lane, i = 2 * p + e;
                    out[((block * pairs + p) * 16 + lane) * 2 + e] =
                        column < n && i < k ? motifattn_bf16_from_float(w[column * k + i]) : 0;
                }
}

#if HAVE_BF16_KERNELS
BF16_TARGET void motifattn_bf16_convert_rows(const float *x, long rows, long k, long ldx, uint16_t *out) {
    long width = 2 * ((k + 1) / 2);
    for (long r = 0; r < rows; r++) {
        const float *source = x + r * ldx;
        uint16_t *target = out + r * width;
        long i = 0;
        for (; i + 32 <= k; i += 32) {
            __m512bh both = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(source + i + 16), _mm512_loadu_ps(source + i));
            _mm512_storeu_si512((void *)(target + i), (__m512i)both);
        }
        for (; i < k; i++) target[i] = motifattn_bf16_from_float(source[i]);
        if (k & 1) target[k] = 0;
    }
}

// rows (≤ ROW_TILE) × up to 32 columns: y += x · Wᵀ. Every row and lane runs the same sequence of
// vdpbf16ps over the pairs of k, so a row's result does not depend on the tile it was computed in.
BF16_TARGET static inline __attribute__((always_inline)) void
product_tile(long rows, const uint16_t *x, long pairs, const uint16_t *w, float *y, long ldy, long columns) {
    __m512 acc[ROW_TILE][2];
    for (long r = 0; r < rows; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    const uint16_t *w0 = w, *w1 = w + pairs * 32;
    for (long p = 0; p < pairs; p++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(w0 + p * 32));
        __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(w1 + p * 32));
        for (long r = 0; r < rows; r++) {
            int32_t pair;
            memcpy(&pair, x + r * 2 * pairs + 2 * p, sizeof pair);
            __m512bh a = (__m512bh)_mm512_set1_epi32(pair);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, b1);
        }
    }
    __mmask16 m0 = columns >= 16 ? 0xffff : (__mmask16)((1u << columns) - 1);
    __mmask16 m1 = columns >= 32 ? 0xffff : columns > 16 ? (__mmask16)((1u << (columns - 16)) - 1) : 0;
    for (long r = 0; r < rows; r++) {
        float *row = y + r * ldy;
        _mm512_mask_storeu_ps(row, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, row), acc[r][0]));
        if (m1) _mm512_mask_storeu_ps(row + 16, m1, _mm512_add_ps(_mm512_maskz_loadu_ps(m1, row + 16), acc[r][1]));
    }
}

BF16_TARGET void motifattn_bf16_add_product(const uint16_t *x, long m, long k, const uint16_t *packed, long first_block,
                                            long n, float *y, long ldy) {
    long pairs = (k + 1) / 2;
    for (long column = 0; column < n; column += 32) {
        long columns = n - column < 32 ? n - column : 32;
        const uint16_t *w = packed + (first_block + column / 16) * pairs * 32;
        long r = 0;
        for (; r + ROW_TILE <= m; r += ROW_TILE) product_tile(ROW_TILE, x + r * 2 * pairs, pairs, w, y + r * ldy + column, ldy, columns);
        for (; r < m; r++) product_tile(1, x + r * 2 * pairs, pairs, w, y + r * ldy + column, ldy, columns);
    }
}
#else
void motifattn_bf16_convert_rows(const float *x, long rows, long k, long ldx, uint16_t *out) {
    (void)x; (void)rows; (void)k; (void)ldx; (void)out;
}
void motifattn_bf16_add_product(const uint16_t *x, long m, long k, const uint16_t *packed, long first_block, long n,
                                float *y, long ldy) {
    (void)x; (void)m; (void)k; (void)packed; (void)first_block; (void)n; (void)y; (void)ldy;
}
#endif
