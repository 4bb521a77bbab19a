import COpenBLAS

/// Whether a matrix operand of `matrixProduct` is read as stored or transposed.
public enum MatrixLayout: Sendable {
    /// Read as stored (row-major).
    case asStored
    /// Read transposed.
    case transposed
}

/// `C = alpha · op(A) · op(B) + beta · C` on row-major matrices through OpenBLAS `cblas_sgemm`: the one
/// matrix product of the encoder and the trainer.
///
/// Shapes: op(A) is `m×k`, op(B) is `k×n`, C is `m×n`; `lda`, `ldb`, `ldc` are the row strides
/// as stored (so a column block of a wider matrix, e.g. one head's slice of the stacked Q, K, V rows,
/// can be passed with its full row stride). With `k == 0` the product is empty and C becomes `beta · C`.
@inline(__always)
public func matrixProduct(_ transA: MatrixLayout, _ transB: MatrixLayout, m: Int, n: Int, k: Int,
                          alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                          b: UnsafePointer<Float>, ldb: Int,
                          beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        for i in 0..<m {
            for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
        }
        return
    }
    cblas_sgemm(CblasRowMajor,
                transA == .asStored ? CblasNoTrans : CblasTrans,
                transB == .asStored ? CblasNoTrans : CblasTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Plain-loop twin of `matrixProduct` (same arguments, same result up to rounding order), for tests.
public func matrixProductReference(_ transA: MatrixLayout, _ transB: MatrixLayout, m: Int, n: Int, k: Int,
                                   alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                   b: UnsafePointer<Float>, ldb: Int,
                                   beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    for i in 0..<m {
        for j in 0..<n {
            var sum: Double = 0
            for p in 0..<k {
                let av = transA == .asStored ? a[i * lda + p] : a[p * lda + i]
                let bv = transB == .asStored ? b[p * ldb + j] : b[j * ldb + p]
                sum += Double(av) * Double(bv)
            }
            let old = beta == 0 ? 0 : beta * c[i * ldc + j]
            c[i * ldc + j] = alpha * Float(sum) + old
        }
    }
}

/// The name of the kernels OpenBLAS picked for this CPU when it loaded (`openblas_get_corename`, e.g.
/// "SkylakeX", "Haswell"; "Prescott" is its SSE3 fallback for CPU models it does not know).
public var openBLASKernels: String { String(cString: openblas_get_corename()) }

/// Makes OpenBLAS run each call on the calling thread only, and stops the idle worker threads
/// it started when it loaded (they would otherwise spin for a while, taking a core from short jobs).
/// The one BLAS-threading switch: the encoder and the trainer call it when they start.
///
/// motifattn parallelises over batches itself, so results do not depend on the thread count, and
/// training threads (each running its own products) do not oversubscribe the cores.
public func useSingleThreadedBLAS() {
    singleThreadedBLAS
}

private let singleThreadedBLAS: Void = {
    openblas_set_num_threads(1)
    motifattn_stop_openblas_threads()
}()

/// `out[r, o] = Σ_i in[r, i] · weight[o, i] + bias[o]` (a PyTorch `nn.Linear` on `rows` rows).
///
/// Shapes: `input` [rows, inDim], `weight` [outDim, inDim] (PyTorch layout), `bias` [outDim], `output` [rows, outDim].
/// With `accumulate`, the result is added to `output` instead of replacing it (for residual connections).
public func linearForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          rows: Int, inDim: Int, outDim: Int, accumulate: Bool = false) {
    if let bias {
        for r in 0..<rows {
            let o = output + r * outDim
            if accumulate { for j in 0..<outDim { o[j] += bias[j] } } else { for j in 0..<outDim { o[j] = bias[j] } }
        }
    } else if !accumulate {
        output.update(repeating: 0, count: rows * outDim)
    }
    matrixProduct(.asStored, .transposed, m: rows, n: outDim, k: inDim, a: input, lda: inDim,
                  b: weight, ldb: inDim, beta: 1, c: output, ldc: outDim)
}
