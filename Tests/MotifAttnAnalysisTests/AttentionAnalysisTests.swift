import XCTest
import MotifAttnIO
import MotifAttnCore
@testable import MotifAttnAnalysis

final class AttentionAnalysisTests: XCTestCase {
    func testProfileSpreadsReceivedAttentionOverCoveredBases() {
        // Two tokens of 2 bases and [CLS]; hand computation: every query gives key 1 weight 0.6,
        // key 2 weight 0.3 and [CLS] 0.1, so base 0 and 1 get 0.3 each, bases 2 and 3 get 0.15 each.
        let row: [Float] = [0.1, 0.6, 0.3]
        let window = Window(sourceName: "w", start: 0, end: 4, strand: .plus, bases: Array("ACGT".utf8))
        let attention = WindowAttention(window: window, label: .bound, tokenSpans: [0..<0, 0..<2, 2..<4], layers: 1, heads: 1,
                                        attention: row + row + row)
        let profile = attention.profile(HeadIndex(layer: 0, head: 0))
        for (value, expected) in zip(profile, [0.3, 0.3, 0.15, 0.15]) { XCTAssertEqual(value, expected, accuracy: 1e-6) }
    }

    func testHighAttentionRegionsAreRunsAboveMeanAndThreshold() {
        var profile = [Double](repeating: 1, count: 40)
        for i in 10..<17 { profile[i] = 5 }   // 7 bases: a region
        for i in 25..<28 { profile[i] = 5 }   // 3 bases: too short
        XCTAssertEqual(AttentionRegions.find(in: profile, relativeThreshold: 0.5, minLength: 5), [10..<17])
        XCTAssertEqual(AttentionRegions.find(in: [Double](repeating: 2, count: 30)), [])
        XCTAssertEqual(AttentionRegions.find(in: profile, relativeThreshold: 0.5, minLength: 5, maxLength: 5).first?.count, 5)
    }

    /// Co-attention of 240 synthetic windows, bound and background alternating, with `motifs`' instances.
    private func accumulated(_ synthetic: SyntheticAttention, motifs: [Motif], seed: UInt64) -> CoAttentionAccumulator {
        var generator = TestData.Generator(seed: seed)
        let scanner = MotifScanner(motifs: motifs)
        let accumulator = CoAttentionAccumulator(motifs: motifs, layers: 1, heads: synthetic.heads)
        for number in 0..<240 {
            let (window, _) = synthetic.window(number, bound: number % 2 == 0, using: &generator)
            accumulator.add(window, instances: scanner.scan(window.window.bases))
        }
        return accumulator
    }

    /// A window whose tokens are listed in another order (spans and maps permuted alike) is the same window: its
    /// sites' tokens are no longer consecutive, so co-attention takes its key-by-key path, and with raw scores
    /// (no key means, whose sums would change order) every row equals the consecutive path's.
    func testCoAttentionDoesNotDependOnTheOrderTokensAreListedIn() {
        let synthetic = SyntheticAttention()
        let motifs = [synthetic.motifA, synthetic.motifB, synthetic.motifC]
        var settings = CoAttentionSettings()
        settings.score = .raw
        let inOrder = CoAttentionAccumulator(motifs: motifs, layers: 1, heads: synthetic.heads, settings: settings)
        let shuffled = CoAttentionAccumulator(motifs: motifs, layers: 1, heads: synthetic.heads, settings: settings)
        var generator = TestData.Generator(seed: 23)
        let scanner = MotifScanner(motifs: motifs)
        for number in 0..<120 {
            let (window, _) = synthetic.window(number, bound: number % 2 == 0, using: &generator)
            let instances = scanner.scan(window.window.bases)
            inOrder.add(window, instances: instances)
            // Tokens in reverse order: new token t is old token n − 1 − t, in the spans and in both map axes.
            let n = window.tokens
            var permuted = [Float](repeating: 0, count: window.attention.count)
            for h in 0..<synthetic.heads {
                for q in 0..<n { for k in 0..<n { permuted[h * n * n + q * n + k] = window.attention[h * n * n + (n - 1 - q) * n + (n - 1 - k)] } }
            }
            let reversed = WindowAttention(window: window.window, label: window.label, tokenSpans: Array(window.tokenSpans.reversed()),
                                           layers: 1, heads: synthetic.heads, attention: permuted)
            // Reversed, a site's tokens are consecutive again; every other token moved to the end breaks that.
            let order = stride(from: 0, to: n, by: 2).map { $0 } + stride(from: 1, to: n, by: 2).map { $0 }
            var interleaved = [Float](repeating: 0, count: window.attention.count)
            for h in 0..<synthetic.heads {
                for q in 0..<n { for k in 0..<n { interleaved[h * n * n + q * n + k] = permuted[h * n * n + order[q] * n + order[k]] } }
            }
            shuffled.add(WindowAttention(window: window.window, label: window.label, tokenSpans: order.map { reversed.tokenSpans[$0] },
                                         layers: 1, heads: synthetic.heads, attention: interleaved), instances: instances)
        }
        let expected = inOrder.interactions(), got = shuffled.interactions()
        XCTAssertGreaterThan(expected.count, 0)
        XCTAssertEqual(got.count, expected.count)
        for (a, b) in zip(expected, got) {
            XCTAssertEqual([a.motifA, a.motifB, a.headLabel], [b.motifA, b.motifB, b.headLabel])
            XCTAssertEqual(a.meanBound, b.meanBound)
            XCTAssertEqual(a.meanBackground, b.meanBackground)
            XCTAssertEqual(a.pValue, b.pValue)
            XCTAssertEqual(a.mutualBestFraction, b.mutualBestFraction)
        }
    }

    func testPlantedInteractingPairIsTopInItsHead() throws {
        var synthetic = SyntheticAttention()
        synthetic.pairHead = 1
        let rows = accumulated(synthetic, motifs: [synthetic.motifA, synthetic.motifB, synthetic.motifC], seed: 21).interactions()
        let top = try XCTUnwrap(rows.first)
        XCTAssertEqual([top.motifA, top.motifB], [synthetic.motifA.id, synthetic.motifB.id])
        let topHead = try XCTUnwrap(rows.first { $0.head != nil })
        XCTAssertEqual(topHead.motifA, synthetic.motifA.id)
        XCTAssertEqual(topHead.motifB, synthetic.motifB.id)
        XCTAssertEqual(topHead.head, HeadIndex(layer: 0, head: 1))
        XCTAssertLessThanOrEqual(topHead.qValue, 0.05)
        XCTAssertGreaterThan(topHead.meanBound, 3 * topHead.meanBackground)
        XCTAssertEqual(topHead.bestHead, HeadIndex(layer: 0, head: 1))
        XCTAssertEqual(topHead.ownBackgroundCount, 0)  // A and B never meet in background windows
        XCTAssertGreaterThan(topHead.backgroundCount, 0)
        // Site centres are 55..95 minus 2..40 apart: the median lies well inside.
        XCTAssertGreaterThan(topHead.medianDistance, 30)
        XCTAssertLessThan(topHead.medianDistance, 90)
        // Nothing else is significant: other heads of the pair and the bystander pairs.
        for row in rows where !(row.motifA == synthetic.motifA.id && row.motifB == synthetic.motifB.id && (row.head == topHead.head || row.head == nil)) {
            XCTAssertGreaterThan(row.qValue, 0.05, "\(row.motifA) \(row.motifB) \(row.headLabel)")
        }
    }

    /// Two sites of one factor that the model attends together (a homotypic pair, such as BEAF-32's paired CGATA
    /// sites or two factors of one look-alike class) form a pair of the motif with itself.
    func testPairOfTwoSitesOfOneMotifIsTested() throws {
        var synthetic = SyntheticAttention()
        synthetic.motifB = synthetic.motifA
        synthetic.pairHead = 1
        let rows = accumulated(synthetic, motifs: [synthetic.motifA, synthetic.motifC], seed: 23).interactions()
        let top = try XCTUnwrap(rows.first { $0.head != nil })
        XCTAssertEqual([top.motifA, top.motifB], [synthetic.motifA.id, synthetic.motifA.id])
        XCTAssertEqual(top.head, HeadIndex(layer: 0, head: 1))
        XCTAssertLessThanOrEqual(top.qValue, 0.05)
        // The sites sit 15 to 93 bases apart, centre to centre.
        XCTAssertGreaterThan(top.medianDistance, 15)
        XCTAssertLessThan(top.medianDistance, 93)
    }

    /// A hub: in bound windows every token of one head looks at A's site, and A and B also look at each
    /// other. The bystander C then gets high raw attention to A without interacting with it; the
    /// mutual-best test must keep C–A out while A–B stays significant.
    func testAttentionHubDoesNotMakeBystanderPairsSignificant() throws {
        var synthetic = SyntheticAttention()
        synthetic.pairHead = 1
        synthetic.focusHead = 1
        let motifs = [synthetic.motifA, synthetic.motifB, synthetic.motifC]
        let scanner = MotifScanner(motifs: motifs)
        func run(_ score: CoAttentionScore) -> [Interaction] {
            var generator = TestData.Generator(seed: 33)
            var settings = CoAttentionSettings()
            settings.score = score
            let accumulator = CoAttentionAccumulator(motifs: motifs, layers: 1, heads: synthetic.heads, settings: settings)
            for number in 0..<240 {
                let (window, _) = synthetic.window(number, bound: number % 2 == 0, using: &generator)
                accumulator.add(window, instances: MotifInstance.bestPerSite(scanner.scan(window.window.bases)))
            }
            return accumulator.interactions()
        }
        let pairHead = HeadIndex(layer: 0, head: 1)
        for score in CoAttentionScore.allCases {
            let rows = run(score)
            func row(_ x: Motif, _ y: Motif) throws -> Interaction {
                let ids = [x.id, y.id].sorted()
                return try XCTUnwrap(rows.first { [$0.motifA, $0.motifB] == ids && $0.head == pairHead }, "\(ids)")
            }
            let partners = try row(synthetic.motifA, synthetic.motifB)
            XCTAssertLessThanOrEqual(partners.qValue, 1e-6, "\(score)")
            XCTAssertGreaterThan(partners.mutualBestFraction, 0.9, "\(score)")
            let bystander = try row(synthetic.motifA, synthetic.motifC)
            XCTAssertGreaterThan(bystander.qValue, 0.05, "\(score)")
            XCTAssertLessThan(bystander.mutualBestFraction, partners.mutualBestFraction / 2, "\(score)")
            if score == .raw {
                // The confound is real: by raw attention alone the bystander looks elevated.
                XCTAssertLessThan(bystander.elevationPValue, 1e-6)
            }
        }
    }

    func testBestPerSiteKeepsTheStrongerOfOverlappingInstances() {
        func instance(_ motif: Int, _ start: Int, _ end: Int, _ p: Double) -> MotifInstance {
            MotifInstance(motifIndex: motif, motifID: "M\(motif)", start: start, end: end, strand: .plus, score: 0, pValue: p)
        }
        let found = [instance(0, 10, 20, 1e-5), instance(1, 12, 22, 1e-6), instance(2, 19, 29, 1e-5), instance(3, 40, 50, 1e-4),
                     instance(4, 45, 47, 1e-5)]
        // Motif 1 wins 10..<22 (overlaps 0 by 8 of 10); motif 2 overlaps motif 1 by 3 of 10 bases and stays;
        // motif 4 (2 bases) lies inside motif 3: half of the shorter site, so the stronger one (4) stays.
        XCTAssertEqual(MotifInstance.bestPerSite(found).map(\.motifIndex), [1, 2, 4])
        XCTAssertEqual(MotifInstance.bestPerSite([]).count, 0)
    }

    func testCoAttentionMemoryStaysWithinItsBound() {
        var synthetic = SyntheticAttention()
        synthetic.pairHead = 1
        var generator = TestData.Generator(seed: 3)
        let motifs = [synthetic.motifA, synthetic.motifB, synthetic.motifC]
        let scanner = MotifScanner(motifs: motifs)
        var settings = CoAttentionSettings()
        settings.scoreBins = 64
        settings.maxDistance = 200
        let accumulator = CoAttentionAccumulator(motifs: motifs, layers: 1, heads: synthetic.heads, settings: settings)
        // Score the same few windows many times: the histograms must stop growing, only their counts rise.
        let windows = (0..<20).map { synthetic.window($0, bound: $0 % 2 == 0, using: &generator).0 }
        let instances = windows.map { scanner.scan($0.window.bases) }
        var storedAfterFirstRound = 0
        for round in 0..<30 {
            for (window, found) in zip(windows, instances) { accumulator.add(window, instances: found) }
            XCTAssertLessThanOrEqual(accumulator.storedCount, accumulator.storageBound)
            if round == 0 { storedAfterFirstRound = accumulator.storedCount }
        }
        XCTAssertEqual(accumulator.storedCount, storedAfterFirstRound)
        // Three motifs make at most 6 pairs: 3 of two motifs and 3 of a motif with itself.
        XCTAssertLessThanOrEqual(accumulator.pairCount, 6)
        XCTAssertLessThanOrEqual(accumulator.storageBound, 6 * (4 * 64 + 201))
        let top = accumulator.interactions().first { $0.head != nil }
        XCTAssertEqual((top?.boundCount ?? 1) % 30, 0)
    }

    func testUniformHeadIsFlaggedCollapsedAndOthersNot() {
        var synthetic = SyntheticAttention()
        synthetic.focusHead = 0
        var generator = TestData.Generator(seed: 8)
        let diagnostics = HeadDiagnosticsAccumulator()
        for number in 0..<10 { diagnostics.add(synthetic.window(number, bound: true, using: &generator).0) }
        let rows = diagnostics.diagnostics()
        XCTAssertEqual(rows.count, 3)
        // Uniform attention over 151 tokens has entropy log2(151) bits.
        XCTAssertEqual(rows[2].meanEntropy, log2(151), accuracy: 1e-4)
        XCTAssertTrue(rows[2].collapsed)
        XCTAssertFalse(rows[0].collapsed)
        XCTAssertLessThan(rows[0].meanEntropy, rows[1].meanEntropy)
        XCTAssertNil(rows[0].importance)
    }

    func testRedundantCopyOfAFocusedHeadIsFlaggedForPruning() {
        // Two heads with the same sharp attention (each query looks at one key), a third different.
        let n = 20
        var attention = [Float](repeating: 0, count: 3 * n * n)
        for q in 0..<n {
            attention[0 * n * n + q * n + (q + 1) % n] = 1
            attention[1 * n * n + q * n + (q + 1) % n] = 1
            attention[2 * n * n + q * n + (q + 7) % n] = 1
        }
        let window = Window(sourceName: "w", start: 0, end: n, strand: .plus, bases: [UInt8](repeating: UInt8(ascii: "A"), count: n))
        let diagnostics = HeadDiagnosticsAccumulator()
        diagnostics.add(WindowAttention(window: window, label: .bound, tokenSpans: (0..<n).map { $0..<($0 + 1) }, layers: 1, heads: 3, attention: attention))
        let rows = diagnostics.diagnostics()
        XCTAssertEqual(rows[0].redundancy, 1, accuracy: 1e-9)
        XCTAssertEqual(rows[0].mostSimilar, HeadIndex(layer: 0, head: 1))
        XCTAssertEqual(rows[0].meanEntropy, 0, accuracy: 1e-12)
        XCTAssertTrue(rows[0].prune && rows[1].prune)
        XCTAssertEqual(rows[2].redundancy, 0, accuracy: 1e-9)
        XCTAssertFalse(rows[2].prune)
    }

    func testFocusedHeadYieldsTheAttendedMotifMatchedToItsSource() throws {
        var synthetic = SyntheticAttention()
        synthetic.focusHead = 0
        let discovery = synthetic.discovery(seed: 17)
        XCTAssertLessThanOrEqual(discovery.storedCount, 3 * 4096 / 2 + 3 * 32)
        let comparator = MotifComparator(targets: TestData.jaspar.motifs)
        let found = discovery.motifs(comparator: comparator)
        let first = try XCTUnwrap(found.first { $0.head == HeadIndex(layer: 0, head: 0) })
        XCTAssertEqual(first.motif.id, "L0H0_1")
        XCTAssertLessThanOrEqual(first.qValue, 0.05)
        XCTAssertGreaterThan(first.boundFraction, 0.5)
        XCTAssertLessThan(first.backgroundFraction, 0.1)
        let match = try XCTUnwrap(first.bestMatch)
        let source = synthetic.motifA.id
        XCTAssertTrue(match.targetID == source || TestData.annotations.sameFamily(match.targetID, source),
                      "best match \(match.targetID) \(match.targetName), consensus \(first.motif.consensus)")
        XCTAssertLessThanOrEqual(match.qValue, 0.05)
        // The uniform head focuses on nothing.
        XCTAssertFalse(found.contains { $0.head == HeadIndex(layer: 0, head: 2) })
    }

    /// A head's motifs whose best matches fall in one look-alike class repeat one factor: with
    /// `oneMotifPerFactor` (off by default) and `sameFactor`, only the first is reported and the rest leave the
    /// head's places to other motifs.
    func testMotifsRepeatingOneFactorAreReportedOncePerHeadWhenAsked() throws {
        var synthetic = SyntheticAttention()
        synthetic.focusHead = 0
        let discovery = synthetic.discovery(seed: 17)
        let comparator = MotifComparator(targets: TestData.jaspar.motifs)
        // Every JASPAR motif of the source's TF family in one class, the others alone.
        let family = TestData.jaspar.motifs.map { TestData.annotations.byID[$0.id]?.tfFamily ?? $0.id }
        let firstOfFamily = Dictionary(family.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let factor = family.map { firstOfFamily[$0]! }
        func significantFactors(_ motifs: [HeadMotif]) -> [Int] {
            motifs.filter { $0.head == HeadIndex(layer: 0, head: 0) }.compactMap { m in m.bestMatch.flatMap { $0.qValue <= 0.05 ? factor[$0.targetIndex] : nil } }
        }
        discovery.settings.maxMotifsPerHead = 30
        discovery.settings.oneMotifPerFactor = true
        let all = significantFactors(discovery.motifs(comparator: comparator))
        XCTAssertGreaterThan(all.count, Set(all).count, "the focused head repeats its motif (else this test shows nothing)")
        let once = significantFactors(discovery.motifs(comparator: comparator, sameFactor: { factor[$0] }))
        XCTAssertEqual(once.count, Set(once).count)
        XCTAssertEqual(Set(once), Set(all))
        discovery.settings.oneMotifPerFactor = false
        XCTAssertEqual(significantFactors(discovery.motifs(comparator: comparator, sameFactor: { factor[$0] })), all, "off: repeats stay")
    }
}
