import XCTest
import Foundation
import MotifAttnKernels

/// Fast kernels agree with their plain-loop twins (Double accumulation, Foundation math).
final class KernelTwinTests: XCTestCase {
    /// Seeded values in [-scale, scale).
    func randomValues(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    func testFastLog2AgainstFoundation() {
        // Attention weights span (0, 1]; check a log-spaced sweep from 1e-30 to 1e3 and exact powers of two.
        var worst: Double = 0
        var x: Float = 1e-30
        while x < 1e3 {
            // The series is good to ~1e-6; beyond that, a float of magnitude |log₂ x| rounds (ulp 7.6e-6 at 100).
            let exact = log2(Double(x))
            worst = max(worst, abs(Double(fastLog2(x)) - exact) / (2e-6 + 6e-8 * abs(exact)))
            x *= 1.0137
        }
        XCTAssertLessThan(worst, 1)
        for e in -20...20 { XCTAssertEqual(fastLog2(Float(pow(2.0, Double(e)))), Float(e)) }
        XCTAssertEqual(0 * fastLog2(max(0, .leastNormalMagnitude)), 0)
    }

    func testFastExpAgreesWithFoundationExpToRelative2e7() {
        for x in stride(from: Float(-87), through: 80, by: 0.0137) {
            let exact = Foundation.exp(Double(x))
            XCTAssertEqual(Double(fastExp(x)), exact, accuracy: exact * 2e-7, "x = \(x)")
        }
    }

    func testGeluAgreesWithErfFormWithin1e6() {
        let x = randomValues(4096, seed: 1, scale: 8)
        var fast = x, plain = x
        fast.withUnsafeMutableBufferPointer { geluInPlace($0.baseAddress!, count: $0.count) }
        plain.withUnsafeMutableBufferPointer { geluInPlaceReference($0.baseAddress!, count: $0.count) }
        for (a, b) in zip(fast, plain) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testMaskedSoftmaxAgreesWithTwinAndZeroesMaskedKeys() {
        // Widths below, at and past the 16-lane blocks of the C kernel, with a row stride wider than the block.
        for (valid, columns) in [(1, 4), (9, 13), (16, 16), (17, 20), (200, 203)] {
            let rows = 7, ld = columns + 2
            let x = randomValues(rows * ld, seed: UInt64(2 + valid), scale: 20)
            var fast = x, plain = x
            fast.withUnsafeMutableBufferPointer { softmaxRows($0.baseAddress!, rows: rows, columns: columns, validColumns: valid, ld: ld) }
            plain.withUnsafeMutableBufferPointer { softmaxRowsReference($0.baseAddress!, rows: rows, columns: columns, validColumns: valid, ld: ld) }
            for (a, b) in zip(fast, plain) { XCTAssertEqual(a, b, accuracy: 1e-6, "\(valid) of \(columns) columns (\(vectorMathLevel))") }
            for r in 0..<rows {
                XCTAssertEqual(fast[(r * ld)..<(r * ld + valid)].reduce(0, +), 1, accuracy: 1e-5)
                for j in valid..<columns { XCTAssertEqual(fast[r * ld + j], 0) }
                // Past `columns` (the stride's slack) nothing is touched.
                for j in columns..<ld { XCTAssertEqual(fast[r * ld + j], x[r * ld + j]) }
            }
        }
    }

    func testTrainingGeluForwardAndBackwardAgreeWithErfForm() {
        let x = randomValues(4099, seed: 11, scale: 8)
        let upstream = randomValues(4099, seed: 12, scale: 2)
        var out = [Float](repeating: .nan, count: x.count), gradient = upstream
        x.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { geluForward(out: $0.baseAddress!, input: input.baseAddress!, count: x.count) }
            gradient.withUnsafeMutableBufferPointer { geluBackward(gradient: $0.baseAddress!, input: input.baseAddress!, count: x.count) }
        }
        for i in x.indices {
            let v = Double(x[i])
            let cdf = 0.5 * (1 + erf(v / 2.0.squareRoot())), pdf = Foundation.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
            XCTAssertEqual(Double(out[i]), v * cdf, accuracy: 1e-6, "GELU(\(v)) (\(vectorMathLevel))")
            XCTAssertEqual(Double(gradient[i]), Double(upstream[i]) * (cdf + v * pdf), accuracy: 2e-6, "GELU'(\(v))")
        }
    }

    func testTrainingMaskedSoftmaxRowZeroesDroppedAndPaddedKeys() {
        // keep = 0 drops a key from the row (its weight is exactly 0); lowered = −∞ also keeps it out of the maximum.
        for count in [1, 9, 16, 17, 203] {
            let row = randomValues(count, seed: UInt64(20 + count), scale: 20)
            let keep: [Float] = (0..<count).map { $0 % 5 == 3 ? 0 : 1 }
            let lowered: [Float] = (0..<count).map { $0 % 7 == 6 ? -.infinity : 0 }
            let kept = (0..<count).map { keep[$0] == 1 && lowered[$0] == 0 ? 1.0 : 0.0 }
            var fast = row
            fast.withUnsafeMutableBufferPointer { maskedSoftmaxRow($0.baseAddress!, keep: keep, lowered: lowered, count: count) }
            var maximum = -Double.infinity
            for j in 0..<count where lowered[j] == 0 { maximum = max(maximum, Double(row[j])) }
            let e = (0..<count).map { Foundation.exp(Double(row[$0]) - maximum) * Double(keep[$0]) }
            let total = e.reduce(0, +)
            for j in 0..<count {
                if kept[j] == 0 && keep[j] == 0 { XCTAssertEqual(fast[j], 0) }
                XCTAssertEqual(Double(fast[j]), e[j] / total, accuracy: 1e-6, "key \(j) of \(count) (\(vectorMathLevel))")
            }
        }
    }

    func testEntropyAndDotAgreeWithDoubleSums() {
        for count in [1, 15, 16, 17, 202 * 202] {
            // A distribution with exact zeros (0·log 0 = 0) and a second vector for the dot product.
            var w = randomValues(count, seed: UInt64(30 + count)).map { max(0, $0) }
            let total = w.reduce(0, +)
            w = total > 0 ? w.map { $0 / total } : [1]
            let y = randomValues(w.count, seed: UInt64(40 + count))
            var entropy = 0.0, product = 0.0
            for (a, b) in zip(w, y) {
                if a > 0 { entropy -= Double(a) * log2(Double(a)) }
                product += Double(a) * Double(b)
            }
            XCTAssertEqual(Double(entropyBitsSum(w, count: w.count)), entropy, accuracy: 1e-5 * max(1, entropy), "\(count)")
            XCTAssertEqual(Double(dot(w, y, count: w.count)), product, accuracy: 1e-6, "\(count)")
        }
    }

    /// The site maxima equal a key-by-key loop's exactly (a maximum has no rounding), for key ranges shorter
    /// than, equal to and longer than the kernel's sixteen lanes, at both ends of the row, with and without a
    /// subtracted vector, in rows shorter than sixteen; entries of rows not asked for are left alone.
    func testSiteMaximaEqualKeyByKeyMaxima() {
        for n in [5, 16, 17, 40, 201] {
            let map = randomValues(n * n, seed: UInt64(50 + n)).map { abs($0) }
            let subtract = randomValues(n, seed: UInt64(60 + n)).map { abs($0) / 4 }
            var keys: [Range<Int>] = [0..<0, 0..<1, 0..<n, (n - 1)..<n, max(0, n - 3)..<n]
            for width in [3, 15, 16, 17, 33] where width <= n {
                keys += [0..<width, (n - width)..<n, (n / 3)..<min(n, n / 3 + width)]
            }
            let rows = stride(from: 0, to: n, by: 2).map { $0 }
            for subtracting in [false, true] {
                var out = [Float](repeating: 7, count: keys.count * n)
                map.withUnsafeBufferPointer { m in
                    subtract.withUnsafeBufferPointer { s in
                        siteMaxima(m.baseAddress!, n: n, subtracting: subtracting ? s.baseAddress! : nil, rows: rows,
                                   keys: SiteKeyRanges(keys), into: &out)
                    }
                }
                for (j, range) in keys.enumerated() {
                    for q in 0..<n {
                        var expected: Float = rows.contains(q) ? -.infinity : 7
                        if rows.contains(q) {
                            for k in range { expected = max(expected, map[q * n + k] - (subtracting ? subtract[k] : 0)) }
                        }
                        XCTAssertEqual(out[j * n + q], expected, "n \(n) keys \(range) row \(q) subtracting \(subtracting)")
                    }
                }
            }
        }
    }

    /// The motif scan's first stage keeps the starts a plain loop keeps, in order, on each path this CPU has
    /// (AVX-512BW, AVX2; a path it lacks falls back to the next) and the plain one: lengths around the 32 starts of
    /// a vector step, starts not at 0, thresholds that keep none, some and all, and scores at the ends of 16 bits.
    func testTableFirstStageKeepsThePlainLoopsStarts() {
        var state: UInt64 = 91
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let length = 300
        let words = (0..<3).map { _ in (0..<length).map { _ in UInt8(next() % 64) } }
        var tables = (0..<3).map { _ in (0..<64).map { _ in Int16(Int(next() % 4001) - 3000) } }
        tables[1][Int(words[1][7])] = .max
        tables[2][Int(words[2][40])] = .min
        for (begin, end) in [(0, 0), (0, 1), (5, 36), (0, 32), (3, 66), (1, 100), (0, length)] {
            for need: Int32 in [.min, -70_000, -10_000, -2_000, 0, 1_500, 10_000, 40_000, .max] {
                var expected: [Int32] = []
                for s in begin..<end where Int32(tables[0][Int(words[0][s])]) + Int32(tables[1][Int(words[1][s])])
                                            + Int32(tables[2][Int(words[2][s])]) >= need {
                    expected.append(Int32(s))
                }
                for code in TableScanCode.allCases {
                    var candidates = [Int32](repeating: -1, count: end - begin + 1)
                    let kept = words[0].withUnsafeBufferPointer { w0 in
                        words[1].withUnsafeBufferPointer { w1 in
                            words[2].withUnsafeBufferPointer { w2 in
                                tables[0].withUnsafeBufferPointer { t0 in
                                    tables[1].withUnsafeBufferPointer { t1 in
                                        tables[2].withUnsafeBufferPointer { t2 in
                                            tableFirstStage(words: (w0.baseAddress!, w1.baseAddress!, w2.baseAddress!),
                                                            tables: (t0.baseAddress!, t1.baseAddress!, t2.baseAddress!), need: need,
                                                            starts: begin..<end, candidates: &candidates, upTo: code)
                                        }
                                    }
                                }
                            }
                        }
                    }
                    XCTAssertEqual(Array(candidates.prefix(kept)), expected, "\(begin)..<\(end) need \(need) \(code)")
                }
            }
        }
    }

    /// Rows summed into a vector equal a row-by-row loop's sums bit for bit (each column summed in row order).
    func testAddRowsEqualsRowByRowSums() {
        for (count, n) in [(1, 1), (3, 17), (201, 201)] {
            let rows = randomValues(count * n, seed: UInt64(70 + n))
            var expected = randomValues(n, seed: UInt64(80 + n))
            var sum = expected
            for r in 0..<count { for k in 0..<n { expected[k] += rows[r * n + k] } }
            addRows(into: &sum, rows: rows, count: count, n: n)
            XCTAssertEqual(sum, expected, "\(count) × \(n)")
        }
    }

    func testLayerNormAgreesWithTwin() {
        let rows = 5, dim = 48
        let x = randomValues(rows * dim, seed: 3, scale: 3), w = randomValues(dim, seed: 4), b = randomValues(dim, seed: 5)
        var fast = [Float](repeating: 0, count: rows * dim), plain = fast
        layerNorm(output: &fast, input: x, weight: w, bias: b, rows: rows, dim: dim, eps: 1e-5)
        layerNormReference(output: &plain, input: x, weight: w, bias: b, rows: rows, dim: dim, eps: 1e-5)
        for (a, c) in zip(fast, plain) { XCTAssertEqual(a, c, accuracy: 1e-5) }
    }

    func testMatrixProductAgreesWithTwinForEveryTransposition() {
        let m = 9, n = 11, k = 7
        for ta in [MatrixLayout.asStored, .transposed] {
            for tb in [MatrixLayout.asStored, .transposed] {
                let a = randomValues(m * k, seed: 6), b = randomValues(k * n, seed: 7), c0 = randomValues(m * n, seed: 8)
                let lda = ta == .asStored ? k : m, ldb = tb == .asStored ? n : k
                var fast = c0, plain = c0
                matrixProduct(ta, tb, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: &fast, ldc: n)
                matrixProductReference(ta, tb, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: &plain, ldc: n)
                for (x, y) in zip(fast, plain) { XCTAssertEqual(x, y, accuracy: 1e-5) }
            }
        }
    }

    func testConvolutionAsTapProductsAgreesWithDirectConvolution() {
        let rows = 10, dim = 6, width = 5
        let padded = randomValues((rows + width - 1) * dim, seed: 9)
        let torchWeight = randomValues(dim * dim * width, seed: 10), bias = randomValues(dim, seed: 11)
        var byTap = [Float](repeating: 0, count: torchWeight.count)
        for o in 0..<dim { for i in 0..<dim { for j in 0..<width { byTap[(j * dim + o) * dim + i] = torchWeight[(o * dim + i) * width + j] } } }
        var fast = [Float](repeating: 0, count: rows * dim), plain = fast
        convolveTokens(output: &fast, padded: padded, weightByTap: byTap, bias: bias, rows: rows, dim: dim, width: width)
        convolveTokensReference(output: &plain, padded: padded, torchWeight: torchWeight, bias: bias, rows: rows, dim: dim, width: width)
        for (a, b) in zip(fast, plain) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testFusedAttentionHeadAgreesWithPlainAttentionWithPaddedKeys() {
        let tokens = 12, valid = 9, dModel = 16, dHead = 4
        let qkv = randomValues(tokens * 3 * dModel, seed: 12, scale: 2)
        for head in 0..<(dModel / dHead) {
            var fastScores = [Float](repeating: 7, count: tokens * tokens), plainScores = fastScores
            var fastContext = [Float](repeating: 7, count: tokens * dModel), plainContext = fastContext
            attentionHeadForward(qkv: qkv, tokens: tokens, validTokens: valid, dModel: dModel, dHead: dHead, head: head,
                                 scores: &fastScores, context: &fastContext)
            attentionHeadForwardReference(qkv: qkv, tokens: tokens, validTokens: valid, dModel: dModel, dHead: dHead, head: head,
                                          scores: &plainScores, context: &plainContext)
            for (a, b) in zip(fastScores, plainScores) { XCTAssertEqual(a, b, accuracy: 1e-6) }
            for r in 0..<tokens { for c in 0..<dHead {
                XCTAssertEqual(fastContext[r * dModel + head * dHead + c], plainContext[r * dModel + head * dHead + c], accuracy: 1e-5)
            } }
        }
    }

    func testFusedAttentionOfTheFirstQueryRowOnlyEqualsTheFirstRowOfTheFullHead() {
        let tokens = 12, valid = 10, dModel = 16, dHead = 4
        let qkv = randomValues(tokens * 3 * dModel, seed: 13, scale: 2)
        for head in 0..<(dModel / dHead) {
            var fullScores = [Float](repeating: 7, count: tokens * tokens), rowScores = fullScores
            var fullContext = [Float](repeating: 7, count: tokens * dModel), rowContext = fullContext
            attentionHeadForwardReference(qkv: qkv, tokens: tokens, validTokens: valid, dModel: dModel, dHead: dHead, head: head,
                                          scores: &fullScores, context: &fullContext)
            attentionHeadForward(qkv: qkv, tokens: tokens, validTokens: valid, dModel: dModel, dHead: dHead, head: head,
                                 scores: &rowScores, context: &rowContext, queries: 1)
            for j in 0..<tokens { XCTAssertEqual(rowScores[j], fullScores[j], accuracy: 1e-6) }
            for c in 0..<dHead { XCTAssertEqual(rowContext[head * dHead + c], fullContext[head * dHead + c], accuracy: 1e-5) }
            // Rows past the first are not touched.
            XCTAssertEqual(rowContext[dModel + head * dHead], 7)
            XCTAssertEqual(rowScores[tokens], 7)
        }
    }

    func testThreadPoolRunsEveryItemExactlyOnce() {
        let pool = ThreadPool(threads: 3)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 1000)
        counts.initialize(repeating: 0, count: 1000)
        defer { counts.deallocate() }
        for _ in 0..<20 { pool.run(count: 1000) { _, item in counts[item] += 1 } }
        for i in 0..<1000 { XCTAssertEqual(counts[i], 20) }
    }
}
