import Foundation
import MotifAttnCore

/// The shape of the encoder being trained: the hyper-parameters of `motifattn_torch.py`'s `MotifAttnV1`.
///
/// Defaults are the CPU-friendly configuration (k=3, conv stem 11, d_model 64,
/// 4 heads, 2 layers, d_ff 128) with room for 200-bp windows.
public struct TrainingArchitecture: Sendable, Equatable, Codable {
    /// k-mer length of the tokenizer (the vocabulary is 5 specials + 4ᵏ k-mers).
    public var k: Int = 3
    /// Step between consecutive k-mers.
    public var stride: Int = 1
    /// Width of every token vector.
    public var dModel: Int = 64
    /// Attention heads per layer (`dModel` must be a multiple).
    public var nHeads: Int = 4
    /// Encoder layers.
    public var nLayers: Int = 2
    /// Hidden width of the feed-forward block.
    public var dFF: Int = 128
    /// Longest token row the position embedding covers ([CLS] and [SEP] included).
    public var maxLen: Int = 256
    /// Epsilon inside every LayerNorm.
    public var layerNormEps: Float = 1e-5
    /// Number of labels predicted per sequence (one logit each).
    public var nOutputs: Int = 1
    /// Width of the convolutional stem over tokens (0: no stem; otherwise odd).
    public var convWidth: Int = 11

    /// Creates an architecture; unspecified values take the defaults above.
    public init(k: Int = 3, stride: Int = 1, dModel: Int = 64, nHeads: Int = 4, nLayers: Int = 2, dFF: Int = 128,
                maxLen: Int = 256, layerNormEps: Float = 1e-5, nOutputs: Int = 1, convWidth: Int = 11) {
        self.k = k
        self.stride = stride
        self.dModel = dModel
        self.nHeads = nHeads
        self.nLayers = nLayers
        self.dFF = dFF
        self.maxLen = maxLen
        self.layerNormEps = layerNormEps
        self.nOutputs = nOutputs
        self.convWidth = convWidth
    }

    /// Tokens in the vocabulary: `[PAD] [UNK] [CLS] [SEP] [MASK]` then the 4ᵏ k-mers.
    public var vocabularySize: Int { 5 + (1 << (2 * k)) }
    /// Width of one attention head.
    public var headWidth: Int { dModel / nHeads }

    /// Every parameter tensor with its PyTorch `state_dict` name and shape, in a fixed order.
    public var parameterShapes: [(name: String, shape: [Int])] {
        let d = dModel
        var list: [(String, [Int])] = [("tok_emb.weight", [vocabularySize, d]), ("pos_emb.weight", [maxLen, d])]
        if convWidth > 0 { list += [("stem.weight", [d, d, convWidth]), ("stem.bias", [d])] }
        for i in 0..<nLayers {
            let p = "encoder.layers.\(i)."
            list += [
                (p + "self_attn.in_proj_weight", [3 * d, d]), (p + "self_attn.in_proj_bias", [3 * d]),
                (p + "self_attn.out_proj.weight", [d, d]), (p + "self_attn.out_proj.bias", [d]),
                (p + "linear1.weight", [dFF, d]), (p + "linear1.bias", [dFF]),
                (p + "linear2.weight", [d, dFF]), (p + "linear2.bias", [d]),
                (p + "norm1.weight", [d]), (p + "norm1.bias", [d]),
                (p + "norm2.weight", [d]), (p + "norm2.bias", [d]),
            ]
        }
        list += [("encoder.norm.weight", [d]), ("encoder.norm.bias", [d]),
                 ("head.weight", [nOutputs, d]), ("head.bias", [nOutputs])]
        return list.map { (name: $0.0, shape: $0.1) }
    }

    /// Checks that the numbers fit together; returns a one-line reason when they do not.
    public func problem() -> String? {
        if k < 1 || k > 8 { return "k-mer length \(k) is outside 1...8" }
        if stride < 1 { return "k-mer stride must be at least 1" }
        if dModel < 1 || nHeads < 1 || dModel % nHeads != 0 { return "d_model \(dModel) is not a multiple of \(nHeads) heads" }
        if nLayers < 0 || dFF < 1 || maxLen < 2 || nOutputs < 1 { return "layers, d_ff, max_len and outputs must be positive" }
        if convWidth < 0 || (convWidth > 0 && convWidth % 2 == 0) { return "conv width \(convWidth) must be 0 or odd" }
        return nil
    }
}

/// Named Float tensors stored back to back in one flat array, named and shaped as PyTorch's `state_dict`.
///
/// The same type holds a model's parameters and their gradients (same layout), which makes the
/// optimiser, gradient clipping and the reduction over threads single loops over `values`.
public struct ParameterStore: Sendable, Equatable {
    /// One tensor's place in `values`.
    public struct Slot: Sendable, Equatable {
        /// PyTorch `state_dict` name, e.g. `encoder.layers.0.linear1.weight`.
        public var name: String
        /// Shape, outermost first (row-major).
        public var shape: [Int]
        /// Offset of the first value in `values`.
        public var offset: Int
        /// Number of values.
        public var count: Int
        /// The index range in `values`.
        public var range: Range<Int> { offset..<(offset + count) }
    }

    /// The tensors in `state_dict` order.
    public private(set) var slots: [Slot]
    /// All values, tensor after tensor.
    public var values: [Float]
    private var index: [String: Int]

    /// A zero-filled store with one tensor per `(name, shape)`.
    public init(shapes: [(name: String, shape: [Int])]) {
        var offset = 0
        slots = []
        index = [:]
        for (name, shape) in shapes {
            let count = shape.reduce(1, *)
            index[name] = slots.count
            slots.append(Slot(name: name, shape: shape, offset: offset, count: count))
            offset += count
        }
        values = [Float](repeating: 0, count: offset)
    }

    /// A zero-filled store with every parameter of `architecture`.
    public init(architecture: TrainingArchitecture) {
        self.init(shapes: architecture.parameterShapes)
    }

    /// The slot named `name`, if present.
    public func slot(_ name: String) -> Slot? { index[name].map { slots[$0] } }

    /// Offset of tensor `name` in `values` (the tensor must exist).
    public func offset(of name: String) -> Int {
        guard let i = index[name] else { preconditionFailure("no parameter tensor named \(name)") }
        return slots[i].offset
    }

    /// A copy of tensor `name`'s values, or nil when absent.
    public func tensor(_ name: String) -> [Float]? {
        slot(name).map { Array(values[$0.range]) }
    }

    /// Replaces tensor `name`'s values (the count must match).
    public mutating func setTensor(_ name: String, _ newValues: [Float]) {
        guard let s = slot(name), s.count == newValues.count else {
            preconditionFailure("tensor \(name) is absent or has a different size")
        }
        values.replaceSubrange(s.range, with: newValues)
    }

    /// Sets every value to zero.
    public mutating func zero() {
        for i in values.indices { values[i] = 0 }
    }
}

extension ParameterStore {
    /// Parameters drawn as PyTorch initialises a fresh `MotifAttnV1`, from `seed`.
    ///
    /// Embeddings N(0, 1); Conv1d and Linear weights and biases U(±1/√fan_in) (PyTorch's
    /// kaiming-uniform with a=√5); attention `in_proj_weight` xavier-uniform U(±√(6/(d+3d)))
    /// with zero `in_proj_bias` and zero `out_proj.bias`; LayerNorm weight 1 and bias 0.
    /// Unlike PyTorch (which deep-copies one layer), each encoder layer gets its own draw.
    public static func initialised(for architecture: TrainingArchitecture, seed: UInt64) -> ParameterStore {
        var store = ParameterStore(architecture: architecture)
        var generator = SeededGenerator(seed: seed)
        let d = architecture.dModel
        for slot in store.slots {
            let name = slot.name
            var fill: (inout SeededGenerator) -> Float
            func uniform(_ bound: Double) -> (inout SeededGenerator) -> Float {
                { g in Float((2 * g.uniformDouble() - 1) * bound) }
            }
            if name.hasSuffix("_emb.weight") {
                fill = { g in Float(g.normal()) }
            } else if name.hasSuffix("in_proj_weight") {
                fill = uniform((6.0 / Double(d + 3 * d)).squareRoot())
            } else if name.hasSuffix("in_proj_bias") || name.hasSuffix("out_proj.bias") {
                fill = { _ in 0 }
            } else if name.contains("norm") {
                let one: Float = name.hasSuffix(".weight") ? 1 : 0
                fill = { _ in one }
            } else {
                // Linear or Conv1d: fan_in is the input width (times the kernel width for the stem).
                let fanIn: Int
                switch name {
                case "stem.weight", "stem.bias": fanIn = d * architecture.convWidth
                case let n where n.contains("linear2"): fanIn = architecture.dFF
                default: fanIn = d
                }
                fill = uniform(1 / Double(fanIn).squareRoot())
            }
            for i in slot.range { store.values[i] = fill(&generator) }
        }
        return store
    }
}
