import XCTest
import MotifAttnIO
import MotifAttnCore
@testable import MotifAttnAnalysis

final class MotifClassesTests: XCTestCase {
    func testMutualLookAlikesShareAClassAndCompositesDoNot() {
        // passing[a][b]: drawn sites of a at which b passes. 0 and 1 pass at each other's sites about as often
        // as at their own; 2 is a composite holding 0's core: 0 passes at its sites, it rarely at 0's;
        // 3 chains to 1; 4 passes at none of its own sites and 0 passes at one of them by chance.
        let passing: [[Int: Int]] = [
            [0: 40, 1: 30, 2: 5],
            [1: 50, 0: 45, 3: 30],
            [2: 60, 0: 50],
            [3: 40, 1: 35],
            [0: 1],
        ]
        let classes = MotifClasses(passing: passing)
        XCTAssertEqual(classes.representative[0], classes.representative[1])
        XCTAssertEqual(classes.representative[3], classes.representative[1])
        XCTAssertEqual(classes.representative[2], 2)
        XCTAssertEqual(classes.representative[4], 4)
        XCTAssertEqual(classes.count, 3)
        // Representative: the member passing at the most of its class-mates' sites relative to their own:
        // 0 gets 45/50 (from 1), 1 gets 30/40 + 35/40 (from 0 and 3), 3 gets 30/50.
        XCTAssertEqual(classes.representative[0], 1)
        XCTAssertEqual(classes.members[1], [1, 0, 3])
    }

    func testMeasuredClassesJoinLookAlikesAndLeaveAnUnrelatedMotifAlone() {
        func column(_ base: Character) -> [Double] { "ACGT".map { $0 == base ? 0.97 : 0.01 } }
        let core = "GATAAGCTTGCA".map(column)
        let motifs = [Motif(id: "A", probabilities: core + [[0.58, 0.4, 0.01, 0.01]]),
                      Motif(id: "B", probabilities: core + [[0.4, 0.58, 0.01, 0.01]]),
                      Motif(id: "C", probabilities: "CCGCGTACTGTACG".map(column))]
        var settings = SiteClaims.Settings()
        settings.sitesPerMotif = 40
        let classes = MotifClasses.measure(motifs, threshold: .fixed(1e-4), settings: settings, threads: 2)
        XCTAssertEqual(classes.representative[0], classes.representative[1])
        XCTAssertEqual(classes.representative[2], 2)
        let relabelled = classes.relabel([MotifInstance(motifIndex: 1, motifID: "B", start: 3, end: 16, strand: .plus, score: 9, pValue: 1e-6),
                                          MotifInstance(motifIndex: 2, motifID: "C", start: 20, end: 34, strand: .minus, score: 9, pValue: 1e-7)],
                                         motifs: motifs)
        let lead = classes.representative[1]
        XCTAssertEqual(relabelled.map(\.motifIndex), [lead, 2])
        XCTAssertEqual(relabelled.map(\.motifID), [motifs[lead].id, "C"])
        XCTAssertEqual(relabelled.map(\.start), [3, 20])
    }

    func testClassesFileRoundTripsAndChecksItsFingerprint() throws {
        let motifs = (0..<4).map { Motif(id: "M\($0)", name: "m\($0)", probabilities: [[0.25, 0.25, 0.25, 0.25]]) }
        let classes = MotifClasses(representative: [0, 0, 2, 0])
        XCTAssertEqual(classes.members, [0: [0, 1, 3], 2: [2]])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-classes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("db.classes.tsv").path
        try classes.tsv(motifs: motifs, fingerprint: "F1", provenance: Provenance(version: "test", command: "motifattn classes"))
            .write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try MotifClasses.read(path: path, motifs: motifs, requiring: "F1"), classes)
        XCTAssertEqual(try MotifClasses.read(path: path, motifs: motifs), classes)
        XCTAssertNil(try MotifClasses.read(path: path, motifs: motifs, requiring: "F2"))
        XCTAssertEqual(MotifClasses.companionPath(ofDatabase: "/x/jaspar.meme"), "/x/jaspar.classes.tsv")

        let missing = folder.appendingPathComponent("short.tsv").path
        try "motif_id\tname\trepresentative_id\tclass_size\nM0\tm0\tM0\t1\n".write(toFile: missing, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MotifClasses.read(path: missing, motifs: motifs)) { error in
            XCTAssertTrue("\(error)".contains("short.tsv") && "\(error)".contains("1 of the database's 4"), "\(error)")
        }
        let unknown = folder.appendingPathComponent("unknown.tsv").path
        try "motif_id\tname\trepresentative_id\tclass_size\nM0\tm0\tX9\t1\n".write(toFile: unknown, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try MotifClasses.read(path: unknown, motifs: motifs)) { error in
            XCTAssertTrue("\(error)".contains("unknown.tsv, line 2"), "\(error)")
        }
    }

    func testTheBundledClassesWereMadeFromTheBundledDatabase() throws {
        // If this fails, the .meme changed: regenerate the classes (command in Reference/README.md).
        let path = MotifClasses.companionPath(ofDatabase: TestData.jasparMEMEPath)
        let fingerprint = try MotifClasses.fingerprint(databasePath: TestData.jasparMEMEPath, threshold: .fixed(1e-4))
        let classes = try XCTUnwrap(try MotifClasses.read(path: path, motifs: TestData.jaspar.motifs, requiring: fingerprint))
        let index = Dictionary(uniqueKeysWithValues: TestData.jaspar.motifs.enumerated().map { ($1.id, $0) })
        func sameClass(_ a: String, _ b: String) -> Bool { classes.representative[index[a]!] == classes.representative[index[b]!] }
        XCTAssertTrue(sameClass("MA0136.4", "MA0081.3"))   // Elf5, SPIB (ETS)
        XCTAssertTrue(sameClass("MA0766.3", "MA0482.3"))   // GATA5, GATA4
        XCTAssertFalse(sameClass("MA0136.4", "MA0766.3"))  // ETS, GATA
        XCTAssertFalse(sameClass("MA0139.2", "MA0136.4"))  // CTCF, Elf5
    }

    func testAClassPairHoldsTheScoresOfItsMembersPairs() throws {
        var synthetic = SyntheticAttention()
        synthetic.pairHead = 1
        var generator = TestData.Generator(seed: 21)
        // B2: a copy of B under another id; in odd windows the scan's B sites are credited to B2, as the
        // one-motif-per-site lottery does among look-alikes.
        var copy = synthetic.motifB
        copy.id = "B2-copy"
        let motifs = [synthetic.motifA, synthetic.motifB, synthetic.motifC, copy]
        let scanner = MotifScanner(motifs: Array(motifs.prefix(3)))
        let classes = MotifClasses(representative: [0, 1, 2, 1])
        let split = CoAttentionAccumulator(motifs: motifs, layers: 1, heads: synthetic.heads)
        let grouped = CoAttentionAccumulator(motifs: motifs, layers: 1, heads: synthetic.heads)
        for number in 0..<240 {
            let (window, _) = synthetic.window(number, bound: number % 2 == 0, using: &generator)
            var instances = scanner.scan(window.window.bases)
            if number % 4 < 2 {
                for i in instances.indices where instances[i].motifIndex == 1 { instances[i].motifIndex = 3; instances[i].motifID = copy.id }
            }
            split.add(window, instances: instances)
            grouped.add(window, instances: classes.relabel(instances, motifs: motifs))
        }
        let head = HeadIndex(layer: 0, head: 1)
        func row(_ rows: [Interaction], _ b: String) throws -> Interaction {
            try XCTUnwrap(rows.first { $0.motifA == synthetic.motifA.id && $0.motifB == b && $0.head == head })
        }
        let splitRows = split.interactions(), groupedRows = grouped.interactions()
        let first = try row(splitRows, synthetic.motifB.id), second = try row(splitRows, copy.id), whole = try row(groupedRows, synthetic.motifB.id)
        XCTAssertGreaterThan(first.boundCount, 0)
        XCTAssertGreaterThan(second.boundCount, 0)
        XCTAssertEqual(whole.boundCount, first.boundCount + second.boundCount)
        XCTAssertLessThan(whole.pValue, min(first.pValue, second.pValue))
        XCTAssertNil(groupedRows.first { $0.motifA == copy.id || $0.motifB == copy.id })
    }
}

/// How a look-alike class is named in interactions.tsv and the report.
final class MotifClassNameTests: XCTestCase {
    func testAClassIsNamedByItsSharedFamilyOrClassItsRepresentativeAndItsSize() {
        let jaspar = TestData.annotations
        // JASPAR 2026: MA0139 CTCF alone keeps its name.
        XCTAssertEqual(MotifClasses.label(representative: "CTCF", members: ["MA0139.2"], annotations: jaspar), "CTCF")
        // Two FOX family members (tf_family FOX in the table): the family names the class.
        let fox = jaspar.byID.values.filter { $0.tfFamily == "FOX" }.map(\.id).sorted().prefix(3)
        XCTAssertEqual(MotifClasses.label(representative: "FOXA1", members: Array(fox), annotations: jaspar), "FOX: FOXA1 +2 look-alikes")
        // bHLH members of three different families: no family has half, the class does (its parenthesised short name).
        let bHLH = ["Tal-related", "MyoD/ASC-related factors", "bHLH-ZIP"].compactMap { family in
            jaspar.byID.values.filter { $0.tfFamily == family && $0.tfClass == "Basic helix-loop-helix factors (bHLH)" }.map(\.id).min()
        }
        XCTAssertEqual(bHLH.count, 3)
        XCTAssertEqual(MotifClasses.label(representative: "TAL1::TCF3", members: bHLH, annotations: jaspar), "bHLH: TAL1::TCF3 +2 look-alikes")
        // Unrelated members, or none annotated: no shared label to claim.
        XCTAssertEqual(MotifClasses.label(representative: "L0H1_3", members: ["L0H1_3", "L1H0_2"], annotations: jaspar),
                       "mixed families: L0H1_3 +1 look-alike")
    }
}
