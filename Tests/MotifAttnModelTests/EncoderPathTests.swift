import XCTest
import MotifAttnModel
import MotifAttnTokenizers
import MotifAttnCore

/// The encoder's shortcuts against its own full forward pass.
final class EncoderPathTests: XCTestCase {
    private func randomRows(count: Int, vocabulary: Int, maxLength: Int, seed: UInt64) -> [[Int32]] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let n = 3 + generator.uniform(below: maxLength - 4)
            return [2] + (0..<n).map { _ in Int32(5 + generator.uniform(below: vocabulary - 5)) } + [3]
        }
    }

    func testScoresFromTheClsRowsOfTheLastLayerEqualTheFullForward() throws {
        let config = ModelConfig(tokenizer: TokenizerConfig(k: 3), dModel: 32, nHeads: 4, nLayers: 3, dFF: 48, maxLen: 64,
                                 layerNormEps: 1e-5, nOutputs: 2, convWidth: 5)
        let model = try AttentionModel(randomWeightsFor: config, seed: 3)
        let rows = randomRows(count: 37, vocabulary: config.vocabularySize, maxLength: 60, seed: 4)
        let encoder = Encoder(model: model, threads: 2, batchSize: 8)
        let full = try encoder.forward(tokenRows: rows, keepAttention: false, keepHidden: true).logits
        let clsOnly = try encoder.forward(tokenRows: rows, keepAttention: false).logits
        XCTAssertEqual(full.count, clsOnly.count)
        for (a, b) in zip(full, clsOnly) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testLogitsDoNotDependOnTheThreadCount() throws {
        let config = ModelConfig(tokenizer: TokenizerConfig(k: 3), dModel: 32, nHeads: 4, nLayers: 2, dFF: 64, maxLen: 64,
                                 layerNormEps: 1e-5, nOutputs: 1, convWidth: 11)
        let model = try AttentionModel(randomWeightsFor: config, seed: 5)
        let rows = randomRows(count: 70, vocabulary: config.vocabularySize, maxLength: 60, seed: 6)
        let one = try Encoder(model: model, threads: 1, batchSize: 8).score(tokenRows: rows)
        let two = try Encoder(model: model, threads: 2, batchSize: 8).score(tokenRows: rows)
        XCTAssertEqual(one, two)
    }
}
