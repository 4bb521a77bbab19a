#include "vector_math.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
#define PER_CPU_LEVEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define PER_CPU_LEVEL
#endif

// Sixteen float lanes; on a baseline build the compiler splits them into SSE registers.
typedef float lanes16 __attribute__((vector_size(64), aligned(4)));

static inline float bits_to_float(int32_t bits) { float f; memcpy(&f, &bits, sizeof f); return f; }
static inline int32_t float_to_bits(float f) { int32_t bits; memcpy(&bits, &f, sizeof bits); return bits; }

// e^x for x <= 88, clamped below at -87: x = n·ln2 + r with |r| <= ln2/2 (n rounded by the 1.5·2^23
// trick), a degree-7 Taylor polynomial for e^r (relative error < 2e-7), then 2^n through the exponent bits.
static inline float exp_below88(float x) {
    float c = x < -87.0f ? -87.0f : x;
    float shifted = c * 1.44269504088896341f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = c - n * 0.693145751953125f - n * 1.42860682030941723212e-6f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    return p * bits_to_float((float_to_bits(shifted) - 0x4B400000 + 127) << 23);
}

// erf by Abramowitz & Stegun 7.1.26 with exp_below88 (|error| < 2e-7).
static inline float erf_approx(float value) {
    float a = value < 0 ? -value : value;
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    p = p * t;
    float magnitude = 1.0f - p * exp_below88(-a * a);
    return value < 0 ? -magnitude : magnitude;
}


// log2 x for positive normal x: x = m·2^e, log2 m = (2/ln 2)·atanh(s), s = (m − 1)/(m + 1), by the odd
// series s + s³/3 + … + s⁹/9 (error below 2e-6 + 6e-8·|log2 x|); zero and subnormals give about −127.
static inline float log2_approx(float x) {
    int32_t bits = float_to_bits(x);
    float exponent = (float)(((bits >> 23) & 0xFF) - 127);
    float m = bits_to_float((bits & 0x007FFFFF) | 0x3F800000);
    float s = (m - 1.0f) / (m + 1.0f);
    float s2 = s * s;
    float p = 1.0f / 9;
    p = p * s2 + 1.0f / 7;
    p = p * s2 + 1.0f / 5;
    p = p * s2 + 1.0f / 3;
    p = p * s2 + 1.0f;
    return exponent + 2.8853900817779268f * s * p;
}

// GELU with the exact (erf) form, as PyTorch's default.
static inline float gelu_value(float v) { return 0.5f * v * (1.0f + erf_approx(v * 0.70710678118654752f)); }

float motifattn_exp(float x) { return exp_below88(x > 88.0f ? 88.0f : x); }
float motifattn_erf(float x) { return erf_approx(x); }
float motifattn_log2(float x) { return log2_approx(x); }

static inline float row_maximum(const float *x, long count) {
    long j = 0;
    float best = -3.402823466e38f;
    if (count >= 16) {
        lanes16 m, v;
        memcpy(&m, x, sizeof m);
        for (j = 16; j + 16 <= count; j += 16) {
            memcpy(&v, x + j, sizeof v);
            m = __builtin_elementwise_max(v, m);
        }
        for (int lane = 0; lane < 16; lane++) best = m[lane] > best ? m[lane] : best;
    }
    for (; j < count; j++) best = x[j] > best ? x[j] : best;
    return best;
}

static inline float row_sum(const float *x, long count) {
    lanes16 s = {0}, v;
    long j = 0;
    for (; j + 16 <= count; j += 16) {
        memcpy(&v, x + j, sizeof v);
        s += v;
    }
    float total = 0;
    for (int lane = 0; lane < 16; lane++) total += s[lane];
    for (; j < count; j++) total += x[j];
    return total;
}

PER_CPU_LEVEL
void motifattn_softmax_rows(float *s, long rows, long columns, long valid_columns, long ld) {
    for (long r = 0; r < rows; r++) {
        float *row = s + r * ld;
        float m = row_maximum(row, valid_columns);
        for (long j = 0; j < valid_columns; j++) row[j] = exp_below88(row[j] - m);
        float inverse = 1.0f / row_sum(row, valid_columns);
        for (long j = 0; j < valid_columns; j++) row[j] *= inverse;
        for (long j = valid_columns; j < columns; j++) row[j] = 0;
    }
}

PER_CPU_LEVEL
void motifattn_gelu_forward(float *out, const float *in, long count) {
    if (out == in) {
        // In place through one pointer: with two equal pointers the compiler's overlap check sends the
        // loop to its scalar fallback (eight times slower); the values are the same either way.
        for (long i = 0; i < count; i++) out[i] = gelu_value(out[i]);
        return;
    }
    for (long i = 0; i < count; i++) out[i] = gelu_value(in[i]);
}

PER_CPU_LEVEL
void motifattn_gelu_backward(float *gradient, const float *in, long count) {
    for (long i = 0; i < count; i++) {
        float v = in[i];
        float cdf = 0.5f * (1.0f + erf_approx(v * 0.70710678118654752f));
        float pdf = 0.39894228040143268f * exp_below88(-0.5f * v * v);
        gradient[i] *= cdf + v * pdf;
    }
}

PER_CPU_LEVEL
void motifattn_masked_softmax_row(float *row, const float *keep, const float *lowered, long count) {
    float m = -3.402823466e38f;
    long j = 0;
    if (count >= 16) {
        lanes16 best, v, l;
        memcpy(&best, row, sizeof best);
        memcpy(&l, lowered, sizeof l);
        best += l;
        for (j = 16; j + 16 <= count; j += 16) {
            memcpy(&v, row + j, sizeof v);
            memcpy(&l, lowered + j, sizeof l);
            best = __builtin_elementwise_max(v + l, best);
        }
        for (int lane = 0; lane < 16; lane++) m = best[lane] > m ? best[lane] : m;
    }
    for (; j < count; j++) m = row[j] + lowered[j] > m ? row[j] + lowered[j] : m;
    for (j = 0; j < count; j++) row[j] = exp_below88(row[j] - m) * keep[j];
    float inverse = 1.0f / row_sum(row, count);
    for (j = 0; j < count; j++) row[j] *= inverse;
}

PER_CPU_LEVEL
float motifattn_entropy_bits_sum(const float *w, long count) {
    float partial[16] = {0};
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        for (int lane = 0; lane < 16; lane++) {
            float v = w[i + lane];
            partial[lane] += -v * log2_approx(v > 1.17549435e-38f ? v : 1.17549435e-38f);
        }
    }
    float total = 0;
    for (int lane = 0; lane < 16; lane++) total += partial[lane];
    for (; i < count; i++) total += -w[i] * log2_approx(w[i] > 1.17549435e-38f ? w[i] : 1.17549435e-38f);
    return total;
}

PER_CPU_LEVEL
float motifattn_dot(const float *x, const float *y, long count) {
    float partial[16] = {0};
    long i = 0;
    for (; i + 16 <= count; i += 16) {
        for (int lane = 0; lane < 16; lane++) partial[lane] += x[i + lane] * y[i + lane];
    }
    float total = 0;
    for (int lane = 0; lane < 16; lane++) total += partial[lane];
    for (; i < count; i++) total += x[i] * y[i];
    return total;
}

const char *motifattn_vector_math_level(void) {
#if defined(__x86_64__) && defined(__clang__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return "avx512";
    if (__builtin_cpu_supports("x86-64-v3")) return "avx2";
#endif
    return "baseline";
}

PER_CPU_LEVEL
void motifattn_add_rows(float *sum, const float *rows, long count, long n) {
    for (long r = 0; r < count; r++) {
        const float *row = rows + r * n;
        for (long k = 0; k < n; k++) sum[k] += row[k];
    }
}

// The largest of row[k] − subtract[k] (subtract may be NULL) over the sixteen keys from `first`, lanes
// outside [lo, hi) left out.
static inline float max_of_sixteen(const float *row, const float *subtract, long first, long lo, long hi) {
    float best = -__builtin_inff();
    for (long lane = 0; lane < 16; lane++) {
        float v = row[first + lane] - (subtract ? subtract[first + lane] : 0.0f);
        v = lane >= lo && lane < hi ? v : -__builtin_inff();
        best = v > best ? v : best;
    }
    return best;
}

// The largest row[k] − subtract[k] over k in [k0, k1) (k1 <= n), −∞ when empty: keys are read sixteen at a
// time, overlapping or masked at the ends; a maximum is exact, so the result is a key-by-key loop's.
static inline float row_block_max(const float *row, long n, const float *subtract, long k0, long k1) {
    float v = -__builtin_inff();
    long width = k1 - k0;
    if (width <= 0) return v;
    if (n < 16) {
        for (long k = k0; k < k1; k++) {
            float x = row[k] - (subtract ? subtract[k] : 0.0f);
            v = x > v ? x : v;
        }
    } else if (width < 16) {
        long first = k0 < n - 16 ? k0 : n - 16;
        v = max_of_sixteen(row, subtract, first, k0 - first, k1 - first);
    } else {
        for (long k = k0; k + 16 <= k1; k += 16) {
            float x = max_of_sixteen(row, subtract, k, 0, 16);
            v = x > v ? x : v;
        }
        if (width % 16 != 0) {
            float x = max_of_sixteen(row, subtract, k1 - 16, 0, 16);
            v = x > v ? x : v;
        }
    }
    return v;
}

PER_CPU_LEVEL
void motifattn_site_maxima(const float *map, long n, const float *subtract, const long *rows, long row_count,
                           const long *k0, const long *k1, long sites, float *out) {
    for (long r = 0; r < row_count; r++) {
        const float *row = map + rows[r] * n;
        for (long j = 0; j < sites; j++) out[j * n + rows[r]] = row_block_max(row, n, subtract, k0[j], k1[j]);
    }
}
