import XCTest
import MotifAttnIO
import MotifAttnCore
@testable import MotifAttnAnalysis

final class ResultTablesTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-tables-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func lines(_ name: String) throws -> [String] {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    private let provenance = Provenance(version: "0.1.0", command: "motifattn analyze --model m.safetensors\tin.fa --out out")

    func testInteractionTableHasProvenanceHeaderAndRowsInQOrder() throws {
        var synthetic = SyntheticAttention()
        synthetic.pairHead = 1
        var generator = TestData.Generator(seed: 4)
        let motifs = [synthetic.motifA, synthetic.motifB, synthetic.motifC]
        let scanner = MotifScanner(motifs: motifs)
        let accumulator = CoAttentionAccumulator(motifs: motifs, layers: 1, heads: synthetic.heads)
        for number in 0..<60 {
            let window = synthetic.window(number, bound: number % 2 == 0, using: &generator).0
            accumulator.add(window, instances: scanner.scan(window.window.bases))
        }
        let rows = accumulator.interactions()
        let path = folder.appendingPathComponent("interactions.tsv").path
        try ResultTables.writeInteractions(rows, to: path, provenance: provenance)
        let text = try lines("interactions.tsv")
        XCTAssertEqual(text[0], "##motifattn version=0.1.0 command=motifattn analyze --model m.safetensors in.fa --out out")
        XCTAssertEqual(text[1], "motif_a\tname_a\tmotif_b\tname_b\tlayer\thead\tn_bound\tn_background\tmean_attention_bound\tmean_attention_background\teffect\tp_value\tq_value\tmedian_distance\torientation\tn_background_own\tbest_head\tmutual_best_fraction\tp_elevated\tp_mutual_best\tclass_a\tclass_b\tn_epistasis\tepistasis\tepistasis_positive\tepistasis_share\tp_epistasis\techo_of")
        XCTAssertEqual(text.count, rows.count + 3)   // provenance, header, rows, final empty piece after the last newline
        XCTAssertEqual(text.last, "")
        let fields = text[2].split(separator: "\t").map(String.init)
        XCTAssertEqual(fields.count, 28)
        // Without the model's epistasis test (the accumulator alone), its columns are NA; no row is marked an echo.
        XCTAssertEqual(Array(fields[22...]), ["NA", "NA", "NA", "NA", "NA", "."])
        // Without classes, each motif is its own class.
        XCTAssertEqual(fields[20], fields[0])
        XCTAssertEqual(fields[21], fields[2])
        // p_value is the intersection–union p: the larger of the elevation and mutual-best p-values.
        XCTAssertEqual(Double(fields[11])!, max(Double(fields[18])!, Double(fields[19])!), accuracy: 1e-3 * Double(fields[11])!)
        XCTAssertEqual(fields[0], synthetic.motifA.id)
        XCTAssertEqual(fields[1], "Bach1::Mafk")
        XCTAssertNotNil(fields[11].range(of: #"^\d\.\d{3}e[-+]\d{2,3}$"#, options: .regularExpression), fields[11])
        XCTAssertNotNil(fields[8].range(of: #"^\d\.\d{6}$"#, options: .regularExpression), fields[8])
        let qValues = text[2..<(text.count - 1)].map { Double($0.split(separator: "\t")[12])! }
        XCTAssertEqual(qValues, qValues.sorted())
        XCTAssertTrue(text[2..<(text.count - 1)].contains { $0.split(separator: "\t")[4] == "all" && $0.split(separator: "\t")[5] == "all" })
    }

    func testHeadMotifTableAndMEMEFileAgree() throws {
        let motif = Motif(id: "L1H2_1", probabilities: [[0.9, 0.05, 0.05, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 0.5, 0.5]], sites: 40)
        let match = MotifMatch(queryID: "L1H2_1", targetID: "MA0766.3", targetName: "GATA5", targetIndex: 0, offset: -1, pValue: 1.234e-7,
                               eValue: 1.26e-4, qValue: 3.3e-5, overlap: 5, score: 4.5, queryConsensus: "AGTAK", targetConsensus: "AGATAA", orientation: .minus)
        let found = HeadMotif(head: HeadIndex(layer: 1, head: 2), motif: motif, sites: 40, boundFraction: 0.25, backgroundFraction: 0.0125,
                              pValue: 2.5e-30, qValue: 1e-28, focusFraction: 0.3125, expectedFraction: 0.0625, focusPValue: 4.2e-12,
                              focusQValue: 8.4e-11, matches: [match])
        try ResultTables.writeHeadMotifs([found], to: folder.appendingPathComponent("head_motifs.tsv").path, provenance: provenance)
        try ResultTables.writeHeadMotifsMEME([found], to: folder.appendingPathComponent("motifs.meme").path)
        try ResultTables.writeMatches([match], to: folder.appendingPathComponent("motif_matches.tsv").path, provenance: provenance)
        let table = try lines("head_motifs.tsv")
        XCTAssertEqual(table[1], ResultTables.headMotifColumns.joined(separator: "\t"))
        XCTAssertEqual(table[2], "1\t2\tL1H2_1\tAGTAK\t40\t0.250000\t0.012500\t2.500e-30\t1.000e-28\tMA0766.3\tGATA5\t1.234e-07\t3.300e-05"
                       + "\t0.312500\t0.062500\t4.200e-12\t8.400e-11")
        let meme = try MEMEFormat.read(path: folder.appendingPathComponent("motifs.meme").path)
        XCTAssertEqual(meme.motifs.map(\.id), ["L1H2_1"])
        XCTAssertEqual(meme.motifs[0].consensus, "AGTAK")
        let matches = try lines("motif_matches.tsv")
        XCTAssertEqual(matches[1], "query_id\ttarget_id\toptimal_offset\tp_value\te_value\tq_value\toverlap\tquery_consensus\ttarget_consensus\torientation")
        XCTAssertEqual(matches[2], "L1H2_1\tMA0766.3\t-1\t1.234e-07\t1.260e-04\t3.300e-05\t5\tAGTAK\tAGATAA\t-")
    }

    func testHeadTableMarksMissingImportanceAsNA() throws {
        let row = HeadDiagnostic(head: HeadIndex(layer: 0, head: 1), meanEntropy: 7.23, normalizedEntropy: 0.9987, redundancy: 0.5,
                                 mostSimilar: HeadIndex(layer: 0, head: 0), collapsed: true, prune: false, importance: nil)
        try ResultTables.writeHeads([row], to: folder.appendingPathComponent("heads.tsv").path, provenance: provenance)
        let text = try lines("heads.tsv")
        XCTAssertEqual(text[2], "0\t1\t7.2300\t0.9987\t0.5000\tL0H0\tyes\tno\tNA")
    }

    func testFailedWriteLeavesNoFileBehind() {
        let missing = folder.appendingPathComponent("no-such-folder/interactions.tsv").path
        XCTAssertThrowsError(try ResultTables.writeInteractions([], to: missing, provenance: provenance)) { error in
            XCTAssertTrue("\(error)".contains("no-such-folder/interactions.tsv"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    }
}
