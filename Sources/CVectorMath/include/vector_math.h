// Elementwise kernels of inference, training and the analysis in C, compiled once per x86-64 level
// (baseline SSE2, AVX2+FMA, AVX-512) and picked at load time for the CPU running them, so the
// portable build gets wide vectors where Swift alone would stay at SSE width. The Swift wrappers in
// MotifAttnKernels (Elementwise.swift) document the contracts; this file holds the one implementation
// of the exp, erf and log2 approximations.
#ifndef MOTIFATTN_VECTOR_MATH_H
#define MOTIFATTN_VECTOR_MATH_H

#include <stdint.h>

/// Row-wise softmax of a rows × columns block with row stride ld; columns at
/// valid_columns and beyond are set to exactly 0 (key padding mask).
void motifattn_softmax_rows(float *s, long rows, long columns, long valid_columns, long ld);

/// Scalar forms of the approximations every kernel below uses: e^x (inputs clamped to [-87, 88],
/// relative error < 2e-7), erf (Abramowitz & Stegun 7.1.26, |error| < 2e-7), log2 of a positive normal x.
float motifattn_exp(float x);
float motifattn_erf(float x);
float motifattn_log2(float x);

/// GELU, out = in · ½ (1 + erf(in / √2)), on count floats (out may be in); and its backward,
/// gradient *= Φ(in) + in · φ(in).
void motifattn_gelu_forward(float *out, const float *in, long count);
void motifattn_gelu_backward(float *gradient, const float *in, long count);

/// One attention row of training in place: softmax over keys (maximum taken over row + lowered, where
/// lowered is 0 for real keys and -inf for padding), times keep (1 or 0), renormalised.
void motifattn_masked_softmax_row(float *row, const float *keep, const float *lowered, long count);

/// Σ −w·log₂ w over count weights (0·log 0 = 0), in sixteen lanes.
float motifattn_entropy_bits_sum(const float *w, long count);

/// Σ x·y over count floats, in sixteen lanes (a fixed order for a given count).
float motifattn_dot(const float *x, const float *y, long count);

/// sum[k] += rows[r·n + k] for r = 0 … count − 1 in order, each k on its own (the order of a row-by-row loop).
void motifattn_add_rows(float *sum, const float *rows, long count, long n);

/// out[j·n + q] = the largest map[q·n + k] − subtract[k] (subtract NULL: map[q·n + k]) over k in [k0[j], k1[j])
/// (k1[j] <= n), for each q in rows and each j < sites; −∞ for an empty range. Exact: the value a loop over the
/// keys in any order gives.
void motifattn_site_maxima(const float *map, long n, const float *subtract, const long *rows, long row_count,
                           const long *k0, const long *k1, long sites, float *out);

/// The instruction set the kernels above run with on this CPU: "avx512", "avx2" or "baseline".
const char *motifattn_vector_math_level(void);

// bf16 products (bf16_products.c): inputs and weights rounded to bfloat16 (nearest, ties to even),
// products summed in fp32 by AVX512_BF16. Weights are packed once: column blocks of 16 outputs, pairs of
// inputs interleaved, as `vdpbf16ps` reads them. Activation rows hold 2·⌈k/2⌉ values (a zero after an odd k).

/// 1 when this CPU and OS run AVX512_BF16 (and AVX512F/BW), else 0. The other bf16 kernels need it.
int motifattn_bf16_supported(void);
/// bfloat16 of a float (round to nearest, ties to even; NaN stays NaN), and back (exact).
uint16_t motifattn_bf16_from_float(float value);
float motifattn_float_from_bf16(uint16_t value);
/// Values of the packed form of an n × k weight (outputs × inputs, PyTorch's Linear layout).
long motifattn_bf16_packed_count(long n, long k);
/// Packs w [n, k] into out (motifattn_bf16_packed_count(n, k) values).
void motifattn_bf16_pack_weight(const float *w, long n, long k, uint16_t *out);
/// Rounds rows × k floats (row stride ldx) to bf16 activation rows of 2·⌈k/2⌉ values.
void motifattn_bf16_convert_rows(const float *x, long rows, long k, long ldx, uint16_t *out);
/// y[r, j] += Σ_i x[r, i] · W[16·first_block + j, i] for r < m, j < n: x in converted rows, W packed.
void motifattn_bf16_add_product(const uint16_t *x, long m, long k, const uint16_t *packed, long first_block,
                                long n, float *y, long ldy);

#endif
