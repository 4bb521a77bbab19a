import XCTest
import MotifAttnAnalysis

final class MotifFileTests: XCTestCase {
    func testJASPARFileHasAllMotifsWithWidthsFourToThirtyThree() throws {
        let database = TestData.jaspar
        XCTAssertEqual(database.motifs.count, 1019)
        XCTAssertEqual(database.motifs.map(\.width).min(), 4)
        XCTAssertEqual(database.motifs.map(\.width).max(), 33)
        XCTAssertEqual(database.version, 4)
        XCTAssertTrue(database.bothStrands)
        XCTAssertEqual(database.background, [0.25, 0.25, 0.25, 0.25])
        // First motif as written in the file (checked by eye against `head` of the file).
        let runx1 = database.motifs[0]
        XCTAssertEqual(runx1.id, "MA0002.3")
        XCTAssertEqual(runx1.name, "Runx1")
        XCTAssertEqual(runx1.sites, 2000)
        XCTAssertEqual(runx1.width, 9)
        XCTAssertEqual(runx1.probabilities[0][1], 0.536, accuracy: 1e-9)
        XCTAssertEqual(runx1.probabilities[8][3], 0.5265, accuracy: 1e-9)
        for motif in database.motifs {
            for column in motif.probabilities { XCTAssertEqual(column.reduce(0, +), 1, accuracy: 1e-9) }
        }
    }

    func testJASPARAnnotationsGiveNamesAndFamiliesForEveryMotif() throws {
        let annotations = TestData.annotations
        for motif in TestData.jaspar.motifs {
            let entry = try XCTUnwrap(annotations.byID[motif.id], motif.id)
            XCTAssertEqual(entry.name, motif.name)
        }
        XCTAssertEqual(annotations.byID["MA0002.3"]?.tfFamily, "Runt-related factors")
        XCTAssertEqual(annotations.byID["MA0004.1"]?.tfClass, "Basic helix-loop-helix factors (bHLH)")
        XCTAssertTrue(annotations.sameFamily("MA0004.1", "MA0006.2"))
        XCTAssertFalse(annotations.sameFamily("MA0002.3", "MA0004.1"))
        // Bach1::Mafk lists "Jun-related;Maf-related": it shares a family with MAFK ("Maf-related").
        XCTAssertTrue(annotations.sameFamily("MA0591.2", "MA0496.4"))
        XCTAssertFalse(annotations.sameFamily("MA0591.2", "unknown"))
    }

    func testWrittenMEMEReadsBackToTheSameMotifs() throws {
        let original = MotifDatabase(motifs: Array(TestData.jaspar.motifs.prefix(25)) + [
            Motif(id: "L1H2_1", probabilities: [[0.7, 0.1, 0.1, 0.1], [0, 0, 1, 0]], sites: 12, url: "http://example.org/m"),
        ])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-meme-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("motifs.meme").path
        try MEMEFormat.write(original, to: path)
        let back = try MEMEFormat.read(path: path)
        XCTAssertEqual(back.motifs.count, original.motifs.count)
        for (a, b) in zip(original.motifs, back.motifs) {
            XCTAssertEqual(a.id, b.id); XCTAssertEqual(a.name, b.name); XCTAssertEqual(a.sites, b.sites); XCTAssertEqual(a.url, b.url)
            for (ra, rb) in zip(a.probabilities, b.probabilities) {
                for (x, y) in zip(ra, rb) { XCTAssertEqual(x, y, accuracy: 2e-6) }
            }
        }
    }

    func testVersionFiveWithURLAndBackgroundIsRead() throws {
        let text = """
        MEME version 5.5.4

        ALPHABET= ACGT

        strands: +

        Background letter frequencies
        A 0.3 C 0.2
        G 0.2 T 0.3

        MOTIF M1 GATA-like
        letter-probability matrix: alength= 4 w= 2 nsites= 7 E= 1.5e-3
         0.1 0.1 0.7 0.1
         0.9 0.0 0.0 0.1
        URL http://jaspar.genereg.net/matrix/M1
        """
        let database = try MEMEFormat.parse(text, path: "v5.meme")
        XCTAssertEqual(database.version, 5)
        XCTAssertFalse(database.bothStrands)
        XCTAssertEqual(database.background, [0.3, 0.2, 0.2, 0.3])
        XCTAssertEqual(database.motifs.first?.name, "GATA-like")
        XCTAssertEqual(database.motifs.first?.sites, 7)
        XCTAssertEqual(database.motifs.first?.eValue ?? 0, 1.5e-3, accuracy: 1e-12)
        XCTAssertEqual(database.motifs.first?.url, "http://jaspar.genereg.net/matrix/M1")
        XCTAssertEqual(database.motifs.first?.consensus, "GA")
    }

    func testMalformedMatrixErrorNamesFileAndLine() {
        let text = "MEME version 4\n\nMOTIF bad\nletter-probability matrix: alength= 4 w= 2\n0.5 0.5 0.5 0.5\n0.25 0.25 0.25 0.25\n"
        XCTAssertThrowsError(try MEMEFormat.parse(text, path: "bad.meme")) { error in
            XCTAssertEqual("\(error)", "bad.meme, line 5: probabilities of motif bad sum to 2.0, not 1")
        }
        XCTAssertThrowsError(try MEMEFormat.parse("MEME version 4\nMOTIF short\nletter-probability matrix: alength= 4 w= 3\n0.25 0.25 0.25 0.25\n", path: "short.meme")) { error in
            XCTAssertTrue("\(error)".hasPrefix("short.meme, line "), "\(error)")
            XCTAssertTrue("\(error)".contains("expected 3 matrix rows"), "\(error)")
        }
        XCTAssertThrowsError(try MEMEFormat.parse("ALPHABET= ACGT\n", path: "x.meme")) { error in
            XCTAssertTrue("\(error)".hasPrefix("x.meme, line 1: expected 'MEME version"), "\(error)")
        }
        XCTAssertThrowsError(try MEMEFormat.read(path: "/nonexistent/motifs.meme")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/motifs.meme: cannot read"), "\(error)")
        }
    }

    func testReverseComplementAndConsensus() {
        let motif = Motif(id: "m", probabilities: [[0.9, 0.05, 0.03, 0.02], [0.4, 0.4, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]])
        XCTAssertEqual(motif.consensus, "AMN")
        XCTAssertEqual(motif.reverseComplement.consensus, "NKT")
        XCTAssertEqual(motif.reverseComplement.reverseComplement, motif)
    }
}
