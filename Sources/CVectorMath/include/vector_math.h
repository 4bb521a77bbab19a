// Elementwise kernels of inference, training and the analysis in C, compiled once per x86-64 level
// (baseline SSE2, AVX2+FMA, AVX-512) and picked at load time for the CPU running them, so the
// portable build gets wide vectors where Swift alone would stay at SSE width. The Swift wrappers in
// MotifAttnKernels (Elementwise.swift) document the contracts; this file holds the one implementation
// of the exp, erf and log2 approximations.
#ifndef MOTIFATTN_VECTOR_MATH_H
#define MOTIFATTN_VECTOR_MATH_H

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

/// The instruction set the kernels above run with on this CPU: "avx512", "avx2" or "baseline".
const char *motifattn_vector_math_level(void);

#endif
