import Foundation
import MotifAttnIO
import MotifAttnCore
import MotifAttnModel
import MotifAttnTokenizers

extension ModelConfig {
    /// The v1 config of a model with `architecture`'s shape (epsilon written as its shortest decimal, 1e-05 not 9.99e-06).
    public init(architecture a: TrainingArchitecture) {
        self.init(tokenizer: TokenizerConfig(kind: "kmer", k: a.k, stride: a.stride), dModel: a.dModel, nHeads: a.nHeads,
                  nLayers: a.nLayers, dFF: a.dFF, maxLen: a.maxLen, layerNormEps: Double("\(a.layerNormEps)") ?? Double(a.layerNormEps),
                  nOutputs: a.nOutputs, convWidth: a.convWidth)
    }

    /// The training architecture of a model with this config.
    public var trainingArchitecture: TrainingArchitecture {
        TrainingArchitecture(k: tokenizer.k, stride: tokenizer.stride, dModel: dModel, nHeads: nHeads, nLayers: nLayers,
                             dFF: dFF, maxLen: maxLen, layerNormEps: Float(layerNormEps), nOutputs: nOutputs, convWidth: convWidth)
    }
}

extension AttentionModel {
    /// A model holding trained parameters (tensor names are the PyTorch `state_dict` names in both).
    public init(architecture: TrainingArchitecture, parameters: ParameterStore) throws {
        var tensors: [String: NamedTensor] = [:]
        for slot in parameters.slots {
            tensors[slot.name] = NamedTensor(shape: slot.shape, values: Array(parameters.values[slot.range]))
        }
        try self.init(config: ModelConfig(architecture: architecture), tensors: tensors, file: "trained model")
    }

    /// The model's weights as trainer parameters (to continue training or fine-tune).
    public func parameterStore() -> ParameterStore {
        var store = ParameterStore(architecture: config.trainingArchitecture)
        for slot in store.slots { if let t = tensors[slot.name] { store.setTensor(slot.name, t.values) } }
        return store
    }
}

extension AttentionModel {
    /// Saves the model as v1 safetensors with `extraMetadata` beside the `motifattn` config (atomically).
    public func save(to path: String, extraMetadata: [String: String]) throws {
        var metadata = extraMetadata
        metadata["motifattn"] = try config.jsonString()
        try Safetensors.write(tensors: tensors, metadata: metadata, path: path)
    }
}

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

    /// The metadata of a finished run.
    public init(record: RunRecord, report: TrainingReport) {
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
