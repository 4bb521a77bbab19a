import CVectorMath
import Foundation

// Vectorisable kernels: loops over raw pointers with no calls inside, so LLVM turns
// them into SIMD code. Each keeps a plain twin (Foundation's expf/erff, Double sums)
// that the tests compare against.

/// e^x, written so the loops that call it vectorise (no calls, no branches).
///
/// x = n·ln2 + r with |r| ≤ ln2/2 (n rounded by the 1.5·2²³ trick), a degree-7 Taylor polynomial for
/// e^r (relative error < 2e-7), then scaling by 2ⁿ through the exponent bits. Inputs are clamped to
/// [−87, 88]; below −87 it gives ~e^−87 (callers that need exact zeros mask them).
@inline(__always)
public func fastExp(_ x: Float) -> Float {
    fastExpBelow88(min(x, 88))
}

/// `fastExp` for x ≤ 88 (e.g. a softmax's x − max ≤ 0): the same result without the upper clamp.
@inline(__always)
func fastExpBelow88(_ x: Float) -> Float {
    let clamped = max(x, -87)
    let shifted = clamped * 1.44269504088896341 + 12582912
    let n = shifted - 12582912
    let r = clamped - n * 0.693145751953125 - n * 1.42860682030941723212e-6
    var p: Float = 1.0 / 5040
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent = (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23
    return p * Float(bitPattern: exponent)
}

/// log₂ x for positive normal x, written so the loops that call it vectorise (error below 2e-6 + 6e-8·|log₂ x|).
///
/// x = m·2ᵉ with m in [1, 2) read from the bits; log₂ m = (2/ln 2)·atanh(s), s = (m − 1)/(m + 1) in [0, 1/3),
/// by the odd series s + s³/3 + … + s⁹/9. Zero and subnormals give about −127 (callers that need
/// 0·log 0 = 0 multiply by x).
@inline(__always)
public func fastLog2(_ x: Float) -> Float {
    let bits = x.bitPattern
    let exponent = Float(Int32(bitPattern: (bits >> 23) & 0xFF) - 127)
    let m = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000)
    let s = (m - 1) / (m + 1)
    let s2 = s * s
    var p: Float = 1.0 / 9
    p = p * s2 + 1.0 / 7
    p = p * s2 + 1.0 / 5
    p = p * s2 + 1.0 / 3
    p = p * s2 + 1
    return exponent + 2.8853900817779268 * s * p
}

/// The error function, |error| < 2e-7 (Abramowitz & Stegun 7.1.26 with `fastExp`), branch-free so loops vectorise.
@inline(__always)
public func fastErf(_ value: Float) -> Float {
    let a = Float(bitPattern: value.bitPattern & 0x7FFF_FFFF)
    let t = 1 / (1 + 0.3275911 * a)
    var p: Float = 1.061405429
    p = p * t - 1.453152027
    p = p * t + 1.421413741
    p = p * t - 0.284496736
    p = p * t + 0.254829592
    p = p * t
    let magnitude = 1 - p * fastExpBelow88(-a * a)
    return Float(bitPattern: magnitude.bitPattern | (value.bitPattern & 0x8000_0000))
}

/// GELU with the exact (erf) form, `x · ½ (1 + erf(x / √2))`, in place on `count` floats.
///
/// Runs the C kernel built for this CPU's vector width (`vectorMathLevel`); the arithmetic is `fastErf`'s.
public func geluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    motifattn_gelu_in_place(x, count)
}

/// Training's GELU forward, `out = x · ½ (1 + erf(x / √2))` for `count` floats of `input` (C kernel, `fastErf`'s arithmetic).
public func geluForward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
    motifattn_gelu_forward(out, input, count)
}

/// Training's GELU backward in place: `gradient ⊙= Φ(x) + x·φ(x)` for `count` floats (C kernel).
public func geluBackward(gradient: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
    motifattn_gelu_backward(gradient, input, count)
}

/// One attention row of training in place: softmax of `row` over keys, the maximum taken over
/// `row + lowered` (`lowered` is 0 for real keys, −∞ for [PAD]), times `keep` (1 or 0), renormalised (C kernel).
public func maskedSoftmaxRow(_ row: UnsafeMutablePointer<Float>, keep: UnsafePointer<Float>,
                             lowered: UnsafePointer<Float>, count: Int) {
    motifattn_masked_softmax_row(row, keep, lowered, count)
}

/// Σ −w·log₂ w over `count` weights in bits (0·log 0 counts as 0): the entropy of a distribution (C kernel, `fastLog2`'s series).
public func entropyBitsSum(_ w: UnsafePointer<Float>, count: Int) -> Float {
    motifattn_entropy_bits_sum(w, count)
}

/// Σ x·y over `count` floats in sixteen lanes (a fixed order for a given count; C kernel).
public func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
    motifattn_dot(x, y, count)
}

/// The instruction set the C elementwise kernels (softmax, GELU) use on this CPU: `avx512`, `avx2` or `baseline`.
public var vectorMathLevel: String { String(cString: motifattn_vector_math_level()) }

/// Plain twin of `geluInPlace` using Foundation's `erf` in Double.
public func geluInPlaceReference(_ x: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count {
        let v = Double(x[i])
        x[i] = Float(0.5 * v * (1 + erf(v / 2.0.squareRoot())))
    }
}

/// Row-wise softmax of a `rows × columns` block (row stride `ld`), keys at `validColumns...` masked to 0.
///
/// This is PyTorch's key-padding mask: masked keys get probability exactly 0. Runs the C kernel built
/// for this CPU's vector width (`vectorMathLevel`) with `fastExp`'s arithmetic; the maximum and the sum
/// are taken in sixteen lanes in a fixed order, so a row's result depends only on the row and the CPU.
public func softmaxRows(_ s: UnsafeMutablePointer<Float>, rows: Int, columns: Int, validColumns: Int, ld: Int) {
    motifattn_softmax_rows(s, rows, columns, validColumns, ld)
}

/// Sum of `count` floats in eight SIMD lanes (a fixed order for a given count, so results are reproducible).
@inline(__always)
public func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    let raw = UnsafeRawPointer(x)
    var lanes = SIMD8<Float>(repeating: 0)
    var j = 0
    while j + 8 <= count {
        lanes += raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
        j += 8
    }
    var total = lanes.sum()
    while j < count { total += x[j]; j += 1 }
    return total
}

/// Σ (x[j] − mean)² in eight SIMD lanes (fixed order for a given count).
@inline(__always)
func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, mean: Float) -> Float {
    let raw = UnsafeRawPointer(x)
    let center = SIMD8<Float>(repeating: mean)
    var lanes = SIMD8<Float>(repeating: 0)
    var j = 0
    while j + 8 <= count {
        let d = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - center
        lanes += d * d
        j += 8
    }
    var total = lanes.sum()
    while j < count { let d = x[j] - mean; total += d * d; j += 1 }
    return total
}

/// Largest of `count` floats (−greatestFiniteMagnitude when empty), in eight SIMD lanes.
@inline(__always)
public func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    let raw = UnsafeRawPointer(x)
    var lanes = SIMD8<Float>(repeating: -.greatestFiniteMagnitude)
    var j = 0
    while j + 8 <= count {
        let v = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
        lanes.replace(with: v, where: v .> lanes)
        j += 8
    }
    var best = lanes.max()
    while j < count { best = x[j] > best ? x[j] : best; j += 1 }
    return best
}

/// Plain twin of `softmaxRows` (Double, Foundation `exp`).
public func softmaxRowsReference(_ s: UnsafeMutablePointer<Float>, rows: Int, columns: Int, validColumns: Int, ld: Int) {
    for r in 0..<rows {
        let row = s + r * ld
        var m = -Double.greatestFiniteMagnitude
        for j in 0..<validColumns { m = max(m, Double(row[j])) }
        var e = [Double](repeating: 0, count: validColumns)
        for j in 0..<validColumns { e[j] = exp(Double(row[j]) - m) }
        let sum = e.reduce(0, +)
        for j in 0..<validColumns { row[j] = Float(e[j] / sum) }
        for j in validColumns..<columns { row[j] = 0 }
    }
}

/// LayerNorm over the last axis: `out[r] = (x[r] - mean) / sqrt(var + eps) · weight + bias` (biased variance, as PyTorch).
///
/// Shapes: `input`, `output` [rows, dim]; `weight`, `bias` [dim]. `output` may equal `input`.
public func layerNorm(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                      rows: Int, dim: Int, eps: Float) {
    let invDim = 1 / Float(dim)
    for r in 0..<rows {
        let x = input + r * dim
        let o = output + r * dim
        let mean = MotifAttnKernels.sum(x, count: dim) * invDim
        let sq = sumOfSquaredDeviations(x, count: dim, mean: mean)
        let rstd = 1 / (sq * invDim + eps).squareRoot()
        for j in 0..<dim { o[j] = (x[j] - mean) * rstd * weight[j] + bias[j] }
    }
}

/// Plain twin of `layerNorm` in Double.
public func layerNormReference(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               rows: Int, dim: Int, eps: Float) {
    for r in 0..<rows {
        let x = (0..<dim).map { Double(input[r * dim + $0]) }
        let mean = x.reduce(0, +) / Double(dim)
        let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(dim)
        let rstd = 1 / (variance + Double(eps)).squareRoot()
        for j in 0..<dim { output[r * dim + j] = Float((x[j] - mean) * rstd * Double(weight[j]) + Double(bias[j])) }
    }
}

/// `y[i] += x[i]` for `count` floats.
@inline(__always)
public func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { y[i] += x[i] }
}
