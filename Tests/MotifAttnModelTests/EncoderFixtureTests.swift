import XCTest
import MotifAttnModel
import MotifAttnTokenizers

/// The encoder against PyTorch's outputs for the same weights and windows (`motifattn_torch.py`).
final class EncoderFixtureTests: XCTestCase {
    func testLogitsMatchPyTorchWithin1e4OnEveryCase() throws {
        for name in GoldenCase.names {
            let golden = try GoldenCase(name)
            let model = try AttentionModel(contentsOf: golden.modelPath)
            let encoder = Encoder(model: model, threads: 1)
            let out = try encoder.forward(tokenRows: golden.tokens, keepAttention: false)
            let expected = golden.io["logits"]!.values
            XCTAssertEqual(out.logits.count, expected.count, name)
            for (a, b) in zip(out.logits, expected) { XCTAssertEqual(a, b, accuracy: 1e-4, name) }
        }
    }

    func testAttentionAndHiddenStatesMatchPyTorchAtRealQueryRows() throws {
        try forEachCase { name, golden, c, encoder in
            let out = try encoder.forward(tokenRows: golden.tokens, keepAttention: true, keepHidden: true)
            let hidden = golden.io["hidden"]!
            let paddedT = hidden.shape[1]
            var worstHidden: Float = 0
            let worstAttention = try worstAttentionError(out, golden, config: c)
            for (w, row) in golden.tokens.enumerated() {
                let n = row.count
                XCTAssertEqual(out.attention![w].tokens, n)
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
        try forEachCase { name, golden, c, encoder in
            let chosen = golden.tokens.indices.map { $0 % 2 == 0 }
            let out = try encoder.forward(tokenRows: golden.tokens, keepAttention: true, attentionRows: chosen)
            XCTAssertEqual(out.logits, try encoder.forward(tokenRows: golden.tokens, keepAttention: false).logits, name)
            for (w, row) in golden.tokens.enumerated() {
                let expected = chosen[w] ? c.nLayers * c.nHeads * row.count * row.count : 0
                XCTAssertEqual(out.attention![w].probabilities.count, expected, name)
            }
            XCTAssertLessThan(try worstAttentionError(out, golden, config: c, rows: chosen), 1e-4, name)
        }
    }

    /// Runs `body` on every golden case with its model's config and a 2-thread encoder of 3-window batches.
    private func forEachCase(_ body: (String, GoldenCase, ModelConfig, Encoder) throws -> Void) throws {
        for name in GoldenCase.names {
            let golden = try GoldenCase(name)
            let model = try AttentionModel(contentsOf: golden.modelPath)
            try body(name, golden, model.config, Encoder(model: model, threads: 2, batchSize: 3))
        }
    }

    /// Largest difference from PyTorch's attention over the real query rows of the windows marked in `rows`
    /// (all by default); PyTorch's weights on [PAD] keys count against a window's absent columns.
    private func worstAttentionError(_ out: EncoderOutput, _ golden: GoldenCase, config c: ModelConfig, rows: [Bool]? = nil) throws -> Float {
        let paddedT = try XCTUnwrap(golden.io["hidden"]).shape[1]
        var worst: Float = 0
        for (w, row) in golden.tokens.enumerated() where rows?[w] ?? true {
            let n = row.count
            let attention = try XCTUnwrap(out.attention)[w]
            for l in 0..<c.nLayers {
                let ref = try XCTUnwrap(golden.io["attention.\(l)"]).values
                for h in 0..<c.nHeads {
                    let map = Array(attention.map(layer: l, head: h))
                    for q in 0..<n {
                        for k in 0..<paddedT {
                            let mine = k < n ? map[q * n + k] : 0
                            worst = max(worst, abs(mine - ref[((w * c.nHeads + h) * paddedT + q) * paddedT + k]))
                        }
                    }
                }
            }
        }
        return worst
    }
}
