import Foundation
import MotifAttnModel

/// What `motifattn train` stores in a model's metadata (key `motifattn_training`): how it was made and how it did.
///
/// Only what the model depends on: no clock times or speeds, so that the same command, seed and thread
/// count write a byte-identical file (also when the run was interrupted and resumed); progress on
/// standard error gives the speeds.
public struct TrainingMetadata: Codable, Sendable {
    /// Metrics of one epoch.
    public struct Epoch: Codable, Sendable {
        public var epoch: Int
        public var trainingLoss: Double
        public var validationLoss: Double?
        public var validationAUROC: Double?
        public var validationAUPRC: Double?
    }

    public var motifattnVersion: String
    /// The command line, without the options that only steer the run (`--resume`, `--stop-after`, `--quiet`).
    public var commandLine: [String]
    public var inputs: [RunRecord.InputFile]
    public var parameters: [String: String]
    public var counts: [String: Int]
    public var epochs: [Epoch]
    public var bestEpoch: Int
    public var stoppedEarly: Bool
    /// The sequences of the genome the model was trained on (training from `--genome` and `--peaks` only).
    public var genome: GenomeSignature?
    /// What the model was trained to tell apart, in words (`TrainingSettings.taskDescription`).
    public var task: String?
    /// Fine-tuning with `--forgetting`: the old task's AUROC before and after, and each head's forgetting index.
    public var forgetting: ForgettingSummary?

    /// What fine-tuning did to the old task (`train --init M --forgetting OLD.fa`).
    public struct ForgettingSummary: Codable, Sendable, Equatable {
        /// One head's forgetting index (mean KL divergence of its attention rows, before ‖ after, in nats).
        public struct Head: Codable, Sendable, Equatable {
            public var layer: Int
            public var head: Int
            public var meanKL: Double
        }
        /// The old task's sequences (file name).
        public var oldTask: String
        public var oldSequences: Int
        /// The old task's AUROC (mean over outputs) with the starting model and with the fine-tuned one.
        public var oldAUROCBefore: Double?
        public var oldAUROCAfter: Double?
        /// Directions the updates were kept orthogonal to (0: plain fine-tuning).
        public var orthogonalDirections: Int
        public var heads: [Head]
    }

    /// The metadata of a finished run.
    public init(record: RunRecord, report: TrainingReport, genome: GenomeSignature? = nil, task: String? = nil) {
        self.genome = genome
        self.task = task
        motifattnVersion = record.version
        commandLine = record.commandLine
        inputs = record.inputs
        parameters = record.parameters
        counts = record.counts
        epochs = report.epochs.map {
            Epoch(epoch: $0.epoch, trainingLoss: $0.trainingLoss, validationLoss: $0.validationLoss,
                  validationAUROC: $0.validationAUROC, validationAUPRC: $0.validationAUPRC)
        }
        bestEpoch = report.bestEpoch
        stoppedEarly = report.stoppedEarly
    }

    /// Compact JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
