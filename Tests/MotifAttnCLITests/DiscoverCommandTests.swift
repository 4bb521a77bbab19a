import Foundation
import XCTest
import _TestSupport
@testable import MotifAttn

/// `motifattn discover`: training on peaks and the scan with them, in one process and one folder.
final class DiscoverCommandTests: XCTestCase {
    private let lambda = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/genomes/lambda_virus.fa.gz").path
    private let contig = "gi|9626243|ref|NC_001416.1|"

    func testDiscoverTrainsOnThePeaksThenScansLikeScanWithThatModel() throws {
        let folder = try CLIRunner.folder(for: self)
        let peaks = folder.appendingPathComponent("peaks.bed")
        try (0..<40).map { "\(contig)\t\(1_000 + $0 * 1_100)\t\(1_200 + $0 * 1_100)\n" }.joined()
            .write(to: peaks, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("discover")
        let arguments = ["discover", lambda, "--peaks", peaks.path, "--epochs", "1", "--min-steps", "0", "--threads", "2", "--out", out.path]
        let result = try CLIRunner.motifattn(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        for name in ["model.safetensors", "scores.tsv.gz", "scores.tsv.gz.tbi", "head_motifs.tsv", "interactions.tsv", "heads.tsv", "report.html", "run.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("model.checkpoint.safetensors").path))
        // The model knows the genome it was trained on, so the scan has nothing to caution about.
        XCTAssertFalse(result.stderr.contains("caution"), result.stderr)
        XCTAssertTrue(result.stderr.contains("step 2 of 2"), result.stderr)

        // discover's training defaults are in the model's metadata.
        let model = out.appendingPathComponent("model.safetensors").path
        let metadata = try Safetensors.read(path: model).metadata
        let training = try JSONSerialization.jsonObject(with: Data(metadata["motifattn_training"]!.utf8)) as! [String: Any]
        let parameters = training["parameters"] as! [String: String]
        XCTAssertEqual(parameters["negatives"], "genomic")
        XCTAssertEqual(parameters["reverse_complement"], "true")
        XCTAssertEqual((training["genome"] as? [String: Any])?["bases"] as? Int, 48_502)
        XCTAssertEqual(training["task"] as? String,
                       "200-base windows centred on the peaks of peaks.bed (1) against GC-matched windows of lambda_virus.fa.gz outside the peaks (0)")

        // The same files as `scan --regions PEAKS --model DIR/model.safetensors`.
        let scanned = folder.appendingPathComponent("scan")
        let scan = try CLIRunner.motifattn(["scan", lambda, "--regions", peaks.path, "--model", model, "--threads", "2", "--quiet",
                                            "--out", scanned.path])
        XCTAssertEqual(scan.status, 0, scan.stderr)
        for name in ["scores.tsv.gz", "head_motifs.tsv", "interactions.tsv", "heads.tsv"] {
            let a = try CLIRunner.contentLines(out.appendingPathComponent(name))
            XCTAssertGreaterThan(a.count, 1, name)
            XCTAssertEqual(a, try CLIRunner.contentLines(scanned.appendingPathComponent(name)), name)
        }

        // --resume on a finished folder keeps the model and only scans again.
        let before = try Data(contentsOf: URL(fileURLWithPath: model))
        let resumed = try CLIRunner.motifattn(arguments + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("already trained"), resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), before)
    }

    func testDiscoverRejectsAGivenModel() throws {
        let result = try CLIRunner.motifattn(["discover", lambda, "--peaks", "p.bed", "--model", "m.safetensors", "--out", "x"])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("discover trains its own model"), result.stderr)
    }
}
