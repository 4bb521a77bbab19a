import XCTest
@testable import MotifAttnModel
import _TestSupport

/// Every op's backward against central differences of its forward (objective Σ upstream ⊙ output),
/// on tiny shapes. Tolerance: relative error 1e-2 (Float forward, step 1e-2: truncation ~1e-4,
/// rounding ~1e-5; a wrong index or sign gives errors of order 1).
final class TrainingBackwardTests: XCTestCase {
    let tolerance = 1e-2

    /// Σ upstream ⊙ values in Double.
    func dot(_ upstream: [Float], _ values: [Float]) -> Double {
        zip(upstream, values).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    func assertGradient(_ analytic: [Float], at point: [Float], _ what: String, objective: ([Float]) -> Double,
                        file: StaticString = #filePath, line: UInt = #line) {
        let numeric = GradientCheck.centralDifferences(at: point, objective: objective)
        let error = GradientCheck.relativeError(analytic, numeric)
        XCTAssertLessThan(error, tolerance, "\(what): relative error \(error)", file: file, line: line)
    }

    func testLinearBackwardMatchesFiniteDifferences() {
        let rows = 3, n = 4, m = 5
        let x = GradientCheck.values(count: rows * n, seed: 1), w = GradientCheck.values(count: m * n, seed: 2)
        let b = GradientCheck.values(count: m, seed: 3), up = GradientCheck.values(count: rows * m, seed: 4)
        func forward(_ x: [Float], _ w: [Float], _ b: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: rows * m)
            TrainingOps.linearForward(out: &out, input: x, weight: w, bias: b, rows: rows, inWidth: n, outWidth: m)
            return out
        }
        var dx = [Float](repeating: 0, count: rows * n), dw = [Float](repeating: 0, count: m * n), db = [Float](repeating: 0, count: m)
        TrainingOps.linearBackward(dInput: &dx, accumulateInput: false, dWeight: &dw, dBias: &db, dOut: up,
                                   input: x, weight: w, rows: rows, inWidth: n, outWidth: m)
        assertGradient(dx, at: x, "linear input") { dot(up, forward($0, w, b)) }
        assertGradient(dw, at: w, "linear weight") { dot(up, forward(x, $0, b)) }
        assertGradient(db, at: b, "linear bias") { dot(up, forward(x, w, $0)) }
    }

    func testExactGELUBackwardMatchesFiniteDifferences() {
        let x = GradientCheck.values(count: 12, seed: 5, scale: 3), up = GradientCheck.values(count: 12, seed: 6)
        func forward(_ x: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: x.count)
            TrainingOps.geluForward(out: &out, input: x, count: x.count)
            return out
        }
        // GELU(1) = Φ(1) = 0.8413447460685429 (scipy.stats.norm.cdf(1)).
        XCTAssertEqual(forward([1])[0], 0.8413447, accuracy: 1e-6)
        var dx = up
        TrainingOps.geluBackward(gradient: &dx, input: x, count: 12)
        assertGradient(dx, at: x, "GELU input") { dot(up, forward($0)) }
    }

    func testLayerNormBackwardMatchesFiniteDifferences() {
        let rows = 3, d = 6
        let x = GradientCheck.values(count: rows * d, seed: 7, scale: 2), gamma = GradientCheck.values(count: d, seed: 8)
        let beta = GradientCheck.values(count: d, seed: 9), up = GradientCheck.values(count: rows * d, seed: 10)
        func forward(_ x: [Float], _ gamma: [Float], _ beta: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: rows * d), mean = [Float](repeating: 0, count: rows), rstd = mean
            TrainingOps.layerNormForward(out: &out, mean: &mean, rstd: &rstd, input: x, gamma: gamma, beta: beta,
                                         rows: rows, d: d, eps: 1e-5)
            return out
        }
        var mean = [Float](repeating: 0, count: rows), rstd = mean, scratch = [Float](repeating: 0, count: rows * d)
        TrainingOps.layerNormForward(out: &scratch, mean: &mean, rstd: &rstd, input: x, gamma: gamma, beta: beta,
                                     rows: rows, d: d, eps: 1e-5)
        var dx = [Float](repeating: 0, count: rows * d), dg = [Float](repeating: 0, count: d), dbeta = dg
        TrainingOps.layerNormBackward(dInput: &dx, dGamma: &dg, dBeta: &dbeta, dOut: up, input: x, mean: mean,
                                      rstd: rstd, gamma: gamma, rows: rows, d: d)
        assertGradient(dx, at: x, "LayerNorm input") { dot(up, forward($0, gamma, beta)) }
        assertGradient(dg, at: gamma, "LayerNorm weight") { dot(up, forward(x, $0, beta)) }
        assertGradient(dbeta, at: beta, "LayerNorm bias") { dot(up, forward(x, gamma, $0)) }
    }

    func testMaskedAttentionBackwardMatchesFiniteDifferencesForAllQueriesAndForCLSOnly() {
        let batch = 2, tokens = 4, d = 4, heads = 2
        let qkv = GradientCheck.values(count: batch * tokens * 3 * d, seed: 11, scale: 1.5)
        // The second row ends with two [PAD] keys.
        let isPad = [false, false, false, false, false, false, true, true]
        for queries in [tokens, 1] {
            let up = GradientCheck.values(count: batch * queries * d, seed: 12)
            func forward(_ qkv: [Float]) -> ([Float], [Float]) {
                var out = [Float](repeating: 0, count: batch * queries * d)
                var probabilities = [Float](repeating: 0, count: batch * heads * queries * tokens)
                TrainingOps.attentionForward(out: &out, probabilities: &probabilities, qkv: qkv, isPad: isPad,
                                             batch: batch, tokens: tokens, queries: queries, d: d, heads: heads)
                return (out, probabilities)
            }
            let probabilities = forward(qkv).1
            // [PAD] keys get probability exactly 0; every row sums to 1.
            for h in 0..<heads { for i in 0..<queries {
                let row = (1 * heads + h) * queries * tokens + i * tokens
                XCTAssertEqual(probabilities[row + 2], 0)
                XCTAssertEqual(probabilities[row + 3], 0)
                XCTAssertEqual(probabilities[row] + probabilities[row + 1], 1, accuracy: 1e-6)
            } }
            var dqkv = [Float](repeating: 7, count: qkv.count), scratch = [Float](repeating: 0, count: queries * tokens)
            TrainingOps.attentionBackward(dQKV: &dqkv, scratch: &scratch, dOut: up, probabilities: probabilities, qkv: qkv,
                                          batch: batch, tokens: tokens, queries: queries, d: d, heads: heads)
            assertGradient(dqkv, at: qkv, "attention Q, K, V with \(queries) queries") { dot(up, forward($0).0) }
        }
    }

    func testConvStemBackwardMatchesFiniteDifferencesAndIgnoresPadRows() {
        let batch = 2, tokens = 5, d = 3, width = 3
        let x = GradientCheck.values(count: batch * tokens * d, seed: 13), w = GradientCheck.values(count: d * d * width, seed: 14)
        let b = GradientCheck.values(count: d, seed: 15), up = GradientCheck.values(count: batch * tokens * d, seed: 16)
        let isPad = [false, false, false, false, false, false, false, false, true, true]
        func forward(_ x: [Float], _ w: [Float], _ b: [Float]) -> [Float] {
            var columns = [Float](repeating: 0, count: batch * tokens * width * d), rearranged = [Float](repeating: 0, count: d * width * d)
            var out = [Float](repeating: 0, count: batch * tokens * d)
            TrainingOps.convWeightToColumns(w, &rearranged, d: d, width: width)
            TrainingOps.im2col(columns: &columns, input: x, isPad: isPad, batch: batch, tokens: tokens, d: d, width: width)
            TrainingOps.linearForward(out: &out, input: columns, weight: rearranged, bias: b, rows: batch * tokens,
                                      inWidth: width * d, outWidth: d)
            return out
        }
        // Hand computation of one output: y[0,0,o] = b[o] + Σ_i W[o,i,1]·x[0,0,i] + W[o,i,2]·x[0,1,i] (left neighbour is padding).
        let y = forward(x, w, b)
        for o in 0..<d {
            var expected = b[o]
            for i in 0..<d { expected += w[(o * d + i) * width + 1] * x[i] + w[(o * d + i) * width + 2] * x[d + i] }
            XCTAssertEqual(y[o], expected, accuracy: 1e-5)
        }
        var columns = [Float](repeating: 0, count: batch * tokens * width * d), rearranged = [Float](repeating: 0, count: d * width * d)
        TrainingOps.convWeightToColumns(w, &rearranged, d: d, width: width)
        TrainingOps.im2col(columns: &columns, input: x, isPad: isPad, batch: batch, tokens: tokens, d: d, width: width)
        var dColumns = columns, dRearranged = [Float](repeating: 0, count: d * width * d)
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count), db = [Float](repeating: 0, count: d)
        TrainingOps.linearBackward(dInput: &dColumns, accumulateInput: false, dWeight: &dRearranged, dBias: &db, dOut: up,
                                   input: columns, weight: rearranged, rows: batch * tokens, inWidth: width * d, outWidth: d)
        TrainingOps.convColumnsToWeightGradient(dRearranged, &dw, d: d, width: width)
        TrainingOps.col2im(dInput: &dx, dColumns: dColumns, isPad: isPad, batch: batch, tokens: tokens, d: d, width: width)
        assertGradient(dx, at: x, "conv input") { dot(up, forward($0, w, b)) }
        assertGradient(dw, at: w, "conv weight") { dot(up, forward(x, $0, b)) }
        assertGradient(db, at: b, "conv bias") { dot(up, forward(x, w, $0)) }
        for i in (8 * d)..<(10 * d) { XCTAssertEqual(dx[i], 0, "[PAD] rows are zeroed before the conv") }
    }

    func testBinaryCrossEntropyGradientMatchesFiniteDifferencesAndStaysFiniteForLargeLogits() {
        let logits: [Float] = [-3, -0.5, 0.2, 4, 1.5, -1]
        let labels: [Float] = [0, 1, 1, 1, 0, 0]
        func loss(_ z: [Float]) -> Double {
            var g = [Float](repeating: 0, count: z.count)
            return TrainingOps.binaryCrossEntropy(logits: z, labels: labels, dLogits: &g, count: z.count, normaliser: 6)
        }
        var dz = [Float](repeating: 0, count: 6)
        _ = TrainingOps.binaryCrossEntropy(logits: logits, labels: labels, dLogits: &dz, count: 6, normaliser: 6)
        assertGradient(dz, at: logits, "BCE logits", objective: loss)
        // By hand: (z=100,y=0) → 100, (−100,1) → 100, (100,1) → e^−100 ≈ 0, (−100,1) → 100, (0,0) → log 2 twice.
        XCTAssertEqual(loss([100, -100, 100, -100, 0, 0]) * 6, 300 + 2 * log(2), accuracy: 1e-9)
    }

    func testWholeNetworkGradientMatchesFiniteDifferencesOfTheLoss() {
        checkWholeNetwork(headDiversity: 0)
    }

    func testWholeNetworkGradientWithHeadDiversityPenaltyMatchesFiniteDifferences() {
        checkWholeNetwork(headDiversity: 0.8)
    }

    func testHeadDiversityIsTheMeanPairwiseCosineOfMapsAtNonPadQueries() {
        // Three heads over two tokens; by hand: cos(P0, P1) = 1, cos(P0, P2) = cos(P1, P2) = 1/(√2·√2) = 0.5.
        let maps: [Float] = [1, 0, 0, 1,   1, 0, 0, 1,   1, 0, 1, 0]
        var coefficients = [Float](repeating: 0, count: 9)
        let all = TrainingOps.headDiversity(probabilities: maps, isPad: [false, false], heads: 3, tokens: 2,
                                            weight: 1, coefficients: &coefficients)
        XCTAssertEqual(all, (1 + 0.5 + 0.5) / 3, accuracy: 1e-12)
        // With query 1 at [PAD], only row 0 counts, and there all three heads agree.
        let first = TrainingOps.headDiversity(probabilities: maps, isPad: [false, true], heads: 3, tokens: 2,
                                              weight: 1, coefficients: &coefficients)
        XCTAssertEqual(first, 1, accuracy: 1e-12)
    }

    func testHeadDiversityCoefficientsGiveTheGradientOfThePenalty() {
        let heads = 3, tokens = 4, weight: Float = 0.7
        let isPad = [false, false, false, true]
        let maps = GradientCheck.values(count: heads * tokens * tokens, seed: 21).map { abs($0) + 0.05 }
        func penalty(_ p: [Float]) -> Double {
            var c = [Float](repeating: 0, count: heads * heads)
            return Double(weight) * TrainingOps.headDiversity(probabilities: p, isPad: isPad, heads: heads, tokens: tokens,
                                                              weight: weight, coefficients: &c)
        }
        var a = [Float](repeating: 0, count: heads * heads)
        _ = TrainingOps.headDiversity(probabilities: maps, isPad: isPad, heads: heads, tokens: tokens, weight: weight, coefficients: &a)
        var analytic = [Float](repeating: 0, count: maps.count)
        for h in 0..<heads { for other in 0..<heads { for i in 0..<tokens where !isPad[i] { for j in 0..<tokens {
            analytic[(h * tokens + i) * tokens + j] += a[h * heads + other] * maps[(other * tokens + i) * tokens + j]
        } } } }
        assertGradient(analytic, at: maps, "head-diversity penalty", objective: penalty)
    }

    func testHeadOverlapIsTheMeanSquaredChanceThatTwoHeadsPickTheSameKey() {
        // Three heads over two tokens: heads 0 and 1 read key 0 from both queries, head 2 reads key 1.
        // ‖A0 A1ᵀ‖² = 4 (every query pair agrees), ‖A0 A2ᵀ‖² = ‖A1 A2ᵀ‖² = 0; n² = 4, so the mean is (1 + 0 + 0) / 3.
        let maps: [Float] = [1, 0, 1, 0,   1, 0, 1, 0,   0, 1, 0, 1]
        var gradient = [Float](repeating: 0, count: 12)
        var scratch = [Float](repeating: 0, count: 8 * 4)
        let all = TrainingOps.headOverlap(probabilities: maps, isPad: [false, false], heads: 3, tokens: 2,
                                          weight: 1, gradient: &gradient, scratch: &scratch)
        XCTAssertEqual(all, 1.0 / 3, accuracy: 1e-12)
        // Uniform heads over T keys pick the same key with chance 1/T, so the mean square is 1/T²;
        // with query 1 at [PAD] only row 0 counts.
        let uniform = [Float](repeating: 0.5, count: 12)
        XCTAssertEqual(TrainingOps.headOverlap(probabilities: uniform, isPad: [false, true], heads: 3, tokens: 2,
                                               weight: 1, gradient: &gradient, scratch: &scratch), 0.25, accuracy: 1e-7)
        XCTAssertEqual(Array(gradient[2..<4]) + Array(gradient[6..<8]) + Array(gradient[10..<12]), [0, 0, 0, 0, 0, 0],
                       "no gradient at [PAD] query rows")
    }

    func testHeadOverlapGradientMatchesFiniteDifferences() {
        let heads = 3, tokens = 5, weight: Float = 0.7
        let isPad = [false, false, true, false, true]
        let maps = GradientCheck.values(count: heads * tokens * tokens, seed: 23).map { abs($0) + 0.05 }
        var scratch = [Float](repeating: 0, count: (2 * heads + 2) * tokens * tokens)
        func penalty(_ p: [Float]) -> Double {
            var g = [Float](repeating: 0, count: p.count)
            return Double(weight) * TrainingOps.headOverlap(probabilities: p, isPad: isPad, heads: heads, tokens: tokens,
                                                            weight: weight, gradient: &g, scratch: &scratch)
        }
        var analytic = [Float](repeating: 0, count: maps.count)
        _ = TrainingOps.headOverlap(probabilities: maps, isPad: isPad, heads: heads, tokens: tokens, weight: weight,
                                    gradient: &analytic, scratch: &scratch)
        assertGradient(analytic, at: maps, "head-overlap penalty", objective: penalty)
    }

    func testWholeNetworkGradientWithTheHeadOverlapPenaltyMatchesFiniteDifferences() {
        checkWholeNetwork(headDiversity: 0.8, kind: .product)
    }

    func testWholeNetworkGradientWithDropoutMatchesFiniteDifferencesOfTheMaskedLoss() {
        checkWholeNetwork(headDiversity: 0, dropout: 0.3)
    }

    func checkWholeNetwork(headDiversity: Float, kind: HeadDiversityKind = .cosine, dropout: Float = 0) {
        let architecture = TrainingArchitecture(k: 1, stride: 1, dModel: 4, nHeads: 2, nLayers: 2, dFF: 6, maxLen: 8,
                                                nOutputs: 2, convWidth: 3)
        var parameters = ParameterStore.initialised(for: architecture, seed: 42)
        // Move norms and zero biases away from their initial values so their gradients are generic.
        let perturbation = GradientCheck.values(count: parameters.values.count, seed: 17, scale: 0.3)
        for i in parameters.values.indices { parameters.values[i] += perturbation[i] }
        let rows: [[Int32]] = [[2, 5, 7, 8, 6, 3], [2, 6, 1, 3]]
        let labels: [Float] = [1, 0, 0, 1]
        let workspace = TrainingWorkspace(architecture: architecture, batchCapacity: 2, tokenCapacity: 6)
        workspace.headDiversityWeight = headDiversity
        workspace.headDiversityKind = kind
        workspace.dropoutRate = dropout
        func loss(_ values: [Float]) -> Double {
            values.withUnsafeBufferPointer { workspace.forward(parameters: $0.baseAddress!) }
            return workspace.loss(labels: labels, normaliser: 4)
        }
        if dropout > 0 {
            // The masks are fixed by the keys, so the masked loss is a function of the parameters alone.
            workspace.load(rows: rows)
            let plain = loss(parameters.values)
            workspace.load(rows: rows, dropoutKeys: [11, 12])
            XCTAssertNotEqual(loss(parameters.values), plain, "the keys switch dropout on")
        } else {
            workspace.load(rows: rows)
        }
        var gradients = ParameterStore(architecture: architecture)
        _ = loss(parameters.values)
        parameters.values.withUnsafeBufferPointer { p in
            gradients.values.withUnsafeMutableBufferPointer { workspace.backward(parameters: p.baseAddress!, gradients: $0.baseAddress!) }
        }
        let numeric = GradientCheck.centralDifferences(at: parameters.values, step: 1e-2, objective: loss)
        for slot in gradients.slots {
            let error = GradientCheck.relativeError(Array(gradients.values[slot.range]), Array(numeric[slot.range]), floor: 1e-4)
            XCTAssertLessThan(error, 2e-2, "\(slot.name) (λ = \(headDiversity), dropout \(dropout)): relative error \(error)")
        }
        // [PAD] (id 0) never reaches the loss, so its embedding row gets no gradient.
        XCTAssertEqual(Array(gradients.tensor("tok_emb.weight")![0..<4]), [0, 0, 0, 0])
    }

    func testInitialisationFollowsPyTorchDefaultsInDistribution() {
        let architecture = TrainingArchitecture()
        let store = ParameterStore.initialised(for: architecture, seed: 7)
        let d = Double(architecture.dModel)
        func stats(_ name: String) -> (mean: Double, variance: Double, maxAbs: Double) {
            let v = store.tensor(name)!.map(Double.init)
            let mean = v.reduce(0, +) / Double(v.count)
            return (mean, v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count), v.map(abs).max()!)
        }
        // N(0,1) embeddings; U(±a) has variance a²/3.
        XCTAssertEqual(stats("tok_emb.weight").variance, 1, accuracy: 0.05)
        let xavier = (6 / (4 * d)).squareRoot()
        XCTAssertEqual(stats("encoder.layers.0.self_attn.in_proj_weight").variance, xavier * xavier / 3, accuracy: 0.1 * xavier * xavier / 3)
        XCTAssertLessThanOrEqual(stats("encoder.layers.0.self_attn.in_proj_weight").maxAbs, xavier)
        let convBound = 1 / (d * 11).squareRoot()
        XCTAssertLessThanOrEqual(stats("stem.weight").maxAbs, convBound)
        XCTAssertEqual(stats("stem.weight").variance, convBound * convBound / 3, accuracy: 0.05 * convBound * convBound / 3)
        XCTAssertLessThanOrEqual(stats("encoder.layers.1.linear2.weight").maxAbs, 1 / Double(architecture.dFF).squareRoot())
        XCTAssertEqual(stats("encoder.layers.1.self_attn.in_proj_bias").maxAbs, 0)
        XCTAssertEqual(stats("encoder.layers.1.self_attn.out_proj.bias").maxAbs, 0)
        XCTAssertEqual(store.tensor("encoder.norm.weight")!, [Float](repeating: 1, count: architecture.dModel))
        XCTAssertEqual(ParameterStore.initialised(for: architecture, seed: 7), store, "same seed, same parameters")
        XCTAssertNotEqual(ParameterStore.initialised(for: architecture, seed: 8).values, store.values)
    }
}
