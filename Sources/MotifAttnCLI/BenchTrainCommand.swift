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
        2 layers, d_ff 128, batch 64 by default). With --peer (Benchmarks/peer/torch_train_peer.py, \
        needs torch), the same steps in PyTorch on the same shapes and threads, in the same run, and \
        the ratio. With --train-tokens and --test-tokens, trains on token tables and reports test \
        AUROC instead (Benchmarks/train_accuracy.py).
        """)

    private static let architectureDefaults = TrainingArchitecture()
    private static let trainerDefaults = TrainerSettings()

    @Option(help: "Batch size (sequences per step).") var batch = trainerDefaults.batchSize
    @Option(help: "Tokens per sequence (a 200-bp window with k=3 gives 200).") var tokens = 200
    @Option(help: "Timed steps per thread count.") var steps = 10
    @Option(help: "Largest thread count to measure (1 is always measured).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "d_model.") var dModel = architectureDefaults.dModel
    @Option(help: "Attention heads.") var heads = architectureDefaults.nHeads
    @Option(help: "Encoder layers.") var layers = architectureDefaults.nLayers
    @Option(help: "Feed-forward width.") var dFF = architectureDefaults.dFF
    @Option(help: "Conv stem width (0: none).") var convWidth = architectureDefaults.convWidth
    @Option(help: ArgumentHelp("PyTorch peer to time on the same shapes (Benchmarks/peer/torch_train_peer.py).", valueName: "PATH"))
    var peer: String?
    @Option(help: "Python interpreter for --peer (needs torch and numpy).") var python = "python3"
    @Option(help: "Token table to train on (lines `label<TAB>id,id,...`, as Benchmarks/train_accuracy.py writes); with --test-tokens, measures accuracy instead of raw speed.")
    var trainTokens: String?
    @Option(help: "Token table to report test AUROC on.") var testTokens: String?
    @Option(help: "Epochs (accuracy mode).") var epochs = trainerDefaults.epochs
    @Option(help: "Peak learning rate (accuracy mode).") var learningRate: Float = trainerDefaults.optimiser.learningRate
    @Option(help: "Sequences of the training table held out for validation (accuracy mode).") var validation = 2000
    @Option(help: "Seed (accuracy mode).") var seed: UInt64 = trainerDefaults.seed
    @Option(help: "Head-diversity penalty λ (accuracy mode).") var headDiversity: Float = trainerDefaults.headDiversity

    func validate() throws {
        guard batch > 0, tokens > 2, steps > 0, threads > 0 else { throw ValidationError("batch, tokens, steps and threads must be positive") }
        if let peer, !FileManager.default.fileExists(atPath: peer) { throw ValidationError("--peer \(peer): no such file") }
        if (trainTokens == nil) != (testTokens == nil) { throw ValidationError("--train-tokens and --test-tokens go together") }
    }

    func architecture(maxLen: Int) -> TrainingArchitecture {
        TrainingArchitecture(k: 3, dModel: dModel, nHeads: heads, nLayers: layers, dFF: dFF, maxLen: max(256, maxLen), convWidth: convWidth)
    }

    func runAccuracy(trainPath: String, testPath: String) throws {
        let training = try TrainingAccuracy.readTokenTable(trainPath)
        let test = try TrainingAccuracy.readTokenTable(testPath)
        let longest = (training + test).map(\.tokenIDs.count).max() ?? 2
        let settings = TrainerSettings(batchSize: batch, epochs: epochs, seed: seed, threads: threads,
                                       optimiser: AdamWSettings(learningRate: learningRate), headDiversity: headDiversity)
        let r = TrainingAccuracy.run(training: training, test: test, architecture: architecture(maxLen: longest), settings: settings,
                                     validationCount: validation) { e in
            printError(String(format: "motifattn bench-train: epoch %d  %.1f steps/s  %.0f seq/s  loss %.4f  valid AUROC %.4f  AUPRC %.4f%@",
                              e.epoch, e.stepsPerSecond, e.sequencesPerSecond, e.trainingLoss,
                              e.validationAUROC ?? .nan, e.validationAUPRC ?? .nan,
                              e.headSimilarity.map { String(format: "  head similarity %.3f", $0) } ?? ""))
        }
        print("train_sequences\tepochs\tthreads\tseconds\tsequences_per_s\ttest_auroc\ttest_auprc\thead_similarity")
        print(String(format: "%d\t%d\t%d\t%.1f\t%.1f\t%.4f\t%.4f\t%.3f", r.trainingSequences, r.epochs, r.threads,
                     r.seconds, r.sequencesPerSecond, r.testAUROC ?? .nan, r.testAUPRC ?? .nan, r.headSimilarity))
    }

    func run() throws {
        try reportingErrors("bench-train") {
            if let trainTokens, let testTokens { return try runAccuracy(trainPath: trainTokens, testPath: testTokens) }
            let architecture = architecture(maxLen: tokens)
            if let problem = architecture.problem() { throw ValidationError(problem) }
            let torch = peer.map { PeerProcess(python: python, script: $0) }
            print("threads\tsequences_per_s\tseconds\tsteps\tpytorch_sequences_per_s\tratio")
            for t in Set([1, threads]).sorted() {
                let m = TrainingThroughput.measure(architecture: architecture, tokens: tokens, batchSize: batch, steps: steps, threads: t)
                let reference = try torch?.rate(arguments: [
                    "--tokens", "\(tokens)", "--batch", "\(batch)", "--steps", "\(steps)", "--threads", "\(t)",
                    "--d-model", "\(dModel)", "--heads", "\(heads)", "--layers", "\(layers)", "--d-ff", "\(dFF)",
                    "--conv-width", "\(convWidth)",
                ], key: "sequences_per_s")
                print([String(t), String(format: "%.1f", m.sequencesPerSecond), String(format: "%.3f", m.seconds), String(steps),
                       reference.map { String(format: "%.1f", $0) } ?? "-",
                       reference.map { String(format: "%.2f", m.sequencesPerSecond / $0) } ?? "-"].joined(separator: "\t"))
            }
        }
    }
}
