import XCTest
import MotifAttnIO
import MotifAttnCore
@testable import MotifAttnAnalysis

final class MotifScanTests: XCTestCase {
    func testScoreDistributionEqualsBruteForceEnumeration() throws {
        let database = TestData.jaspar
        let shortMotifs = database.motifs.filter { $0.width <= 6 }.prefix(6)
        XCTAssertGreaterThanOrEqual(shortMotifs.count, 3)
        for motif in shortMotifs {
            for background in [[0.25, 0.25, 0.25, 0.25], [0.3, 0.2, 0.2, 0.3], [0.1, 0.4, 0.4, 0.1]] {
                let matrix = ScoringMatrix(motif: motif, background: background)
                for (score, tail) in TestData.enumeratedTail(matrix, probability: { _, base in matrix.background[base] }) {
                    XCTAssertEqual(matrix.pValue(integerScore: score), tail, accuracy: 1e-12 + 1e-9 * tail, "\(motif.id) \(score)")
                }
                XCTAssertEqual(matrix.pValue(integerScore: matrix.survival.count), 0)
            }
        }
    }

    func testLogOddsFollowFIMOPseudocounts() {
        // p' = (0.9*10 + 0.1*0.3)/(10.1) for A, score log2(p'/0.3); hand computation.
        let motif = Motif(id: "m", probabilities: [[0.9, 0.1, 0, 0]], sites: 10)
        let matrix = ScoringMatrix(motif: motif, background: [0.3, 0.2, 0.2, 0.3])
        XCTAssertEqual(matrix.logOdds[0][0], log2((9.0 + 0.03) / 10.1 / 0.3), accuracy: 1e-12)
        XCTAssertEqual(matrix.logOdds[0][2], log2((0.02) / 10.1 / 0.2), accuracy: 1e-12)
    }

    func testPlantedSitesAreFoundOnBothStrands() throws {
        let ctcf = try XCTUnwrap(TestData.jaspar.motifs.first { $0.name == "CTCF" })
        let gata = try XCTUnwrap(TestData.jaspar.motifs.first { $0.id.hasPrefix("MA0766") })
        var generator = TestData.Generator(seed: 7)
        var bases = TestData.randomBases(200, using: &generator)
        let ctcfSite = TestData.strongestSite(ctcf)
        let gataSite = TestData.strongestSite(gata.reverseComplement)
        bases.replaceSubrange(40..<(40 + ctcfSite.count), with: ctcfSite)
        bases.replaceSubrange(130..<(130 + gataSite.count), with: gataSite)
        let scanner = MotifScanner(motifs: [ctcf, gata])
        let instances = scanner.scan(bases)
        XCTAssertTrue(instances.contains { $0.motifID == ctcf.id && $0.start == 40 && $0.end == 40 + ctcf.width && $0.strand == .plus && $0.pValue < 1e-6 }, "\(instances)")
        XCTAssertTrue(instances.contains { $0.motifID == gata.id && $0.start == 130 && $0.strand == .minus && $0.pValue <= 1e-4 }, "\(instances)")
        for instance in instances { XCTAssertLessThanOrEqual(instance.pValue, 1e-4) }
        // A site with an N is not reported.
        var masked = bases
        masked[45] = UInt8(ascii: "N")
        XCTAssertFalse(scanner.scan(masked).contains { $0.motifID == ctcf.id && $0.start == 40 })
    }

    func testHitRateOnRandomSequenceMatchesThreshold() throws {
        // On uniform random DNA the number of sites with p ≤ 1e-4 is about 1e-4 per position and strand.
        let motifs = Array(TestData.jaspar.motifs.filter { $0.width >= 8 && $0.width <= 12 }.prefix(20))
        var generator = TestData.Generator(seed: 11)
        let scanner = MotifScanner(motifs: motifs)
        var hits = 0, trials = 0
        for _ in 0..<50 {
            let bases = TestData.randomBases(1000, using: &generator)
            hits += scanner.scan(bases).count
            trials += motifs.reduce(0) { $0 + 2 * (1000 - $1.width + 1) }
        }
        let rate = Double(hits) / Double(trials)
        XCTAssertLessThan(rate, 2e-4)
        XCTAssertGreaterThan(rate, 2e-5)
    }
}

/// The table-driven scanner (4-base word tables, early rejection) against a plain scan that sums
/// `ScoringMatrix.integerScores` column by column at every start and strand.
final class MotifScannerTwinTests: XCTestCase {
    private func plainScan(_ scanner: MotifScanner, _ bases: [UInt8]) -> [MotifInstance] {
        var found: [MotifInstance] = []
        for (index, motif) in scanner.motifs.enumerated() {
            let matrix = scanner.scoringMatrix(motifIndex: index, for: bases)
            let width = motif.width, threshold = matrix.threshold(pValue: scanner.pValueThreshold)
            guard width <= bases.count else { continue }
            for start in 0...(bases.count - width) {
                let site = bases[start..<(start + width)].map { Nucleotides.code($0) }
                if site.contains(nil) { continue }
                var plus = 0, minus = 0, plusBits = 0.0, minusBits = 0.0
                for (j, code) in site.enumerated() {
                    let b = Int(code!)
                    plus += matrix.integerScores[j][b]
                    minus += matrix.integerScores[width - 1 - j][3 - b]
                    plusBits += matrix.logOdds[j][b]
                    minusBits += matrix.logOdds[width - 1 - j][3 - b]
                }
                for (strand, score, bits) in [(Strand.plus, plus, plusBits), (Strand.minus, minus, minusBits)] where score >= threshold {
                    found.append(MotifInstance(motifIndex: index, motifID: motif.id, start: start, end: start + width, strand: strand,
                                               score: bits, pValue: matrix.pValue(integerScore: score)))
                }
            }
        }
        return found.sorted { ($0.start, $0.strand == .plus ? 0 : 1, $0.motifIndex) < ($1.start, $1.strand == .plus ? 0 : 1, $1.motifIndex) }
    }

    func testTableScanFindsExactlyThePlainScansInstances() {
        // Widths from 4 to 20+ (every chunk shape), GC from 20 % to 80 %, N and lowercase bases,
        // a lax threshold so that many sites pass, and windows shorter than some motifs.
        let motifs = Array(TestData.jaspar.motifs.enumerated().filter { $0.offset % 7 == 0 }.map(\.element).prefix(120))
        XCTAssertGreaterThan(Set(motifs.map(\.width)).count, 8)
        var generator = TestData.Generator(seed: 21)
        for (threshold, gc) in [(1e-4, 0.5), (1e-3, 0.2), (1e-2, 0.8)] {
            let scanner = MotifScanner(motifs: motifs, pValueThreshold: threshold)
            for length in [3, 11, 200] {
                var bases = (0..<length).map { _ -> UInt8 in
                    let u = Double(generator.next() % 10_000) / 10_000
                    return u < gc / 2 ? 67 : u < gc ? 71 : u < gc + (1 - gc) / 2 ? 65 : 84
                }
                if length > 100 { bases[50] = UInt8(ascii: "N"); bases[60] = UInt8(ascii: "a") }
                let fast = scanner.scan(bases), plain = plainScan(scanner, bases)
                XCTAssertEqual(fast.count, plain.count, "p \(threshold), gc \(gc), length \(length)")
                for (a, b) in zip(fast, plain) {
                    XCTAssertEqual([a.motifIndex, a.start, a.end], [b.motifIndex, b.start, b.end])
                    XCTAssertEqual(a.strand, b.strand)
                    XCTAssertEqual(a.pValue, b.pValue)
                    XCTAssertEqual(a.score, b.score, accuracy: 1e-9)
                }
                if length == 200 && threshold >= 1e-3 { XCTAssertGreaterThan(plain.count, 20, "the check needs hits") }
            }
        }
    }

    /// `scan(_:overlapping:)` finds exactly the instances of a whole scan that overlap the range, and scans from
    /// several threads after `prepareLevels` (levels built at once, on two threads) equal a lazy one-thread scan.
    func testRangeScansAndPreparedLevelsEqualTheWholeScan() {
        let motifs = Array(TestData.jaspar.motifs.enumerated().filter { $0.offset % 5 == 0 }.map(\.element).prefix(150))
        var generator = TestData.Generator(seed: 23)
        let windows: [[UInt8]] = (0..<24).map { i in
            let gc = 0.25 + 0.5 * Double(i) / 23
            return (0..<200).map { _ -> UInt8 in
                let u = Double(generator.next() % 10_000) / 10_000
                return u < gc / 2 ? 67 : u < gc ? 71 : u < gc + (1 - gc) / 2 ? 65 : 84
            }
        }
        let lazy = MotifScanner(motifs: motifs, pValueThreshold: 1e-3)
        let whole = windows.map { lazy.scan($0) }
        let prepared = MotifScanner(motifs: motifs, pValueThreshold: 1e-3)
        prepared.preparationThreads = 2
        prepared.prepareLevels(of: windows)
        let concurrent = parallelMap(count: windows.count, threads: 2) { prepared.scan(windows[$0]) }
        var compared = 0
        for (i, bases) in windows.enumerated() {
            XCTAssertEqual(concurrent[i].map(\.motifIndex), whole[i].map(\.motifIndex))
            XCTAssertEqual(concurrent[i].map(\.start), whole[i].map(\.start))
            XCTAssertEqual(concurrent[i].map(\.pValue), whole[i].map(\.pValue))
            for range in [0..<1, 99..<100, 95..<106, 199..<200] {
                let expected = whole[i].filter { $0.start < range.upperBound && $0.end > range.lowerBound }
                let found = lazy.scan(bases, overlapping: range)
                XCTAssertEqual(found.map(\.motifIndex), expected.map(\.motifIndex), "window \(i), \(range)")
                XCTAssertEqual(found.map(\.start), expected.map(\.start), "window \(i), \(range)")
                XCTAssertEqual(found.map(\.pValue), expected.map(\.pValue), "window \(i), \(range)")
                compared += expected.count
            }
        }
        XCTAssertGreaterThan(compared, 50, "the check needs hits")
    }
}
