// Elementwise kernels of the encoder in C, compiled once per x86-64 level (baseline SSE2,
// AVX2+FMA, AVX-512) and picked at load time for the CPU running them, so the portable
// build gets wide vectors where Swift alone would stay at SSE width. The Swift wrappers
// (MotifAttnKernels: softmaxRows, geluInPlace) document the contracts; the arithmetic is
// the same as their Swift twins (fastExp, fastErf) up to float rounding.
#ifndef MOTIFATTN_VECTOR_MATH_H
#define MOTIFATTN_VECTOR_MATH_H

/// Row-wise softmax of a rows × columns block with row stride ld; columns at
/// valid_columns and beyond are set to exactly 0 (key padding mask).
void motifattn_softmax_rows(float *s, long rows, long columns, long valid_columns, long ld);

/// GELU, x · ½ (1 + erf(x / √2)), in place on count floats.
void motifattn_gelu_in_place(float *x, long count);

/// Training's GELU: out = GELU(in), and gradient *= GELU'(in) = Φ(in) + in · φ(in), on count floats.
void motifattn_gelu_forward(float *out, const float *in, long count);
void motifattn_gelu_backward(float *gradient, const float *in, long count);

/// One attention row of training in place: softmax over keys (maximum taken over row + lowered, where
/// lowered is 0 for real keys and -inf for padding), times keep (1 or 0), renormalised.
void motifattn_masked_softmax_row(float *row, const float *keep, const float *lowered, long count);

/// Σ −w·log₂ w over count weights (0·log 0 = 0), in sixteen lanes (fastLog2's series).
float motifattn_entropy_bits_sum(const float *w, long count);

/// Σ x·y over count floats, in sixteen lanes (a fixed order for a given count).
float motifattn_dot(const float *x, const float *y, long count);

/// The instruction set the kernels above run with on this CPU: "avx512", "avx2" or "baseline".
const char *motifattn_vector_math_level(void);

#endif
