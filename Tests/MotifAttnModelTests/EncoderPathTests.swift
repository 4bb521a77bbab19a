import XCTest
import Foundation
import MotifAttnModel
import MotifAttnTokenizers
import MotifAttnCore

/// The encoder's shortcuts against its own full forward pass.
final class EncoderPathTests: XCTestCase {
    func testScoresFromTheClsRowsOfTheLastLayerEqualTheFullForward() throws {
        let config = ModelConfig(tokenizer: TokenizerConfig(k: 3), dModel: 32, nHeads: 4, nLayers: 3, dFF: 48, maxLen: 64,
                                 layerNormEps: 1e-5, nOutputs: 2, convWidth: 5)
        let model = try AttentionModel(randomWeightsFor: config, seed: 3)
        let rows = randomTokenRows(count: 37, vocabulary: config.vocabularySize, maxLength: 60, seed: 4)
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
        let rows = randomTokenRows(count: 70, vocabulary: config.vocabularySize, maxLength: 60, seed: 6)
        let one = try Encoder(model: model, threads: 1, batchSize: 8).score(tokenRows: rows)
        let two = try Encoder(model: model, threads: 2, batchSize: 8).score(tokenRows: rows)
        XCTAssertEqual(one, two)
    }

    /// A random model's encoder on two threads, 21 token rows, two of every three marked for their maps, and the
    /// output with those maps copied out (`EncoderOutput.attention`).
    private func keptMapsCase(batchSize: Int) throws -> (Encoder, [[Int32]], [Bool], EncoderOutput) {
        let config = ModelConfig(tokenizer: TokenizerConfig(k: 3), dModel: 32, nHeads: 4, nLayers: 2, dFF: 64, maxLen: 64,
                                 layerNormEps: 1e-5, nOutputs: 1, convWidth: 5)
        let model = try AttentionModel(randomWeightsFor: config, seed: 7)
        let rows = randomTokenRows(count: 21, vocabulary: config.vocabularySize, maxLength: 60, seed: 8)
        let kept = rows.indices.map { $0 % 3 != 1 }
        let encoder = Encoder(model: model, threads: 2, batchSize: batchSize)
        return (encoder, rows, kept, try encoder.forward(tokenRows: rows, keepAttention: true, attentionRows: kept))
    }

    /// Maps handed over in place (`visitingAttention`) are the maps `EncoderOutput.attention` copies out, bit for bit,
    /// in window order and only for the windows asked for; the logits are the same.
    func testVisitedAttentionEqualsTheCopiedMaps() throws {
        let (encoder, rows, kept, copied) = try keptMapsCase(batchSize: 8)
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

    /// Maps copied out on the encoder's threads (`copyingAttention`) are the maps `EncoderOutput.attention` copies
    /// out, bit for bit, once for each window asked for; the logits are the same.
    func testConcurrentlyCopiedAttentionEqualsTheCopiedMaps() throws {
        let (encoder, rows, kept, copied) = try keptMapsCase(batchSize: 4)
        let lock = NSLock()
        var received: [Int: [Float]] = [:], calls = 0
        let output = try encoder.forward(tokenRows: rows, keepAttention: true, attentionRows: kept, copyingAttention: { r, maps in
            let copy = Array(maps.probabilities)
            lock.lock()
            received[r] = copy
            calls += 1
            lock.unlock()
        })
        XCTAssertEqual(calls, kept.filter { $0 }.count)
        XCTAssertEqual(received.keys.sorted(), rows.indices.filter { kept[$0] })
        for (r, maps) in received { XCTAssertEqual(maps, copied.attention![r].probabilities, "row \(r)") }
        XCTAssertNil(output.attention)
        XCTAssertEqual(output.logits, copied.logits)
    }

    /// Rows declared variants of another (`variantOf`) get the logits and maps of their own full forward pass:
    /// one changed token at the start, middle and end, a k-mer's worth of tokens, no change, a change too wide
    /// to share, another length, and a source in another batch (both computed in full).
    func testVariantRowsEqualTheirOwnForward() throws {
        let config = ModelConfig(tokenizer: TokenizerConfig(k: 3), dModel: 32, nHeads: 4, nLayers: 2, dFF: 64, maxLen: 64,
                                 layerNormEps: 1e-5, nOutputs: 1, convWidth: 11)
        let model = try AttentionModel(randomWeightsFor: config, seed: 9)
        var generator = SeededGenerator(seed: 10)
        func token() -> Int32 { Int32(5 + generator.uniform(below: config.vocabularySize - 5)) }
        let base: [Int32] = [2] + (0..<58).map { _ in token() } + [3]
        var rows: [[Int32]] = [base]
        var variantOf: [Int?] = [nil]
        func add(_ edit: (inout [Int32]) -> Void, of source: Int = 0) {
            var row = rows[source]
            edit(&row)
            rows.append(row)
            variantOf.append(source)
        }
        add { $0[1] = token() }
        add { $0[30] = token() }
        add { $0[58] = token() }
        add { $0[20] = token(); $0[21] = token(); $0[22] = token() }
        add { _ in }
        add { for i in 5..<50 { $0[i] = token() } }
        add { $0.removeLast(2); $0[$0.count - 1] = 3 }
        add({ $0[40] = token() }, of: 2)
        while rows.count < 9 { rows.append(rows[0]); variantOf.append(nil) }
        add { $0[10] = token() }  // row 9: its source, row 0, is in the first batch of 8
        let encoder = Encoder(model: model, threads: 2, batchSize: 8)
        let alone = try encoder.forward(tokenRows: rows, keepAttention: true)
        let shared = try encoder.forward(tokenRows: rows, keepAttention: true, variantOf: variantOf)
        for (a, b) in zip(alone.logits, shared.logits) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        for r in rows.indices {
            let a = alone.attention![r].probabilities, b = shared.attention![r].probabilities
            XCTAssertEqual(a.count, b.count)
            XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()!, 1e-5, "row \(r)")
        }
    }
}

/// `count` rows of random token ids ([CLS], 3 to maxLength − 2 k-mer tokens, [SEP]) for a vocabulary of `vocabulary` ids.
func randomTokenRows(count: Int, vocabulary: Int, maxLength: Int, seed: UInt64) -> [[Int32]] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        let n = 3 + generator.uniform(below: maxLength - 4)
        return [2] + (0..<n).map { _ in Int32(5 + generator.uniform(below: vocabulary - 5)) } + [3]
    }
}
