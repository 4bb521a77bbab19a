import XCTest
@testable import MotifAttnKernels
import _TestSupport

/// The one matrix-product wrapper: leading dimensions, untouched padding, the hand-computed case, empty products.
/// (`KernelTwinTests` checks it against its twin on packed matrices.)
final class MatrixProductTests: XCTestCase {
    func testBLASProductAgreesWithPlainLoopsForEveryTransposeAndStride() {
        let m = 7, n = 5, k = 9
        for ta in [MatrixLayout.asStored, .transposed] {
            for tb in [MatrixLayout.asStored, .transposed] {
                // Padded row strides check that leading dimensions are honoured.
                let lda = (ta == .transposed ? m : k) + 3, ldb = (tb == .transposed ? k : n) + 2, ldc = n + 4
                let a = GradientCheck.values(count: (ta == .transposed ? k : m) * lda, seed: 1)
                let b = GradientCheck.values(count: (tb == .transposed ? n : k) * ldb, seed: 2)
                let c0 = GradientCheck.values(count: m * ldc, seed: 3)
                var fast = c0, slow = c0
                matrixProduct(ta, tb, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: &fast, ldc: ldc)
                matrixProductReference(ta, tb, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: &slow, ldc: ldc)
                for i in 0..<m { for j in 0..<n {
                    XCTAssertEqual(fast[i * ldc + j], slow[i * ldc + j], accuracy: 1e-5, "\(ta) \(tb)")
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
        matrixProduct(.asStored, .asStored, m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [19, 22, 43, 50])
    }

    func testAnEmptyInnerDimensionLeavesBetaTimesC() {
        let a: [Float] = [0], b: [Float] = [0]
        var c: [Float] = [1, -2, 3, 4]
        matrixProduct(.asStored, .asStored, m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 0.5, c: &c, ldc: 2)
        XCTAssertEqual(c, [0.5, -1, 1.5, 2])
        matrixProduct(.asStored, .asStored, m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [0, 0, 0, 0])
    }
}
