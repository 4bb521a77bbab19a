import Foundation
import XCTest
import _TestSupport
@testable import MotifAttn

/// `motifattn prune` end to end, and the commands that read a pruned model.
final class PruneCommandTests: XCTestCase {
    private static let reference = TestPaths.repositoryRoot.appendingPathComponent("Reference")
    private static let defaultModel = reference.appendingPathComponent("model/default.safetensors").path
    private static func demo(_ name: String) -> String { reference.appendingPathComponent("demo/\(name)").path }

    /// The first `count` records of the demo's labelled test set (simulate.py seed 1) as a plain FASTA.
    private func demoSequences(_ count: Int, in folder: URL) throws -> String {
        let records = try TrainingData.readLabelledFASTA(path: Self.demo("test.fa.gz")).prefix(count)
        let path = folder.appendingPathComponent("demo-\(count).fa").path
        let text = records.map { ">\($0.name) label=\(Int($0.labels[0]))\n" + String(decoding: $0.bases, as: UTF8.self) + "\n" }.joined()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testPruneHeadsWritesASmallerModelWhoseLogitsAreTheUnprunedModelsWithTheHeadZeroed() throws {
        let folder = try CLIRunner.folder(for: self)
        let out = folder.appendingPathComponent("pruned.safetensors").path
        let result = try CLIRunner.motifattn(["prune", "--model", Self.defaultModel, "--heads", "L1H2", "--quiet", "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("##motifattn version="), result.stdout)
        XCTAssertEqual(Array(result.stdout.split(separator: "\n").dropFirst()),
                       ["step\thead\treason\tremoved\tvalidation_auroc", "0\t-\toriginal\tno\tNA", "1\tL1H2\tnamed\tyes\tNA"])
        let original = try AttentionModel(contentsOf: Self.defaultModel), pruned = try AttentionModel(contentsOf: out)
        let (d, dh) = (original.config.dModel, original.config.dHead)
        XCTAssertEqual(pruned.config.keptHeads, [[0, 1, 2, 3], [0, 1, 3]])
        XCTAssertEqual(original.parameterCount - pruned.parameterCount, 4 * d * dh + 3 * dh)
        let sizes = try [Self.defaultModel, out].map { try XCTUnwrap(FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) }
        // 4 bytes per removed weight, less the few hundred bytes of the `motifattn_pruned` metadata.
        XCTAssertGreaterThan(sizes[0] - sizes[1], 4 * (4 * d * dh + 3 * dh) - 1024)
        let metadata = try Safetensors.read(path: out).metadata
        XCTAssertEqual(metadata["motifattn_trained_on_genome"], try Safetensors.read(path: Self.defaultModel).metadata["motifattn_trained_on_genome"])
        XCTAssertTrue(try XCTUnwrap(metadata["motifattn_pruned"]).contains("\"removed\":[\"L1H2\"]"))

        let sequences = try TrainingData.readLabelledFASTA(path: try demoSequences(40, in: folder))
        let tokenizer = try original.makeTokenizer()
        let rows = sequences.map { tokenizer.encode($0.bases).ids }
        let ablated = try Encoder(model: original, threads: 2).forward(tokenRows: rows, keepAttention: false, ablating: (1, 2)).logits
        let logits = try Encoder(model: pruned, threads: 2).forward(tokenRows: rows, keepAttention: false).logits
        for (a, b) in zip(logits, ablated) { XCTAssertEqual(a, b, accuracy: 2e-6) }
    }

    /// analyze (with activation patching), scan (sharded, then merged), variants and score on a pruned model:
    /// heads.tsv and variants.tsv name the kept heads only, under their names in the unpruned model.
    func testAnalyzeScanMergeVariantsAndScoreOfAPrunedModelNameOnlyTheKeptHeads() throws {
        let folder = try CLIRunner.folder(for: self)
        let model = folder.appendingPathComponent("pruned.safetensors").path
        XCTAssertEqual(try CLIRunner.motifattn(["prune", "--model", Self.defaultModel, "--heads", "L0H0,L1H1,L1H2", "--quiet", "-o", model]).status, 0)
        let kept = ["L0H1", "L0H2", "L0H3", "L1H0", "L1H3"]
        func heads(_ folder: URL) throws -> [String] {
            // Columns layer and head come first.
            try CLIRunner.contentLines(folder.appendingPathComponent("heads.tsv")).dropFirst().filter { !$0.isEmpty }.map { line in
                let columns = line.split(separator: "\t")
                return "L\(columns[0])H\(columns.count > 1 ? columns[1] : "?")"
            }
        }
        let analyzed = folder.appendingPathComponent("analyze")
        let analyze = try CLIRunner.motifattn(["analyze", try demoSequences(300, in: folder), "--model", model, "--threads", "2", "--quiet",
                                               "--patch-pairs", "20", "--out", analyzed.path])
        XCTAssertEqual(analyze.status, 0, analyze.stderr)
        XCTAssertEqual(try heads(analyzed), kept)
        let headRows = try CLIRunner.contentLines(analyzed.appendingPathComponent("heads.tsv")).filter { !$0.isEmpty }
        let patchColumn = try XCTUnwrap(headRows[0].split(separator: "\t").firstIndex(of: "patch_pairs"), headRows[0])
        for row in headRows.dropFirst() { XCTAssertEqual(row.split(separator: "\t")[patchColumn], "20", row) }
        XCTAssertTrue(try String(contentsOf: analyzed.appendingPathComponent("report.html"), encoding: .utf8).contains("L1H3"))

        // A sharded scan of the demo's first 200 kb (merge needs shards that cover the whole genome).
        let bases = try ReferenceSequence(path: Self.demo("genome.fa.gz")).bases(contig: "chr1", start: 0, end: 200_000)
        let miniGenome = folder.appendingPathComponent("chr1-200k.fa")
        try (">chr1\n" + String(decoding: bases, as: UTF8.self) + "\n").write(to: miniGenome, atomically: true, encoding: .utf8)
        let miniPeaks = folder.appendingPathComponent("chr1-200k.bed")
        let peakLines = try String(contentsOfFile: Self.demo("peaks.bed"), encoding: .utf8).split(separator: "\n").filter { line in
            let f = line.split(separator: "\t")
            return f.count >= 3 && f[0] == "chr1" && Int(f[2])! <= 200_000
        }
        try (peakLines.joined(separator: "\n") + "\n").write(to: miniPeaks, atomically: true, encoding: .utf8)
        let shards = ["chr1:1-100000", "chr1:100001-200000"]
        var parts: [String] = []
        for (i, shard) in shards.enumerated() {
            let part = folder.appendingPathComponent("part\(i)")
            let scan = try CLIRunner.motifattn(["scan", miniGenome.path, "--regions", miniPeaks.path, "--model", model,
                                                "--shard", shard, "--partial", "--strand", "plus", "--threads", "2", "--quiet", "--out", part.path])
            XCTAssertEqual(scan.status, 0, scan.stderr)
            parts.append(part.path)
        }
        let merged = folder.appendingPathComponent("merged")
        let merge = try CLIRunner.motifattn(["merge"] + parts + ["--quiet", "--out", merged.path])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        XCTAssertEqual(try heads(merged), kept)

        let variantsFolder = folder.appendingPathComponent("variants")
        let variants = try CLIRunner.motifattn(["variants", "--model", model, "--genome", Self.demo("genome.fa.gz"), "--vcf",
                                                TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/variants/ort.vcf").path,
                                                "--out", variantsFolder.path, "--quiet"])
        XCTAssertEqual(variants.status, 0, variants.stderr)
        let variantRows = try CLIRunner.contentLines(variantsFolder.appendingPathComponent("variants.tsv")).filter { !$0.isEmpty }
        let headColumn = try XCTUnwrap(variantRows[0].split(separator: "\t").firstIndex(of: "head_attention_change"))
        XCTAssertEqual(variantRows.count, 1 + 9)
        for row in variantRows.dropFirst() { XCTAssertTrue(kept.contains(String(row.split(separator: "\t")[headColumn])), row) }

        let score = try CLIRunner.motifattn(["score", "--model", model, try demoSequences(5, in: folder), "--threads", "1"])
        XCTAssertEqual(score.status, 0, score.stderr)
        XCTAssertEqual(score.stdout.split(separator: "\n").count, 2 + 5)
    }

    func testAutoRemovesHeadsWhileValidationAUROCHoldsAndRecordsEachStep() throws {
        let folder = try CLIRunner.folder(for: self)
        let valid = try demoSequences(400, in: folder)
        let out = folder.appendingPathComponent("auto.safetensors").path
        let result = try CLIRunner.motifattn(["prune", "--model", Self.defaultModel, "--auto", "--valid", valid, "--max-loss", "0.01",
                                              "--threads", "2", "--quiet", "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = result.stdout.split(separator: "\n").dropFirst(2).map { $0.split(separator: "\t").map(String.init) }
        let baseline = try XCTUnwrap(Double(rows[0][4]))
        // The AUROC of the pruned model, measured independently of the command.
        let pruned = try AttentionModel(contentsOf: out)
        let sequences = try TrainingData.readLabelledFASTA(path: valid)
        let tokenizer = try pruned.makeTokenizer()
        func auroc(_ model: AttentionModel) throws -> Double {
            let logits = try Encoder(model: model, threads: 1).score(tokenRows: sequences.map { tokenizer.encode($0.bases).ids }).map { $0[0] }
            return try XCTUnwrap(ClassificationMetrics.auroc(scores: logits, labels: sequences.map { $0.labels[0] == 1 }))
        }
        XCTAssertEqual(baseline, try auroc(try AttentionModel(contentsOf: Self.defaultModel)), accuracy: 1e-6)
        let removed = rows.dropFirst().filter { $0[3] == "yes" }.map { $0[1] }
        XCTAssertEqual(pruned.config.headLayout.count, 8 - removed.count)
        XCTAssertGreaterThanOrEqual(try auroc(pruned), baseline - 0.01)
        // Every removal kept AUROC within the loss; every head kept would have cost more. On this model some go.
        XCTAssertFalse(removed.isEmpty, result.stdout)
        for row in rows.dropFirst() {
            let value = try XCTUnwrap(Double(row[4]))
            if row[3] == "yes" { XCTAssertGreaterThanOrEqual(value, baseline - 0.01, row.joined(separator: " ")) }
            else { XCTAssertLessThan(value, baseline - 0.01, row.joined(separator: " ")) }
        }
        XCTAssertEqual(try auroc(pruned), try XCTUnwrap(Double(try XCTUnwrap(rows.last(where: { $0[3] == "yes" }))[4])), accuracy: 1e-6)
        // Same heads whatever the thread count.
        let again = try CLIRunner.motifattn(["prune", "--model", Self.defaultModel, "--auto", "--valid", valid, "--max-loss", "0.01",
                                             "--threads", "1", "--quiet", "-o", folder.appendingPathComponent("again.safetensors").path])
        XCTAssertEqual(again.stdout.split(separator: "\n").dropFirst(), result.stdout.split(separator: "\n").dropFirst())
    }

    func testBadHeadsAreOneLineErrorsAndWriteNothing() throws {
        let folder = try CLIRunner.folder(for: self)
        let out = folder.appendingPathComponent("p.safetensors").path
        func run(_ arguments: [String]) throws -> CLIRunner.Result {
            try CLIRunner.motifattn(["prune", "--model", Self.defaultModel] + arguments + ["-o", out])
        }
        let unknown = try run(["--heads", "L0H7"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.stderr, "motifattn prune: \(Self.defaultModel): the model has no head L0H7\n")
        let wholeLayer = try run(["--heads", "L1H0,L1H1,L1H2,L1H3"])
        XCTAssertEqual(wholeLayer.status, 1)
        XCTAssertEqual(wholeLayer.stderr,
                       "motifattn prune: \(Self.defaultModel): removing these heads leaves layer 1 without any; every layer keeps at least one head\n")
        let missing = try CLIRunner.motifattn(["prune", "--model", folder.appendingPathComponent("none.safetensors").path, "--heads", "L0H0", "-o", out])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        for usage in [["--heads", "L0X1"], ["--heads", "L0H1,L0H1"], ["--heads", "L0H1,"], ["--heads", "L0H1", "--auto", "--valid", "v.fa"], ["--auto"], [], ["--heads", "L0H1", "--max-loss", "-1"]] {
            let result = try run(usage)
            XCTAssertEqual(result.status, 64, "\(usage): \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// Pruned models read by a v1-only reader, and fine-tuning one: clear refusals.
    func testFineTuningAPrunedModelIsRefusedNamingTheFile() throws {
        let folder = try CLIRunner.folder(for: self)
        let model = folder.appendingPathComponent("p.safetensors").path
        XCTAssertEqual(try CLIRunner.motifattn(["prune", "--model", Self.defaultModel, "--heads", "L0H0", "--quiet", "-o", model]).status, 0)
        let data = try demoSequences(60, in: folder)
        let result = try CLIRunner.motifattn(["train", "--train", data, "--valid", data, "--init", model, "--epochs", "1", "--quiet",
                                              "-o", folder.appendingPathComponent("t.safetensors").path])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr,
                       "motifattn train: \(model): a pruned (format v2) model cannot be fine-tuned; fine-tune the unpruned model, then prune it\n")
    }
}
