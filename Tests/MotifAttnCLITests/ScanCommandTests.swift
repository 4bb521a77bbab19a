import Foundation
import XCTest
import MotifAttnBenchmarking
import _TestSupport
@testable import MotifAttn

/// `motifattn scan` end to end on the bundled demo genome, whose planted truth comes from simulate.py.
final class ScanCommandTests: XCTestCase {
    private static let reference = TestPaths.repositoryRoot.appendingPathComponent("Reference")
    private static func demo(_ name: String) -> String { reference.appendingPathComponent("demo/\(name)").path }
    private static let outputs = ["scores.tsv.gz", "scores.tsv.gz.tbi", "scores.bedgraph", "head_motifs.tsv", "motifs.meme", "motif_matches.tsv",
                                  "interactions.tsv", "heads.tsv", "report.html", "run.json"]

    /// A fresh scan of the demo genome with the bundled default model recovers every planted pair
    /// among the first 2 × 3 distinct significant pairs (simulate.py's truth_pairs.tsv).
    func testScanOfTheDemoGenomeRecoversThePlantedPairs() throws {
        try CLIRunner.skipWholeGenomeScanUnderThreadSanitizer()
        let out = try CLIRunner.folder(for: self).appendingPathComponent("scan")
        // Plus strand and 2,000 + 2,000 analysed windows keep the test to about a minute on 2 cores.
        let result = try CLIRunner.motifattn(["scan", Self.demo("genome.fa.gz"), "--regions", Self.demo("peaks.bed"),
                                              "--strand", "plus", "--max-bound", "2000", "--max-background", "2000",
                                              "--threads", "2", "--quiet", "--out", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stderr.contains("caution"), "the bundled model was trained on this simulation: \(result.stderr)")
        for name in Self.outputs {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), name)
        }
        let families = try TruthEvaluation.families(fromJasparTSV: Self.reference.appendingPathComponent("jaspar/jaspar_core_vertebrates.tsv").path)
        let evaluation = try TruthEvaluation.evaluate(
            interactionsPath: out.appendingPathComponent("interactions.tsv").path,
            headMotifsPath: out.appendingPathComponent("head_motifs.tsv").path,
            truthPairsPath: Self.demo("truth_pairs.tsv"), truthMotifsPath: Self.demo("truth_motifs.tsv"), families: families)
        XCTAssertEqual(evaluation.pairsFound, 3, evaluation.description)
        XCTAssertGreaterThanOrEqual(evaluation.motifsFound, 2, evaluation.description)

        // scores.tsv.gz: one row per plus-strand window of the 4 chromosomes (stride 100, window 200, last partial kept
        // when at least 100 bases), in genome order, 0-based half-open.
        let rows = try CLIRunner.contentLines(out.appendingPathComponent("scores.tsv.gz")).dropFirst().filter { !$0.isEmpty }
        let lengths = [601_715, 594_984, 605_627, 609_096]
        let expected = lengths.reduce(0) { total, length in total + (length - 100) / 100 + 1 }
        XCTAssertEqual(rows.count, expected)
        let first = rows.first!.split(separator: "\t")
        XCTAssertEqual(Array(first.prefix(4)), ["chr1", "0", "200", "+"])
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as! [String: Any]
        let counts = run["counts"] as! [String: Int]
        XCTAssertEqual(counts["windows_scored"], expected)
        // The bundled model and database are named by their place in the bundle, not by this machine's folders.
        let inputs = Dictionary(uniqueKeysWithValues: (run["inputs"] as! [[String: Any]]).map { ($0["role"] as! String, $0["path"] as! String) })
        XCTAssertEqual(inputs["model"], "bundled:model/default.safetensors")
        XCTAssertEqual(inputs["motifs"], "bundled:jaspar/jaspar_core_vertebrates.meme")
        let report = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertFalse(report.contains(Self.reference.appendingPathComponent("model").path), "report.html names this machine's bundle folder")
        XCTAssertTrue(report.contains("bundled:model/default.safetensors"))
        XCTAssertLessThan(report.utf8.count, 2_000_000, "the report stays small enough to mail")
        XCTAssertTrue(report.contains("<section id=\"track\">"), "the scores along the genome")
        // One SVG logo per head motif, beside motifs.meme.
        let headMotifs = try CLIRunner.contentLines(out.appendingPathComponent("head_motifs.tsv")).dropFirst().filter { !$0.isEmpty }
        let logos = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("logos").path)
        XCTAssertEqual(Set(logos), Set(headMotifs.map { $0.split(separator: "\t")[2] + ".svg" }))
        // Each bound window is kept with probability 2000 / (bound windows of the genome), by a position-keyed coin.
        let bound = try XCTUnwrap(counts["bound_windows"])
        XCTAssertTrue((1850...2150).contains(bound), "\(bound) bound windows analysed")
    }

    /// Outputs do not depend on the thread count, without regions (top-scoring windows are bound; a second
    /// pass reads them again) and with regions (the analysed windows' maps are kept while scoring: one pass).
    func testOutputsAreTheSameForOneAndTwoThreads() throws {
        let folder = try CLIRunner.folder(for: self)
        let genome = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/genomes/lambda_virus.fa.gz").path
        let regions = folder.appendingPathComponent("regions.bed")
        try "gi|9626243|ref|NC_001416.1|\t2000\t6000\ngi|9626243|ref|NC_001416.1|\t30000\t36000\n".write(to: regions, atomically: true, encoding: .utf8)
        for (mode, extra) in [("top", ["--bound-fraction", "0.1"]), ("regions", ["--regions", regions.path])] {
            for threads in ["1", "2"] {
                let result = try CLIRunner.motifattn(["scan", genome] + extra + ["--threads", threads, "--quiet",
                                                      "--out", folder.appendingPathComponent("\(mode)\(threads)").path])
                XCTAssertEqual(result.status, 0, result.stderr)
                // Even with --quiet: the bundled model never saw lambda, and without regions its own scores choose the bound windows.
                let cautions = result.stderr.split(separator: "\n").filter { $0.hasPrefix("motifattn scan: caution: ") }
                XCTAssertEqual(cautions.count, mode == "top" ? 2 : 1, result.stderr)
                XCTAssertTrue(cautions[0].contains("the model was trained on the simulated demo"), result.stderr)
            }
            if mode == "top" {
                // About twice as many background windows as bound ones are analysed (`--background-per-bound` 2), of
                // the bottom half's 485: each kept by a position-keyed coin of chance 194 / 485 (s.d. of the count about 11).
                let run = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("top1/run.json"))) as! [String: Any]
                let counts = run["counts"] as! [String: Int]
                let bound = try XCTUnwrap(counts["bound_windows"]), background = try XCTUnwrap(counts["background_windows"])
                XCTAssertEqual(bound, 97)
                XCTAssertTrue((150...240).contains(background), "\(background) background windows analysed")
            }
            for name in ["scores.tsv.gz", "scores.bedgraph", "head_motifs.tsv", "motifs.meme", "motif_matches.tsv", "interactions.tsv", "heads.tsv"] {
                let one = try CLIRunner.contentLines(folder.appendingPathComponent("\(mode)1/\(name)"))
                let two = try CLIRunner.contentLines(folder.appendingPathComponent("\(mode)2/\(name)"))
                XCTAssertGreaterThan(one.count, 1, "\(mode) \(name)")
                XCTAssertEqual(one, two, "\(mode) \(name)")
            }
        }
    }

    func testMissingGenomeIsOneLineErrorWithExitOneAndNoOutputs() throws {
        let out = try CLIRunner.folder(for: self).appendingPathComponent("scan")
        let result = try CLIRunner.motifattn(["scan", "/nonexistent/genome.fa.gz", "--out", out.path])
        XCTAssertEqual(result.status, 1)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(lines.first?.hasPrefix("motifattn scan: ") ?? false, result.stderr)
        XCTAssertTrue(result.stderr.contains("/nonexistent/genome.fa.gz"), result.stderr)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
        XCTAssertEqual(left.filter { Self.outputs.contains($0) }, [])
    }

    /// SIGINT while the scan is scoring: exit 130, and neither final files nor temporary files are left.
    func testInterruptedScanLeavesNoFiles() throws {
        let out = try CLIRunner.folder(for: self).appendingPathComponent("scan")
        let process = Process()
        process.executableURL = try CLIRunner.binary()
        process.arguments = ["scan", Self.demo("genome.fa.gz"), "--regions", Self.demo("peaks.bed"), "--threads", "1", "--out", out.path]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait for the first progress line (scoring has started and scores.tsv is being written), then interrupt.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("windows") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        process.interrupt()
        _ = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
        XCTAssertEqual(left, [], "files left after SIGINT: \(left)")
    }

    func testBadOptionIsUsageErrorSixtyFour() throws {
        let out = try CLIRunner.folder(for: self).appendingPathComponent("scan")
        let result = try CLIRunner.motifattn(["scan", Self.demo("genome.fa.gz"), "--window", "0", "--out", out.path])
        XCTAssertEqual(result.status, 64, result.stderr)
        // A second look must see more windows than the first.
        let looks = try CLIRunner.motifattn(["scan", Self.demo("genome.fa.gz"), "--epistasis-windows", "80",
                                             "--epistasis-follow-up-windows", "80", "--out", out.path])
        XCTAssertEqual(looks.status, 64, looks.stderr)
        XCTAssertTrue(looks.stderr.contains("--epistasis-follow-up-windows"), looks.stderr)
        let share = try CLIRunner.motifattn(["scan", Self.demo("genome.fa.gz"), "--echo-site-share", "1.5", "--out", out.path])
        XCTAssertEqual(share.status, 64, share.stderr)
        XCTAssertTrue(share.stderr.contains("--echo-site-share"), share.stderr)
        let floor = try CLIRunner.motifattn(["scan", Self.demo("genome.fa.gz"), "--epistasis-min-joint-share", "1", "--out", out.path])
        XCTAssertEqual(floor.status, 64, floor.stderr)
        XCTAssertTrue(floor.stderr.contains("--epistasis-min-joint-share"), floor.stderr)
        for ratio in ["0", "-1", "inf"] {
            let refused = try CLIRunner.motifattn(["scan", Self.demo("genome.fa.gz"), "--background-per-bound", ratio, "--out", out.path])
            XCTAssertEqual(refused.status, 64, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("--background-per-bound"), refused.stderr)
        }
        // Options named otherwise than their setting are named as the user wrote them.
        for (option, value) in [("--max-q", "0"), ("--instance-p", "1")] {
            let refused = try CLIRunner.motifattn(["scan", Self.demo("genome.fa.gz"), option, value, "--out", out.path])
            XCTAssertEqual(refused.status, 64, refused.stderr)
            XCTAssertTrue(refused.stderr.contains(option) && refused.stderr.contains("must be"), refused.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing written")
    }
}

/// `motifattn analyze` on simulate.py's labelled test set (label=1 bound, label=0 background).
final class AnalyzeCommandTests: XCTestCase {
    private static let reference = TestPaths.repositoryRoot.appendingPathComponent("Reference")

    private static let demo = reference.appendingPathComponent("demo")

    /// Runs `analyze` on the demo's test set (simulate.py seed 1) with `options` into a fresh folder `name`;
    /// returns the folder and the run against the planted truth (motifs by JASPAR family too).
    private func analyzeDemo(_ name: String, _ options: [String] = []) throws -> (out: URL, evaluation: TruthEvaluation) {
        let out = try CLIRunner.folder(for: self).appendingPathComponent(name)
        let result = try CLIRunner.motifattn(["analyze", Self.demo.appendingPathComponent("test.fa.gz").path, "--threads", "2", "--quiet",
                                              "--out", out.path] + options)
        XCTAssertEqual(result.status, 0, result.stderr)
        let evaluation = try TruthEvaluation.evaluate(
            interactionsPath: out.appendingPathComponent("interactions.tsv").path,
            headMotifsPath: out.appendingPathComponent("head_motifs.tsv").path,
            truthPairsPath: Self.demo.appendingPathComponent("truth_pairs.tsv").path,
            truthMotifsPath: Self.demo.appendingPathComponent("truth_motifs.tsv").path,
            families: try TruthEvaluation.families(fromJasparTSV: Self.reference.appendingPathComponent("jaspar/jaspar_core_vertebrates.tsv").path))
        return (out, evaluation)
    }

    func testAnalyzeOfLabelledSequencesRecoversThePlantedPairs() throws {
        let (out, evaluation) = try analyzeDemo("analyze")
        XCTAssertEqual(evaluation.pairsFound, 3, evaluation.description)
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as! [String: Any]
        let counts = run["counts"] as! [String: Int]
        // simulate.py's test set: 2,000 positives and 2,000 negatives.
        XCTAssertEqual(counts["bound_windows_analysed"], 2000)
        XCTAssertEqual(counts["background_windows_analysed"], 2000)
    }

    /// The PyTorch-trained model of the benchmark (`Tests/Fixtures/models`) recovers every planted pair and reports
    /// nothing else: its heads co-attend a pair member with any planted site in bound windows, and only the
    /// epistasis test (the model needs both sites) tells the partners apart. With `--specificity mutual-best`
    func testPyTorchTrainedModelRecoversThePlantedPairsByEpistasis() throws {
        let model = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/models/sim-seed1-pytorch.safetensors").path
        let (out, evaluation) = try analyzeDemo("pytorch", ["--model", model])
        let demo = Self.demo
        XCTAssertEqual(evaluation.pairsFound, 3, evaluation.description)
        // No written row pairs two planted motifs that are not partners (with the attention tests alone, such
        // rows, e.g. Bach1::Mafk's class with ZNF518B, filled the top of the table).
        let table = try TSVTable(path: out.appendingPathComponent("interactions.tsv").path)
        let truthPairs = try TSVTable(path: demo.appendingPathComponent("truth_pairs.tsv").path)
        let partners = Set(truthPairs.rows.map { Set([$0[try! truthPairs.index(of: "jaspar_id_a")], $0[try! truthPairs.index(of: "jaspar_id_b")]]) })
        let planted = Set(partners.flatMap { $0 })
        let classA = try table.index(of: "class_a"), classB = try table.index(of: "class_b")
        for row in table.rows {
            let a = Set(row[classA].split(separator: ",").map(String.init)).intersection(planted)
            let b = Set(row[classB].split(separator: ",").map(String.init)).intersection(planted)
            guard !a.isEmpty && !b.isEmpty else { continue }
            XCTAssertTrue(a.contains { x in b.contains { y in partners.contains([x, y]) } }, "non-partners \(a) and \(b) reported")
        }
        // Every written row was tested in the model, and its p-value is the larger of elevation and epistasis.
        let p = try table.index(of: "p_value"), elevated = try table.index(of: "p_elevated"), epistasis = try table.index(of: "p_epistasis")
        let windows = try table.index(of: "n_epistasis"), mean = try table.index(of: "epistasis")
        XCTAssertFalse(table.rows.isEmpty)
        for row in table.rows {
            XCTAssertEqual(Double(row[p])!, max(Double(row[elevated])!, Double(row[epistasis])!), accuracy: 1e-3 * Double(row[p])!)
            // Either the first look's 80 windows (a pair with no more) or the second look's, up to 400.
            XCTAssertTrue((80...400).contains(Int(row[windows]) ?? 0), "n_epistasis \(row[windows])")
            XCTAssertGreaterThan(Double(row[mean])!, 1, "partners are worth over one logit more together than apart")
        }
        // Every look-alike echo names a pair written above it that is itself no echo.
        let echo = try table.index(of: "echo_of"), ma = try table.index(of: "motif_a"), mb = try table.index(of: "motif_b")
        var roots = Set<String>()
        for row in table.rows {
            if row[echo] == "." { roots.insert(row[ma] + "+" + row[mb]) } else { XCTAssertTrue(roots.contains(row[echo]), row[echo]) }
        }
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as! [String: Any]
        XCTAssertEqual((run["parameters"] as! [String: String])["specificity"], "epistasis")
    }

    /// `--instances discovered`: the co-attention pairs the run's own head motifs (found in a first pass)
    /// and still recovers every planted pair, each discovered motif standing for its best database match.
    func testDiscoveredInstancesRecoverThePlantedPairs() throws {
        let (out, evaluation) = try analyzeDemo("discovered", ["--instances", "discovered"])
        XCTAssertEqual(evaluation.pairsFound, 3, evaluation.description)
        // Every paired motif is a head motif of the run, none a database motif.
        let headMotifs = try TSVTable(path: out.appendingPathComponent("head_motifs.tsv").path)
        let ids = Set(headMotifs.rows.map { $0[try! headMotifs.index(of: "motif_id")] })
        let interactions = try TSVTable(path: out.appendingPathComponent("interactions.tsv").path)
        let a = try interactions.index(of: "motif_a"), b = try interactions.index(of: "motif_b")
        XCTAssertFalse(interactions.rows.isEmpty)
        for row in interactions.rows { XCTAssertTrue(ids.contains(row[a]) && ids.contains(row[b]), "\(row[a]) \(row[b])") }
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as! [String: Any]
        XCTAssertEqual((run["parameters"] as! [String: String])["instances"], "discovered")
        XCTAssertEqual((run["counts"] as! [String: Int])["discovered_instance_motifs"], ids.count)
    }

    /// Discovered instances read the input twice: standard input and a genome with --regions are usage errors.
    func testDiscoveredInstancesNeedARereadableLabelledFasta() throws {
        let folder = try CLIRunner.folder(for: self)
        let stdin = try CLIRunner.motifattn(["analyze", "-", "--instances", "both", "--quiet", "--out", folder.appendingPathComponent("a").path],
                                            stdin: "printf '>s label=1\\nACGT\\n'")
        XCTAssertEqual(stdin.status, 64, stdin.stderr)
        XCTAssertTrue(stdin.stderr.contains("standard input"), stdin.stderr)
        let genome = try CLIRunner.motifattn(["analyze", Self.reference.appendingPathComponent("demo/genome.fa.gz").path, "--regions",
                                              Self.reference.appendingPathComponent("demo/peaks.bed").path, "--instances", "discovered",
                                              "--quiet", "--out", folder.appendingPathComponent("b").path])
        XCTAssertEqual(genome.status, 64, genome.stderr)
        XCTAssertTrue(genome.stderr.contains("--regions"), genome.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("a").path))
    }

    func testRecordWithoutLabelIsOneLineErrorNamingTheRecord() throws {
        let folder = try CLIRunner.folder(for: self)
        let input = folder.appendingPathComponent("unlabelled.fa")
        try ">seq1 label=1\nACGTACGTAC\n>seq2\nACGTTTGACA\n".write(to: input, atomically: true, encoding: .utf8)
        let result = try CLIRunner.motifattn(["analyze", input.path, "--quiet", "--out", folder.appendingPathComponent("out").path])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("motifattn analyze: ") && result.stderr.contains("seq2"), result.stderr)
    }
}
