// The first stage of the motif scan's table lookup (MotifAttnAnalysis, MotifScanner): three 3-base chunk scores
// summed at every start, the starts that can still reach the threshold kept. AVX-512BW looks up 32 starts at a
// time (a 64-entry table of 16-bit scores fills two registers, which vpermi2w indexes); other CPUs run the
// plain loop. Integer sums, so both give the same starts. The Swift wrapper (MotifAttnKernels,
// Elementwise.swift) documents the contract.
#include "vector_math.h"

#include <stdint.h>

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define HAVE_AVX512BW_TABLES 1
#else
#define HAVE_AVX512BW_TABLES 0
#endif

static long first_stage_plain(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2, const int16_t *t0,
                              const int16_t *t1, const int16_t *t2, int32_t need, long begin, long end,
                              int32_t *candidates) {
    long kept = 0;
    for (long s = begin; s < end; s++) {
        int32_t score = (int32_t)t0[w0[s]] + (int32_t)t1[w1[s]] + (int32_t)t2[w2[s]];
        candidates[kept] = (int32_t)s;
        kept += score >= need ? 1 : 0;
    }
    return kept;
}

#if HAVE_AVX512BW_TABLES
__attribute__((target("avx512f,avx512bw")))
static inline __m512i chunk_scores(const uint8_t *words, __m512i low, __m512i high) {
    __m512i index = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)words));
    return _mm512_permutex2var_epi16(low, index, high);
}

__attribute__((target("avx512f,avx512bw")))
static long first_stage_avx512(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2, const int16_t *t0,
                               const int16_t *t1, const int16_t *t2, int32_t need, long begin, long end,
                               int32_t *candidates) {
    const __m512i t0low = _mm512_loadu_si512(t0), t0high = _mm512_loadu_si512(t0 + 32);
    const __m512i t1low = _mm512_loadu_si512(t1), t1high = _mm512_loadu_si512(t1 + 32);
    const __m512i t2low = _mm512_loadu_si512(t2), t2high = _mm512_loadu_si512(t2 + 32);
    const __m512i threshold = _mm512_set1_epi32(need);
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    long kept = 0, s = begin;
    for (; s + 32 <= end; s += 32) {
        __m512i a = chunk_scores(w0 + s, t0low, t0high);
        __m512i b = chunk_scores(w1 + s, t1low, t1high);
        __m512i c = chunk_scores(w2 + s, t2low, t2high);
        for (int half = 0; half < 2; half++) {
            __m256i a16 = half ? _mm512_extracti64x4_epi64(a, 1) : _mm512_castsi512_si256(a);
            __m256i b16 = half ? _mm512_extracti64x4_epi64(b, 1) : _mm512_castsi512_si256(b);
            __m256i c16 = half ? _mm512_extracti64x4_epi64(c, 1) : _mm512_castsi512_si256(c);
            __m512i sum = _mm512_add_epi32(_mm512_add_epi32(_mm512_cvtepi16_epi32(a16), _mm512_cvtepi16_epi32(b16)),
                                           _mm512_cvtepi16_epi32(c16));
            __mmask16 pass = _mm512_cmpge_epi32_mask(sum, threshold);
            __m512i starts = _mm512_add_epi32(_mm512_set1_epi32((int32_t)(s + 16 * half)), lanes);
            // Compressed in a register and stored whole (a compressing store to memory is slow on some CPUs):
            // the kept starts so far are at most the starts before this step, so the 16 stored entries fit.
            _mm512_storeu_si512(candidates + kept, _mm512_maskz_compress_epi32(pass, starts));
            kept += __builtin_popcount((unsigned)pass);
        }
    }
    return kept + first_stage_plain(w0, w1, w2, t0, t1, t2, need, s, end, candidates + kept);
}
#endif

long motifattn_table_first_stage(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2, const int16_t *t0,
                                 const int16_t *t1, const int16_t *t2, int32_t need, long begin, long end,
                                 int32_t *candidates) {
#if HAVE_AVX512BW_TABLES
    // Checked once; threads that race here store the same value.
    static int level = -1;
    int known = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") ? 1 : 0;
        __atomic_store_n(&level, known, __ATOMIC_RELAXED);
    }
    if (known == 1) return first_stage_avx512(w0, w1, w2, t0, t1, t2, need, begin, end, candidates);
#endif
    return first_stage_plain(w0, w1, w2, t0, t1, t2, need, begin, end, candidates);
}

long motifattn_table_first_stage_plain(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2, const int16_t *t0,
                                       const int16_t *t1, const int16_t *t2, int32_t need, long begin, long end,
                                       int32_t *candidates) {
    return first_stage_plain(w0, w1, w2, t0, t1, t2, need, begin, end, candidates);
}
