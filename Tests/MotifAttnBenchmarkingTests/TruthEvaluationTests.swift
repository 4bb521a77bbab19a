import Foundation
import XCTest
@testable import MotifAttnBenchmarking

final class TruthEvaluationTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func write(_ name: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testPrecisionAndRecallCountOnlySignificantTopPairsAndFamilyMatches() throws {
        let pairs = try write("truth_pairs.tsv", "jaspar_id_a\ttf_a\tjaspar_id_b\ttf_b\nA1\ta\tB1\tb\nC1\tc\tD1\td\n")
        let motifs = try write("truth_motifs.tsv", "jaspar_id\ttf\tin_pair\nA1\ta\tyes\nB1\tb\tyes\nC1\tc\tyes\nD1\td\tyes\n")
        // Sorted by q: (B1,A1) found in reverse order; X/Y a false positive; (C1,D1) fifth distinct pair, beyond 2×2.
        let interactions = try write("interactions.tsv", """
        ##motifattn version=test
        motif_a\tmotif_b\tlayer\thead\tq_value
        B1\tA1\t0\t1\t1e-9
        A1\tB1\t0\tall\t1e-8
        X\tY\t1\t0\t1e-4
        E\tF\t1\t0\t1e-3
        G\tH\t1\t0\t0.01
        C1\tD1\t0\t2\t0.02
        """)
        let heads = try write("head_motifs.tsv", """
        layer\thead\tmotif_id\tbest_match_id\tmatch_q_value
        0\t0\tL0H0_1\tA1\t0.001
        0\t1\tL0H1_1\tB9\t0.01
        0\t2\tL0H2_1\tC1\t0.2
        1\t0\tL1H0_1\tZ\t0.001
        """)
        let result = try TruthEvaluation.evaluate(interactionsPath: interactions, headMotifsPath: heads, truthPairsPath: pairs,
                                                  truthMotifsPath: motifs, families: ["B9": "GATA", "B1": "GATA"])
        XCTAssertEqual(result.pairsFound, 1)
        XCTAssertEqual(result.pairsReported, 4)
        XCTAssertEqual(result.pairRecall, 0.5)
        XCTAssertEqual(result.pairPrecision, 0.25)
        XCTAssertEqual(result.missedPairs, ["C1+D1"])
        // A1 exact, B1 through its family (B9); C1's match is not significant; Z is wrong.
        XCTAssertEqual(result.motifsFound, 2)
        XCTAssertEqual(result.motifsReported, 3)
        XCTAssertEqual(result.motifsReportedCorrect, 2)
        XCTAssertEqual(result.missedMotifs, ["C1", "D1"])
    }

    func testEchoPairsAreNotCountedUnlessAsked() throws {
        let pairs = try write("truth_pairs.tsv", "jaspar_id_a\ttf_a\tjaspar_id_b\ttf_b\nA1\ta\tB1\tb\nC1\tc\tD1\td\n")
        let motifs = try write("truth_motifs.tsv", "jaspar_id\ttf\tin_pair\nA1\ta\tyes\n")
        // A2+B1 echoes the planted A1+B1. Counted, it would push C1+D1 beyond the 2 × 2 pairs counted.
        let interactions = try write("interactions.tsv", """
        motif_a\tmotif_b\tlayer\thead\tq_value\techo_of
        A1\tB1\tall\tall\t1e-9\t.
        A2\tB1\tall\tall\t1e-6\tA1+B1
        E\tF\tall\tall\t1e-5\t.
        G\tH\tall\tall\t1e-4\t.
        C1\tD1\tall\tall\t1e-3\t.
        """)
        let heads = try write("head_motifs.tsv", "layer\thead\tmotif_id\tbest_match_id\tmatch_q_value\n0\t0\tL0H0_1\tA1\t0.001\n")
        let skipped = try TruthEvaluation.evaluate(interactionsPath: interactions, headMotifsPath: heads, truthPairsPath: pairs,
                                                   truthMotifsPath: motifs)
        XCTAssertEqual(skipped.pairsFound, 2)
        XCTAssertEqual(skipped.pairsReported, 4)
        let counted = try TruthEvaluation.evaluate(interactionsPath: interactions, headMotifsPath: heads, truthPairsPath: pairs,
                                                   truthMotifsPath: motifs, countEchoes: true)
        XCTAssertEqual(counted.pairsFound, 1)
        XCTAssertEqual(counted.pairsReported, 4)
        XCTAssertEqual(counted.missedPairs, ["C1+D1"])
    }

    func testPairsAreFoundWithinTheirLookAlikeClasses() throws {
        let pairs = try write("truth_pairs.tsv", "jaspar_id_a\ttf_a\tjaspar_id_b\ttf_b\nA1\ta\tB1\tb\nC1\tc\tD1\td\n")
        let motifs = try write("truth_motifs.tsv", "jaspar_id\ttf\tin_pair\nA1\ta\tyes\n")
        // A1 is in the class represented by R (3 members); B1 alone. C1+D1: D1 is in no reported class.
        let interactions = try write("interactions.tsv", """
        motif_a\tmotif_b\tlayer\thead\tq_value\tclass_a\tclass_b
        B1\tR\t0\t1\t1e-9\tB1\tR,A1,A2
        C1\tX\t0\t1\t1e-8\tC1\tX,Y
        E\tF\t1\t0\t1e-4\tE\tF
        G\tH\t1\t0\t0.01\tG\tH
        """)
        let heads = try write("head_motifs.tsv", "layer\thead\tmotif_id\tbest_match_id\tmatch_q_value\n0\t0\tL0H0_1\tA1\t0.001\n")
        let result = try TruthEvaluation.evaluate(interactionsPath: interactions, headMotifsPath: heads, truthPairsPath: pairs, truthMotifsPath: motifs)
        XCTAssertEqual(result.pairsFound, 1)
        XCTAssertEqual(result.pairsReported, 4)
        XCTAssertEqual(result.pairsReportedCorrect, 1)
        XCTAssertEqual(result.foundPairs, ["A1+B1 (3×1)"])
        XCTAssertEqual(result.missedPairs, ["C1+D1"])
        XCTAssertTrue(result.description.contains("found pairs (class sizes): A1+B1 (3×1)"), result.description)
    }

    /// A dimer's family entry lists its subunits' families (JASPAR writes `Fos-related;Jun-related`); only the same
    /// entry counts: neither JDP2 (`Fos-related`) nor a CNC factor filed under `Jun-related` stands for FOSL1::JUN.
    func testDimerFamilyMustMatchAsAWhole() throws {
        let pairs = try write("truth_pairs.tsv", "jaspar_id_a\ttf_a\tjaspar_id_b\ttf_b\n")
        let motifs = try write("truth_motifs.tsv", "jaspar_id\ttf\tin_pair\nFJ\tFOSL1::JUN\tno\n")
        let interactions = try write("interactions.tsv", "motif_a\tmotif_b\tlayer\thead\tq_value\n")
        let families = ["FJ": "Fos-related;Jun-related", "F2J": "Fos-related;Jun-related", "JD": "Fos-related", "NF": "Jun-related"]
        func found(_ match: String) throws -> Int {
            let heads = try write("heads-\(match).tsv", "layer\thead\tmotif_id\tbest_match_id\tmatch_q_value\n0\t0\tL0H0_1\t\(match)\t0.001\n")
            return try TruthEvaluation.evaluate(interactionsPath: interactions, headMotifsPath: heads, truthPairsPath: pairs,
                                                truthMotifsPath: motifs, families: families).motifsFound
        }
        XCTAssertEqual(try found("F2J"), 1)
        XCTAssertEqual(try found("JD"), 0)
        XCTAssertEqual(try found("NF"), 0)
    }

    /// By family or look-alike class: a head motif whose best match is a look-alike of the planted motif from another
    /// family finds it (the family line does not), so does one of its family from another class, each class of best
    /// matches is reported once, and the planted motif's class size is printed.
    func testMotifsByFamilyOrLookAlikeClass() throws {
        let pairs = try write("truth_pairs.tsv", "jaspar_id_a\ttf_a\tjaspar_id_b\ttf_b\n")
        let motifs = try write("truth_motifs.tsv", "jaspar_id\ttf\tin_pair\nFJ\tFOSL1::JUN\tno\nG5\tGATA5\tno\nZ\tZNF\tno\n")
        let interactions = try write("interactions.tsv", "motif_a\tmotif_b\tlayer\thead\tq_value\n")
        // JD and JJ are look-alikes of FJ from other families (one class of 3); G2 is of G5's family but in a class of its
        // own; Y is in no class of the table; CC's match is not significant. Z is planted but matched by no head motif.
        let heads = try write("head_motifs.tsv", """
        layer\thead\tmotif_id\tbest_match_id\tmatch_q_value
        0\t0\tL0H0_1\tJD\t0.001
        0\t1\tL0H1_1\tJJ\t0.01
        0\t2\tL0H2_1\tG2\t0.001
        1\t0\tL1H0_1\tY\t0.001
        1\t1\tL1H1_1\tCC\t0.3
        """)
        let table = try write("classes.tsv", """
        ##fingerprint=test
        motif_id\tname\trepresentative_id\tclass_size
        FJ\tFOSL1::JUN\tJJ\t3
        JD\tJDP2\tJJ\t3
        JJ\tJUN::JUNB\tJJ\t3
        G5\tGATA5\tG5\t1
        G2\tGATA2\tG2\t1
        CC\tCC\tFJ\t3
        """)
        let families = ["FJ": "Fos-related;Jun-related", "JD": "Fos-related", "JJ": "Jun-related", "G5": "GATA", "G2": "GATA"]
        let classes = try TruthEvaluation.classes(fromClassesTSV: table)
        let result = try TruthEvaluation.evaluate(interactionsPath: interactions, headMotifsPath: heads, truthPairsPath: pairs,
                                                  truthMotifsPath: motifs, families: families, lookAlikeClasses: classes)
        // By family alone G5 is found (through G2) and FJ is not; by family or class both are, FJ once for two look-alikes.
        XCTAssertEqual(result.motifsFound, 1)
        XCTAssertEqual(result.motifsReported, 4)
        XCTAssertEqual(result.motifsByClass, TruthEvaluation.MotifsByClass(found: 2, reported: 3, reportedCorrect: 2,
                                                                            foundWithClassSizes: ["FJ (3)", "G5 (1)"]))
        XCTAssertTrue(result.description.contains(
            "motifs by family or look-alike class: recall 0.67 (2/3), precision 0.67 (2 of 3 classes reported); found (class sizes): FJ (3), G5 (1)"),
                      result.description)
        let without = try TruthEvaluation.evaluate(interactionsPath: interactions, headMotifsPath: heads, truthPairsPath: pairs,
                                                   truthMotifsPath: motifs, families: families)
        XCTAssertNil(without.motifsByClass)
        XCTAssertFalse(without.description.contains("look-alike class"))
    }

    /// With discovered instances a row pairs head motifs; each stands for its best match when that match is significant.
    func testDiscoveredMotifsStandForTheirSignificantBestMatch() throws {
        let pairs = try write("truth_pairs.tsv", "jaspar_id_a\ttf_a\tjaspar_id_b\ttf_b\nA1\ta\tB1\tb\nC1\tc\tD1\td\n")
        let motifs = try write("truth_motifs.tsv", "jaspar_id\ttf\tin_pair\nA1\ta\tyes\n")
        // L0H0_1 ~ A1 and L1H2_1 ~ B1 (significant): found. L0H2_1 ~ C1 only at q 0.2, so the row with D1's match is no hit.
        let interactions = try write("interactions.tsv", """
        motif_a\tmotif_b\tlayer\thead\tq_value\tclass_a\tclass_b
        L0H0_1\tL1H2_1\t0\t1\t1e-9\tL0H0_1,L0H0_3\tL1H2_1
        L0H2_1\tL1H3_1\t0\t1\t1e-8\tL0H2_1\tL1H3_1
        """)
        let heads = try write("head_motifs.tsv", """
        layer\thead\tmotif_id\tbest_match_id\tmatch_q_value
        0\t0\tL0H0_1\tA1\t0.001
        0\t0\tL0H0_3\tA2\t0.01
        1\t2\tL1H2_1\tB1\t0.02
        0\t2\tL0H2_1\tC1\t0.2
        1\t3\tL1H3_1\tD1\t0.001
        """)
        let result = try TruthEvaluation.evaluate(interactionsPath: interactions, headMotifsPath: heads, truthPairsPath: pairs, truthMotifsPath: motifs)
        XCTAssertEqual(result.pairsFound, 1)
        XCTAssertEqual(result.foundPairs, ["A1+B1 (2×1)"])
        XCTAssertEqual(result.missedPairs, ["C1+D1"])
        XCTAssertEqual(result.pairsReportedCorrect, 1)
    }

    /// The fit of each planted motif is its smallest match p-value in motif_matches.tsv, whatever the head motif's best
    /// match; a planted motif no head motif matches has none and adds 0 to the sum.
    func testPlantedMotifFitIsTheSmallestMatchPValueOfAnyHeadMotif() throws {
        let pairs = try write("truth_pairs.tsv", "jaspar_id_a\ttf_a\tjaspar_id_b\ttf_b\n")
        let motifs = try write("truth_motifs.tsv", "jaspar_id\ttf\tin_pair\nFJ\tFOSL1::JUN\tno\nG5\tGATA5\tyes\nH11\tHOXC11\tno\n")
        let interactions = try write("interactions.tsv", "motif_a\tmotif_b\tlayer\thead\tq_value\n")
        // L0H0_2's best match is JD, not FJ; FJ still fits at 1e-6 (its best p over two head motifs).
        let heads = try write("head_motifs.tsv", "layer\thead\tmotif_id\tbest_match_id\tmatch_q_value\n0\t0\tL0H0_2\tJD\t0.001\n")
        let matches = try write("motif_matches.tsv", """
        ##motifattn version=test
        query_id\ttarget_id\toptimal_offset\tp_value\te_value\tq_value\toverlap\tquery_consensus\ttarget_consensus\torientation
        L0H0_2\tJD\t0\t1e-7\t1e-4\t1e-5\t10\tRTGACGTCAT\tRTGACGTCAT\t+
        L0H0_2\tFJ\t0\t1e-6\t1e-3\t1e-4\t10\tRTGACGTCAT\tATGACGTCAT\t+
        L1H0_1\tFJ\t0\t1e-4\t1e-1\t1e-2\t8\tTGACGTCA\tATGACGTCAT\t+
        L1H0_1\tG5\t1\t1e-3\t1\t0.2\t6\tTGACGT\tAGATAAGA\t-
        """)
        let result = try TruthEvaluation.evaluate(interactionsPath: interactions, headMotifsPath: heads, truthPairsPath: pairs,
                                                  truthMotifsPath: motifs, matchesPath: matches)
        XCTAssertEqual(result.plantedMotifFit.map(\.id), ["FJ", "G5", "H11"])
        XCTAssertEqual(result.plantedMotifFit.map(\.pValue), [1e-6, 1e-3, nil])
        XCTAssertEqual(result.plantedMotifFitScore, 9, accuracy: 1e-9)
        XCTAssertEqual(result.motifsFound, 0)
        XCTAssertTrue(result.description.contains("FJ 6.0, G5 3.0, H11 none; sum 9.0"), result.description)
        // Without the table there is no second line.
        let without = try TruthEvaluation.evaluate(interactionsPath: interactions, headMotifsPath: heads, truthPairsPath: pairs, truthMotifsPath: motifs)
        XCTAssertTrue(without.plantedMotifFit.isEmpty)
        XCTAssertFalse(without.description.contains("\n"))
    }

    func testMissingColumnIsNamed() throws {
        let bad = try write("bad.tsv", "motif_a\tq\nA\t0.1\n")
        let pairs = try write("truth_pairs.tsv", "jaspar_id_a\tjaspar_id_b\nA\tB\n")
        XCTAssertThrowsError(try TruthEvaluation.evaluate(interactionsPath: bad, headMotifsPath: bad, truthPairsPath: pairs, truthMotifsPath: pairs)) { error in
            XCTAssertTrue("\(error)".contains("no column 'motif_b'"), "\(error)")
        }
    }
}
