import XCTest
import MotifAttnIO
import MotifAttnCore
@testable import MotifAttnAnalysis

/// The per-motif instance threshold (`InstanceThreshold`) and the site-claims measurement (`SiteClaims`).
final class InstanceThresholdTests: XCTestCase {
    func testOwnSiteDistributionEqualsEnumeration() throws {
        let shortMotifs = TestData.jaspar.motifs.filter { $0.width <= 6 }.prefix(4)
        XCTAssertGreaterThanOrEqual(shortMotifs.count, 3)
        for motif in shortMotifs {
            for background in [[0.25, 0.25, 0.25, 0.25], [0.3, 0.2, 0.2, 0.3]] {
                let matrix = ScoringMatrix(motif: motif, background: background)
                let own = matrix.ownSurvival()
                let truth = TestData.enumeratedTail(matrix) { column, base in matrix.background[base] * pow(2, matrix.logOdds[column][base]) }
                for (score, tail) in truth { XCTAssertEqual(own[score], tail, accuracy: 1e-12, "\(motif.id) \(score)") }
                XCTAssertEqual(own[0], 1, accuracy: 1e-12)
                // The half-recall score: the largest score at least half of the motif's own sites reach.
                let expected = truth.filter { $0.value >= 0.5 }.keys.max()!
                XCTAssertEqual(matrix.scoreReached(byFraction: 0.5), expected, motif.id)
            }
        }
    }

    func testShortMotifsGetALooserThresholdUpToTheCeiling() throws {
        let background = [0.3, 0.2, 0.2, 0.3]
        let rule = InstanceThreshold(pValue: 1e-4, recall: 0.5, ceiling: 1e-3)
        var loosened = 0, capped = 0, kept = 0
        for motif in TestData.jaspar.motifs.prefix(200) {
            let matrix = ScoringMatrix(motif: motif, background: background)
            let own = matrix.pValue(integerScore: matrix.scoreReached(byFraction: 0.5))
            let threshold = rule.pValue(for: matrix)
            XCTAssertEqual(InstanceThreshold.fixed(1e-4).pValue(for: matrix), 1e-4)
            if own <= 1e-4 {
                XCTAssertEqual(threshold, 1e-4, motif.id); kept += 1
            } else if own >= 1e-3 {
                XCTAssertEqual(threshold, 1e-3, motif.id); capped += 1
            } else {
                XCTAssertEqual(threshold, own, motif.id); loosened += 1
                // At the loosened threshold, at least half of the motif's own sites pass.
                XCTAssertGreaterThanOrEqual(matrix.ownSurvival()[matrix.threshold(pValue: threshold)], 0.5, motif.id)
            }
        }
        XCTAssertGreaterThan(kept, 0)
        XCTAssertGreaterThan(loosened, 0)
        XCTAssertGreaterThan(capped, 0)
        // GATA5 (8 columns): a third of its own sites reach p ≤ 1e-4, so it is loosened.
        let gata5 = try XCTUnwrap(TestData.jaspar.motifs.first { $0.id == "MA0766.3" })
        let gataMatrix = ScoringMatrix(motif: gata5, background: background)
        XCTAssertLessThan(gataMatrix.ownSurvival()[gataMatrix.threshold(pValue: 1e-4)], 0.5)
        XCTAssertGreaterThan(rule.pValue(for: gataMatrix), 1e-4)
    }

    func testLoosenedScanAddsOnlyShortMotifInstancesUpToTheirThreshold() throws {
        let motifs = Array(TestData.jaspar.motifs.prefix(60))
        var generator = TestData.Generator(seed: 11)
        let bases = TestData.randomBases(5_000, using: &generator)
        let rule = InstanceThreshold(pValue: 1e-4, recall: 0.5, ceiling: 1e-3)
        let fixed = MotifScanner(motifs: motifs).scan(bases)
        let loosened = MotifScanner(motifs: motifs, threshold: rule).scan(bases)
        XCTAssertTrue(Set(fixed).isSubset(of: Set(loosened)))
        XCTAssertGreaterThan(loosened.count, fixed.count)
        let background = MotifScanner.background(of: bases)
        for instance in loosened where instance.pValue > 1e-4 {
            let matrix = ScoringMatrix(motif: motifs[instance.motifIndex], background: background)
            XCTAssertLessThanOrEqual(instance.pValue, rule.pValue(for: matrix) * (1 + 1e-12), instance.motifID)
            XCTAssertGreaterThan(rule.pValue(for: matrix), 1e-4, "\(instance.motifID) is long enough for 1e-4 but was loosened")
        }
    }

    /// Three motifs made for the test: `a`, its look-alike `b` (the last column's two leading bases swapped),
    /// and an unrelated `c`. Their cores are nearly fixed, so almost every drawn site passes p ≤ 1e-4.
    private func claimDatabase() -> [Motif] {
        func column(_ base: Character) -> [Double] {
            let index = Array("ACGT").firstIndex(of: base)!
            return (0..<4).map { $0 == index ? 0.97 : 0.01 }
        }
        let core = "GATAAGCTTGCA".map(column)
        let a = Motif(id: "A", probabilities: core + [[0.58, 0.4, 0.01, 0.01]])
        let b = Motif(id: "B", probabilities: core + [[0.4, 0.58, 0.01, 0.01]])
        let c = Motif(id: "C", probabilities: "CCGCGTACTGTACG".map(column))
        return [a, b, c]
    }

    func testSiteClaimsSplitLookAlikesAndSpareUnrelatedMotifs() {
        var settings = SiteClaims.Settings()
        settings.sitesPerMotif = 100
        let claims = SiteClaims.measure(claimDatabase(), threshold: .fixed(1e-4), settings: settings, threads: 1)
        // The unrelated motif keeps its sites; the look-alikes never claim them.
        XCTAssertGreaterThanOrEqual(claims[2][2, default: 0], 90)
        XCTAssertEqual(claims[2][0, default: 0] + claims[2][1, default: 0], 0)
        // A's sites are split between A and its look-alike B: B wins where the last column drew C (40 %).
        XCTAssertGreaterThanOrEqual(claims[0][0, default: 0], 40, "\(claims[0])")
        XCTAssertGreaterThanOrEqual(claims[0][1, default: 0], 15, "\(claims[0])")
        XCTAssertGreaterThanOrEqual(claims[0][0, default: 0] + claims[0][1, default: 0], 90, "\(claims[0])")
        XCTAssertEqual(claims[0][2, default: 0], 0)
        XCTAssertLessThanOrEqual(claims[0].values.reduce(0, +), 100)
    }

    func testEveryPassingCountsLookAlikesAtEachOthersSites() {
        var settings = SiteClaims.Settings()
        settings.sitesPerMotif = 100
        let motifs = claimDatabase()
        let kept = SiteClaims.measure(motifs, threshold: .fixed(1e-4), settings: settings, threads: 1)
        let passing = SiteClaims.measure(motifs, threshold: .fixed(1e-4), settings: settings, threads: 1, everyPassing: true)
        for a in 0..<3 {
            for (b, count) in kept[a] { XCTAssertGreaterThanOrEqual(passing[a][b, default: 0], count, "\(a) \(b)") }
            for count in passing[a].values { XCTAssertLessThanOrEqual(count, 100) }
        }
        // Where A passes, its look-alike B (same core) nearly always passes too; C never does.
        XCTAssertGreaterThanOrEqual(passing[0][1, default: 0], passing[0][0, default: 0] * 8 / 10, "\(passing[0])")
        XCTAssertGreaterThan(passing[0][1, default: 0], kept[0][1, default: 0])
        XCTAssertEqual(passing[0][2, default: 0], 0)
        XCTAssertEqual(passing[2][0, default: 0] + passing[2][1, default: 0], 0)
    }

    func testSiteClaimsDoNotDependOnThreads() {
        var settings = SiteClaims.Settings()
        settings.sitesPerMotif = 30
        let motifs = claimDatabase() + Array(TestData.jaspar.motifs.prefix(20))
        let one = SiteClaims.measure(motifs, threshold: .fixed(1e-4), settings: settings, threads: 1)
        let three = SiteClaims.measure(motifs, threshold: .fixed(1e-4), settings: settings, threads: 3)
        XCTAssertEqual(one, three)
        settings.seed = 2
        XCTAssertNotEqual(SiteClaims.measure(motifs, threshold: .fixed(1e-4), settings: settings, threads: 1), one)
    }
}
