/// A same-width 1-D convolution along the token axis as `width` large matrix products (no im2col copy).
///
/// `out[r, o] = bias[o] + Σ_j Σ_i padded[r + j, i] · weightByTap[j, o, i]` for `r` in `0..<rows`.
/// Shapes: `padded` [rows + width − 1, dim] (the caller puts `width / 2` zero rows around each window),
/// `weightByTap` [width, dim, dim] (PyTorch's Conv1d weight [out, in, width] regrouped by tap),
/// `bias` [dim], `output` [rows, dim].
public func convolveTokens(output: UnsafeMutablePointer<Float>, padded: UnsafePointer<Float>,
                           weightByTap: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                           rows: Int, dim: Int, width: Int) {
    for r in 0..<rows { (output + r * dim).update(from: bias, count: dim) }
    for j in 0..<width {
        matrixProduct(.asStored, .transposed, m: rows, n: dim, k: dim, a: padded + j * dim, lda: dim,
                      b: weightByTap + j * dim * dim, ldb: dim, beta: 1, c: output, ldc: dim)
    }
    // backward: dPadded[r + j] += dOut[r]·W_j, dW_j += dOut[r]ᵀ·padded[r + j], dBias = Σ_r dOut[r].
}

/// Plain-loop twin of `convolveTokens` taking PyTorch's weight layout [out, in, width] directly.
public func convolveTokensReference(output: UnsafeMutablePointer<Float>, padded: UnsafePointer<Float>,
                                    torchWeight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                    rows: Int, dim: Int, width: Int) {
    for r in 0..<rows {
        for o in 0..<dim {
            var acc = Double(bias[o])
            for i in 0..<dim {
                for j in 0..<width {
                    acc += Double(padded[(r + j) * dim + i]) * Double(torchWeight[(o * dim + i) * width + j])
                }
            }
            output[r * dim + o] = Float(acc)
        }
    }
}
