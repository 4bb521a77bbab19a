import Foundation
import XCTest
import _TestSupport

/// `motifattn score` run as a process: the table against ONNX Runtime's logits, errors, `-`, threads.
final class ScoreCommandTests: XCTestCase {
    private typealias Result = CLIRunner.Result

    private static let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures")
    private func fixture(_ path: String) -> String { Self.fixtures.appendingPathComponent(path).path }
    private var simModel: String { fixture("models/sim-seed1-pytorch.safetensors") }

    /// The built `motifattn` (see `CLIRunner.binary`).
    private func binary() throws -> URL { try CLIRunner.binary() }

    /// Runs `motifattn score ARGS`, through bash with `producer |` in front when `stdin` is given.
    private func score(_ arguments: [String], stdin: String? = nil) throws -> Result {
        try CLIRunner.motifattn(["score"] + arguments, stdin: stdin)
    }

    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-score-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// ONNX Runtime's logits per record name (`ort_peer.py score --out`).
    private func peerLogits(_ path: String) throws -> [String: [Double]] {
        var table: [String: [Double]] = [:]
        for line in try String(contentsOfFile: fixture(path), encoding: .utf8).split(separator: "\n") {
            let f = line.split(separator: "\t")
            table[String(f[0])] = f.dropFirst().map { Double($0)! }
        }
        return table
    }

    /// Checks a score table (after provenance and header) against the peer: logits within 1e-4, probability = logistic(logit).
    private func checkRows(_ lines: [Substring], against peer: [String: [Double]], outputs: Int) {
        XCTAssertEqual(lines.count, peer.count)
        for line in lines {
            let f = line.split(separator: "\t")
            XCTAssertEqual(f.count, 1 + 2 * outputs, String(line))
            guard let expected = peer[String(f[0])] else { XCTFail("unknown record \(f[0])"); continue }
            for o in 0..<outputs {
                let logit = Double(f[1 + 2 * o])!, probability = Double(f[2 + 2 * o])!
                XCTAssertEqual(logit, expected[o], accuracy: 1e-4, String(f[0]))
                XCTAssertEqual(probability, 1 / (1 + exp(-logit)), accuracy: 2e-6, String(f[0]))
            }
        }
    }

    func testTableHasProvenanceHeaderAndOnnxRuntimeLogitsForEveryRecordInOrder() throws {
        let fasta = fixture("ort-peer/sim-seed1-test300.fa")
        let result = try score(["--model", simModel, fasta, "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("##motifattn version="), String(lines[0]))
        XCTAssertTrue(lines[0].contains("command="))
        XCTAssertEqual(lines[1], "name\tlogit\tprobability")
        XCTAssertEqual(lines.dropFirst(2).map { String($0.split(separator: "\t")[0]) }, (0..<300).map { "test_\($0)" })
        checkRows(Array(lines.dropFirst(2)), against: try peerLogits("ort-peer/sim-seed1-test300.ort.tsv"), outputs: 1)
    }

    func testSeveralOutputsGetNumberedColumns() throws {
        let result = try score(["--model", fixture("ort-peer/random-k4c9-d48-h6-l3-o2.safetensors"),
                                fixture("ort-peer/random-windows.fa"), "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines[1], "name\tlogit_0\tprobability_0\tlogit_1\tprobability_1")
        checkRows(Array(lines.dropFirst(2)), against: try peerLogits("ort-peer/random-windows.ort.tsv"), outputs: 2)
    }

    func testRecordLongerThanMaxLenIsAnErrorNamingItUnlessWindowsAreAsked() throws {
        // The model's max_len is 256 tokens; a 300-bp record gives 300 (k = 3, [CLS] and [SEP]).
        let dir = try folder()
        let fasta = dir.appendingPathComponent("long.fa").path
        let long = String(repeating: "ACGTTGCA", count: 38).prefix(300)
        try ">short\nACGTACGTAC\n>too_long extra words\n\(long)\n".write(toFile: fasta, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("scores.tsv").path
        let failed = try score(["--model", simModel, fasta, "-o", out, "--quiet"])
        XCTAssertEqual(failed.status, 1)
        let messages = failed.stderr.split(separator: "\n")
        XCTAssertEqual(messages.count, 1, failed.stderr)
        XCTAssertTrue(messages[0].hasPrefix("motifattn score: "), failed.stderr)
        XCTAssertTrue(messages[0].contains("too_long"), failed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no partial output on error")

        let windowed = try score(["--model", simModel, fasta, "--window", "200", "--stride", "100", "--quiet"])
        XCTAssertEqual(windowed.status, 0, windowed.stderr)
        let lines = windowed.stdout.split(separator: "\n")
        XCTAssertEqual(lines[1], "name\tchrom\tstart\tend\tstrand\tlogit\tprobability")
        XCTAssertTrue(lines.dropFirst(2).contains { $0.split(separator: "\t")[1] == "too_long" })
    }

    func testDashMeansStandardInputAndStandardOutput() throws {
        let fasta = fixture("ort-peer/random-windows.fa")
        let model = fixture("ort-peer/random-k4c9-d48-h6-l3-o2.safetensors")
        let out = try folder().appendingPathComponent("scores.tsv").path
        let toFile = try score(["--model", model, fasta, "-o", out, "--quiet"])
        XCTAssertEqual(toFile.status, 0, toFile.stderr)
        XCTAssertEqual(toFile.stdout, "")
        let fromStdin = try score(["--model", model, "-", "-o", "-", "--quiet"], stdin: "cat '\(fasta)'")
        XCTAssertEqual(fromStdin.status, 0, fromStdin.stderr)
        let written = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertEqual(Array(fromStdin.stdout.split(separator: "\n").dropFirst()), Array(written.split(separator: "\n").dropFirst()))
    }

    func testThreadCountDoesNotChangeTheScores() throws {
        let fasta = fixture("ort-peer/sim-seed1-test300.fa")
        let one = try score(["--model", simModel, fasta, "--threads", "1", "--quiet"])
        let two = try score(["--model", simModel, fasta, "--threads", "2", "--quiet"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(Array(one.stdout.split(separator: "\n").dropFirst()), Array(two.stdout.split(separator: "\n").dropFirst()))
        XCTAssertEqual(one.stdout.split(separator: "\n").count, 302)
    }

    /// `--precision bf16`: ONNX Runtime's fp32 logits within bf16's rounding (0.1), the same for any thread count;
    /// a precision that does not exist is a usage error.
    func testBF16ScoresAgreeWithOnnxRuntimeWithinItsRounding() throws {
        let unknown = try score(["--model", simModel, fixture("ort-peer/sim-seed1-test300.fa"), "--precision", "fp8", "--quiet"])
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        try XCTSkipUnless(CLIRunner.cpuHasBF16, "this CPU has no AVX512_BF16")
        let fasta = fixture("ort-peer/sim-seed1-test300.fa")
        let one = try score(["--model", simModel, fasta, "--precision", "bf16", "--threads", "1", "--quiet"])
        let two = try score(["--model", simModel, fasta, "--precision", "bf16", "--threads", "2", "--quiet"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(Array(one.stdout.split(separator: "\n").dropFirst()), Array(two.stdout.split(separator: "\n").dropFirst()))
        let peer = try peerLogits("ort-peer/sim-seed1-test300.ort.tsv")
        var largest = 0.0, exact = 0
        for line in one.stdout.split(separator: "\n").dropFirst(2) {
            let f = line.split(separator: "\t")
            let difference = abs(Double(f[1])! - peer[String(f[0])]![0])
            largest = max(largest, difference)
            if difference < 1e-4 { exact += 1 }
        }
        XCTAssertLessThan(largest, 0.1)
        XCTAssertLessThan(exact, 150, "bf16 should not give the fp32 logits")
    }

    /// On a CPU without AVX512_BF16, `--precision bf16` of `score` and `scan` is a usage error (64) that says what
    /// the CPU lacks and what to use instead, and nothing is written.
    func testBF16OnACPUWithoutItIsAUsageErrorThatWritesNothing() throws {
        try XCTSkipIf(CLIRunner.cpuHasBF16, "this CPU has AVX512_BF16")
        let dir = try folder()
        let table = dir.appendingPathComponent("scores.tsv").path
        let scored = try score(["--model", simModel, fixture("ort-peer/sim-seed1-test300.fa"), "--precision", "bf16", "-o", table, "--quiet"])
        XCTAssertEqual(scored.status, 64, scored.stderr)
        XCTAssertTrue(scored.stderr.contains("AVX512_BF16") && scored.stderr.contains("--precision fp32"), scored.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: table))
        let scanFolder = dir.appendingPathComponent("scan").path
        let scanned = try CLIRunner.motifattn(["scan", fixture("genomes/lambda_virus.fa.gz"), "--model", simModel, "--precision", "bf16",
                                               "--out", scanFolder, "--quiet"])
        XCTAssertEqual(scanned.status, 64, scanned.stderr)
        XCTAssertTrue(scanned.stderr.contains("AVX512_BF16"), scanned.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scanFolder))
    }
}
