import Foundation
import MotifAttnCore
import MotifAttnTokenizers

/// How a v1 model tokenizes its input (the `tokenizer` object of the config).
public struct TokenizerConfig: Codable, Sendable, Hashable {
    /// Tokenizer kind; v1 knows only `"kmer"`.
    public var kind: String
    /// k-mer length.
    public var k: Int
    /// Step between k-mer starts.
    public var stride: Int

    /// A k-mer tokenizer setting.
    public init(kind: String = "kmer", k: Int, stride: Int = 1) {
        self.kind = kind; self.k = k; self.stride = stride
    }
}

/// The shape and settings of a motifattn model, stored as JSON under the safetensors metadata key `motifattn`.
///
/// Keys as in `motifattn_torch.py`: format, version, tokenizer{kind,k,stride}, d_model, n_heads,
/// n_layers, d_ff, max_len, layer_norm_eps, n_outputs, activation, norm_first, positional,
/// pooling and the optional conv_width (0 or absent: no convolutional stem).
///
/// Version 2 (a pruned model, see `docs/pruning.md`) adds `heads_per_layer` (heads each layer keeps),
/// `kept_heads` (their numbers in the unpruned model, per layer, ascending) and `head_dim` (d_model / n_heads,
/// where n_heads is the unpruned model's count). A layer with h heads has an in-projection of 3·h·head_dim rows
/// and an out-projection of h·head_dim columns. Unpruned models are written as version 1.
public struct ModelConfig: Codable, Sendable, Hashable {
    /// Always `"motifattn-model"`.
    public var format: String = "motifattn-model"
    /// Format version: 1, or 2 for a pruned model (`keptHeads` set).
    public var version: Int = 1
    /// The tokenizer the model was trained with.
    public var tokenizer: TokenizerConfig
    /// Width of every token vector.
    public var dModel: Int
    /// Attention heads per layer (divides `dModel`).
    public var nHeads: Int
    /// Encoder layers.
    public var nLayers: Int
    /// Hidden width of the feed-forward block.
    public var dFF: Int
    /// Longest token row (size of the position table).
    public var maxLen: Int
    /// LayerNorm epsilon.
    public var layerNormEps: Double
    /// Number of logits (tasks) the head produces.
    public var nOutputs: Int
    /// Feed-forward activation; v1: `"gelu"` (exact, erf).
    public var activation: String = "gelu"
    /// Pre-norm layers; v1: `true`.
    public var normFirst: Bool = true
    /// Position encoding; v1: `"learned"`.
    public var positional: String = "learned"
    /// Which vector feeds the head; v1: `"cls"`.
    public var pooling: String = "cls"
    /// Width of the convolutional stem over tokens (odd), 0 for none.
    public var convWidth: Int = 0
    /// Version 2: the numbers (in the unpruned model) of the heads each layer keeps, ascending; nil in version 1,
    /// where every layer has heads 0..<n_heads.
    public var keptHeads: [[Int]]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case format, version, tokenizer, activation, positional, pooling
        case dModel = "d_model", nHeads = "n_heads", nLayers = "n_layers", dFF = "d_ff", maxLen = "max_len"
        case layerNormEps = "layer_norm_eps", nOutputs = "n_outputs", normFirst = "norm_first", convWidth = "conv_width"
        case headsPerLayer = "heads_per_layer", keptHeads = "kept_heads", headDim = "head_dim"
    }

    /// A v1 config; the fixed v1 settings take their only values.
    public init(tokenizer: TokenizerConfig, dModel: Int, nHeads: Int, nLayers: Int, dFF: Int, maxLen: Int,
                layerNormEps: Double = 1e-5, nOutputs: Int = 1, convWidth: Int = 0) {
        self.tokenizer = tokenizer; self.dModel = dModel; self.nHeads = nHeads; self.nLayers = nLayers
        self.dFF = dFF; self.maxLen = maxLen; self.layerNormEps = layerNormEps; self.nOutputs = nOutputs
        self.convWidth = convWidth
    }

    public init(from decoder: Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        version = try c.decode(Int.self, forKey: .version)
        tokenizer = try c.decode(TokenizerConfig.self, forKey: .tokenizer)
        dModel = try c.decode(Int.self, forKey: .dModel)
        nHeads = try c.decode(Int.self, forKey: .nHeads)
        nLayers = try c.decode(Int.self, forKey: .nLayers)
        dFF = try c.decode(Int.self, forKey: .dFF)
        maxLen = try c.decode(Int.self, forKey: .maxLen)
        layerNormEps = try c.decode(Double.self, forKey: .layerNormEps)
        nOutputs = try c.decode(Int.self, forKey: .nOutputs)
        activation = try c.decode(String.self, forKey: .activation)
        normFirst = try c.decode(Bool.self, forKey: .normFirst)
        positional = try c.decode(String.self, forKey: .positional)
        pooling = try c.decode(String.self, forKey: .pooling)
        convWidth = try c.decodeIfPresent(Int.self, forKey: .convWidth) ?? 0
        keptHeads = try c.decodeIfPresent([[Int]].self, forKey: .keptHeads)
        // Counts and head width are written for readers that want them; they must agree with the kept heads.
        if let counts = try c.decodeIfPresent([Int].self, forKey: .headsPerLayer), counts != (keptHeads ?? []).map(\.count) {
            throw ModelConfigConflict(key: "heads_per_layer", reason: "\(counts) does not match the counts of kept_heads")
        }
        if let width = try c.decodeIfPresent(Int.self, forKey: .headDim), nHeads > 0, width != dModel / nHeads || dModel % nHeads != 0 {
            throw ModelConfigConflict(key: "head_dim", reason: "\(width) is not d_model / n_heads = \(dModel) / \(nHeads)")
        }
    }

    public func encode(to encoder: Swift.Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format); try c.encode(version, forKey: .version)
        try c.encode(tokenizer, forKey: .tokenizer); try c.encode(dModel, forKey: .dModel)
        try c.encode(nHeads, forKey: .nHeads); try c.encode(nLayers, forKey: .nLayers)
        try c.encode(dFF, forKey: .dFF); try c.encode(maxLen, forKey: .maxLen)
        try c.encode(layerNormEps, forKey: .layerNormEps); try c.encode(nOutputs, forKey: .nOutputs)
        try c.encode(activation, forKey: .activation); try c.encode(normFirst, forKey: .normFirst)
        try c.encode(positional, forKey: .positional); try c.encode(pooling, forKey: .pooling)
        if convWidth > 0 { try c.encode(convWidth, forKey: .convWidth) }
        if let keptHeads {
            try c.encode(keptHeads, forKey: .keptHeads)
            try c.encode(keptHeads.map(\.count), forKey: .headsPerLayer)
            try c.encode(dHead, forKey: .headDim)
        }
    }

    /// Width of one attention head (d_model / n_heads of the unpruned model, in both versions).
    public var dHead: Int { dModel / nHeads }

    /// The heads each layer holds, by their numbers in the unpruned model.
    public var headLayout: HeadLayout {
        keptHeads.map { HeadLayout(headsByLayer: $0) } ?? HeadLayout(layers: nLayers, headsPerLayer: nHeads)
    }

    /// Heads in `layer`.
    public func headCount(layer: Int) -> Int { keptHeads?[layer].count ?? nHeads }

    /// Width of `layer`'s attention (its heads × `dHead`): rows of each of Q, K and V in the in-projection.
    public func attentionWidth(layer: Int) -> Int { headCount(layer: layer) * dHead }

    /// The config of this model with only `heads` kept per layer (numbers in the unpruned model): version 2,
    /// or version 1 when every layer keeps all `nHeads` heads. Not validated here (see `validate(file:)`).
    public func keeping(heads: [[Int]]) -> ModelConfig {
        var pruned = self
        let all = Array(0..<nHeads)
        if heads.allSatisfy({ $0 == all }) {
            pruned.version = 1
            pruned.keptHeads = nil
        } else {
            pruned.version = 2
            pruned.keptHeads = heads
        }
        return pruned
    }

    /// Number of token ids (5 specials + 4^k k-mers).
    public var vocabularySize: Int { 5 + (1 << (2 * tokenizer.k)) }

    /// The tokenizer this config describes.
    public func makeTokenizer() throws -> KmerTokenizer {
        try KmerTokenizer(k: tokenizer.k, stride: tokenizer.stride)
    }

    /// The config stored in metadata JSON, checking keys and values; errors name `file`.
    public static func parse(json: String, file: String) throws -> ModelConfig {
        let bytes = Data(json.utf8)
        guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
            throw ModelFileError.badConfigValue(file: file, key: "motifattn", reason: "metadata is not a JSON object")
        }
        // The version first: a newer format's new keys would otherwise be reported as unknown.
        if let version = object["version"] as? Int, !(1...2).contains(version) {
            throw ModelFileError.badConfigValue(file: file, key: "version", reason: "\(version) is not supported (only 1 and 2); a newer motifattn wrote it")
        }
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        for key in object.keys.sorted() where !known.contains(key) {
            throw ModelFileError.unknownConfigKey(file: file, key: key)
        }
        if let tok = object["tokenizer"] as? [String: Any] {
            for key in tok.keys.sorted() where !["kind", "k", "stride"].contains(key) {
                throw ModelFileError.unknownConfigKey(file: file, key: "tokenizer.\(key)")
            }
        }
        let config: ModelConfig
        do { config = try JSONDecoder().decode(ModelConfig.self, from: bytes) } catch let DecodingError.keyNotFound(key, _) {
            throw ModelFileError.badConfigValue(file: file, key: key.stringValue, reason: "missing")
        } catch let conflict as ModelConfigConflict {
            throw ModelFileError.badConfigValue(file: file, key: conflict.key, reason: conflict.reason)
        } catch let DecodingError.typeMismatch(_, context) {
            throw ModelFileError.badConfigValue(file: file, key: context.codingPath.map(\.stringValue).joined(separator: "."), reason: "wrong type")
        } catch {
            throw ModelFileError.badConfigValue(file: file, key: "motifattn", reason: "cannot be decoded")
        }
        try config.validate(file: file)
        return config
    }

    /// Largest `d_model`, `d_ff`, `max_len` and `n_outputs` accepted (2^20).
    public static let largestDimension = 1 << 20
    /// Most encoder layers accepted.
    public static let mostLayers = 4096
    /// Widest convolutional stem accepted.
    public static let widestConvolution = 1023

    /// Rejects values motifattn does not support (v1, or v2 with its kept heads); errors name `file` and the key.
    public func validate(file: String) throws {
        func bad(_ key: String, _ reason: String) -> ModelFileError { .badConfigValue(file: file, key: key, reason: reason) }
        guard format == "motifattn-model" else { throw bad("format", "\"\(format)\" is not \"motifattn-model\"") }
        guard version == 1 || version == 2 else { throw bad("version", "\(version) is not supported (only 1 and 2)") }
        guard tokenizer.kind == "kmer" else { throw bad("tokenizer.kind", "\"\(tokenizer.kind)\" is not supported (only \"kmer\")") }
        guard (1...12).contains(tokenizer.k) else { throw bad("tokenizer.k", "\(tokenizer.k) is outside 1...12") }
        guard tokenizer.stride >= 1 else { throw bad("tokenizer.stride", "must be at least 1") }
        // Upper bounds far above any real model keep every tensor size (3 · d_model², d_ff · d_model, ...)
        // inside Int, and a corrupt config from looping over billions of layers.
        let largest = ModelConfig.largestDimension
        guard dModel > 0, dModel <= largest else { throw bad("d_model", "must be between 1 and \(largest)") }
        guard nHeads > 0, dModel % nHeads == 0 else { throw bad("n_heads", "\(nHeads) does not divide d_model \(dModel)") }
        guard nLayers >= 0, nLayers <= ModelConfig.mostLayers else { throw bad("n_layers", "must be between 0 and \(ModelConfig.mostLayers)") }
        guard dFF > 0, dFF <= largest else { throw bad("d_ff", "must be between 1 and \(largest)") }
        guard maxLen >= 2, maxLen <= largest else { throw bad("max_len", "must be between 2 and \(largest)") }
        guard layerNormEps > 0 else { throw bad("layer_norm_eps", "must be positive") }
        guard nOutputs > 0, nOutputs <= largest else { throw bad("n_outputs", "must be between 1 and \(largest)") }
        guard activation == "gelu" else { throw bad("activation", "\"\(activation)\" is not supported (only \"gelu\")") }
        guard normFirst else { throw bad("norm_first", "only pre-norm (true) is supported") }
        guard positional == "learned" else { throw bad("positional", "\"\(positional)\" is not supported (only \"learned\")") }
        guard pooling == "cls" else { throw bad("pooling", "\"\(pooling)\" is not supported (only \"cls\")") }
        guard convWidth == 0 || (convWidth > 0 && convWidth % 2 == 1 && convWidth <= ModelConfig.widestConvolution) else {
            throw bad("conv_width", "\(convWidth) must be 0 or odd (at most \(ModelConfig.widestConvolution))")
        }
        switch (version, keptHeads) {
        case (1, nil): break
        case (1, _): throw bad("kept_heads", "only a version 2 (pruned) model lists kept heads")
        case (_, nil): throw bad("kept_heads", "missing (a version 2 model lists the heads each layer keeps)")
        case (_, let kept?):
            guard kept.count == nLayers else { throw bad("kept_heads", "\(kept.count) layers listed, the model has \(nLayers)") }
            for (layer, heads) in kept.enumerated() {
                // A layer keeps at least one head: `prune` refuses to empty a layer (see docs/pruning.md).
                guard !heads.isEmpty else { throw bad("kept_heads", "layer \(layer) keeps no head") }
                guard heads.allSatisfy({ (0..<nHeads).contains($0) }), zip(heads, heads.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    throw bad("kept_heads", "layer \(layer): \(heads) must be ascending head numbers below n_heads \(nHeads)")
                }
            }
        }
    }

    /// The config as the metadata JSON (sorted keys, as the reference writes it).
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Name and shape of every tensor of a model with this config (PyTorch `state_dict` names).
    public var expectedTensorShapes: [String: [Int]] {
        var shapes: [String: [Int]] = [
            "tok_emb.weight": [vocabularySize, dModel], "pos_emb.weight": [maxLen, dModel],
            "encoder.norm.weight": [dModel], "encoder.norm.bias": [dModel],
            "head.weight": [nOutputs, dModel], "head.bias": [nOutputs],
        ]
        if convWidth > 0 {
            shapes["stem.weight"] = [dModel, dModel, convWidth]
            shapes["stem.bias"] = [dModel]
        }
        for l in 0..<nLayers {
            let p = "encoder.layers.\(l)."
            let width = attentionWidth(layer: l)
            shapes[p + "self_attn.in_proj_weight"] = [3 * width, dModel]
            shapes[p + "self_attn.in_proj_bias"] = [3 * width]
            shapes[p + "self_attn.out_proj.weight"] = [dModel, width]
            shapes[p + "self_attn.out_proj.bias"] = [dModel]
            shapes[p + "linear1.weight"] = [dFF, dModel]
            shapes[p + "linear1.bias"] = [dFF]
            shapes[p + "linear2.weight"] = [dModel, dFF]
            shapes[p + "linear2.bias"] = [dModel]
            for n in ["norm1", "norm2"] {
                shapes[p + n + ".weight"] = [dModel]
                shapes[p + n + ".bias"] = [dModel]
            }
        }
        return shapes
    }
}

/// A motifattn model (v1, or v2 when pruned): its config and every weight tensor under its PyTorch name.
public struct AttentionModel: Sendable {
    /// Shape and settings.
    public var config: ModelConfig
    /// Weights by PyTorch `state_dict` name.
    public var tensors: [String: NamedTensor]

    /// A model from a config and its tensors, checked against the config.
    public init(config: ModelConfig, tensors: [String: NamedTensor], file: String = "model") throws {
        try config.validate(file: file)
        let expected = config.expectedTensorShapes
        for name in expected.keys.sorted() {
            guard let t = tensors[name] else { throw ModelFileError.missingTensor(file: file, tensor: name) }
            guard t.shape == expected[name]! else {
                throw ModelFileError.wrongShape(file: file, tensor: name, expected: expected[name]!, found: t.shape)
            }
            if let index = t.values.firstIndex(where: { !$0.isFinite }) {
                throw ModelFileError.nonFiniteWeight(file: file, tensor: name, index: index, value: t.values[index])
            }
        }
        for name in tensors.keys.sorted() where expected[name] == nil {
            throw ModelFileError.unexpectedTensor(file: file, tensor: name)
        }
        self.config = config
        self.tensors = tensors
    }

    /// Loads a v1 or v2 model from a safetensors file, checking config, names, shapes, dtypes and offsets.
    public init(contentsOf path: String) throws {
        let (tensors, metadata) = try Safetensors.read(path: path)
        guard let json = metadata["motifattn"] else { throw ModelFileError.missingConfig(file: path) }
        let config = try ModelConfig.parse(json: json, file: path)
        try self.init(config: config, tensors: tensors, file: path)
    }

    /// A model with the given config and seeded random weights (normal-ish, std 0.02; LayerNorm 1/0).
    public init(randomWeightsFor config: ModelConfig, seed: UInt64) throws {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Float(state >> 40) / Float(1 << 24)
            return (u - 0.5) * 0.0693  // uniform with std 0.02
        }
        var tensors: [String: NamedTensor] = [:]
        for (name, shape) in config.expectedTensorShapes.sorted(by: { $0.key < $1.key }) {
            let count = shape.reduce(1, *)
            let values: [Float]
            if name.contains("norm") && name.hasSuffix(".weight") { values = .init(repeating: 1, count: count) }
            else if name.contains("norm") { values = .init(repeating: 0, count: count) }
            else { values = (0..<count).map { _ in next() } }
            tensors[name] = NamedTensor(shape: shape, values: values)
        }
        try self.init(config: config, tensors: tensors)
    }

    /// Saves the model as safetensors (same names, F32, contiguous): a v1 model as `motifattn_torch.load_motifattn`
    /// reads it, a v2 (pruned) model as `Benchmarks/peer/pruned_peer.py` reads it.
    public func save(to path: String) throws {
        try Safetensors.write(tensors: tensors, metadata: ["motifattn": try config.jsonString()], path: path)
    }

    /// The tokenizer the model reads.
    public func makeTokenizer() throws -> KmerTokenizer { try config.makeTokenizer() }
}

/// A v2 key that contradicts the rest of the config (thrown while decoding, reported as `badConfigValue`).
struct ModelConfigConflict: Error {
    var key: String
    var reason: String
}

extension AttentionModel {
    /// Number of weights in the model (all tensors).
    public var parameterCount: Int { tensors.values.reduce(0) { $0 + $1.values.count } }
}
