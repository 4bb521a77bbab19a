import Foundation

// A trained model's parameters and a saved model's tensors are the same tensors under the same
// PyTorch `state_dict` names; these convert between the trainer's and the file's types.

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
