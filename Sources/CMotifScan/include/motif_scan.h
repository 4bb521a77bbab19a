// The motif scan's kernel in C (motif_tables.c), apart from the encoder's kernels in CVectorMath so that a change
// to the analysis's scan leaves the sources that shape a trained model alone. The Swift wrapper is in
// MotifAttnKernels (MotifScanKernels.swift).
#ifndef MOTIFATTN_MOTIF_SCAN_H
#define MOTIFATTN_MOTIF_SCAN_H

#include <stdint.h>

/// The first stage of the motif scan's chunk tables (motif_tables.c): for each start s in [begin, end), the
/// sum t0[w0[s]] + t1[w1[s]] + t2[w2[s]] (tables of 64 16-bit scores, words 0…63); the starts whose sum is at
/// least need are written to candidates in increasing order, and their count returned. candidates has room for
/// end − begin + 1 entries (the entry after the last kept one may be written). Only w0…w2[begin ..< end] are
/// read. AVX-512BW or AVX2 when the CPU has it, else the plain loop; the same starts either way.
long motifattn_table_first_stage(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2, const int16_t *t0,
                                 const int16_t *t1, const int16_t *t2, int32_t need, long begin, long end,
                                 int32_t *candidates);
/// motifattn_table_first_stage with at most the given instruction set: 0 the plain loop (the twin in tests),
/// 1 AVX2, 2 AVX-512BW; a level the CPU lacks falls to the next one it has.
long motifattn_table_first_stage_at_most(int level, const uint8_t *w0, const uint8_t *w1, const uint8_t *w2,
                                         const int16_t *t0, const int16_t *t1, const int16_t *t2, int32_t need,
                                         long begin, long end, int32_t *candidates);

#endif
