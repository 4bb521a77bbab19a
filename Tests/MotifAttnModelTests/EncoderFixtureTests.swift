import XCTest
import MotifAttnModel
import MotifAttnTokenizers

/// The encoder against PyTorch's outputs for the same weights and windows (`motifattn_torch.py`).
final class EncoderFixtureTests: XCTestCase {
    func testLogitsMatchPyTorchWithin1e4OnEveryCase() throws {
        for name in GoldenCase.names {
            let golden = try GoldenCase(name)
            let model = try MotifAttnModel(contentsOf: golden.modelPath)
            let encoder = Encoder(model: model, threads: 1)
            let out = try encoder.forward(tokenRows: golden.tokens, keepAttention: false)
            let expected = golden.io["logits"]!.values
            XCTAssertEqual(out.logits.count, expected.count, name)
            for (a, b) in zip(out.logits, expected) { XCTAssertEqual(a, b, accuracy: 1e-4, name) }
        }
    }

    func testAttentionAndHiddenStatesMatchPyTorchAtRealQueryRows() throws {
        for name in GoldenCase.names {
            let golden = try GoldenCase(name)
            let model = try MotifAttnModel(contentsOf: golden.modelPath)
            let c = model.config
            let encoder = Encoder(model: model, threads: 2, batchSize: 3)
            let out = try encoder.forward(tokenRows: golden.tokens, keepAttention: true, keepHidden: true)
            let hidden = golden.io["hidden"]!
            let paddedT = hidden.shape[1]
            var worstAttention: Float = 0, worstHidden: Float = 0
            for (w, row) in golden.tokens.enumerated() {
                let n = row.count
                let attention = out.attention![w]
                XCTAssertEqual(attention.tokens, n)
                for l in 0..<c.nLayers {
                    let ref = golden.io["attention.\(l)"]!.values
                    for h in 0..<c.nHeads {
                        let map = Array(attention.map(layer: l, head: h))
                        for q in 0..<n {
                            for k in 0..<paddedT {
                                let expected = ref[((w * c.nHeads + h) * paddedT + q) * paddedT + k]
                                let mine = k < n ? map[q * n + k] : 0
                                worstAttention = max(worstAttention, abs(mine - expected))
                            }
                        }
                    }
                }
                let mine = out.hidden![w]
                for t in 0..<n {
                    for j in 0..<c.dModel {
                        worstHidden = max(worstHidden, abs(mine[t * c.dModel + j] - hidden.values[(w * paddedT + t) * c.dModel + j]))
                    }
                }
            }
            XCTAssertLessThan(worstAttention, 1e-4, name)
            XCTAssertLessThan(worstHidden, 1e-4, name)
        }
    }

    /// Maps kept for some rows only (the scan keeps those of the windows it analyses while scoring): the
    /// [CLS]-only last layer then computes them; they match PyTorch, the logits are the plain scores bit for
    /// bit, and the other rows get no maps.
    func testAttentionOfChosenRowsMatchesPyTorchAndLeavesTheLogitsAsScored() throws {
        for name in GoldenCase.names {
            let golden = try GoldenCase(name)
            let model = try MotifAttnModel(contentsOf: golden.modelPath)
            let c = model.config
            let encoder = Encoder(model: model, threads: 2, batchSize: 3)
            let chosen = golden.tokens.indices.map { $0 % 2 == 0 }
            let out = try encoder.forward(tokenRows: golden.tokens, keepAttention: true, attentionRows: chosen)
            XCTAssertEqual(out.logits, try encoder.forward(tokenRows: golden.tokens, keepAttention: false).logits, name)
            let paddedT = golden.io["hidden"]!.shape[1]
            var worst: Float = 0
            for (w, row) in golden.tokens.enumerated() {
                let maps = out.attention![w]
                guard chosen[w] else { XCTAssertTrue(maps.probabilities.isEmpty, name); continue }
                let n = row.count
                XCTAssertEqual(maps.probabilities.count, c.nLayers * c.nHeads * n * n, name)
                for l in 0..<c.nLayers {
                    let ref = golden.io["attention.\(l)"]!.values
                    for h in 0..<c.nHeads {
                        let map = Array(maps.map(layer: l, head: h))
                        for q in 0..<n {
                            for k in 0..<n {
                                worst = max(worst, abs(map[q * n + k] - ref[((w * c.nHeads + h) * paddedT + q) * paddedT + k]))
                            }
                        }
                    }
                }
            }
            XCTAssertLessThan(worst, 1e-4, name)
        }
    }
}
