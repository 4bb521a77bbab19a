/// Which attention heads each encoder layer holds, named by their numbers in the unpruned model.
///
/// An unpruned model has the same heads 0..<H in every layer. A pruned model (format v2) keeps a subset per
/// layer, and a kept head keeps its name: layer 1 holding heads 0, 1 and 3 still calls the last one `L1H3`.
/// Everything stored per head (attention maps, diagnostics) is laid out layer by layer, heads in ascending
/// order; the *slot* of a head is its place in that order, which this type computes.
public struct HeadLayout: Sendable, Hashable {
    /// The head numbers of each layer, ascending.
    public let headsByLayer: [[Int]]
    /// `firstSlot[l]` is the slot of layer `l`'s first head; `firstSlot[layers]` is the number of heads.
    private let firstSlot: [Int]
    /// Position of head number `h` in layer `l`, at `l · positionStride + h`; -1 for a head the layer lacks.
    private let positionTable: [Int]
    private let positionStride: Int

    /// Every layer with heads 0..<`headsPerLayer` (an unpruned model).
    public init(layers: Int, headsPerLayer: Int) {
        self.init(headsByLayer: Array(repeating: Array(0..<headsPerLayer), count: layers))
    }

    /// The given heads per layer; each list must be ascending, without repeats, of numbers ≥ 0.
    public init(headsByLayer: [[Int]]) {
        precondition(headsByLayer.allSatisfy { heads in zip(heads, heads.dropFirst()).allSatisfy { $0 < $1 } && (heads.first ?? 0) >= 0 },
                     "head numbers of a layer must be ascending and non-negative")
        self.headsByLayer = headsByLayer
        var first = [0]
        for heads in headsByLayer { first.append(first.last! + heads.count) }
        firstSlot = first
        let stride = (headsByLayer.compactMap(\.last).max() ?? -1) + 1
        positionStride = stride
        var table = [Int](repeating: -1, count: headsByLayer.count * stride)
        for (layer, heads) in headsByLayer.enumerated() {
            for (position, head) in heads.enumerated() { table[layer * stride + head] = position }
        }
        positionTable = table
    }

    /// Encoder layers.
    public var layers: Int { headsByLayer.count }
    /// Heads over all layers.
    public var count: Int { firstSlot[layers] }
    /// Heads in `layer`.
    public func headCount(layer: Int) -> Int { headsByLayer[layer].count }
    /// Most heads of any layer.
    public var widestLayer: Int { headsByLayer.map(\.count).max() ?? 0 }

    /// Where head number `head` sits among `layer`'s heads (0-based), or nil when the layer lacks it.
    public func position(layer: Int, head: Int) -> Int? {
        guard layer >= 0, layer < layers, head >= 0, head < positionStride else { return nil }
        let position = positionTable[layer * positionStride + head]
        return position >= 0 ? position : nil
    }

    /// The slot of head number `head` of `layer` (its place in the layer-by-layer order), or nil when absent.
    public func slot(layer: Int, head: Int) -> Int? {
        position(layer: layer, head: head).map { firstSlot[layer] + $0 }
    }

    /// The slot of the head at `position` among `layer`'s heads.
    public func slot(layer: Int, position: Int) -> Int { firstSlot[layer] + position }

    /// The slot of `layer`'s first head.
    public func firstSlot(layer: Int) -> Int { firstSlot[layer] }

    /// Every head as (layer, head number), in slot order.
    public var allHeads: [(layer: Int, head: Int)] {
        headsByLayer.enumerated().flatMap { layer, heads in heads.map { (layer: layer, head: $0) } }
    }

    /// True when every layer holds heads 0..<H for one H (the layout of an unpruned model).
    public var isUniform: Bool {
        guard let first = headsByLayer.first else { return true }
        return first == Array(0..<first.count) && headsByLayer.allSatisfy { $0 == first }
    }
}
