import Foundation
import Dispatch
import MotifAttnCore
import MotifAttnModel

/// Measures training speed (sequences per second through forward, backward and the AdamW step).
public enum TrainingThroughput {
    /// The result of one measurement.
    public struct Measurement: Sendable {
        /// Worker threads used.
        public var threads: Int
        /// Sequences per optimisation step.
        public var batchSize: Int
        /// Tokens per sequence.
        public var tokens: Int
        /// Timed optimisation steps.
        public var steps: Int
        /// Wall time of the timed steps, in seconds.
        public var seconds: Double
        /// Training sequences per second.
        public var sequencesPerSecond: Double { Double(batchSize * steps) / seconds }
    }

    /// Times `steps` optimisation steps on random token rows of length `tokens` (after one untimed warm-up step).
    ///
    /// Setup (examples, parameters, buffers) is outside the timed region; the final loss is
    /// folded into the result's check so the work cannot be dropped.
    public static func measure(architecture: TrainingArchitecture, tokens: Int, batchSize: Int, steps: Int,
                               threads: Int, seed: UInt64 = 1) -> Measurement {
        var generator = SeededGenerator(seed: seed)
        let kmers = architecture.vocabularySize - 5
        let examples = (0..<batchSize).map { i -> TrainingExample in
            var row: [Int32] = [2]
            for _ in 0..<(tokens - 2) { row.append(Int32(5 + generator.uniform(below: kmers))) }
            row.append(3)
            return TrainingExample(tokenIDs: row, labels: [Float](repeating: Float(i % 2), count: architecture.nOutputs))
        }
        let settings = TrainerSettings(batchSize: batchSize, epochs: 1, seed: seed, threads: threads)
        let trainer = Trainer(architecture: architecture, settings: settings)
        var checksum = trainer.step(on: examples, learningRate: 1e-3)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { checksum += trainer.step(on: examples, learningRate: 1e-3) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        precondition(checksum.isFinite, "training diverged during the benchmark")
        return Measurement(threads: threads, batchSize: batchSize, tokens: tokens, steps: steps, seconds: seconds)
    }
}
