import XCTest
@testable import MotifAttnAnalysis

/// Inputs the fuzzers in Fuzz/ found crashing the motif file reader; each must now be a typed error.
final class MotifFileFuzzRegressionTests: XCTestCase {
    func testVersionLineWithoutANumberIsAnErrorNotACrash() {
        // Fuzz/corpus/meme/finding-version-dot: "." splits into no parts, which was indexed.
        for text in ["MEME version .", "MEME version ..", "MEME version .5"] {
            XCTAssertThrowsError(try MEMEFormat.parse(text + "\n", path: "v.meme"), text) { error in
                XCTAssertEqual("\(error)", "v.meme, line 1: cannot read the MEME version number")
            }
        }
        XCTAssertEqual(try MEMEFormat.parse("MEME version 5.5.4\n").version, 5)
    }
}

extension MotifFileFuzzRegressionTests {
    func testSiteCountBeyondAnIntegerIsAnErrorNotACrash() {
        // Fuzz/corpus/meme/finding-nsites-huge: Int(1e300) trapped.
        for n in ["1e300", "inf", "nan", "-inf"] {
            let text = "MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4 w= 1 nsites= \(n)\n1 0 0 0\n"
            XCTAssertThrowsError(try MEMEFormat.parse(text, path: "n.meme"), n) { error in
                XCTAssertEqual("\(error)", "n.meme, line 3: nsites= \(n) is not a number of sites")
            }
        }
        let text = "MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4 w= 1 nsites= 12.4\n1 0 0 0\n"
        XCTAssertEqual(try MEMEFormat.parse(text).motifs.first?.sites, 12)
    }
}

/// Partial states (`scan --partial`) the partial-state fuzzer found crashing `merge`; each must now be an error.
final class PartialStateFuzzRegressionTests: XCTestCase {
    private func assertCorrupt(_ body: @autoclosure () throws -> Void, _ message: String = "", line: UInt = #line) {
        XCTAssertThrowsError(try body(), message, line: line) { error in
            XCTAssertEqual("\(error)", "p.state: partial state is truncated or corrupt", line: line)
        }
    }

    /// A motif-discovery state: window counts, then one head's word counts, then the windows holding each
    /// word (by default each word's own count).
    private func discoveryState(bound: Int, background: Int, words: [(UInt32, Int, Int)], presence: [(UInt32, Int)]? = nil) -> [UInt8] {
        var writer = StateWriter()
        writer.int(bound); writer.int(background)
        writer.int(1); writer.int(0); writer.int(0)  // one head: layer 0, head 0
        writer.int(words.count)
        for (word, b, g) in words { writer.uint32(word); writer.int(b); writer.int(g) }
        let present = presence ?? Dictionary(words.map { ($0.0, $0.1 + $0.2) }, uniquingKeysWith: max).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        writer.int(present.count)
        for (word, windows) in present { writer.uint32(word); writer.int(windows) }
        writer.int(0)  // no site samples
        return writer.bytes
    }

    func testWordCountsBeyondTheWindowsAreAnErrorNotAnOverflowOrAHang() {
        // Fuzz/corpus/partial-state/finding-word-count-overflow: a word listed twice with huge counts overflowed
        // the sum; counts larger than the windows made the hypergeometric tests trap or loop for ever.
        var reader = StateReader(bytes: discoveryState(bound: 5, background: 5, words: [(7, 5, 5), (7, 5, 5)]), path: "p.state")
        assertCorrupt(try HeadMotifDiscovery().merge(from: &reader), "a word counted in more windows than there are")
        reader = StateReader(bytes: discoveryState(bound: 5, background: 5, words: [(7, 6, 0)]), path: "p.state")
        assertCorrupt(try HeadMotifDiscovery().merge(from: &reader), "a word in 6 of 5 bound windows")
        reader = StateReader(bytes: discoveryState(bound: Int.max, background: Int.max, words: []), path: "p.state")
        assertCorrupt(try HeadMotifDiscovery().merge(from: &reader), "windows beyond Int")
        reader = StateReader(bytes: discoveryState(bound: 5, background: 5, words: [], presence: [(7, 11)]), path: "p.state")
        assertCorrupt(try HeadMotifDiscovery().merge(from: &reader), "a word present in 11 of 10 windows")
        reader = StateReader(bytes: discoveryState(bound: 5, background: 5, words: [], presence: [(7, 6), (7, 6)]), path: "p.state")
        assertCorrupt(try HeadMotifDiscovery().merge(from: &reader), "a word's presence listed twice")

        let good = HeadMotifDiscovery()
        for _ in 0..<2 {
            var part = StateReader(bytes: discoveryState(bound: 5, background: 5, words: [(7, 5, 1)]), path: "p.state")
            XCTAssertNoThrow(try good.merge(from: &part))
            XCTAssertTrue(part.atEnd)
        }
        XCTAssertEqual(good.boundWindows, 10)
        XCTAssertEqual(good.counts[HeadIndex(layer: 0, head: 0)]?[7]?.bound, 10)
        XCTAssertEqual(good.presence[7], 12)
    }

    func testHeadDiagnosticsOfMoreThan65535HeadsAreAnError() {
        // Fuzz/corpus/partial-state/finding-diagnostics-heads: diagnostics() visited layers × heads (up to 2^32).
        // The state lists each layer's heads: 300 layers of heads 0..<300 pass 2^16 heads at layer 218.
        var writer = StateWriter()
        writer.int(1); writer.int(300)  // windows, layers
        for _ in 0..<300 { writer.int(300); for head in 0..<300 { writer.int(head) } }
        writer.int(0); writer.int(0)
        var reader = StateReader(bytes: writer.bytes, path: "p.state")
        assertCorrupt(try HeadDiagnosticsAccumulator().merge(from: &reader))
    }

    func testCoAttentionCountsThatOverflowAreAnError() {
        var settings = CoAttentionSettings()
        settings.scoreBins = 2
        settings.maxDistance = 9
        let accumulator = CoAttentionAccumulator(motifs: [], layers: 1, heads: 1, settings: settings)
        var writer = StateWriter()
        writer.int(0); writer.int(accumulator.null.count)
        for _ in accumulator.null.indices { writer.uint32(.max) }
        for _ in accumulator.nullSum.indices { writer.double(0) }
        for _ in accumulator.boundPairsPerSlot.indices { writer.int(0); writer.int(0) }
        writer.int(0)
        var first = StateReader(bytes: writer.bytes, path: "p.state")
        XCTAssertNoThrow(try accumulator.merge(from: &first))
        var second = StateReader(bytes: writer.bytes, path: "p.state")
        assertCorrupt(try accumulator.merge(from: &second), "histogram counts beyond UInt32")
    }
}

extension PartialStateFuzzRegressionTests {
    /// A co-attention state of two motifs with empty histograms and one pair (`key`), holding at most one
    /// bound histogram cell (count 1) and one distance (count 1).
    func onePairState(of accumulator: CoAttentionAccumulator, key: Int, boundCell: UInt32?, distance: UInt32?) -> StateReader {
        var writer = StateWriter()
        writer.int(2); writer.int(accumulator.null.count)
        for _ in accumulator.null.indices { writer.uint32(0) }
        for _ in accumulator.nullSum.indices { writer.double(0) }
        for _ in accumulator.boundPairsPerSlot.indices { writer.int(0); writer.int(0) }
        writer.int(1); writer.int(key)             // one pair
        if let boundCell { writer.int(1); writer.uint32(boundCell); writer.uint32(1) } else { writer.int(0) }
        for _ in accumulator.boundPairsPerSlot.indices { writer.double(0); writer.uint32(0); writer.double(0); writer.uint32(0) }
        if let distance { writer.int(1); writer.uint32(distance); writer.uint32(1) } else { writer.int(0) }
        for _ in 0..<4 { writer.int(0) }
        return StateReader(bytes: writer.bytes, path: "p.state")
    }

    func testCoAttentionHistogramCellOutsideTheHistogramsIsAnError() {
        // Fuzz/corpus/partial-state/finding-cell-out-of-range: interactions() indexed [slot][bin] with the
        // cell read from the state, and motifs with a pair key of motifs² (the limit was inclusive).
        var settings = CoAttentionSettings()
        settings.scoreBins = 2
        settings.maxDistance = 9
        let motif = Motif(id: "m", probabilities: [[1, 0, 0, 0]])
        for (key, cell) in [(1, UInt32(0)), (4, UInt32(0)), (1, UInt32(2)), (1, UInt32(7 << 16))] {
            let accumulator = CoAttentionAccumulator(motifs: [motif, motif], layers: 1, heads: 1, settings: settings)
            var reader = onePairState(of: accumulator, key: key, boundCell: cell, distance: nil)
            if key == 1 && cell == 0 {
                XCTAssertNoThrow(try accumulator.merge(from: &reader))
                _ = accumulator.interactions()
            } else {
                assertCorrupt(try accumulator.merge(from: &reader), "key \(key) cell \(cell)")
            }
        }
    }
}

extension PartialStateFuzzRegressionTests {
    func testCoAttentionDistanceBeyondTheLongestCountedIsAnError() {
        // Fuzz/corpus/partial-state/finding-distance-beyond-max: distances are clamped to maxDistance when
        // counted, and interactions() found null bins past the end for larger ones read from a state.
        var settings = CoAttentionSettings()
        settings.scoreBins = 2
        settings.maxDistance = 9
        let motif = Motif(id: "m", probabilities: [[1, 0, 0, 0]])
        for distance in [UInt32(9), UInt32(10)] {
            let accumulator = CoAttentionAccumulator(motifs: [motif, motif], layers: 1, heads: 1, settings: settings)
            var reader = onePairState(of: accumulator, key: 1, boundCell: nil, distance: distance)
            if distance == 9 { XCTAssertNoThrow(try accumulator.merge(from: &reader)) } else { assertCorrupt(try accumulator.merge(from: &reader)) }
        }
    }
}
