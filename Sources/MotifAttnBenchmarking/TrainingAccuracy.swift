import Foundation
import MotifAttnCore
import MotifAttnModel

/// Errors reading a token table.
public enum TokenTableError: Error, CustomStringConvertible {
    case malformed(path: String, line: Int)

    public var description: String {
        switch self {
        case let .malformed(path, line): return "\(path) line \(line): expected label<TAB>token ids"
        }
    }
}

/// Accuracy and time of training on token tables (lines `label<TAB>id,id,...`, as
/// `Benchmarks/train_accuracy.py` writes them), for comparing optimisation settings on a benchmark.
public enum TrainingAccuracy {
    /// What one run gave.
    public struct Result: Sendable {
        public var trainingSequences: Int
        public var epochs: Int
        public var threads: Int
        public var seconds: Double
        public var sequencesPerSecond: Double
        public var testAUROC: Double?
        public var testAUPRC: Double?
        public var headSimilarity: Double
    }

    /// Reads a token table.
    public static func readTokenTable(_ path: String) throws -> [TrainingExample] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var examples: [TrainingExample] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            let fields = line.split(separator: "\t")
            guard fields.count == 2, let label = Float(fields[0]) else { throw TokenTableError.malformed(path: path, line: number + 1) }
            examples.append(TrainingExample(tokenIDs: fields[1].split(separator: ",").compactMap { Int32($0) }, labels: [label]))
        }
        return examples
    }

    /// Trains on `training` (holding out `validationCount` sequences, at most a tenth, by a seeded shuffle)
    /// and measures the test set; `progress` hears of every epoch.
    public static func run(training: [TrainingExample], test: [TrainingExample], architecture: TrainingArchitecture,
                           settings: TrainerSettings, validationCount: Int,
                           progress: @escaping (EpochSummary) -> Void) -> Result {
        var training = training
        var generator = SeededGenerator(seed: settings.seed ^ 0xBEEF)
        generator.shuffle(&training)
        let held = Array(training.suffix(min(validationCount, training.count / 10)))
        training.removeLast(held.count)
        let trainer = Trainer(architecture: architecture, settings: settings)
        let start = Date()
        let report = trainer.train(training: training, validation: held, progress: progress)
        let seconds = Date().timeIntervalSince(start)
        let result = trainer.evaluate(test)
        let trainedSequences = report.epochs.reduce(0) { $0 + $1.steps } * settings.batchSize
        return Result(trainingSequences: training.count, epochs: report.epochs.count, threads: settings.threads, seconds: seconds,
                      sequencesPerSecond: Double(trainedSequences) / seconds, testAUROC: result.auroc, testAUPRC: result.auprc,
                      headSimilarity: trainer.headSimilarity(of: Array(test.prefix(500))))
    }
}
