import Foundation
import MotifAttnCore

/// Why heads cannot be removed from a model.
public enum PruningError: Error, CustomStringConvertible, Equatable {
    /// A head the model does not hold (never had, or already pruned).
    case noSuchHead(file: String, layer: Int, head: Int)
    /// Removing the heads would leave a layer without any.
    case emptiesLayer(file: String, layer: Int)
    /// No head was named.
    case nothingToRemove(file: String)

    public var description: String {
        switch self {
        case .noSuchHead(let f, let l, let h): return "\(f): the model has no head L\(l)H\(h)"
        case .emptiesLayer(let f, let l):
            return "\(f): removing these heads leaves layer \(l) without any; every layer keeps at least one head"
        case .nothingToRemove(let f): return "\(f): no head to remove"
        }
    }
}

extension AttentionModel {
    /// The model without the heads `removed` (layer, head number in the unpruned model): their rows of the
    /// Q, K and V blocks of each layer's in-projection (weight and bias) and their columns of the out-projection
    /// are dropped; every other tensor is kept as it is. The result is a version 2 model whose remaining heads
    /// keep their names and compute exactly what they computed before, so its logits are those of this model with
    /// the removed heads' outputs set to zero. A layer must keep at least one head. `file` names the model in errors.
    public func removingHeads(_ removed: [(layer: Int, head: Int)], file: String = "model") throws -> AttentionModel {
        guard !removed.isEmpty else { throw PruningError.nothingToRemove(file: file) }
        let c = config, layout = c.headLayout, dh = c.dHead, d = c.dModel
        var removedByLayer = [Set<Int>](repeating: [], count: c.nLayers)
        for (layer, head) in removed {
            guard layout.position(layer: layer, head: head) != nil else { throw PruningError.noSuchHead(file: file, layer: layer, head: head) }
            removedByLayer[layer].insert(head)
        }
        var tensors = self.tensors
        var kept: [[Int]] = []
        for (layer, heads) in layout.headsByLayer.enumerated() {
            let keptHeads = heads.filter { !removedByLayer[layer].contains($0) }
            guard !keptHeads.isEmpty else { throw PruningError.emptiesLayer(file: file, layer: layer) }
            kept.append(keptHeads)
            guard keptHeads.count < heads.count else { continue }
            let positions = keptHeads.map { layout.position(layer: layer, head: $0)! }
            let width = heads.count * dh, keptWidth = keptHeads.count * dh
            let p = "encoder.layers.\(layer).self_attn."
            // In-projection rows: Q, K and V blocks of `width` rows each, a head's dh rows at position · dh in each.
            var keptRows: [Int] = []
            for part in 0..<3 {
                for position in positions { keptRows += Array((part * width + position * dh)..<(part * width + (position + 1) * dh)) }
            }
            let inWeight = tensors[p + "in_proj_weight"]!.values, inBias = tensors[p + "in_proj_bias"]!.values
            var keptWeight: [Float] = []
            keptWeight.reserveCapacity(keptRows.count * d)
            for row in keptRows { keptWeight += inWeight[(row * d)..<((row + 1) * d)] }
            tensors[p + "in_proj_weight"] = NamedTensor(shape: [3 * keptWidth, d], values: keptWeight)
            tensors[p + "in_proj_bias"] = NamedTensor(shape: [3 * keptWidth], values: keptRows.map { inBias[$0] })
            // Out-projection [d, width]: the kept heads' columns of every row.
            let outWeight = tensors[p + "out_proj.weight"]!.values
            var keptColumns: [Int] = []
            for position in positions { keptColumns += Array((position * dh)..<((position + 1) * dh)) }
            var keptOut: [Float] = []
            keptOut.reserveCapacity(d * keptWidth)
            for row in 0..<d { for column in keptColumns { keptOut.append(outWeight[row * width + column]) } }
            tensors[p + "out_proj.weight"] = NamedTensor(shape: [d, keptWidth], values: keptOut)
        }
        return try AttentionModel(config: c.keeping(heads: kept), tensors: tensors, file: file)
    }
}
