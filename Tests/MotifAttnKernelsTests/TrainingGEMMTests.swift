import XCTest
@testable import MotifAttnKernels
import _TestSupport

/// The OpenBLAS path of `TrainingGEMM` against its plain-loop twin.
final class TrainingGEMMTests: XCTestCase {
    func testBLASProductAgreesWithPlainLoopsForEveryTransposeAndStride() {
        let m = 7, n = 5, k = 9
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                // Padded row strides check that leading dimensions are honoured.
                let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 2, ldc = n + 4
                let a = GradientCheck.values(count: (transposeA ? k : m) * lda, seed: 1)
                let b = GradientCheck.values(count: (transposeB ? n : k) * ldb, seed: 2)
                let c0 = GradientCheck.values(count: m * ldc, seed: 3)
                var fast = c0, slow = c0
                TrainingGEMM.multiply(m: m, n: n, k: k, a, lda: lda, transposeA: transposeA, b, ldb: ldb,
                                      transposeB: transposeB, &fast, ldc: ldc, alpha: 0.5, beta: 2)
                TrainingGEMM.multiplyReference(m: m, n: n, k: k, a, lda: lda, transposeA: transposeA, b, ldb: ldb,
                                               transposeB: transposeB, &slow, ldc: ldc, alpha: 0.5, beta: 2)
                for i in 0..<m { for j in 0..<n {
                    XCTAssertEqual(fast[i * ldc + j], slow[i * ldc + j], accuracy: 1e-5, "transA \(transposeA) transB \(transposeB)")
                } }
                // Entries between n and ldc are outside C and must be left alone.
                for i in 0..<m { for j in n..<ldc { XCTAssertEqual(fast[i * ldc + j], c0[i * ldc + j]) } }
            }
        }
    }

    func testProductOfKnownMatricesIsTheHandComputedOne() {
        // [[1,2],[3,4]] · [[5,6],[7,8]] = [[19,22],[43,50]] (by hand).
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        TrainingGEMM.multiply(m: 2, n: 2, k: 2, a, lda: 2, b, ldb: 2, &c, ldc: 2)
        XCTAssertEqual(c, [19, 22, 43, 50])
    }
}
