import CVectorMath
import Foundation

// Elementwise kernels. The transcendental ones (softmax, GELU, entropy) and the approximations they
// share run in C (CVectorMath), built per x86-64 level; the rest are Swift loops over raw pointers
// that LLVM vectorises. Each keeps a plain twin (Foundation's exp/erf/log2, Double sums) that the
// tests compare against.

/// e^x, branch-free: x = n·ln2 + r with |r| ≤ ln2/2, a degree-7 Taylor polynomial for e^r (relative
/// error < 2e-7), then 2ⁿ through the exponent bits. Inputs are clamped to [−87, 88]; below −87 it gives
/// ~e^−87 (callers that need exact zeros mask them). The scalar form of the kernels' exp (C).
public func fastExp(_ x: Float) -> Float { motifattn_exp(x) }

/// log₂ x for positive normal x (error below 2e-6 + 6e-8·|log₂ x|): x = m·2ᵉ, log₂ m = (2/ln 2)·atanh(s),
/// s = (m − 1)/(m + 1), by the odd series s + s³/3 + … + s⁹/9. Zero and subnormals give about −127
/// (callers that need 0·log 0 = 0 multiply by x). The scalar form of `entropyBitsSum`'s log (C).
public func fastLog2(_ x: Float) -> Float { motifattn_log2(x) }

/// The error function, |error| < 2e-7 (Abramowitz & Stegun 7.1.26 with `fastExp`). The scalar form of GELU's erf (C).
public func fastErf(_ value: Float) -> Float { motifattn_erf(value) }

/// GELU with the exact (erf) form, `x · ½ (1 + erf(x / √2))`, in place on `count` floats.
///
/// Runs the C kernel built for this CPU's vector width (`vectorMathLevel`); the arithmetic is `fastErf`'s.
public func geluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    motifattn_gelu_forward(x, x, count)
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

/// `sum[k] += rows[r·n + k]` for `r` in `0..<count`, in that order for each `k` (C kernel): the same sums as a row-by-row loop.
public func addRows(into sum: UnsafeMutablePointer<Float>, rows: UnsafePointer<Float>, count: Int, n: Int) {
    motifattn_add_rows(sum, rows, count, n)
}

/// The keys of a window's sites as `siteMaxima` reads them, one range of consecutive key tokens per site: made
/// once per window (the bounds are laid out for the C kernel) and used for every head of it.
public struct SiteKeyRanges: Sendable {
    /// First key token of each site.
    let lowerBounds: [Int]
    /// One past the last key token of each site.
    let upperBounds: [Int]
    /// One past the largest key token of any site: `siteMaxima` needs rows at least this long.
    let end: Int

    /// The key ranges of the sites, in site order.
    public init(_ ranges: [Range<Int>]) {
        lowerBounds = ranges.map(\.lowerBound)
        upperBounds = ranges.map(\.upperBound)
        end = upperBounds.max() ?? 0
    }

    /// The number of sites.
    public var count: Int { lowerBounds.count }
}

/// For each query row `q` in `rows` and each site `j` of `keys` (inside a row of `n`):
/// `out[j·n + q]` = the largest `map[q·n + k] − subtract[k]` over the site's key range (`subtract` nil: `map[q·n + k]`),
/// −∞ for an empty range (C kernel, sixteen keys a step). A maximum is exact: the value equals a loop's over the
/// same weights in any order. `out` holds `keys.count · n` floats; entries of other rows are left as they are.
public func siteMaxima(_ map: UnsafePointer<Float>, n: Int, subtracting subtract: UnsafePointer<Float>?, rows: [Int],
                       keys: SiteKeyRanges, into out: UnsafeMutablePointer<Float>) {
    precondition(keys.end <= n && rows.allSatisfy { $0 >= 0 && $0 < n }, "rows and keys lie in the map")
    motifattn_site_maxima(map, n, subtract, rows, rows.count, keys.lowerBounds, keys.upperBounds, keys.count, out)
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
///
/// Inlinable so that callers in other modules get the loop inlined; indices are wrapping (`&+`, `&*`)
/// because they stay below `count`, which leaves the loop free of overflow checks.
@inlinable @inline(__always)
public func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    let raw = UnsafeRawPointer(x)
    var lanes = SIMD8<Float>(repeating: 0)
    var j = 0
    while j &+ 8 <= count {
        lanes += raw.loadUnaligned(fromByteOffset: j &* 4, as: SIMD8<Float>.self)
        j &+= 8
    }
    var total = lanes.sum()
    while j < count { total += x[j]; j &+= 1 }
    return total
}

/// Σ (x[j] − mean)² in eight SIMD lanes (fixed order for a given count; wrapping indices as in `sum`).
@usableFromInline @inline(__always)
func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, mean: Float) -> Float {
    let raw = UnsafeRawPointer(x)
    let center = SIMD8<Float>(repeating: mean)
    var lanes = SIMD8<Float>(repeating: 0)
    var j = 0
    while j &+ 8 <= count {
        let d = raw.loadUnaligned(fromByteOffset: j &* 4, as: SIMD8<Float>.self) - center
        lanes += d * d
        j &+= 8
    }
    var total = lanes.sum()
    while j < count { let d = x[j] - mean; total += d * d; j &+= 1 }
    return total
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
        let x = input + r &* dim
        let o = output + r &* dim
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

/// `y[i] += x[i]` for `count` floats (inlinable: the encoder's residual adds call it from another module).
@inlinable @inline(__always)
public func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { y[i] += x[i] }
}
