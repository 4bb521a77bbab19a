import COpenBLAS

/// Row-major single-precision matrix products for the training code, through OpenBLAS.
///
/// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, where `op` transposes when asked.
/// Leading dimensions are row strides, so a product can read a column block of a wider
/// matrix (for example one attention head's slice of the stacked Q, K, V rows).
public enum TrainingGEMM {
    /// Computes `C = alpha · op(A) · op(B) + beta · C` with `cblas_sgemm` (row-major).
    ///
    /// - Parameters:
    ///   - transposeA: use Aᵀ; A is then stored as k×m with row stride `lda`.
    ///   - transposeB: use Bᵀ; B is then stored as n×k with row stride `ldb`.
    @inlinable
    public static func multiply(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        _ c: UnsafeMutablePointer<Float>, ldc: Int,
        alpha: Float = 1, beta: Float = 0
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            scaleOnly(m: m, n: n, c, ldc: ldc, beta: beta)
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The plain-loop twin of ``multiply(m:n:k:_:lda:transposeA:_:ldb:transposeB:_:ldc:alpha:beta:)``,
    /// accumulating in Double; the reference the BLAS path is tested against.
    public static func multiplyReference(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        _ b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        _ c: UnsafeMutablePointer<Float>, ldc: Int,
        alpha: Float = 1, beta: Float = 0
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    let av = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(av) * Double(bv)
                }
                let previous = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * sum + previous)
            }
        }
    }

    /// Keeps OpenBLAS to one thread per call, so that training threads (each running its own
    /// products) do not oversubscribe the cores; the results do not depend on this setting.
    public static func useSingleThreadedLibrary() {
        openblas_set_num_threads(1)
    }

    @usableFromInline
    static func scaleOnly(m: Int, n: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float) {
        for i in 0..<m {
            for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
        }
    }
}
