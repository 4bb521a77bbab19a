import XCTest
@testable import MotifAttnAnalysis

/// Attention focus (a head attends a word more than its occurrences predict) and the refinement of
/// head motifs from their sites, against hand-computed statistics and planted sites.
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
        discovery.settings.seedsFromFocus = false
        XCTAssertTrue(discovery.motifs().isEmpty)
    }

    func testHeadAttendingABystanderInEveryWindowYieldsAFocusMotifThatIsNotEnriched() throws {
        // C (HOXC11) is planted in every window, bound and background alike, and head 0 looks at it
        // everywhere: it is the head's focus, but no word of it can be enriched in bound windows.
        var synthetic = SyntheticAttention()
        synthetic.bystanderHead = 0
        let discovery = synthetic.discovery(seed: 23)
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
        discovery.settings.seedsFromFocus = false
        XCTAssertFalse(discovery.motifs(comparator: comparator).contains(where: isSource))
        discovery.settings.seedsFromFocus = true
        // Head 1's attention is random, unrelated to the bases: it focuses on no word.
        for motif in found where motif.head == HeadIndex(layer: 0, head: 1) {
            XCTAssertGreaterThan(motif.focusQValue, 0.05, "\(motif.motif.consensus)")
        }
        XCTAssertFalse(found.contains { $0.head == HeadIndex(layer: 0, head: 2) })
    }

    func testRefinementLearnsTheDegenerateColumnsOfSampledSites() throws {
        // GATA5 (MA0766.3, WGATAASR) has three degenerate columns: planted sites drawn from its matrix
        // mix two bases there. A consensus search keeps the sites that resemble one consensus; the PWM
        // rescans learn the mix from the sites themselves.
        var synthetic = SyntheticAttention()
        synthetic.focusHead = 0
        synthetic.focusMotifID = synthetic.motifB.id
        synthetic.sampledSites = true
        let gata5 = synthetic.motifB
        var generator = TestData.Generator(seed: 29)
        let refined = HeadMotifDiscovery(), consensusOnly = HeadMotifDiscovery(settings: .with { $0.refinementRounds = 0 })
        for number in 0..<600 {
            let window = synthetic.window(number, bound: number % 2 == 0, using: &generator).0
            refined.add(window)
            consensusOnly.add(window)
        }
        let toGATA5 = MotifComparator(targets: [gata5])
        /// Mean absolute difference between the motif's and GATA5's probabilities over GATA5's columns,
        /// aligned as the comparison aligns them (columns the motif does not cover count as uniform).
        func distance(_ found: [HeadMotif]) throws -> Double {
            let motif = try XCTUnwrap(found.first { $0.head == HeadIndex(layer: 0, head: 0) }).motif
            let match = try XCTUnwrap(toGATA5.compare(motif).first)
            let target = match.orientation == .minus ? gata5.reverseComplement : gata5
            var total = 0.0
            for j in 0..<target.width {
                let i = j - match.offset
                let column = i >= 0 && i < motif.width ? motif.probabilities[i] : [0.25, 0.25, 0.25, 0.25]
                total += zip(column, target.probabilities[j]).reduce(0) { $0 + abs($1.0 - $1.1) }
            }
            return total / Double(target.width)
        }
        let comparator = MotifComparator(targets: TestData.jaspar.motifs)
        let found = refined.motifs(comparator: comparator)
        let first = try XCTUnwrap(found.first { $0.head == HeadIndex(layer: 0, head: 0) })
        let match = try XCTUnwrap(first.bestMatch)
        XCTAssertTrue(match.targetID == gata5.id || TestData.annotations.sameFamily(match.targetID, gata5.id),
                      "best match \(match.targetID) \(match.targetName), consensus \(first.motif.consensus)")
        XCTAssertLessThanOrEqual(match.qValue, 0.05)
        let refinedDistance = try distance(found), consensusDistance = try distance(consensusOnly.motifs(comparator: comparator))
        XCTAssertLessThan(refinedDistance, 0.25, "refined \(first.motif.consensus)")
        XCTAssertLessThan(refinedDistance, consensusDistance)
    }
}
