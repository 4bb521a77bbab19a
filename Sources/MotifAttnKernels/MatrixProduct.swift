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
///
/// With single-threaded OpenBLAS (`useSingleThreadedBLAS()`, as the encoder and the trainer run it), each
/// row of C is bit-identical whatever `m` is and wherever the row sits among the m rows: a window's
/// scores do not depend on the other windows of its batch, so a genome scanned in shards, or with another
/// batch split, gives the same numbers. OpenBLAS computes the last `m mod u` rows of a product with
/// narrower kernels than the rest (u is the kernel's row unroll), which round differently; so the rows
/// after the last multiple of `matrixProductRowBlock` go through a scratch product of exactly that many
/// rows (the tail copied in, the rest zero) and only the tail's rows are copied back.
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
    let block = matrixProductRowBlock
    let body = m - m % block
    if body > 0 {
        blasProduct(transA, transB, m: body, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
    if body < m {
        productOfTailRows(transA, transB, from: body, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                          beta: beta, c: c, ldc: ldc)
    }
}

/// Rows per block of `matrixProduct`: a multiple of the row unroll of every OpenBLAS single-precision
/// kernel (at most 16 on x86-64 and ARM64), so that whole blocks always take the full-width kernels.
public let matrixProductRowBlock = 16

/// `cblas_sgemm` on row-major operands, as called.
@inline(__always)
private func blasProduct(_ transA: MatrixLayout, _ transB: MatrixLayout, m: Int, n: Int, k: Int,
                         alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor,
                transA == .asStored ? CblasNoTrans : CblasTrans,
                transB == .asStored ? CblasNoTrans : CblasTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Rows `first..<m` of `matrixProduct` (fewer than one block) through a scratch product of one whole block,
/// with A kept in its layout so that the kernels are those of the body.
private func productOfTailRows(_ transA: MatrixLayout, _ transB: MatrixLayout, from first: Int, m: Int, n: Int, k: Int,
                               alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                               beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    let block = matrixProductRowBlock, tail = m - first
    withUnsafeTemporaryAllocation(of: Float.self, capacity: block * (k + n)) { scratch in
        let tailA = scratch.baseAddress!, tailC = tailA + block * k
        tailA.update(repeating: 0, count: block * k)
        tailC.update(repeating: 0, count: block * n)
        switch transA {
        case .asStored: // rows of A, [block, k]
            for r in 0..<tail { (tailA + r * k).update(from: a + (first + r) * lda, count: k) }
        case .transposed: // columns of the stored [k, m] A, kept as columns of a [k, block] matrix
            for p in 0..<k {
                for r in 0..<tail { tailA[p * block + r] = a[p * lda + first + r] }
            }
        }
        if beta != 0 {
            for r in 0..<tail { (tailC + r * n).update(from: c + (first + r) * ldc, count: n) }
        }
        blasProduct(transA, transB, m: block, n: n, k: k, alpha: alpha, a: tailA, lda: transA == .asStored ? k : block,
                    b: b, ldb: ldb, beta: beta, c: tailC, ldc: n)
        for r in 0..<tail { (c + (first + r) * ldc).update(from: tailC + r * n, count: n) }
    }
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
