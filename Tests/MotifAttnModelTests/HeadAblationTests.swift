import XCTest
@testable import MotifAttnModel

/// Ablating a head in the encoder equals a model whose out_proj ignores that head's output.
final class HeadAblationTests: XCTestCase {
    func testAblatingAHeadEqualsZeroingItsOutProjectionColumns() throws {
        let config = ModelConfig(tokenizer: TokenizerConfig(k: 3), dModel: 16, nHeads: 4, nLayers: 2, dFF: 32, maxLen: 64,
                                 nOutputs: 1, convWidth: 3)
        let model = try AttentionModel(randomWeightsFor: config, seed: 5)
        let tokenizer = try config.makeTokenizer()
        let windows = ["ACGTTGCATGACCATTGACA", "TTTACGAAGGCATCAGGATTTCAGGA", "GGCATTACCA"].map { Array($0.utf8) }
        let rows = windows.map { tokenizer.encode($0).ids }
        let dHead = config.dModel / config.nHeads
        for (layer, head) in [(0, 1), (1, 3)] {
            // out_proj.weight is [d_out, d_in]: the head's output enters through input columns head·dHead ..< (head+1)·dHead.
            var tensors = model.tensors
            let name = "encoder.layers.\(layer).self_attn.out_proj.weight"
            var weight = try XCTUnwrap(tensors[name])
            for row in 0..<config.dModel {
                for column in (head * dHead)..<((head + 1) * dHead) { weight.values[row * config.dModel + column] = 0 }
            }
            tensors[name] = weight
            let zeroed = try AttentionModel(config: config, tensors: tensors)
            let expected = try Encoder(model: zeroed, threads: 1).forward(tokenRows: rows, keepAttention: false).logits
            let encoder = Encoder(model: model, threads: 2, batchSize: 2)
            for keep in [false, true] {   // the [CLS]-only last layer and the full forward
                let ablated = try encoder.forward(tokenRows: rows, keepAttention: keep, ablating: (layer, head)).logits
                for (a, b) in zip(ablated, expected) { XCTAssertEqual(a, b, accuracy: 1e-5, "L\(layer)H\(head) keepAttention \(keep)") }
            }
            let full = try encoder.forward(tokenRows: rows, keepAttention: false).logits
            XCTAssertTrue(zip(full, expected).contains { abs($0 - $1) > 1e-4 }, "ablation must change something")
        }
    }
}
