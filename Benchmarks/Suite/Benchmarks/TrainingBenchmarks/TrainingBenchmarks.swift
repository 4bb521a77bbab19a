import Benchmark
import Foundation
import MotifAttn

/// One AdamW step of `motifattn train` on a batch of 64 sequences of 198 k-mer tokens (the default architecture
/// on 200-base windows), random token ids from a fixed seed.
let benchmarks: @Sendable () -> Void = {
    let architecture = TrainingArchitecture()
    var generator = SeededGenerator(seed: 1)
    let kmers = architecture.vocabularySize - 5
    let batch = (0..<64).map { i -> TrainingExample in
        var row: [Int32] = [2]
        for _ in 0..<198 { row.append(Int32(5 + generator.uniform(below: kmers))) }
        row.append(3)
        return TrainingExample(tokenIDs: row, labels: [Float(i % 2)])
    }
    for threads in [1, 2] {
        Benchmark("training step, batch 64, default architecture, \(threads) thread(s)",
                  configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
                                       maxDuration: .seconds(10), maxIterations: 30)) { benchmark in
            let trainer = Trainer(architecture: architecture, settings: TrainerSettings(batchSize: 64, epochs: 1, seed: 1, threads: threads))
            blackHole(trainer.step(on: batch, learningRate: 1e-3))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(trainer.step(on: batch, learningRate: 1e-3)) }
        }
    }
}
