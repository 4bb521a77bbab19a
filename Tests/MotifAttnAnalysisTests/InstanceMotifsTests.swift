import XCTest
import MotifAttnIO
import MotifAttnCore
@testable import MotifAttnAnalysis

/// Discovered head motifs as instance motifs (`--instances discovered|both`).
final class InstanceMotifsTests: XCTestCase {
    private static func motif(_ id: String, _ consensus: String) -> Motif {
        Motif(id: id, name: id, probabilities: consensus.map { letter in "ACGT".map { $0 == letter ? 0.97 : 0.01 } })
    }

    private static func discovered(_ id: String, _ consensus: String, match: (index: Int, id: String, q: Double)) -> HeadMotif {
        let best = MotifMatch(queryID: id, targetID: match.id, targetName: "TF\(match.index)", targetIndex: match.index, offset: 0,
                              pValue: match.q / 10, eValue: match.q, qValue: match.q, overlap: consensus.count, score: 5,
                              queryConsensus: consensus, targetConsensus: consensus, orientation: .plus)
        return HeadMotif(head: HeadIndex(layer: 0, head: 1), motif: motif(id, consensus), sites: 30, boundFraction: 0.2,
                         backgroundFraction: 0.01, pValue: 1e-9, qValue: 1e-8, matches: [best])
    }

    // Database: 0 and 1 are look-alikes (class led by 0), 2 is alone. Discovered: L0H1_1 matches 1 (q 0.01),
    // L0H1_2 matches 2 but not significantly (q 0.2), L0H1_3 matches 0 (q 0.001).
    private let database = [motif("DB0", "GATAAG"), motif("DB1", "AGATAA"), motif("DB2", "CACGTG")]
    private let databaseClasses = MotifClasses(representative: [0, 0, 2])
    private lazy var heads = [Self.discovered("L0H1_1", "GATAAGA", match: (1, "DB1", 0.01)),
                              Self.discovered("L0H1_2", "CACGTGA", match: (2, "DB2", 0.2)),
                              Self.discovered("L0H1_3", "TGATAAG", match: (0, "DB0", 0.001))]

    func testWithTheDatabaseDiscoveredMotifsJoinTheClassOfTheirSignificantMatch() {
        let set = InstanceMotifSet(database: database, databaseClasses: databaseClasses, discovered: heads, includeDatabase: true, maxMatchQValue: 0.05)
        XCTAssertEqual(set.motifs.map(\.id), ["DB0", "DB1", "DB2", "L0H1_1", "L0H1_2", "L0H1_3"])
        XCTAssertEqual(set.discoveredStart, 3)
        XCTAssertEqual(set.classes.representative, [0, 0, 2, 0, 4, 0])
        XCTAssertEqual(set.classes.members[0], [0, 1, 3, 5])
        XCTAssertEqual(set.classes.members[2], [2])
        XCTAssertEqual(set.classes.members[4], [4])
        XCTAssertEqual(set.motifs.map(\.name), ["DB0", "DB1", "DB2", "TF1-like", "CACGTGA", "TF0-like"])
    }

    func testDiscoveredAloneGroupsMotifsMatchingOneDatabaseClass() {
        let set = InstanceMotifSet(database: database, databaseClasses: databaseClasses, discovered: heads, includeDatabase: false, maxMatchQValue: 0.05)
        XCTAssertEqual(set.motifs.map(\.id), ["L0H1_1", "L0H1_2", "L0H1_3"])
        XCTAssertEqual(set.discoveredStart, 0)
        // L0H1_1 (matches DB1) and L0H1_3 (matches DB0) match the same database class: the first leads.
        XCTAssertEqual(set.classes.representative, [0, 1, 0])
        XCTAssertEqual(set.classes.members[0], [0, 2])
        XCTAssertEqual(set.classes.count, 2)
    }

    /// A discovered motif without a significant database match joins the class of the discovered motif it resembles
    /// (here GATA-like words next to a GATA-like motif matched in the database); an unlike one stays alone.
    func testAnUnmatchedDiscoveredMotifJoinsTheClassOfALikeMatchedOne() {
        let unmatchedGATA = Self.discovered("L0H2_1", "AGATAAGA", match: (2, "DB2", 0.3))
        let unmatchedOther = Self.discovered("L0H2_2", "TTTCCCAA", match: (2, "DB2", 0.4))
        for includeDatabase in [false, true] {
            let set = InstanceMotifSet(database: database, databaseClasses: databaseClasses, discovered: heads + [unmatchedGATA, unmatchedOther],
                                       includeDatabase: includeDatabase, maxMatchQValue: 0.05)
            let first = set.discoveredStart
            XCTAssertEqual(set.classes.representative[first + 3], set.classes.representative[first], "AGATAAGA joins GATAAGA's class")
            XCTAssertEqual(set.classes.representative[first + 4], first + 4, "TTTCCCAA stays alone")
            XCTAssertEqual(set.classes.representative[first + 1], first + 1, "CACGTGA stays alone")
            XCTAssertEqual(set.motifs[first + 3].name, "AGATAAGA")
        }
    }

    func testScannerFindsShortDiscoveredMotifsAndShiftsTheirIndices() throws {
        var generator = TestData.Generator(seed: 7)
        let long = TestData.jaspar.motifs.first { $0.width >= 12 }!
        // A 6-column motif: its strongest site has p = 4^-6 ≈ 2.4e-4, above FIMO's 1e-4, so only the
        // width-aware threshold of discovered motifs can call it.
        let short = Self.motif("L1H0_1", "TTGACA")
        var bases = TestData.randomBases(200, using: &generator)
        bases.replaceSubrange(20..<(20 + long.width), with: TestData.strongestSite(long))
        bases.replaceSubrange(120..<126, with: TestData.strongestSite(short))
        let widthAware = InstanceThreshold(pValue: 1e-4, recall: 0.5, ceiling: 1e-3)
        let scanner = InstanceScanner(database: [long], databaseThreshold: .fixed(1e-4), discovered: [short], discoveredThreshold: widthAware)
        let found = scanner.scan(bases)
        let databaseOnly = MotifScanner(motifs: [long], threshold: .fixed(1e-4)).scan(bases)
        let discoveredOnly = MotifScanner(motifs: [short], threshold: widthAware).scan(bases)
        XCTAssertEqual(found.filter { $0.motifIndex == 0 }, databaseOnly)
        XCTAssertEqual(found.filter { $0.motifIndex == 1 }.map(\.start), discoveredOnly.map(\.start))
        XCTAssertTrue(found.contains { $0.motifIndex == 0 && $0.start == 20 })
        XCTAssertTrue(found.contains { $0.motifIndex == 1 && $0.motifID == "L1H0_1" && $0.start == 120 })
        XCTAssertTrue(MotifScanner(motifs: [short], threshold: .fixed(1e-4)).scan(bases).isEmpty)
    }
}
