import Foundation
import MotifAttnAnalysis
import MotifAttnCore
import MotifAttnModel

/// Activation patching of every head: how much of the bound-versus-background difference one head's
/// output carries on its own.
///
/// For a pair (a bound window, a background window of the same token count and similar GC), head h's
/// output (its dHead columns of the attention context, before `out_proj`) is recorded on each; then the
/// background window runs with the bound window's output of h in place of its own (sufficiency: the
/// background logit's rise), and the bound window with the background one's (necessity: the bound
/// logit's fall). A pair's effect is the mean of the two, in logits. Ablation (zeroing) asks what the
/// model loses without the head; patching asks what the head's bound-state output does by itself, with
/// everything else held at a real input, so it is not fooled by a head whose zero output is off the
/// model's usual range.
public enum HeadPatching {
    /// A pair to patch: token rows of equal length.
    public struct Pair: Sendable {
        public var bound: [Int32]
        public var background: [Int32]
        public init(bound: [Int32], background: [Int32]) { self.bound = bound; self.background = background }
    }

    /// The effect of every head (layer-major), over `pairs`.
    public static func measure(encoder: Encoder, pairs: [Pair]) throws -> [HeadIndex: PatchEffect] {
        guard !pairs.isEmpty else { return [:] }
        precondition(pairs.allSatisfy { $0.bound.count == $0.background.count }, "a pair of windows of different token counts")
        let bound = pairs.map(\.bound), background = pairs.map(\.background)
        var effects: [HeadIndex: PatchEffect] = [:]
        for (layer, heads) in encoder.headLayout.headsByLayer.enumerated() {
            for head in heads {
                let record = HeadIntervention(layer: layer, head: head, action: .record)
                let b = try encoder.forward(tokenRows: bound, keepAttention: false, intervention: record)
                let g = try encoder.forward(tokenRows: background, keepAttention: false, intervention: record)
                let gPatched = try encoder.forward(tokenRows: background, keepAttention: false,
                                                   intervention: HeadIntervention(layer: layer, head: head, action: .replace(b.headOutputs!)))
                let bPatched = try encoder.forward(tokenRows: bound, keepAttention: false,
                                                   intervention: HeadIntervention(layer: layer, head: head, action: .replace(g.headOutputs!)))
                let perPair = pairs.indices.map { i -> Double in
                    let sufficiency = Double(gPatched.logits(window: i).first!) - Double(g.logits(window: i).first!)
                    let necessity = Double(b.logits(window: i).first!) - Double(bPatched.logits(window: i).first!)
                    return (sufficiency + necessity) / 2
                }
                effects[HeadIndex(layer: layer, head: head)] = PatchEffect(perPair: perPair)
            }
        }
        return effects
    }
}

/// Chooses the windows activation patching pairs, independently of the order they arrive in: the
/// `capacity` bound and `capacity` background windows with the smallest position hashes, then pairs
/// them within each token count by GC rank (the lowest-GC bound window with the lowest-GC background
/// window, and so on).
final class PatchingSample {
    let capacity: Int
    private struct Entry { var hash: UInt64; var gc: Double; var ids: [Int32] }
    private var bound: [Entry] = [], background: [Entry] = []

    init(capacity: Int) { self.capacity = capacity }

    func add(_ window: Window, ids: [Int32], bound isBound: Bool) {
        guard capacity > 0 else { return }
        let hash = StableHash.mix(StableHash.fnv1a(window.sourceName) ^ UInt64(bitPattern: Int64(window.start)) &* 0x9E37_79B9_7F4A_7C15
                                  ^ (window.strand == .minus ? 0xA5A5 : 0) ^ 0x5041_5443_4845)
        // Most windows are not kept: count GC only for those that are.
        if let last = (isBound ? bound : background).last, last.hash <= hash, (isBound ? bound : background).count == capacity { return }
        let strong = window.bases.reduce(0) { n, base in
            let upper = base & 0xDF
            return n + (upper == UInt8(ascii: "G") || upper == UInt8(ascii: "C") ? 1 : 0)
        }
        let entry = Entry(hash: hash, gc: Double(strong) / Double(max(1, window.bases.count)), ids: ids)
        if isBound { keep(entry, in: &bound) } else { keep(entry, in: &background) }
    }

    private func keep(_ entry: Entry, in list: inout [Entry]) {
        let at = list.firstIndex { $0.hash > entry.hash } ?? list.count
        list.insert(entry, at: at)
        if list.count > capacity { list.removeLast() }
    }

    /// The pairs: within each token count, bound and background windows sorted by (GC, hash) and matched by rank.
    func pairs() -> [HeadPatching.Pair] {
        let order: (Entry, Entry) -> Bool = { $0.gc != $1.gc ? $0.gc < $1.gc : $0.hash < $1.hash }
        let boundByLength = Dictionary(grouping: bound, by: { $0.ids.count })
        let backgroundByLength = Dictionary(grouping: background, by: { $0.ids.count })
        var result: [HeadPatching.Pair] = []
        for length in boundByLength.keys.sorted() {
            guard let others = backgroundByLength[length] else { continue }
            for (b, g) in zip(boundByLength[length]!.sorted(by: order), others.sorted(by: order)) {
                result.append(HeadPatching.Pair(bound: b.ids, background: g.ids))
            }
        }
        return result
    }
}
