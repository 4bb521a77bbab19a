import Benchmark
import Foundation
import MotifAttn

/// The repository root, from this file's place in it.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// 256 windows of 200 random bases (a fixed seed), as `motifattn bench-encoder` draws them.
func randomWindows(count: Int, length: Int) -> [[UInt8]] {
    var generator = SeededGenerator(seed: 1)
    let letters = Array("ACGT".utf8)
    return (0..<count).map { _ in (0..<length).map { _ in letters[generator.uniform(below: 4)] } }
}

let benchmarks: @Sendable () -> Void = {
    let modelPath = repositoryRoot.appendingPathComponent("Reference/model/default.safetensors").path
    let model = try! AttentionModel(contentsOf: modelPath)
    let tokenizer = try! model.config.makeTokenizer()
    let rows = randomWindows(count: 256, length: 200).map { tokenizer.encode($0).ids }

    for threads in [1, 2] {
        // Logits only: the path of `score` (the last layer computes the [CLS] row alone).
        Benchmark("score 256 windows, default model, \(threads) thread(s)",
                  configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
                                       maxDuration: .seconds(10), maxIterations: 50)) { benchmark in
            let encoder = Encoder(model: model, threads: threads, batchSize: 32)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(try encoder.score(tokenRows: rows)) }
        }
    }
    // With every attention map kept: the path of `analyze`, `scan` and `variants`.
    Benchmark("forward 256 windows with attention maps, default model, 2 threads",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
                                   maxDuration: .seconds(10), maxIterations: 50)) { benchmark in
        let encoder = Encoder(model: model, threads: 2, batchSize: 32)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try encoder.forward(tokenRows: rows, keepAttention: true)) }
    }
}
