import XCTest
import MotifAttnIO
import MotifAttnCore
@testable import MotifAttnAnalysis

extension HeadMotifDiscovery.KeptRegion {
    /// `count` regions, each 14 random bases, a site drawn from `motif`, 14 random bases, each from its own source.
    static func sampled(_ count: Int, sitesOf motif: Motif, seed: UInt64) -> [Self] {
        var generator = TestData.Generator(seed: seed)
        return (0..<count).map { number in
            var bases = TestData.randomBases(14, using: &generator) + TestData.sampledSite(motif, using: &generator)
            bases += TestData.randomBases(14, using: &generator)
            let codes = bases.map { UInt8(Array("ACGT".utf8).firstIndex(of: $0)!) }
            return Self(hash: UInt64(number), codes: codes, source: UInt64(number + 1), origin: 0, reversed: false)
        }
    }
}

/// The refinement's PWM rescans start from short word matrices too.
final class HeadMotifRescanTests: XCTestCase {
    func testAShortWordMatrixGrowsIntoTheWholeSiteItSitsIn() throws {
        let hoxc11 = try XCTUnwrap(TestData.jaspar.motifs.first { $0.id == "MA0651.3" })  // AGGTCGTAAAA
        // The short-matrix rule on (`short-matrix-recall=0.5`; off by default).
        let discovery = HeadMotifDiscovery(settings: .with { $0.shortMatrixRecall = 0.5 })
        let head = HeadIndex(layer: 0, head: 0)
        discovery.regions[head] = HeadMotifDiscovery.KeptRegion.sampled(80, sitesOf: hoxc11, seed: 5)
        // The word matrix of the core GTCGTA (6 columns): its best site has p = 4^-6 ≈ 2.4e-4 on even
        // composition, so no site can reach p ≤ 1e-4.
        let word = Motif(id: "L0H0_1", probabilities: "GTCGTA".map { base in "ACGT".map { $0 == base ? 0.97 : 0.01 } }, sites: 100)
        let matrix = ScoringMatrix(motif: word, background: [0.25, 0.25, 0.25, 0.25])
        let best = matrix.integerScores.map { $0.max()! }.reduce(0, +)
        XCTAssertGreaterThan(matrix.pValue(integerScore: best), 1e-4)
        XCTAssertGreaterThan(matrix.threshold(pValue: 1e-4), best)

        let refined = discovery.rescanned(word, head: head)
        XCTAssertGreaterThanOrEqual(refined.width, 9, refined.consensus)
        let consensus = refined.consensus, reverse = refined.reverseComplement.consensus
        XCTAssertTrue(consensus.contains("GTCGTAAA") || reverse.contains("GTCGTAAA"), "\(consensus) / \(reverse)")

        // With the rule off (the default) the rescan finds no site and the word stays.
        let fixed = HeadMotifDiscovery()
        fixed.regions[head] = discovery.regions[head]
        XCTAssertEqual(fixed.rescanned(word, head: head).width, 6)
    }

    /// A head attends few CRE sites (FOSL1::JUN) and many MARE sites (Bach1::Mafk). The CRE word `ATGACG` must grow into
    /// the CRE motif: with one mismatch allowed, its consensus round would also align the MARE sites' `ATGACT`, seven times
    /// more numerous, and the motif would become the MARE.
    func testAOneWordConsensusAlignsOnlyItsOwnSites() throws {
        let fosl1Jun = try XCTUnwrap(TestData.jaspar.motifs.first { $0.id == "MA1129.1" })  // ATGACGTCAT
        let bach1Mafk = try XCTUnwrap(TestData.jaspar.motifs.first { $0.id == "MA0591.2" })  // TGCTGAGTCAT (ATGACTCAGCA)
        let head = HeadIndex(layer: 0, head: 1)
        let discovery = HeadMotifDiscovery()
        let mare = HeadMotifDiscovery.KeptRegion.sampled(280, sitesOf: bach1Mafk, seed: 21)
        let cre = HeadMotifDiscovery.KeptRegion.sampled(40, sitesOf: fosl1Jun, seed: 22).map { region in
            var region = region
            region.hash += 1000; region.source += 1000
            return region
        }
        discovery.regions[head] = mare + cre
        let refined = try XCTUnwrap(discovery.refine([0, 3, 2, 0, 1, 2], head: head, id: "L0H1_1"))  // ATGACG
        let consensus = refined.consensus, reverse = refined.reverseComplement.consensus
        XCTAssertTrue(consensus.contains("TGACG") || reverse.contains("TGACG"), "\(consensus) / \(reverse)")
        XCTAssertFalse(consensus.contains("TCAGC") || reverse.contains("TCAGC"), "\(consensus) / \(reverse)")
    }
}

/// The rescans keep only sites with p ≤ 1e-4 under a sharp matrix, so the matrix grows sharper than its
/// sites; expectation maximisation over every position re-estimates it from them (truth: the sampled PWM).
final class HeadMotifExpectationTests: XCTestCase {
    /// Mean absolute difference of `estimate` from `truth` where `truth` fits best (either strand, any offset).
    private func distance(_ estimate: Motif, _ truth: Motif) -> Double {
        var best = Double.infinity
        for oriented in [estimate, estimate.reverseComplement] where oriented.width >= truth.width {
            for offset in 0...(oriented.width - truth.width) {
                var total = 0.0
                for j in 0..<truth.width { for b in 0..<4 { total += abs(oriented.probabilities[offset + j][b] - truth.probabilities[j][b]) } }
                best = min(best, total / Double(truth.width * 4))
            }
        }
        return best
    }

    func testExpectationMaximisationKeepsTheDegeneratePositionsOfTheSites() throws {
        let fosl1Jun = try XCTUnwrap(TestData.jaspar.motifs.first { $0.id == "MA1129.1" })  // ATGACGTCAT, degenerate ends
        let head = HeadIndex(layer: 0, head: 0)
        let kept = HeadMotifDiscovery.KeptRegion.sampled(300, sitesOf: fosl1Jun, seed: 11)
        let consensus = Motif(id: "L0H0_1", probabilities: "ATGACGTCAT".map { base in "ACGT".map { $0 == base ? 0.97 : 0.01 } }, sites: 100)
        let rescansOnly = HeadMotifDiscovery(settings: .with { $0.expectationRounds = 0 })
        rescansOnly.regions[head] = kept
        let withExpectation = HeadMotifDiscovery()
        withExpectation.regions[head] = kept
        let sharp = rescansOnly.rescanned(consensus, head: head)
        let estimated = withExpectation.rescanned(consensus, head: head)
        let sharpDistance = distance(sharp, fosl1Jun), estimatedDistance = distance(estimated, fosl1Jun)
        XCTAssertLessThan(estimatedDistance, 0.8 * sharpDistance, "\(estimated.consensus) \(estimatedDistance) vs \(sharp.consensus) \(sharpDistance)")
        XCTAssertLessThan(estimatedDistance, 0.04, estimated.consensus)
        XCTAssertTrue(estimated.isSameMotif(as: sharp))
    }

    func testAnEstimateThatMovedToAnotherMotifIsNotTheSameMotif() throws {
        func motif(_ text: String) -> Motif {
            Motif(id: "m", probabilities: text.map { base in "ACGT".map { $0 == base ? 0.85 : 0.05 } }, sites: 50)
        }
        let cre = motif("ATGACGTCAT")
        XCTAssertTrue(cre.isSameMotif(as: cre))
        // One degenerate position more: the same motif.
        var softer = cre
        softer.probabilities[9] = [0.05, 0.26, 0.05, 0.64]
        XCTAssertTrue(softer.isSameMotif(as: cre))
        // Pulled over to a MARE (Bach1::Mafk) of the same width: another motif.
        XCTAssertFalse(motif("GCTGAGTCAT").isSameMotif(as: cre))
        XCTAssertFalse(motif("ATGACGTCAT").isSameMotif(as: motif("ATGACGTCATT")))
    }
}

/// The chain of words a seed grows into, and its middle around the seed (the consensus round's fallback).
final class WordGroupTests: XCTestCase {
    private func codes(_ text: String) -> [Int] { text.map { Array("ACGT").firstIndex(of: $0)! } }
    private func text(_ codes: [Int]) -> String { String(codes.map { Array("ACGT")[$0] }) }

    /// A chain grows through a site's own bases, not through the random flank after it (truth: the planted site).
    func testAChainGrowsOnlyByBasesThatFollowItsEdgeInTheRegions() throws {
        let site = Motif(id: "cre", probabilities: "ATGACGTCAT".map { base in "ACGT".map { $0 == base ? 1.0 : 0 } }, sites: 100)
        let support = ExtensionSupport(regions: HeadMotifDiscovery.KeptRegion.sampled(200, sitesOf: site, seed: 3), k: 6, minimumShare: 0.4, minimumEdge: 10)
        var group = WordGroup(seed: codes("ATGACG"), weight: 100)
        for word in ["TGACGT", "GACGTC", "ACGTCA", "CGTCAT"] {
            XCTAssertTrue(group.absorb(codes(word), weight: 100, maxWidth: 25, extends: support.extends), word)
        }
        XCTAssertEqual(text(group.consensus), "ATGACGTCAT")
        // Past the site every base follows GTCAT in about a quarter of the regions: no extension, on either side.
        for word in ["GTCATA", "GTCATC", "GTCATG", "GTCATT", "AATGAC", "CATGAC", "GATGAC", "TATGAC"] {
            XCTAssertFalse(group.absorb(codes(word), weight: 100, maxWidth: 25, extends: support.extends), word)
        }
        // Without the check, the flank word joins; a word inside the site joins either way (no new base).
        var unchecked = group
        XCTAssertTrue(unchecked.absorb(codes("GTCATA"), weight: 100, maxWidth: 25))
        XCTAssertTrue(group.absorb(codes("TGACGA"), weight: 5, maxWidth: 25, extends: support.extends))
        XCTAssertEqual(text(group.consensus), "ATGACGTCAT")
        // An edge seen in fewer than 10 regions cannot be judged and is let through.
        XCTAssertTrue(support.extends(codes("CCCCCCA")))
    }
}
