import XCTest
@testable import MotifAttnModel
import MotifAttnCore

/// `Encoder.forward` with a head intervention: zeroing equals ablation, recording and putting back a
/// head's own output changes nothing, and a replacement lands where it should.
final class HeadInterventionTests: XCTestCase {
    private func model() throws -> AttentionModel {
        let config = ModelConfig(tokenizer: TokenizerConfig(kind: "kmer", k: 2, stride: 1), dModel: 16, nHeads: 4, nLayers: 2,
                                 dFF: 24, maxLen: 40, layerNormEps: 1e-5, nOutputs: 1, convWidth: 3)
        return try AttentionModel(randomWeightsFor: config, seed: 5)
    }

    private func rows(_ count: Int, length: Int, seed: UInt64) -> [[Int32]] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in [2] + (0..<length).map { _ in Int32(4 + generator.uniform(below: 16)) } + [3] }
    }

    func testZeroingEqualsAblationAndPuttingBackTheOwnOutputChangesNothing() throws {
        let encoder = Encoder(model: try model(), threads: 2, batchSize: 3)
        let windows = rows(7, length: 20, seed: 1) + rows(4, length: 13, seed: 2)
        let plain = try encoder.forward(tokenRows: windows, keepAttention: false)
        for layer in 0..<2 { for head in 0..<4 {
            let zeroed = try encoder.forward(tokenRows: windows, keepAttention: false,
                                             intervention: HeadIntervention(layer: layer, head: head, action: .zero))
            let ablated = try encoder.forward(tokenRows: windows, keepAttention: false, ablating: (layer, head))
            XCTAssertEqual(zeroed.logits, ablated.logits, "L\(layer)H\(head): zero = ablation")
            let recorded = try encoder.forward(tokenRows: windows, keepAttention: false,
                                               intervention: HeadIntervention(layer: layer, head: head, action: .record))
            XCTAssertEqual(recorded.logits, plain.logits, "recording changes nothing")
            let outputs = try XCTUnwrap(recorded.headOutputs)
            // Every real row in layer 0; only [CLS] reaches the logits in the last layer.
            XCTAssertEqual(outputs.map(\.count), windows.map { (layer == 0 ? $0.count : 1) * 4 })
            let putBack = try encoder.forward(tokenRows: windows, keepAttention: false,
                                              intervention: HeadIntervention(layer: layer, head: head, action: .replace(outputs)))
            XCTAssertEqual(putBack.logits, plain.logits, "L\(layer)H\(head): its own output put back")
        } }
    }

    func testAReplacementIsWhatTheHeadThenOutputsAndMovesTheLogits() throws {
        let encoder = Encoder(model: try model(), threads: 1)
        let a = rows(5, length: 18, seed: 3), b = rows(5, length: 18, seed: 4)
        let fromB = try encoder.forward(tokenRows: b, keepAttention: false,
                                        intervention: HeadIntervention(layer: 0, head: 2, action: .record)).headOutputs!
        // Layer 1 reads layer 0's patched output: recording layer 0 of the patched run gives B's output.
        let patched = try encoder.forward(tokenRows: a, keepAttention: false,
                                          intervention: HeadIntervention(layer: 0, head: 2, action: .replace(fromB)))
        let plain = try encoder.forward(tokenRows: a, keepAttention: false)
        XCTAssertNotEqual(patched.logits, plain.logits)
        XCTAssertThrowsError(try encoder.forward(tokenRows: rows(5, length: 10, seed: 5), keepAttention: false,
                                                 intervention: HeadIntervention(layer: 0, head: 2, action: .replace(fromB)))) { error in
            XCTAssertEqual(error as? EncoderError, .replacementSize(row: 0, expected: 12 * 4, given: 20 * 4))
        }
        XCTAssertThrowsError(try encoder.forward(tokenRows: a, keepAttention: false,
                                                 intervention: HeadIntervention(layer: 2, head: 0, action: .zero)))
    }
}
