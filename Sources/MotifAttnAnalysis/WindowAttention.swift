import Foundation
import MotifAttnCore

/// Whether a window holds a binding event (overlaps a peak, or labelled 1) or is background.
public enum WindowLabel: String, Sendable, Hashable, Codable {
    /// The window is bound by the factor (overlaps a peak / labelled 1).
    case bound
    /// The window is background (no peak / labelled 0 / shuffled).
    case background
}

/// One attention head of the encoder: layer and head numbers, both 0-based (written as `L{layer}H{head}`).
///
/// The head number is the one in the unpruned model: a pruned model's heads keep their names.
public struct HeadIndex: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 0-based layer.
    public var layer: Int
    /// 0-based head within the layer.
    public var head: Int

    /// Creates a head index.
    public init(layer: Int, head: Int) { self.layer = layer; self.head = head }

    public static func < (a: HeadIndex, b: HeadIndex) -> Bool { (a.layer, a.head) < (b.layer, b.head) }

    /// `L{layer}H{head}`.
    public var description: String { "L\(layer)H\(head)" }
}

/// The attention maps of every head for one window, as the analysis consumes them.
///
/// `attention` holds `heads × tokens × tokens` weights (heads of every layer, `layout.count`) laid out
/// `[layer][head][query][key]`, heads of a layer in ascending order; each query row is a softmax over keys
/// (sums to 1). A pruned model's layers hold fewer heads, as `layout` says.
/// Padding tokens must already be removed: every token listed is real.
/// `tokenSpans[t]` is the range of window bases (0-based, half-open) token `t`
/// covers; special tokens such as `[CLS]` have an empty range.
public struct WindowAttention: Sendable {
    /// The window: bases and where they come from.
    public var window: Window
    /// Bound or background.
    public var label: WindowLabel
    /// Bases each token covers (empty for special tokens).
    public var tokenSpans: [Range<Int>]
    /// The heads of each layer.
    public var layout: HeadLayout
    /// Attention weights `[layer][head][query][key]`.
    public var attention: [Float]

    /// Creates a window's attention for `layers` layers of `heads` heads each; the weights must have
    /// `layers·heads·tokens²` entries.
    public init(window: Window, label: WindowLabel, tokenSpans: [Range<Int>], layers: Int, heads: Int, attention: [Float]) {
        self.init(window: window, label: label, tokenSpans: tokenSpans, layout: HeadLayout(layers: layers, headsPerLayer: heads),
                  attention: attention)
    }

    /// Creates a window's attention for the heads of `layout`; the weights must have `layout.count·tokens²` entries.
    public init(window: Window, label: WindowLabel, tokenSpans: [Range<Int>], layout: HeadLayout, attention: [Float]) {
        precondition(attention.count == layout.count * tokenSpans.count * tokenSpans.count,
                     "attention has \(attention.count) weights, expected \(layout.count)·\(tokenSpans.count)²")
        self.window = window
        self.label = label
        self.tokenSpans = tokenSpans
        self.layout = layout
        self.attention = attention
    }

    /// Number of encoder layers.
    public var layers: Int { layout.layers }

    /// Number of tokens (including special tokens).
    public var tokens: Int { tokenSpans.count }

    /// Offset of head `head`'s `tokens × tokens` map in `attention` (the head must be in `layout`).
    @inline(__always) func mapOffset(_ head: HeadIndex) -> Int {
        guard let slot = layout.slot(layer: head.layer, head: head.head) else { preconditionFailure("no head \(head) in this window's attention") }
        return slot * tokens * tokens
    }

    /// Every head, layer by layer.
    public var allHeads: [HeadIndex] { layout.allHeads.map { HeadIndex(layer: $0.layer, head: $0.head) } }

    /// Attention each token receives in `head`, averaged over all query tokens (including `[CLS]`).
    ///
    /// Every query row sums to 1, so the result sums to 1 over tokens.
    public func receivedAttention(_ head: HeadIndex) -> [Double] {
        var received = [Double](repeating: 0, count: tokens)
        let n = tokens
        attention.withUnsafeBufferPointer { weights in
            received.withUnsafeMutableBufferPointer { sums in
                // Row by row into one accumulator (contiguous loops that vectorise).
                let map = weights.baseAddress! + mapOffset(head), total = sums.baseAddress!
                for query in 0..<n {
                    let row = map + query * n
                    for key in 0..<n { total[key] += Double(row[key]) }
                }
                for key in 0..<n { total[key] /= Double(n) }
            }
        }
        return received
    }

    /// Attention profile over the window's bases for `head`.
    ///
    /// The attention a token receives (mean over all queries, see
    /// `receivedAttention`) is spread evenly over the bases it covers; bases
    /// covered by several tokens (overlapping k-mers) add up their shares.
    /// Special tokens cover no base and drop out.
    public func profile(_ head: HeadIndex) -> [Double] {
        var values = [Double](repeating: 0, count: window.length)
        for (token, received) in receivedAttention(head).enumerated() {
            let span = tokenSpans[token]
            guard !span.isEmpty else { continue }
            let share = received / Double(span.count)
            for base in span where base >= 0 && base < values.count { values[base] += share }
        }
        return values
    }

    /// Tokens covering at least one base of `bases`.
    public func tokens(covering bases: Range<Int>) -> [Int] {
        tokenSpans.indices.filter { !tokenSpans[$0].isEmpty && tokenSpans[$0].overlaps(bases) }
    }
}

/// Stretches of a window where a head's attention is high.
public enum AttentionRegions {
    /// Contiguous bases whose profile value exceeds both the window mean and
    /// `mean + relativeThreshold · (max − mean)`, at least `minLength` long.
    ///
    /// Runs longer than `maxLength` are cut to `maxLength` bases centred on their highest base.
    public static func find(in profile: [Double], relativeThreshold: Double = 0.5, minLength: Int = 5, maxLength: Int = 30) -> [Range<Int>] {
        guard let top = profile.max(), !profile.isEmpty else { return [] }
        let mean = profile.reduce(0, +) / Double(profile.count)
        let cutoff = mean + relativeThreshold * (top - mean)
        guard top > mean else { return [] }
        var regions: [Range<Int>] = []
        var i = 0
        while i < profile.count {
            guard profile[i] > cutoff && profile[i] > mean else { i += 1; continue }
            var j = i
            while j < profile.count && profile[j] > cutoff && profile[j] > mean { j += 1 }
            if j - i >= minLength {
                if j - i <= maxLength {
                    regions.append(i..<j)
                } else {
                    let peak = (i..<j).max { profile[$0] < profile[$1] }!
                    let start = min(max(i, peak - maxLength / 2), j - maxLength)
                    regions.append(start..<(start + maxLength))
                }
            }
            i = j
        }
        return regions
    }
}
