// The first stage of the motif scan's table lookup (MotifAttnAnalysis, MotifScanner): three 3-base chunk scores
// summed at every start, the starts that can still reach the threshold kept. AVX-512BW looks up 32 starts at a
// time (a 64-entry table of 16-bit scores fills two registers, which vpermi2w indexes); AVX2 also looks up 32
// (each table split into low and high bytes, four 16-entry vpshufb tables each); other CPUs run the plain
// loop. Integer sums, so every path gives the same starts. The Swift wrapper (MotifAttnKernels,
// MotifScanKernels.swift) documents the contract.
#include "motif_scan.h"

#include <pthread.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define HAVE_X86_TABLE_KERNELS 1
#else
#define HAVE_X86_TABLE_KERNELS 0
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

#if HAVE_X86_TABLE_KERNELS
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

// kept_lanes[m]: the indices of the set bits of the 8-bit mask m, in increasing order, then zeros (the
// permutation that moves the kept lanes of a step to its front).
static uint8_t kept_lanes[256][8];
// 2 for AVX-512BW, 1 for AVX2, 0 for neither.
static int table_level;
static pthread_once_t table_level_once = PTHREAD_ONCE_INIT;

static void choose_table_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) {
        table_level = 2;
    } else if (__builtin_cpu_supports("avx2")) {
        for (int mask = 0; mask < 256; mask++) {
            int count = 0;
            for (int lane = 0; lane < 8; lane++) {
                if (mask & (1 << lane)) kept_lanes[mask][count++] = (uint8_t)lane;
            }
        }
        table_level = 1;
    } else {
        table_level = 0;
    }
}

// A table of 64 16-bit scores as byte planes for vpshufb: planes[q] holds the low bytes of entries 16q ..< 16q + 16
// in both 128-bit lanes, planes[4 + q] their high bytes.
__attribute__((target("avx2")))
static inline void byte_planes(const int16_t *table, __m256i planes[8]) {
    const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15,
                                           0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    for (int q = 0; q < 4; q++) {
        // Lane 0: entries 16q … 16q + 7, lane 1: the next eight; each lane's low bytes first, then its high bytes.
        __m256i bytes = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(table + 16 * q)), split);
        // Quadwords: low bytes of the first eight, of the second eight, then the high bytes in the same order.
        __m256i ordered = _mm256_permute4x64_epi64(bytes, _MM_SHUFFLE(3, 1, 2, 0));
        planes[q] = _mm256_permute2x128_si256(ordered, ordered, 0x00);
        planes[4 + q] = _mm256_permute2x128_si256(ordered, ordered, 0x11);
    }
}

// One byte of the entries that words 0…63 index: vpshufb reads each word's low 4 bits; bit 4 (moved to bit 7 in
// `bit4`) and bit 5 (in `bit5`) choose among the four 16-entry planes.
__attribute__((target("avx2")))
static inline __m256i plane_lookup(const __m256i *planes, __m256i words, __m256i bit4, __m256i bit5) {
    __m256i low = _mm256_blendv_epi8(_mm256_shuffle_epi8(planes[0], words), _mm256_shuffle_epi8(planes[1], words), bit4);
    __m256i high = _mm256_blendv_epi8(_mm256_shuffle_epi8(planes[2], words), _mm256_shuffle_epi8(planes[3], words), bit4);
    return _mm256_blendv_epi8(low, high, bit5);
}

// The 32 scores of one table at 32 starts, widened to 32 bits: out[g] holds starts 8g … 8g + 7.
__attribute__((target("avx2")))
static inline void table_scores(const __m256i *planes, const uint8_t *words, __m256i out[4]) {
    __m256i w = _mm256_loadu_si256((const __m256i *)words);
    __m256i bit4 = _mm256_slli_epi16(w, 3), bit5 = _mm256_slli_epi16(w, 2);
    __m256i low = plane_lookup(planes, w, bit4, bit5), high = plane_lookup(planes + 4, w, bit4, bit5);
    // 16-bit scores; within each 128-bit lane `first` holds its starts 0…7 and `second` its starts 8…15.
    __m256i first = _mm256_unpacklo_epi8(low, high), second = _mm256_unpackhi_epi8(low, high);
    out[0] = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(first));
    out[1] = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(second));
    out[2] = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(first, 1));
    out[3] = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(second, 1));
}

__attribute__((target("avx2")))
static long first_stage_avx2(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2, const int16_t *t0,
                             const int16_t *t1, const int16_t *t2, int32_t need, long begin, long end,
                             int32_t *candidates) {
    __m256i p0[8], p1[8], p2[8];
    byte_planes(t0, p0);
    byte_planes(t1, p1);
    byte_planes(t2, p2);
    const __m256i threshold = _mm256_set1_epi32(need);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    long kept = 0, s = begin;
    for (; s + 32 <= end; s += 32) {
        __m256i a[4], b[4], c[4];
        table_scores(p0, w0 + s, a);
        table_scores(p1, w1 + s, b);
        table_scores(p2, w2 + s, c);
        for (int g = 0; g < 4; g++) {
            __m256i sum = _mm256_add_epi32(_mm256_add_epi32(a[g], b[g]), c[g]);
            // sum >= need, as "not need > sum" (no overflow at the ends of the range).
            int below = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(threshold, sum)));
            int pass = ~below & 0xFF;
            __m256i order = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)kept_lanes[pass]));
            __m256i starts = _mm256_add_epi32(_mm256_set1_epi32((int32_t)(s + 8 * g)), lanes);
            // All 8 stored, the kept ones first: the kept starts so far are at most the starts before this group.
            _mm256_storeu_si256((__m256i *)(candidates + kept), _mm256_permutevar8x32_epi32(starts, order));
            kept += __builtin_popcount((unsigned)pass);
        }
    }
    return kept + first_stage_plain(w0, w1, w2, t0, t1, t2, need, s, end, candidates + kept);
}
#endif

long motifattn_table_first_stage_at_most(int level, const uint8_t *w0, const uint8_t *w1, const uint8_t *w2,
                                         const int16_t *t0, const int16_t *t1, const int16_t *t2, int32_t need,
                                         long begin, long end, int32_t *candidates) {
#if HAVE_X86_TABLE_KERNELS
    pthread_once(&table_level_once, choose_table_level);
    int chosen = level < table_level ? level : table_level;
    if (chosen == 2) return first_stage_avx512(w0, w1, w2, t0, t1, t2, need, begin, end, candidates);
    if (chosen == 1) return first_stage_avx2(w0, w1, w2, t0, t1, t2, need, begin, end, candidates);
#else
    (void)level;
#endif
    return first_stage_plain(w0, w1, w2, t0, t1, t2, need, begin, end, candidates);
}

long motifattn_table_first_stage(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2, const int16_t *t0,
                                 const int16_t *t1, const int16_t *t2, int32_t need, long begin, long end,
                                 int32_t *candidates) {
    return motifattn_table_first_stage_at_most(2, w0, w1, w2, t0, t1, t2, need, begin, end, candidates);
}
