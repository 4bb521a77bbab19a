import ArgumentParser
import Foundation
import MotifAttn
import MotifAttnBenchmarking

/// `motifattn bench-train`: training throughput of the hand-written backward pass.
struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train",
        abstract: "Measure training speed (sequences/s) of the default configuration at 1 and N threads.",
        discussion: """
        Forward, backward and AdamW on random 200-token rows (k=3, conv 11, d_model 64, 4 heads, \
        2 layers, d_ff 128, batch 64 by default). PyTorch 2.15 reference on the 2-core development \
        machine: 205 sequences/s at 1 thread, 340 at 2.
        """)

    @Option(help: "Batch size (sequences per step).") var batch = 64
    @Option(help: "Tokens per sequence (a 200-bp window with k=3 gives 200).") var tokens = 200
    @Option(help: "Timed steps per thread count.") var steps = 10
    @Option(help: "Largest thread count to measure (1 is always measured).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "d_model.") var dModel = 64
    @Option(help: "Attention heads.") var heads = 4
    @Option(help: "Encoder layers.") var layers = 2
    @Option(help: "Feed-forward width.") var dFF = 128
    @Option(help: "Conv stem width (0: none).") var convWidth = 11
    @Option(help: "Token table to train on (lines `label<TAB>id,id,...`, as Benchmarks/train_accuracy.py writes); with --test-tokens, measures accuracy instead of raw speed.")
    var trainTokens: String?
    @Option(help: "Token table to report test AUROC on.") var testTokens: String?
    @Option(help: "Epochs (accuracy mode).") var epochs = 4
    @Option(help: "Peak learning rate (accuracy mode).") var learningRate: Float = 1e-3
    @Option(help: "Sequences of the training table held out for validation (accuracy mode).") var validation = 2000
    @Option(help: "Seed (accuracy mode).") var seed: UInt64 = 1
    @Option(help: "Head-diversity penalty λ (accuracy mode).") var headDiversity: Float = 0

    func validate() throws {
        guard batch > 0, tokens > 2, steps > 0, threads > 0 else { throw ValidationError("batch, tokens, steps and threads must be positive") }
    }

    /// Reads a token table written by Benchmarks/train_accuracy.py.
    static func readTokenTable(_ path: String) throws -> [TrainingExample] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var examples: [TrainingExample] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            let fields = line.split(separator: "\t")
            guard fields.count == 2, let label = Float(fields[0]) else {
                throw ValidationError("\(path) line \(number + 1): expected label<TAB>token ids")
            }
            examples.append(TrainingExample(tokenIDs: fields[1].split(separator: ",").compactMap { Int32($0) }, labels: [label]))
        }
        return examples
    }

    func runAccuracy(trainPath: String, testPath: String) throws {
        var training = try Self.readTokenTable(trainPath)
        let test = try Self.readTokenTable(testPath)
        let longest = (training + test).map(\.tokenIDs.count).max() ?? 2
        let architecture = TrainingArchitecture(k: 3, dModel: dModel, nHeads: heads, nLayers: layers, dFF: dFF,
                                                maxLen: max(256, longest), convWidth: convWidth)
        var generator = SeededGenerator(seed: seed ^ 0xBEEF)
        generator.shuffle(&training)
        let held = Array(training.suffix(min(validation, training.count / 10)))
        training.removeLast(held.count)
        let settings = TrainerSettings(batchSize: batch, epochs: epochs, seed: seed, threads: threads,
                                       optimiser: AdamWSettings(learningRate: learningRate), headDiversity: headDiversity)
        let trainer = Trainer(architecture: architecture, settings: settings)
        let start = Date()
        let report = trainer.train(training: training, validation: held) { e in
            printError(String(format: "motifattn bench-train: epoch %d  %.1f steps/s  %.0f seq/s  loss %.4f  valid AUROC %.4f  AUPRC %.4f%@",
                              e.epoch, e.stepsPerSecond, e.sequencesPerSecond, e.trainingLoss,
                              e.validationAUROC ?? .nan, e.validationAUPRC ?? .nan,
                              e.headSimilarity.map { String(format: "  head similarity %.3f", $0) } ?? ""))
        }
        let seconds = Date().timeIntervalSince(start)
        let result = trainer.evaluate(test)
        let trainedSequences = report.epochs.reduce(0) { $0 + $1.steps } * batch
        print("train_sequences\tepochs\tthreads\tseconds\tsequences_per_s\ttest_auroc\ttest_auprc\thead_similarity")
        print(String(format: "%d\t%d\t%d\t%.1f\t%.1f\t%.4f\t%.4f\t%.3f", training.count, report.epochs.count, threads,
                     seconds, Double(trainedSequences) / seconds, result.auroc ?? .nan, result.auprc ?? .nan,
                     trainer.headSimilarity(of: Array(test.prefix(500)))))
    }

    func run() throws {
        if let trainTokens, let testTokens {
            try reportingErrors("bench-train") { try runAccuracy(trainPath: trainTokens, testPath: testTokens) }
            return
        }
        try reportingErrors("bench-train") {
            let architecture = TrainingArchitecture(k: 3, dModel: dModel, nHeads: heads, nLayers: layers, dFF: dFF,
                                                    maxLen: max(256, tokens), convWidth: convWidth)
            if let problem = architecture.problem() { throw ValidationError(problem) }
            let pytorch: [Int: Double] = [1: 205, 2: 340]
            print("threads\tsequences_per_s\tseconds\tsteps\tpytorch_ref\tratio")
            for t in Set([1, threads]).sorted() {
                let m = TrainingThroughput.measure(architecture: architecture, tokens: tokens, batchSize: batch,
                                                   steps: steps, threads: t)
                let reference = pytorch[t].map { String($0) } ?? "-"
                let ratio = pytorch[t].map { String(format: "%.2f", m.sequencesPerSecond / $0) } ?? "-"
                print("\(t)\t\(String(format: "%.1f", m.sequencesPerSecond))\t\(String(format: "%.3f", m.seconds))\t\(steps)\t\(reference)\t\(ratio)")
            }
        }
    }
}
