import Foundation

// Vectorisable kernels: loops over raw pointers with no calls inside, so LLVM turns
// them into SIMD code. Each keeps a plain twin (Foundation's expf/erff, Double sums)
// that the tests compare against.

/// e^x for x in [-87.3, 88], written so the loop vectorises (Cephes polynomial, ~1 ulp).
@inline(__always)
public func fastExp(_ value: Float) -> Float {
    let x = min(max(value, -87.3), 88.0)
    let n = (x * 1.44269504088896341 + 0.5).rounded(.down)
    let r = x - n * 0.693359375 + n * 2.12194440e-4
    var p: Float = 1.9875691500E-4
    p = p * r + 1.3981999507E-3
    p = p * r + 8.3334519073E-3
    p = p * r + 4.1665795894E-2
    p = p * r + 1.6666665459E-1
    p = p * r + 5.0000001201E-1
    let y = p * r * r + r + 1
    let scale = Float(bitPattern: UInt32(truncatingIfNeeded: Int32(n) + 127) << 23)
    return y * scale
}

/// The error function, |error| < 2e-7 (Abramowitz & Stegun 7.1.26 with `fastExp`), vectorisable.
@inline(__always)
public func fastErf(_ value: Float) -> Float {
    let a = abs(value)
    let t = 1 / (1 + 0.3275911 * a)
    var p: Float = 1.061405429
    p = p * t - 1.453152027
    p = p * t + 1.421413741
    p = p * t - 0.284496736
    p = p * t + 0.254829592
    let y = 1 - p * t * fastExp(-a * a)
    return value < 0 ? -y : y
}

/// GELU with the exact (erf) form, `x · ½ (1 + erf(x / √2))`, in place on `count` floats.
public func geluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count {
        let v = x[i]
        x[i] = 0.5 * v * (1 + fastErf(v * 0.70710678118654752))
    }
}

/// Plain twin of `geluInPlace` using Foundation's `erf` in Double.
public func geluInPlaceReference(_ x: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count {
        let v = Double(x[i])
        x[i] = Float(0.5 * v * (1 + erf(v / 2.0.squareRoot())))
    }
}

/// Row-wise softmax of a `rows × columns` block (row stride `ld`), keys at `validColumns...` masked to 0.
///
/// This is PyTorch's key-padding mask: masked keys get probability exactly 0.
public func softmaxRows(_ s: UnsafeMutablePointer<Float>, rows: Int, columns: Int, validColumns: Int, ld: Int) {
    for r in 0..<rows {
        let row = s + r * ld
        var m = -Float.greatestFiniteMagnitude
        for j in 0..<validColumns { m = max(m, row[j]) }
        var sum: Float = 0
        for j in 0..<validColumns {
            let e = fastExp(row[j] - m)
            row[j] = e
            sum += e
        }
        let inv = 1 / sum
        for j in 0..<validColumns { row[j] *= inv }
        for j in validColumns..<columns { row[j] = 0 }
    }
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
        var sum: Float = 0
        for j in 0..<dim { sum += x[j] }
        let mean = sum * invDim
        var sq: Float = 0
        for j in 0..<dim { let d = x[j] - mean; sq += d * d }
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
