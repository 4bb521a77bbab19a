import ArgumentParser
import Foundation
import MotifAttn

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

    func validate() throws {
        guard batch > 0, tokens > 2, steps > 0, threads > 0 else { throw ValidationError("batch, tokens, steps and threads must be positive") }
    }

    func run() throws {
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
