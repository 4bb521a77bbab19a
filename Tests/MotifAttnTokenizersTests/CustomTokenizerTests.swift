import XCTest
import MotifAttnModel
import MotifAttnTokenizers

/// A user's own tokenizer, written against the public protocol only: codons (non-overlapping 3-mers from
/// base 0), with a trailing partial codon kept as one [UNK] token so that every base is covered exactly once.
/// Ids follow the v1 layout of 3-mers, so any k=3 model reads them.
struct CodonTokenizer: Tokenizer {
    var vocabularySize: Int { 5 + 64 }
    var specialTokens: SpecialTokens { .motifattnV1 }

    func encode(_ bases: UnsafeBufferPointer<UInt8>, ids: inout [Int32], spans: inout [TokenSpan]) {
        ids.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        ids.append(specialTokens.cls); spans.append(.empty)
        var start = 0
        while start < bases.count {
            let end = min(start + 3, bases.count)
            var code: Int32 = 0, known = end - start == 3
            for i in start..<end {
                switch bases[i] | 0x20 {  // lower case
                case UInt8(ascii: "a"): code = code * 4
                case UInt8(ascii: "c"): code = code * 4 + 1
                case UInt8(ascii: "g"): code = code * 4 + 2
                case UInt8(ascii: "t"): code = code * 4 + 3
                default: known = false
                }
            }
            ids.append(known ? 5 + code : specialTokens.unknown)
            spans.append(TokenSpan(start: start, end: end))
            start = end
        }
        ids.append(specialTokens.sep); spans.append(.empty)
    }
}

final class CustomTokenizerTests: XCTestCase {
    func testCodonTokensTileTheWindowAndMatchTheBuiltInThreeMersTakenEveryThreeBases() throws {
        let codons = CodonTokenizer()
        let builtIn = try KmerTokenizer(k: 3, stride: 3)
        for window in ["ACGTTGCAN", "acgTTGcaT", "ACGTTGCATGA"] {
            let t = codons.encode(window)
            XCTAssertEqual(t.spans.first, .empty)
            XCTAssertEqual(t.spans.last, .empty)
            var next: Int32 = 0
            for span in t.spans.dropFirst().dropLast() { XCTAssertEqual(span.start, next); next = span.end }
            XCTAssertEqual(Int(next), window.utf8.count, "the codons cover every base once")
            // Whole codons are the built-in tokenizer's 3-mers at stride 3; a partial codon is one more [UNK].
            let reference = builtIn.encode(window).ids
            let whole = window.utf8.count / 3
            XCTAssertEqual(Array(t.ids.prefix(whole + 1)), Array(reference.prefix(whole + 1)), window)
            if window.utf8.count % 3 != 0 { XCTAssertEqual(t.ids[whole + 1], 1) }
        }
        XCTAssertEqual(codons.encode("ACG").ids, [2, 5 + 6, 3])   // A=0 C=1 G=2: 0·16 + 1·4 + 2
    }

    func testCodonTokensRunThroughTheEncoderAndAttentionMapsBackOntoBases() throws {
        let config = ModelConfig(tokenizer: TokenizerConfig(k: 3), dModel: 16, nHeads: 2, nLayers: 2, dFF: 32, maxLen: 64,
                                 nOutputs: 1, convWidth: 3)
        let model = try AttentionModel(randomWeightsFor: config, seed: 9)
        let codons = CodonTokenizer()
        XCTAssertEqual(codons.vocabularySize, config.vocabularySize)
        let windows = ["ACGTTGCATGACCA", "TTTACGNNAGGCATCAGGATTTCa", "GGC"].map { Array($0.utf8) }
        let rows = Encoder.tokenRows(windows, tokenizer: codons)
        let out = try Encoder(model: model, threads: 2, batchSize: 2).forward(tokenRows: rows, keepAttention: true)
        XCTAssertEqual(out.logits.count, windows.count)
        XCTAssertTrue(out.logits.allSatisfy(\.isFinite))
        for (w, bases) in windows.enumerated() {
            let tokens = codons.encode(bases)
            let maps = out.attention![w]
            XCTAssertEqual(maps.tokens, tokens.ids.count)
            for layer in 0..<config.nLayers {
                for head in 0..<config.nHeads {
                    let map = Array(maps.map(layer: layer, head: head))
                    let n = maps.tokens
                    // What [CLS] attends to, token by token, then on bases: each base takes its codon's weight.
                    let clsRow = Array(map[0..<n])
                    XCTAssertEqual(clsRow.reduce(0, +), 1, accuracy: 1e-5)
                    let onBases = BaseMapping.profileOnBases(clsRow, spans: tokens.spans, baseCount: bases.count)
                    var onSequenceTokens: Float = 0
                    for (value, span) in zip(clsRow, tokens.spans) {
                        onSequenceTokens += value * Float(span.end - span.start)
                        for b in Int(span.start)..<Int(span.end) { XCTAssertEqual(onBases[b], value) }
                    }
                    XCTAssertEqual(onBases.reduce(0, +), onSequenceTokens, accuracy: 1e-5)
                    // The whole map on bases: row i sums the row of i's codon weighted by the codons' lengths.
                    let baseMap = map.withUnsafeBufferPointer {
                        BaseMapping.mapOnBases($0, spans: tokens.spans, baseCount: bases.count)
                    }
                    let codonOf = (0..<bases.count).map { b in tokens.spans.firstIndex { !$0.isEmpty && Int($0.start) <= b && b < Int($0.end) }! }
                    for i in 0..<bases.count {
                        var expected: Float = 0
                        for (t, span) in tokens.spans.enumerated() { expected += map[codonOf[i] * n + t] * Float(span.end - span.start) }
                        let row = baseMap[(i * bases.count)..<((i + 1) * bases.count)]
                        XCTAssertEqual(row.reduce(0, +), expected, accuracy: 1e-5)
                    }
                }
            }
        }
    }
}
