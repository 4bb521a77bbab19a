import Foundation
import XCTest
import MotifAttn
import _TestSupport

/// `motifattn train --init`: fine-tuning a model on a second task, the forgetting table, orthogonal
/// updates, and the errors of a mismatched or missing model. Task A plants an E-box (CACGTG), task B
/// an AP-1 site (TGACTCA), in 60-bp random sequences.
final class FineTuneCommandTests: XCTestCase {
    private static let tinyModel = ["--d-model", "16", "--heads", "2", "--layers", "1", "--d-ff", "32", "--conv-width", "5"]
    private static let optimisation = ["--batch-size", "32", "--lr", "0.003", "--patience", "0", "--threads", "2", "--quiet"]

    private func motifattn(_ arguments: [String]) throws -> CLIRunner.Result { try CLIRunner.motifattn(arguments) }

    /// `count` sequences alternating bound (label=1, `motif` planted) and background (label=0).
    private func labelledFASTA(_ path: String, motif: String, count: Int, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let alphabet = Array("ACGT".utf8), site = Array(motif.utf8)
        var text = ""
        for i in 0..<count {
            var bases = (0..<60).map { _ in alphabet[generator.uniform(below: 4)] }
            if i % 2 == 0 {
                let at = generator.uniform(below: 60 - site.count + 1)
                bases.replaceSubrange(at..<(at + site.count), with: site)
            }
            text += ">s\(i) label=\(i % 2 == 0 ? 1 : 0)\n\(String(decoding: bases, as: UTF8.self))\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// AUROC of `model` on `fasta` (bound sequences have even names), from `motifattn score`: the
    /// inference encoder, independent of the trainer's own evaluation.
    private func scoredAUROC(model: String, fasta: String, dir: URL) throws -> Double {
        let scores = dir.appendingPathComponent("scores-\(UUID().uuidString).tsv").path
        let scored = try motifattn(["score", "--model", model, fasta, "--threads", "2", "--quiet", "-o", scores])
        XCTAssertEqual(scored.status, 0, scored.stderr)
        let rows = try lines(scores).dropFirst(2).map { $0.split(separator: "\t") }
        let logits = rows.map { (bound: Int($0[0].dropFirst())! % 2 == 0, logit: Double($0[1])!) }
        let positives = logits.filter(\.bound).map(\.logit), negatives = logits.filter { !$0.bound }.map(\.logit)
        let wins = positives.reduce(0.0) { sum, p in sum + negatives.reduce(0.0) { $0 + (p > $1 ? 1 : p == $1 ? 0.5 : 0) } }
        return wins / Double(positives.count * negatives.count)
    }

    private func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    private func forgettingMetadata(_ model: String) throws -> [String: Any] {
        let json = try XCTUnwrap(try Safetensors.read(path: model).metadata["motifattn_training"])
        let training = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return try XCTUnwrap(training["forgetting"] as? [String: Any], "no forgetting summary in the metadata")
    }

    func testFineTuningLearnsTheNewTaskAndReportsWhatTheOldOneLost() throws {
        let dir = try CLIRunner.folder(for: self)
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        try labelledFASTA(path("a-train.fa"), motif: "CACGTG", count: 2000, seed: 1)
        try labelledFASTA(path("a-old.fa"), motif: "CACGTG", count: 200, seed: 2)
        try labelledFASTA(path("b-train.fa"), motif: "TGACTCA", count: 2000, seed: 3)
        try labelledFASTA(path("b-test.fa"), motif: "TGACTCA", count: 200, seed: 4)
        let trainedA = try motifattn(["train", "--train", path("a-train.fa"), "--epochs", "3", "-o", path("a.safetensors")]
                                     + Self.tinyModel + Self.optimisation)
        XCTAssertEqual(trainedA.status, 0, trainedA.stderr)
        let aOnA = try scoredAUROC(model: path("a.safetensors"), fasta: path("a-old.fa"), dir: dir)
        XCTAssertGreaterThan(aOnA, 0.9, "task A learnt")

        var oldAfter: [String: Double] = [:]
        for (name, extra) in [("plain", [String]()), ("orthogonal", ["--orthogonal-updates", "--orthogonal-examples", "64"])] {
            let model = path("b-\(name).safetensors")
            let tuned = try motifattn(["train", "--init", path("a.safetensors"), "--train", path("b-train.fa"), "--epochs", "6",
                                       "--forgetting", path("a-old.fa"), "-o", model] + Self.optimisation + extra)
            XCTAssertEqual(tuned.status, 0, tuned.stderr)
            let bAUROC = try scoredAUROC(model: model, fasta: path("b-test.fa"), dir: dir)
            XCTAssertGreaterThan(bAUROC, 0.9, "\(name): task B learnt")
            // The summary's AUROCs are the trainer's; the encoder's scores of the same files must agree.
            let summary = try forgettingMetadata(model)
            XCTAssertEqual(summary["old_auroc_before"] as! Double, aOnA, accuracy: 1e-4, "\(name): old AUROC before")
            XCTAssertEqual(summary["old_auroc_after"] as! Double, try scoredAUROC(model: model, fasta: path("a-old.fa"), dir: dir),
                           accuracy: 1e-4, "\(name): old AUROC after")
            XCTAssertEqual(summary["orthogonal_directions"] as! Int, name == "plain" ? 0 : 64)
            oldAfter[name] = summary["old_auroc_after"] as? Double
            // One row per head (1 layer × 2 heads), the index a KL divergence: finite and positive after training.
            let table = try lines(path("b-\(name).forgetting.tsv"))
            XCTAssertTrue(table[0].hasPrefix("##motifattn version="), table[0])
            XCTAssertTrue(table[1].hasPrefix("##old_task=a-old.fa sequences=200 auroc_before="), table[1])
            XCTAssertEqual(table[2], "head\tlayer\thead_index\tforgetting_index_nats")
            let indices = table.dropFirst(3).map { Double($0.split(separator: "\t")[3])! }
            XCTAssertEqual(table.dropFirst(3).map { String($0.split(separator: "\t")[0]) }, ["L0H0", "L0H1"])
            XCTAssertTrue(indices.allSatisfy { $0 > 0 && $0.isFinite }, "\(indices)")
            let heads = try XCTUnwrap(summary["heads"] as? [[String: Any]])
            XCTAssertEqual(heads.count, indices.count)
            for (head, index) in zip(heads, indices) { XCTAssertEqual(head["mean_kl"] as! Double, index, accuracy: 1e-5 * max(1, index)) }
        }
        // Whether orthogonal updates keep more of the old task depends on the run (on toys like this one it did for
        // some seeds and not others), so only the mechanism is tested (FineTuningTests) and the outcome is reported.
        XCTAssertNotEqual(oldAfter["orthogonal"]!, oldAfter["plain"]!, "the projection changes the run")
    }

    func testInitRefusesArchitectureOptionsAndForgettingNeedsInit() throws {
        let refused = try motifattn(["train", "--init", "m.safetensors", "--train", "x.fa", "--heads", "8", "-o", "out.safetensors"])
        XCTAssertEqual(refused.status, 64, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("leave out --heads"), refused.stderr)
        let noInit = try motifattn(["train", "--train", "x.fa", "--forgetting", "old.fa", "-o", "out.safetensors"])
        XCTAssertEqual(noInit.status, 64, noInit.stderr)
        XCTAssertTrue(noInit.stderr.contains("needs --init"), noInit.stderr)
        let noOld = try motifattn(["train", "--init", "m.safetensors", "--train", "x.fa", "--orthogonal-updates", "-o", "out.safetensors"])
        XCTAssertEqual(noOld.status, 64, noOld.stderr)
    }

    func testAModelWithOtherOutputsOrAMissingModelIsADataErrorAndWritesNothing() throws {
        let dir = try CLIRunner.folder(for: self)
        let path = { (name: String) in dir.appendingPathComponent(name).path }
        try labelledFASTA(path("train.fa"), motif: "CACGTG", count: 200, seed: 5)
        // A two-output model (random weights) cannot continue on one-label sequences.
        let two = "label=1,0"
        let twoLabels = try String(contentsOfFile: path("train.fa"), encoding: .utf8)
            .replacingOccurrences(of: "label=1", with: two).replacingOccurrences(of: "label=0", with: "label=0,1")
        try twoLabels.write(toFile: path("two.fa"), atomically: true, encoding: .utf8)
        let made = try motifattn(["train", "--train", path("two.fa"), "--epochs", "1", "-o", path("two.safetensors")]
                                 + Self.tinyModel + Self.optimisation)
        XCTAssertEqual(made.status, 0, made.stderr)
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        let mismatch = try motifattn(["train", "--init", path("two.safetensors"), "--train", path("train.fa"), "-o", path("out.safetensors")])
        XCTAssertEqual(mismatch.status, 1, mismatch.stderr)
        XCTAssertTrue(mismatch.stderr.contains("two.safetensors: the model has 2 output(s) but"), mismatch.stderr)
        XCTAssertEqual(mismatch.stderr.split(separator: "\n").count, 1, "one line: \(mismatch.stderr)")
        let missing = try motifattn(["train", "--init", path("absent.safetensors"), "--train", path("train.fa"), "-o", path("out.safetensors")])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("absent.safetensors"), missing.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), before, "nothing written")
    }
}
