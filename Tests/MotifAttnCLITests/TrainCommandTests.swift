import Foundation
import XCTest
import MotifAttn
import _TestSupport

/// `motifattn train` run as a process on small generated sets (tiny models: d_model 16, 1 layer):
/// inputs, reproducible files, checkpoints and --resume, signals, bad input.
final class TrainCommandTests: XCTestCase {
    private typealias Result = CLIRunner.Result

    /// A tiny model that trains in about a second on a few thousand 60-bp sequences.
    private static let tinyModel = ["--d-model", "16", "--heads", "2", "--layers", "1", "--d-ff", "32", "--conv-width", "5",
                                    "--batch-size", "32", "--lr", "0.003", "--patience", "0", "--threads", "2"]
    private static let motif = Array("CACGTG".utf8)

    /// The built `motifattn` (see `CLIRunner.binary`).
    private func binary() throws -> URL { try CLIRunner.binary() }

    private func motifattn(_ arguments: [String]) throws -> Result { try CLIRunner.motifattn(arguments) }

    /// Runs `motifattn arguments`, sends `signal` once standard error shows `marker`, and returns the exit status.
    private func interrupt(_ arguments: [String], with signal: Int32, after marker: String) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains(marker) {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // the process ended before the marker
            seen.append(chunk)
        }
        kill(process.processIdentifier, signal)
        seen.append(err.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: seen, as: UTF8.self))
    }

    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func randomBases(_ count: Int, _ generator: inout SeededGenerator) -> [UInt8] {
        let alphabet = Array("ACGT".utf8)
        return (0..<count).map { _ in alphabet[generator.uniform(below: 4)] }
    }

    /// A labelled FASTA of `count` 60-bp sequences alternating bound (label=1, CACGTG planted) and background (label=0).
    private func labelledFASTA(_ path: String, count: Int, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        var text = ""
        for i in 0..<count {
            var bases = randomBases(60, &generator)
            if i % 2 == 0 {
                let at = generator.uniform(below: 60 - Self.motif.count + 1)
                bases.replaceSubrange(at..<(at + Self.motif.count), with: Self.motif)
            }
            text += ">s\(i) label=\(i % 2 == 0 ? 1 : 0)\n\(String(decoding: bases, as: UTF8.self))\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    private func contents(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    private func trainingMetadata(_ path: String) throws -> [String: Any] {
        let metadata = try Safetensors.read(path: path).metadata
        let json = try XCTUnwrap(metadata["motifattn_training"])
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    func testLabelledFASTATrainsAModelThatScoreLoadsAndThatSeparatesHeldOutSequences() throws {
        let dir = try folder()
        let train = dir.appendingPathComponent("train.fa").path, test = dir.appendingPathComponent("test.fa").path
        try labelledFASTA(train, count: 2000, seed: 1)
        try labelledFASTA(test, count: 200, seed: 2)
        let model = dir.appendingPathComponent("m.safetensors").path
        let result = try motifattn(["train", "--train", train, "--epochs", "3", "-o", model] + Self.tinyModel)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("1800 training and 200 validation sequences"), result.stderr)
        XCTAssertEqual(try contents(dir), ["m.safetensors", "test.fa", "train.fa"], "the checkpoint is removed once the model is written")
        let metadata = try trainingMetadata(model)
        XCTAssertEqual((metadata["epochs"] as? [Any])?.count, 3)
        XCTAssertNil(metadata["started"], "no clock time in the model file")

        let scores = dir.appendingPathComponent("scores.tsv").path
        let scored = try motifattn(["score", "--model", model, test, "--threads", "2", "--quiet", "-o", scores])
        XCTAssertEqual(scored.status, 0, scored.stderr)
        let rows = try String(contentsOfFile: scores, encoding: .utf8).split(separator: "\n").dropFirst(2).map { $0.split(separator: "\t") }
        XCTAssertEqual(rows.count, 200)
        // Rank AUROC of the held-out set: bound sequences (even names) should score above background.
        let logits = rows.map { (bound: Int($0[0].dropFirst())! % 2 == 0, logit: Double($0[1])!) }
        let positives = logits.filter(\.bound).map(\.logit), negatives = logits.filter { !$0.bound }.map(\.logit)
        let wins = positives.reduce(0.0) { sum, p in sum + negatives.reduce(0.0) { $0 + (p > $1 ? 1 : p == $1 ? 0.5 : 0) } }
        let auroc = wins / Double(positives.count * negatives.count)
        XCTAssertGreaterThan(auroc, 0.9, "held-out AUROC of the trained model")
    }

    func testWithoutEpochsTrainingHasAStepBudgetAndReverseComplementsAndWithEpochsExactlyThose() throws {
        let dir = try folder()
        let train = dir.appendingPathComponent("train.fa").path
        try labelledFASTA(train, count: 400, seed: 6)
        // 360 training sequences in batches of 32: 12 steps an epoch, so 6,000 steps would be 500 epochs;
        // --max-epochs 6 caps the plan, and patience 0 lets it run.
        let budget = dir.appendingPathComponent("budget.safetensors").path
        let planned = try motifattn(["train", "--train", train, "--max-epochs", "6", "-o", budget, "--quiet"] + Self.tinyModel)
        XCTAssertEqual(planned.status, 0, planned.stderr)
        var metadata = try trainingMetadata(budget)
        XCTAssertEqual((metadata["epochs"] as? [Any])?.count, 6, "the step budget asks for more than the 4 base epochs")
        var parameters = try XCTUnwrap(metadata["parameters"] as? [String: String])
        XCTAssertEqual(parameters["min_steps"], "6000")
        XCTAssertEqual(parameters["reverse_complement"], "true")
        let exact = dir.appendingPathComponent("exact.safetensors").path
        let given = try motifattn(["train", "--train", train, "--epochs", "2", "--no-reverse-complement", "-o", exact, "--quiet"] + Self.tinyModel)
        XCTAssertEqual(given.status, 0, given.stderr)
        metadata = try trainingMetadata(exact)
        XCTAssertEqual((metadata["epochs"] as? [Any])?.count, 2, "--epochs N means N epochs")
        parameters = try XCTUnwrap(metadata["parameters"] as? [String: String])
        XCTAssertEqual(parameters["min_steps"], "0")
        XCTAssertEqual(parameters["reverse_complement"], "false")
    }

    /// Shift augmentation follows how often training reads each sequence: on (10 k-mers) when the step
    /// budget plans more than 4 epochs, as if `--max-shift 10` were given; off for 4 epochs or fewer; and
    /// `--max-shift 0` turns it off whatever the plan.
    func testShiftAugmentationIsOnExactlyWhenTrainingReadsEachSequenceMoreThanFourTimes() throws {
        let dir = try folder()
        let train = dir.appendingPathComponent("train.fa").path
        try labelledFASTA(train, count: 400, seed: 6)
        func run(_ name: String, _ extra: [String]) throws -> (tensors: [String: NamedTensor], shift: String?) {
            let path = dir.appendingPathComponent(name).path
            let result = try motifattn(["train", "--train", train, "-o", path, "--quiet"] + extra + Self.tinyModel)
            XCTAssertEqual(result.status, 0, result.stderr)
            let parameters = try XCTUnwrap(try trainingMetadata(path)["parameters"] as? [String: String])
            return (try Safetensors.read(path: path).tensors, parameters["max_shift"])
        }
        // 12 steps an epoch: the 6,000-step budget, capped at 6 epochs, reads each sequence 6 times.
        let automatic = try run("auto.safetensors", ["--max-epochs", "6"])
        let explicit = try run("explicit.safetensors", ["--max-epochs", "6", "--max-shift", "10"])
        let off = try run("off.safetensors", ["--max-epochs", "6", "--max-shift", "0"])
        XCTAssertEqual(automatic.shift, "10")
        XCTAssertEqual(automatic.tensors, explicit.tensors, "the automatic shift is --max-shift 10")
        XCTAssertEqual(off.shift, "0")
        XCTAssertNotEqual(automatic.tensors, off.tensors, "shift augmentation changes training")
        // The budget capped at 4 epochs reads each sequence 4 times: no shift.
        XCTAssertEqual(try run("four.safetensors", ["--max-epochs", "4"]).shift, "0")
    }

    func testSameSeedAndThreadsWriteAByteIdenticalFile() throws {
        let dir = try folder()
        let train = dir.appendingPathComponent("train.fa").path
        try labelledFASTA(train, count: 400, seed: 3)
        let model = dir.appendingPathComponent("m.safetensors").path
        func run(_ seed: String) throws -> Data {
            let result = try motifattn(["train", "--train", train, "--epochs", "2", "--seed", seed, "-o", model, "--quiet"] + Self.tinyModel)
            XCTAssertEqual(result.status, 0, result.stderr)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: model))
            try FileManager.default.removeItem(atPath: model)
            return bytes
        }
        let first = try run("5")
        XCTAssertEqual(first, try run("5"), "same command, seed and threads")
        XCTAssertNotEqual(first, try run("6"), "another seed")
    }

    /// A training run of the tiny model on `count` labelled sequences (`train.fa`, `m.safetensors` and its default
    /// checkpoint in a new folder), done once straight through; returns its model file's bytes, then removes the file.
    private func uninterruptedRun(count: Int, seed: UInt64, epochs: Int, extra: [String] = [])
        throws -> (dir: URL, model: String, checkpoint: String, arguments: [String], straight: Data) {
        let dir = try folder()
        let train = dir.appendingPathComponent("train.fa").path
        try labelledFASTA(train, count: count, seed: seed)
        let model = dir.appendingPathComponent("m.safetensors").path
        let checkpoint = dir.appendingPathComponent("m.checkpoint.safetensors").path
        let arguments = ["train", "--train", train, "--epochs", "\(epochs)", "-o", model] + Self.tinyModel
        XCTAssertEqual(try motifattn(arguments + extra).status, 0)
        let straight = try Data(contentsOf: URL(fileURLWithPath: model))
        try FileManager.default.removeItem(atPath: model)
        return (dir, model, checkpoint, arguments, straight)
    }

    func testStopAfterThenResumeWritesTheSameFileAsAnUninterruptedRun() throws {
        let (_, model, checkpoint, arguments, straight) = try uninterruptedRun(count: 400, seed: 4, epochs: 4)

        let paused = try motifattn(arguments + ["--stop-after", "1"])
        XCTAssertEqual(paused.status, 0, paused.stderr)
        XCTAssertTrue(paused.stderr.contains("stopped after epoch 1 of 4"), paused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: model))
        XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint))
        let again = try motifattn(arguments + ["--resume", "--stop-after", "2"])
        XCTAssertTrue(again.stderr.contains("resuming after epoch 1 of 4"), again.stderr)
        XCTAssertTrue(again.stderr.contains("stopped after epoch 3 of 4"), again.stderr)
        let last = try motifattn(arguments + ["--resume"])
        XCTAssertEqual(last.status, 0, last.stderr)
        XCTAssertFalse(last.stderr.contains("epoch 3:"), "finished epochs are not run again")
        XCTAssertTrue(last.stderr.contains("epoch 4:"), last.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), straight)
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint))
    }

    func testResumeRefusesOtherSettingsOrDataOrNoCheckpointInOneLine() throws {
        let dir = try folder()
        let train = dir.appendingPathComponent("train.fa").path, other = dir.appendingPathComponent("other.fa").path
        try labelledFASTA(train, count: 200, seed: 5)
        try labelledFASTA(other, count: 200, seed: 6)
        let checkpoint = dir.appendingPathComponent("run.ckpt").path
        let base = ["train", "--epochs", "3", "-o", dir.appendingPathComponent("m.safetensors").path, "--checkpoint", checkpoint]
        let absent = try motifattn(base + ["--train", train, "--resume"] + Self.tinyModel)
        XCTAssertEqual(absent.status, 1)
        XCTAssertEqual(absent.stderr, "motifattn train: \(checkpoint): no checkpoint to resume from\n")

        XCTAssertEqual(try motifattn(base + ["--train", train, "--stop-after", "1"] + Self.tinyModel).status, 0)
        let saved = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        let cases: [(arguments: [String], says: String)] = [
            (["--train", train, "--resume"] + Self.tinyModel + ["--lr", "0.01"], "lr 0.003 in the checkpoint, 0.01 now"),
            (["--train", train, "--resume"] + Self.tinyModel + ["--epochs", "5"], "epochs 3 in the checkpoint, 5 now"),
            (["--train", other, "--resume"] + Self.tinyModel, "other training or validation sequences"),
            (["--train", train, "--resume", "--valid-fraction", "0.2"] + Self.tinyModel, "other training or validation sequences"),
        ]
        for (arguments, says) in cases {
            let result = try motifattn(base + arguments)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            // Leave out the sequence counts and the shift notice (5 epochs read each sequence more than 4 times).
            let lines = result.stderr.split(separator: "\n").filter { !$0.hasSuffix("output(s)") && !$0.contains("shift augmentation") }
            XCTAssertEqual(lines.count, 1, result.stderr)
            XCTAssertTrue(lines.first?.hasPrefix("motifattn train: \(checkpoint): cannot resume: ") ?? false, result.stderr)
            XCTAssertTrue(result.stderr.contains(says), "\(arguments): \(result.stderr)")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: checkpoint)), saved, "a refused resume leaves the checkpoint alone")
        }
    }

    func testBadLabelExitsOneNamingTheFileAndLineAndWritesNothing() throws {
        let dir = try folder()
        let cases: [(text: String, says: String)] = [
            (">a label=1\nACGTACGTAC\nACGT\n>b label=0\nACGTTT\n>c label=2\nACGT\n", "bad.fa: line 6: record 'c': label value '2' is not 0 or 1"),
            (">a label=1\r\nACGTACGTAC\r\n>b\r\nACGTTT\r\n", "bad.fa: line 3: record 'b' has no label= field"),
            (">a label=1\nACGTAC\n>b label=0,1\nACGTTT\n", "bad.fa: line 3: record 'b' has 2 labels, expected 1"),
        ]
        for (text, says) in cases {
            let path = dir.appendingPathComponent("bad.fa").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try motifattn(["train", "--train", path, "-o", dir.appendingPathComponent("m.safetensors").path] + Self.tinyModel)
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("motifattn train: \(path): line"), result.stderr)
            XCTAssertTrue(result.stderr.contains(says), result.stderr)
            XCTAssertEqual(try contents(dir), ["bad.fa"])
        }
    }

    /// `--write-split` writes exactly what a genome run trains and validates on: training again from the two
    /// labelled FASTA files with the same settings gives the same weights, bit for bit.
    func testTheWrittenSplitTrainsTheSameModelAsTheGenomeRun() throws {
        let dir = try folder()
        let (genome, peaks) = try genomeWithPeaks(in: dir)
        let prefix = dir.appendingPathComponent("split").path
        let settings = ["--epochs", "2", "--seed", "3", "--quiet"] + Self.tinyModel
        let fromGenome = dir.appendingPathComponent("genome.safetensors").path
        let first = try motifattn(["train", "--genome", genome, "--peaks", peaks, "--negatives", "shuffle", "--window", "100",
                                   "--valid-chroms", "chr3", "--write-split", prefix, "-o", fromGenome] + settings)
        XCTAssertEqual(first.status, 0, first.stderr)
        let training = try TrainingData.readLabelledFASTA(path: prefix + ".train.fa")
        let validation = try TrainingData.readLabelledFASTA(path: prefix + ".valid.fa")
        // 90 peaks, one shuffled copy each; chr3's 30 + 30 held out.
        XCTAssertEqual([training.count, validation.count], [120, 60])
        XCTAssertEqual(training.filter { $0.labels == [1] }.count, 60)
        XCTAssertTrue(validation.allSatisfy { $0.name.hasPrefix("chr3") }, validation.map(\.name).joined(separator: " "))
        let fromFiles = dir.appendingPathComponent("files.safetensors").path
        let second = try motifattn(["train", "--train", prefix + ".train.fa", "--valid", prefix + ".valid.fa", "-o", fromFiles] + settings)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(try Safetensors.read(path: fromGenome).tensors, try Safetensors.read(path: fromFiles).tensors)
    }

    /// A genome of three 20-kb chromosomes with 30 peaks each (100-bp, CACGTG at +40) and their BED.
    private func genomeWithPeaks(in dir: URL) throws -> (genome: String, peaks: String) {
        var generator = SeededGenerator(seed: 7)
        var fasta = "", bed = ""
        for chrom in ["chr1", "chr2", "chr3"] {
            var bases = randomBases(20_000, &generator)
            for i in 0..<30 {
                let start = 300 + i * 600
                bases.replaceSubrange((start + 40)..<(start + 46), with: Self.motif)
                bed += "\(chrom)\t\(start)\t\(start + 100)\n"
            }
            fasta += ">\(chrom)\n"
            for line in stride(from: 0, to: bases.count, by: 60) {
                fasta += String(decoding: bases[line..<min(bases.count, line + 60)], as: UTF8.self) + "\n"
            }
        }
        let genome = dir.appendingPathComponent("genome.fa").path, peaks = dir.appendingPathComponent("peaks.bed").path
        try fasta.write(toFile: genome, atomically: true, encoding: .utf8)
        try bed.write(toFile: peaks, atomically: true, encoding: .utf8)
        return (genome, peaks)
    }

    func testGenomeAndPeaksWithShuffledOrGenomicBackgroundAndValidationChromosomes() throws {
        let dir = try folder()
        let (genome, peaks) = try genomeWithPeaks(in: dir)
        for negatives in ["shuffle", "genomic"] {
            let model = dir.appendingPathComponent("\(negatives).safetensors").path
            let result = try motifattn(["train", "--genome", genome, "--peaks", peaks, "--negatives", negatives, "--window", "100",
                                        "--valid-chroms", "chr3", "--epochs", "2", "-o", model] + Self.tinyModel)
            XCTAssertEqual(result.status, 0, result.stderr)
            let metadata = try trainingMetadata(model)
            let counts = try XCTUnwrap(metadata["counts"] as? [String: Int])
            let training = try XCTUnwrap(counts["training_sequences"]), validation = try XCTUnwrap(counts["validation_sequences"])
            XCTAssertEqual((metadata["parameters"] as? [String: String])?["negatives"], negatives)
            let roles = (metadata["inputs"] as? [[String: Any]])?.compactMap { $0["role"] as? String }
            XCTAssertEqual(roles, ["genome", "peaks"])
            if negatives == "shuffle" {
                // One shuffled window per bound window, each on its peak's chromosome: chr3's 30 + 30 are held out.
                XCTAssertEqual([training, validation], [120, 60], result.stderr)
            } else {
                // 90 bound windows and up to 90 GC-matched genomic ones; chr3's bound windows are all held out.
                XCTAssertEqual(training + validation, 180, result.stderr)
                XCTAssertGreaterThanOrEqual(validation, 30, result.stderr)
                XCTAssertLessThan(validation, training, result.stderr)
            }
        }
        let missing = try motifattn(["train", "--genome", genome, "--peaks", peaks, "--window", "100", "--valid-chroms", "chrX",
                                     "-o", dir.appendingPathComponent("x.safetensors").path] + Self.tinyModel)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no sequence lies on chrX"), missing.stderr)
    }

    func testSignalsStopTrainingWithoutPartialFilesAndTheLastCheckpointResumes() throws {
        let (dir, model, checkpoint, arguments, straight) = try uninterruptedRun(count: 2000, seed: 8, epochs: 3, extra: ["--quiet"])

        // SIGINT while epoch 2 runs (the epoch 1 line comes after its checkpoint is written).
        let first = try interrupt(arguments, with: SIGINT, after: "epoch 1:")
        XCTAssertEqual(first.status, 130, first.stderr)
        XCTAssertEqual(try contents(dir), ["m.checkpoint.safetensors", "train.fa"], "no model and no temporary file")
        XCTAssertEqual(try TrainingCheckpoint.read(path: checkpoint).completedEpochs, 1)

        // SIGTERM while the resumed run trains epoch 3.
        let second = try interrupt(arguments + ["--resume"], with: SIGTERM, after: "epoch 2:")
        XCTAssertEqual(second.status, 143, second.stderr)
        XCTAssertEqual(try contents(dir), ["m.checkpoint.safetensors", "train.fa"])
        XCTAssertEqual(try TrainingCheckpoint.read(path: checkpoint).completedEpochs, 2)

        let last = try motifattn(arguments + ["--resume"])
        XCTAssertEqual(last.status, 0, last.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model)), straight, "interrupted twice, resumed: the same file")
        XCTAssertEqual(try contents(dir), ["m.safetensors", "train.fa"])
    }
}
