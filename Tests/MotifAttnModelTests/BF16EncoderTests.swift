import XCTest
import MotifAttnModel
import MotifAttnTokenizers
import MotifAttnCore

/// The bf16 encoder (`precision: .bf16`) against the fp32 one, and the batch independence both promise.
final class BF16EncoderTests: XCTestCase {
    /// Widths that are not multiples of the kernel's 16-column blocks (d 24, a 24, F 40) and a conv stem.
    private func oddModel(seed: UInt64) throws -> AttentionModel {
        let config = ModelConfig(tokenizer: TokenizerConfig(k: 3), dModel: 24, nHeads: 4, nLayers: 3, dFF: 40, maxLen: 64,
                                 layerNormEps: 1e-5, nOutputs: 2, convWidth: 5)
        return try AttentionModel(randomWeightsFor: config, seed: seed)
    }

    private func skipWithoutBF16() throws {
        try XCTSkipUnless(ProductPrecision.isSupported(.bf16), "this CPU has no AVX512_BF16")
    }

    /// bf16 rounds each product's inputs to 8 significant bits: logits and attention stay within a few hundredths
    /// of fp32, and the full forward pass (every row) agrees with the [CLS]-only one as in fp32.
    func testLogitsAndMapsAgreeWithFP32() throws {
        try skipWithoutBF16()
        for model in [try oddModel(seed: 21), try AttentionModel(randomWeightsFor: ModelConfig(
            tokenizer: TokenizerConfig(k: 3), dModel: 32, nHeads: 4, nLayers: 2, dFF: 64, maxLen: 64, layerNormEps: 1e-5,
            nOutputs: 1, convWidth: 0), seed: 22)] {
            let rows = randomTokenRows(count: 29, vocabulary: model.config.vocabularySize, maxLength: 60, seed: 23)
            let exact = try Encoder(model: model, threads: 2, batchSize: 8).forward(tokenRows: rows, keepAttention: true)
            let bf16 = Encoder(model: model, threads: 2, batchSize: 8, precision: .bf16)
            XCTAssertEqual(bf16.precision, .bf16)
            let rounded = try bf16.forward(tokenRows: rows, keepAttention: true)
            var largest: Float = 0
            for (a, b) in zip(exact.logits, rounded.logits) { largest = max(largest, abs(a - b)) }
            XCTAssertLessThan(largest, 0.05, "largest logit difference")
            XCTAssertGreaterThan(largest, 0, "bf16 should round somewhere")
            for r in rows.indices {
                for (p, q) in zip(exact.attention![r].probabilities, rounded.attention![r].probabilities) {
                    XCTAssertEqual(p, q, accuracy: 0.02)
                }
            }
            let full = try bf16.forward(tokenRows: rows, keepAttention: false, keepHidden: true).logits
            for (a, b) in zip(full, rounded.logits) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    /// A window's bf16 logits are bit-identical whatever the thread count and whichever windows share its batch.
    func testBF16LogitsDoNotDependOnThreadsOrBatch() throws {
        try skipWithoutBF16()
        let model = try oddModel(seed: 24)
        let rows = randomTokenRows(count: 45, vocabulary: model.config.vocabularySize, maxLength: 60, seed: 25)
        let reference = try Encoder(model: model, threads: 1, batchSize: 8, precision: .bf16).score(tokenRows: rows)
        for (threads, batch) in [(2, 8), (2, 5), (1, 1), (2, 45)] {
            XCTAssertEqual(try Encoder(model: model, threads: threads, batchSize: batch, precision: .bf16).score(tokenRows: rows),
                           reference, "threads \(threads), batch \(batch)")
        }
    }

    /// The same in fp32: a window's logits do not depend on the other windows of its batch (a sharded scan
    /// batches the windows at a shard's edge differently from a single scan).
    func testFP32LogitsDoNotDependOnTheBatch() throws {
        let model = try oddModel(seed: 26)
        let rows = randomTokenRows(count: 45, vocabulary: model.config.vocabularySize, maxLength: 60, seed: 27)
        let reference = try Encoder(model: model, threads: 1, batchSize: 8).score(tokenRows: rows)
        for batch in [1, 3, 5, 16, 45] {
            XCTAssertEqual(try Encoder(model: model, threads: 2, batchSize: batch).score(tokenRows: rows), reference, "batch \(batch)")
        }
    }
}
