import Foundation
import MotifAttnCore

/// Why a checkpoint could not be read, written or resumed from.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// There is no checkpoint at the path.
    case missing(file: String)
    /// The file is not a motifattn training checkpoint (or is damaged).
    case unreadable(file: String, reason: String)
    /// The checkpoint belongs to another training run (other settings or other data).
    case mismatch(file: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let f): return "\(f): no checkpoint to resume from"
        case .unreadable(let f, let r): return "\(f): not a usable training checkpoint (\(r))"
        case .mismatch(let f, let r): return "\(f): cannot resume: \(r); start again without --resume"
        }
    }
}

/// Everything needed to continue training after an epoch exactly as if it had never stopped:
/// parameters, AdamW moments, step and epoch counts, the shuffler's position, the best epoch so far
/// (its parameters and AUROC), the early-stopping counter, every epoch's metrics, and fingerprints of
/// the settings and data it belongs to.
public struct TrainingCheckpoint: Sendable, Equatable {
    /// The settings that shape the result (architecture and trainer settings except `threads`),
    /// as `name → value`; resuming requires the same.
    public var settings: [String: String]
    /// SHA-256 of the training and validation examples (tokens and labels, in order).
    public var dataSHA256: String
    /// Epochs finished.
    public var completedEpochs: Int
    /// Optimisation steps taken.
    public var stepCount: Int
    /// The parameters after the last finished epoch (`ParameterStore.values` layout).
    public var parameters: [Float]
    /// AdamW first moments.
    public var firstMoment: [Float]
    /// AdamW second moments.
    public var secondMoment: [Float]
    /// State words of the generator that shuffles the training order.
    public var shufflerState: [UInt64]
    /// The epoch with the best validation AUROC so far, its AUROC and parameters.
    public var best: (epoch: Int, auroc: Double, parameters: [Float])?
    /// Epochs since the validation AUROC last improved (early stopping).
    public var epochsSinceImprovement: Int
    /// Metrics of every finished epoch.
    public var epochs: [EpochSummary]

    public static func == (a: TrainingCheckpoint, b: TrainingCheckpoint) -> Bool {
        a.settings == b.settings && a.dataSHA256 == b.dataSHA256 && a.completedEpochs == b.completedEpochs
            && a.stepCount == b.stepCount && a.parameters == b.parameters && a.firstMoment == b.firstMoment
            && a.secondMoment == b.secondMoment && a.shufflerState == b.shufflerState
            && a.best?.epoch == b.best?.epoch && a.best?.auroc.bitPattern == b.best?.auroc.bitPattern
            && a.best?.parameters == b.best?.parameters && a.epochsSinceImprovement == b.epochsSinceImprovement
            && a.epochs == b.epochs
    }

    /// The settings a checkpoint records for `architecture` and `settings`. Threads are left out:
    /// the trainer's result does not depend on them, so a run may resume with another count.
    public static func settingsDescription(architecture a: TrainingArchitecture, settings s: TrainerSettings) -> [String: String] {
        var description = [
            "k": "\(a.k)", "stride": "\(a.stride)", "d_model": "\(a.dModel)", "heads": "\(a.nHeads)",
            "layers": "\(a.nLayers)", "d_ff": "\(a.dFF)", "max_len": "\(a.maxLen)", "layer_norm_eps": "\(a.layerNormEps)",
            "outputs": "\(a.nOutputs)", "conv_width": "\(a.convWidth)",
            "batch_size": "\(s.batchSize)", "epochs": "\(s.epochs)", "seed": "\(s.seed)", "shard_size": "\(s.shardSize)",
            "lr": "\(s.optimiser.learningRate)", "beta1": "\(s.optimiser.beta1)", "beta2": "\(s.optimiser.beta2)",
            "adam_epsilon": "\(s.optimiser.epsilon)", "weight_decay": "\(s.optimiser.weightDecay)",
            "warmup": "\(s.warmupFraction)", "lr_floor": "\(s.floorFraction)", "clip_norm": "\(s.maxGradientNorm)",
            "patience": "\(s.patience)", "head_diversity": "\(s.headDiversity)",
            "minimum_steps": "\(s.minimumSteps)", "maximum_epochs": "\(s.maximumEpochs)",
            "reverse_complement": "\(s.reverseComplement)", "max_shift": "\(s.maxShift)",
        ]
        // Recorded only when not at their original values, so that earlier checkpoints still resume.
        if s.headDiversityKind != .cosine { description["head_diversity_kind"] = s.headDiversityKind.rawValue }
        if s.dropout != 0 { description["dropout"] = "\(s.dropout)" }
        return description
    }

    /// SHA-256 (hex) of `training` then `validation`: counts, then each example's token ids and labels.
    public static func dataFingerprint(training: [TrainingExample], validation: [TrainingExample]) -> String {
        var hash = SHA256()
        func add<T>(_ value: T) { withUnsafeBytes(of: value) { hash.update($0) } }
        for set in [training, validation] {
            add(UInt64(set.count).littleEndian)
            for example in set {
                add(UInt32(example.tokenIDs.count).littleEndian)
                example.tokenIDs.withUnsafeBytes { hash.update($0) }
                add(UInt32(example.labels.count).littleEndian)
                example.labels.withUnsafeBytes { hash.update($0) }
            }
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Why this checkpoint cannot continue a run with these settings and data (nil when it can).
    public func mismatch(architecture: TrainingArchitecture, settings trainerSettings: TrainerSettings,
                         training: [TrainingExample], validation: [TrainingExample]) -> String? {
        let now = Self.settingsDescription(architecture: architecture, settings: trainerSettings)
        let differing = Set(now.keys).union(settings.keys).sorted().filter { now[$0] != settings[$0] }
        if !differing.isEmpty {
            let list = differing.prefix(4).map { "\($0) \(settings[$0] ?? "unset") in the checkpoint, \(now[$0] ?? "unset") now" }
            return "it was made with other settings (\(list.joined(separator: "; "))\(differing.count > 4 ? "; ..." : ""))"
        }
        if Self.dataFingerprint(training: training, validation: validation) != dataSHA256 {
            return "it was made from other training or validation sequences (\(training.count) training and \(validation.count) validation now)"
        }
        let count = ParameterStore(architecture: architecture).values.count
        guard parameters.count == count, firstMoment.count == count, secondMoment.count == count,
              best.map({ $0.parameters.count == count }) ?? true else {
            return "its tensors do not fit the model (\(count) parameters)"
        }
        guard completedEpochs <= trainerSettings.epochs, completedEpochs == epochs.count,
              stepCount == completedEpochs * Trainer.stepsPerEpoch(examples: training.count, batchSize: trainerSettings.batchSize) else {
            return "its epoch and step counts do not fit the training set"
        }
        let replayed = Trainer.shuffledOrder(count: training.count, seed: trainerSettings.seed, epochs: completedEpochs)
        guard replayed.generator.stateWords == shufflerState else {
            return "its shuffling state does not follow from the seed (written by another motifattn version?)"
        }
        return nil
    }
}

extension TrainingCheckpoint {
    /// Version of the checkpoint layout written by `write(to:)`.
    public static let formatVersion = 1

    /// The JSON kept in the file's metadata (key `motifattn_checkpoint`); doubles as bit patterns, so that
    /// metrics come back exactly and a resumed run writes the same model file.
    private struct Record: Codable {
        struct Epoch: Codable {
            var epoch: Int, steps: Int
            var stepsPerSecond: String, sequencesPerSecond: String, trainingLoss: String
            var headSimilarity: String?, validationLoss: String?, validationAUROC: String?, validationAUPRC: String?
        }
        var format: Int
        var settings: [String: String]
        var settingsSHA256: String
        var dataSHA256: String
        var completedEpochs: Int
        var stepCount: Int
        var shufflerState: [String]
        var bestEpoch: Int?
        var bestAUROC: String?
        var epochsSinceImprovement: Int
        var epochs: [Epoch]
    }

    private static func bits(_ x: Double) -> String { String(x.bitPattern, radix: 16) }
    private static func double(_ s: String?) -> Double? { s.flatMap { UInt64($0, radix: 16) }.map(Double.init(bitPattern:)) }

    /// SHA-256 (hex) of the settings, sorted by name.
    public var settingsSHA256: String {
        SHA256.hex(of: Array(settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined().utf8))
    }

    /// Writes the checkpoint as safetensors (tensors `parameters`, `adam_m`, `adam_v`, `best_parameters`;
    /// the rest as JSON metadata), atomically: a temporary file renamed into place, so an interrupted
    /// write leaves the previous checkpoint intact.
    public func write(to path: String) throws {
        let record = Record(
            format: Self.formatVersion, settings: settings, settingsSHA256: settingsSHA256, dataSHA256: dataSHA256,
            completedEpochs: completedEpochs, stepCount: stepCount, shufflerState: shufflerState.map { String($0, radix: 16) },
            bestEpoch: best?.epoch, bestAUROC: best.map { Self.bits($0.auroc) }, epochsSinceImprovement: epochsSinceImprovement,
            epochs: epochs.map {
                Record.Epoch(epoch: $0.epoch, steps: $0.steps, stepsPerSecond: Self.bits($0.stepsPerSecond),
                             sequencesPerSecond: Self.bits($0.sequencesPerSecond), trainingLoss: Self.bits($0.trainingLoss),
                             headSimilarity: $0.headSimilarity.map(Self.bits), validationLoss: $0.validationLoss.map(Self.bits),
                             validationAUROC: $0.validationAUROC.map(Self.bits), validationAUPRC: $0.validationAUPRC.map(Self.bits))
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(record), as: UTF8.self)
        var tensors = [
            "parameters": NamedTensor(shape: [parameters.count], values: parameters),
            "adam_m": NamedTensor(shape: [firstMoment.count], values: firstMoment),
            "adam_v": NamedTensor(shape: [secondMoment.count], values: secondMoment),
        ]
        if let best { tensors["best_parameters"] = NamedTensor(shape: [best.parameters.count], values: best.parameters) }
        try Safetensors.write(tensors: tensors, metadata: ["motifattn_checkpoint": json], path: path)
    }

    /// Reads a checkpoint written by `write(to:)`.
    public static func read(path: String) throws -> TrainingCheckpoint {
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.missing(file: path) }
        let file: (tensors: [String: NamedTensor], metadata: [String: String])
        do { file = try Safetensors.read(path: path) } catch {
            throw CheckpointError.unreadable(file: path, reason: "\(error)")
        }
        guard let json = file.metadata["motifattn_checkpoint"] else {
            throw CheckpointError.unreadable(file: path, reason: "no motifattn_checkpoint metadata")
        }
        let decoder = JSONDecoder()
        let record: Record
        do { record = try decoder.decode(Record.self, from: Data(json.utf8)) } catch {
            throw CheckpointError.unreadable(file: path, reason: "bad checkpoint metadata")
        }
        guard record.format == formatVersion else {
            throw CheckpointError.unreadable(file: path, reason: "checkpoint format \(record.format), this motifattn reads \(formatVersion)")
        }
        guard let parameters = file.tensors["parameters"]?.values, let m = file.tensors["adam_m"]?.values,
              let v = file.tensors["adam_v"]?.values else {
            throw CheckpointError.unreadable(file: path, reason: "tensors parameters, adam_m and adam_v are needed")
        }
        let state = record.shufflerState.compactMap { UInt64($0, radix: 16) }
        guard state.count == 4 else { throw CheckpointError.unreadable(file: path, reason: "bad shuffler state") }
        var best: (Int, Double, [Float])?
        if let epoch = record.bestEpoch {
            guard let auroc = double(record.bestAUROC), let values = file.tensors["best_parameters"]?.values else {
                throw CheckpointError.unreadable(file: path, reason: "best epoch \(epoch) without its AUROC or parameters")
            }
            best = (epoch, auroc, values)
        }
        var epochs: [EpochSummary] = []
        for e in record.epochs {
            guard let stepsPerSecond = double(e.stepsPerSecond), let sequencesPerSecond = double(e.sequencesPerSecond),
                  let loss = double(e.trainingLoss) else {
                throw CheckpointError.unreadable(file: path, reason: "bad metrics of epoch \(e.epoch)")
            }
            epochs.append(EpochSummary(epoch: e.epoch, steps: e.steps, stepsPerSecond: stepsPerSecond,
                                       sequencesPerSecond: sequencesPerSecond, trainingLoss: loss,
                                       headSimilarity: double(e.headSimilarity), validationLoss: double(e.validationLoss),
                                       validationAUROC: double(e.validationAUROC), validationAUPRC: double(e.validationAUPRC)))
        }
        let checkpoint = TrainingCheckpoint(
            settings: record.settings, dataSHA256: record.dataSHA256, completedEpochs: record.completedEpochs,
            stepCount: record.stepCount, parameters: parameters, firstMoment: m, secondMoment: v, shufflerState: state,
            best: best, epochsSinceImprovement: record.epochsSinceImprovement, epochs: epochs)
        guard checkpoint.settingsSHA256 == record.settingsSHA256 else {
            throw CheckpointError.unreadable(file: path, reason: "settings do not match their SHA-256")
        }
        return checkpoint
    }
}
