import XCTest
@testable import MotifAttnAnalysis

/// Attention focus (a head attends a word more than its occurrences predict), against hand-computed
/// statistics and planted sites.
final class HeadMotifFocusTests: XCTestCase {
    func testFocusPValueIsTheBinomialTailAtTheHeadsOverallRate() throws {
        let discovery = HeadMotifDiscovery()
        let head = HeadIndex(layer: 0, head: 0)
        discovery.boundWindows = 30
        discovery.backgroundWindows = 30
        // Word 1 lies in a region of the head in 7 of the 10 windows holding it; words 2 and 3 rarely; word 4 never.
        discovery.counts[head] = [1: (4, 3), 2: (1, 1), 3: (0, 1)]
        discovery.presence = [1: 10, 2: 20, 3: 10, 4: 20]
        let tests = Dictionary(uniqueKeysWithValues: discovery.focusTests().map { ($0.word, $0) })
        XCTAssertEqual(tests.count, 4)
        // Rate: (7 + 2 + 1) in-region windows / (10 + 20 + 10 + 20) windows holding a word = 1/6.
        for test in tests.values { XCTAssertEqual(test.expected, 1.0 / 6, accuracy: 1e-15) }
        // scipy.stats.binom.sf(6, 10, 1/6), binom.sf(1, 20, 1/6), binom.sf(0, 10, 1/6) (scipy 1.17.1).
        XCTAssertEqual(try XCTUnwrap(tests[1]).focusP, 0.00026752146522379704, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(tests[2]).focusP, 0.8695797334770557, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(tests[3]).focusP, 0.8384944171101543, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(tests[4]).focusP, 1, accuracy: 1e-15)

        // Word 1 (AAAAAC) is focused (BH q = 4 · p) but not enriched in bound windows (4 of 7):
        // it becomes a motif only with focus, reported with its enrichment statistics as they are.
        let found = discovery.motifs()
        XCTAssertEqual(found.map(\.motif.consensus), ["AAAAAC"])
        let motif = try XCTUnwrap(found.first)
        XCTAssertEqual(motif.focusFraction, 0.7, accuracy: 1e-15)
        XCTAssertEqual(motif.expectedFraction, 1.0 / 6, accuracy: 1e-15)
        XCTAssertEqual(motif.focusQValue, 4 * 0.00026752146522379704, accuracy: 1e-15)
        // scipy.stats.hypergeom.sf(3, 60, 30, 7)
        XCTAssertEqual(motif.pValue, 0.5, accuracy: 1e-12)
        XCTAssertTrue(discovery.motifs(useFocus: false).isEmpty)
    }

    func testHeadAttendingABystanderInEveryWindowYieldsAFocusMotifThatIsNotEnriched() throws {
        // C (HOXC11) is planted in every window, bound and background alike, and head 0 looks at it
        // everywhere: it is the head's focus, but no word of it can be enriched in bound windows.
        var synthetic = SyntheticAttention()
        synthetic.bystanderHead = 0
        var generator = TestData.Generator(seed: 23)
        let discovery = HeadMotifDiscovery()
        for number in 0..<200 {
            discovery.add(synthetic.window(number, bound: number % 2 == 0, using: &generator).0)
        }
        let comparator = MotifComparator(targets: TestData.jaspar.motifs)
        let source = synthetic.motifC.id
        func isSource(_ m: HeadMotif) -> Bool {
            guard let match = m.bestMatch, match.qValue <= 0.05 else { return false }
            return match.targetID == source || TestData.annotations.sameFamily(match.targetID, source)
        }
        let found = discovery.motifs(comparator: comparator)
        let focused = try XCTUnwrap(found.first { $0.head == HeadIndex(layer: 0, head: 0) && isSource($0) },
                                    "head 0 motifs: \(found.filter { $0.head.head == 0 }.map(\.motif.consensus))")
        XCTAssertGreaterThan(focused.qValue, 0.05, "a bystander in every window is not enriched in bound windows")
        XCTAssertLessThanOrEqual(focused.focusQValue, 1e-10)
        XCTAssertGreaterThan(focused.focusFraction, 5 * focused.expectedFraction)
        // Without focus the head's motifs come from enrichment only, and the bystander is not among them.
        XCTAssertFalse(discovery.motifs(comparator: comparator, useFocus: false).contains(where: isSource))
        // Head 1's attention is random, unrelated to the bases: it focuses on no word.
        for motif in found where motif.head == HeadIndex(layer: 0, head: 1) {
            XCTAssertGreaterThan(motif.focusQValue, 0.05, "\(motif.motif.consensus)")
        }
        XCTAssertFalse(found.contains { $0.head == HeadIndex(layer: 0, head: 2) })
    }
}
