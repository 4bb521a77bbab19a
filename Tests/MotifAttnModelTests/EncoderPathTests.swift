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

    /// Maps handed over in place (`visitingAttention`) are the maps `EncoderOutput.attention` copies out, bit for bit,
    /// in window order and only for the windows asked for; the logits are the same.
    func testVisitedAttentionEqualsTheCopiedMaps() throws {
        let config = ModelConfig(tokenizer: TokenizerConfig(k: 3), dModel: 32, nHeads: 4, nLayers: 2, dFF: 64, maxLen: 64,
                                 layerNormEps: 1e-5, nOutputs: 1, convWidth: 5)
        let model = try AttentionModel(randomWeightsFor: config, seed: 7)
        let rows = randomRows(count: 21, vocabulary: config.vocabularySize, maxLength: 60, seed: 8)
        let kept = rows.indices.map { $0 % 3 != 1 }
        let encoder = Encoder(model: model, threads: 2, batchSize: 8)
        let copied = try encoder.forward(tokenRows: rows, keepAttention: true, attentionRows: kept)
        var visited: [Int] = []
        let output = try encoder.forward(tokenRows: rows, keepAttention: true, attentionRows: kept) { r, maps in
            visited.append(r)
            let expected = copied.attention![r]
            XCTAssertEqual(maps.tokens, expected.tokens)
            XCTAssertEqual(Array(maps.probabilities), expected.probabilities)
            XCTAssertEqual(Array(maps.map(layer: 1, head: 2)), Array(expected.map(layer: 1, head: 2)))
        }
        XCTAssertEqual(visited, rows.indices.filter { kept[$0] })
        XCTAssertNil(output.attention)
        XCTAssertEqual(output.logits, copied.logits)
    }
}
