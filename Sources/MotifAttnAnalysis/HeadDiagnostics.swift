import Foundation
import MotifAttnCore
import MotifAttnKernels

/// What one head's attention looks like over all windows: a row of `heads.tsv`.
public struct HeadDiagnostic: Sendable {
    /// The head.
    public var head: HeadIndex
    /// Mean entropy of a query's attention over keys, in bits.
    public var meanEntropy: Double
    /// Mean entropy divided by its maximum `log2(tokens)`: 1 is uniform attention.
    public var normalizedEntropy: Double
    /// Highest mean similarity (cosine of the attention maps) to another head of the same layer; 0 for a lone head.
    public var redundancy: Double
    /// The other head of the layer it is most similar to.
    public var mostSimilar: HeadIndex?
    /// Near-uniform attention (normalised entropy ≥ the collapse threshold): the head looks at nothing in particular.
    public var collapsed: Bool
    /// A candidate for pruning: focused (normalised entropy below the focus threshold) yet a near-copy of another head.
    public var prune: Bool
    /// Mean change in bound-window logits when the head's output is zeroed; needs the model, so filled in by the pipeline.
    public var importance: Double?
    /// Activation patching (`HeadPatching` in the pipeline), when measured.
    public var patch: PatchEffect?
}

/// What patching one head's output between paired bound and background windows does to the logits.
public struct PatchEffect: Sendable, Equatable {
    /// Pairs measured.
    public var pairs: Int
    /// Mean per-pair effect, in logits: the mean of the background window's rise with the bound window's
    /// head output and the bound window's fall with the background one's.
    public var mean: Double
    /// 95 % confidence interval of the mean (normal approximation, mean ± 1.96 standard errors).
    public var ciLow: Double
    public var ciHigh: Double
    /// Two-sided Wilcoxon signed-rank p-value of the per-pair effects against 0 (1 when every effect is 0).
    public var pValue: Double

    /// The summary of per-pair effects.
    public init(perPair values: [Double]) {
        pairs = values.count
        let n = Double(max(1, values.count))
        let average = values.reduce(0, +) / n
        mean = average
        let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - average) * ($1 - average) } / (n - 1) : 0
        let half = 1.96 * (variance / n).squareRoot()
        ciLow = average - half
        ciHigh = average + half
        let nonzero = values.filter { $0 != 0 }
        if nonzero.isEmpty {
            pValue = 1
        } else {
            let greater = Statistics.wilcoxonSignedRankGreater(nonzero).p
            let less = Statistics.wilcoxonSignedRankGreater(nonzero.map { -$0 }).p
            pValue = min(1, 2 * min(greater, less))
        }
    }
}

/// Head diagnostics accumulated window by window (memory: a few numbers per head pair).
public final class HeadDiagnosticsAccumulator {
    /// Normalised entropy at or above which a head counts as collapsed.
    public let collapseThreshold: Double
    /// Similarity at or above which a head counts as redundant.
    public let redundancyThreshold: Double
    /// Normalised entropy below which a head counts as focused.
    public let focusThreshold: Double
    var entropySum: [HeadIndex: Double] = [:]
    var normalizedSum: [HeadIndex: Double] = [:]
    var similaritySum: [HeadIndex: [Int: Double]] = [:]
    var windows = 0
    var importanceSum: [HeadIndex: Double] = [:]
    var importanceCount: [HeadIndex: Int] = [:]
    var layout = HeadLayout(layers: 0, headsPerLayer: 0)

    /// Creates an empty accumulator.
    public init(collapseThreshold: Double = 0.95, redundancyThreshold: Double = 0.9, focusThreshold: Double = 0.5) {
        self.collapseThreshold = collapseThreshold
        self.redundancyThreshold = redundancyThreshold
        self.focusThreshold = focusThreshold
    }

    /// Adds one ablation result: a bound window's logit with every head minus its logit with `head` zeroed.
    public func addImportance(_ head: HeadIndex, change: Double) {
        importanceSum[head, default: 0] += change
        importanceCount[head, default: 0] += 1
    }

    /// Adds one window's attention maps.
    public func add(_ window: WindowAttention) {
        windows += 1
        layout = window.layout
        let n = window.tokens
        let maxEntropy = n > 1 ? log2(Double(n)) : 1
        window.attention.withUnsafeBufferPointer { weights in
            var norms = [Double](repeating: 0, count: layout.count)
            for (slot, head) in window.allHeads.enumerated() {
                let map = weights.baseAddress! + window.mapOffset(head)
                let entropy = Double(entropyBitsSum(map, count: n * n)) / Double(n)
                entropySum[head, default: 0] += entropy
                normalizedSum[head, default: 0] += entropy / maxEntropy
                norms[slot] = Double(dot(map, map, count: n * n)).squareRoot()
            }
            for (layer, heads) in layout.headsByLayer.enumerated() {
                for i in heads.indices {
                    for j in (i + 1)..<max(i + 1, heads.count) {
                        let a = heads[i], b = heads[j]
                        let x = window.mapOffset(HeadIndex(layer: layer, head: a)), y = window.mapOffset(HeadIndex(layer: layer, head: b))
                        let product = Double(dot(weights.baseAddress! + x, weights.baseAddress! + y, count: n * n))
                        let cosine = product / max(1e-30, norms[layout.slot(layer: layer, position: i)] * norms[layout.slot(layer: layer, position: j)])
                        similaritySum[HeadIndex(layer: layer, head: a), default: [:]][b, default: 0] += cosine
                        similaritySum[HeadIndex(layer: layer, head: b), default: [:]][a, default: 0] += cosine
                    }
                }
            }
        }
    }

    /// One diagnostic per head, layer by layer.
    public func diagnostics() -> [HeadDiagnostic] {
        guard windows > 0 else { return [] }
        var result: [HeadDiagnostic] = []
        for (layer, heads) in layout.headsByLayer.enumerated() {
            for h in heads {
                let head = HeadIndex(layer: layer, head: h)
                let mean = entropySum[head, default: 0] / Double(windows)
                let normalized = normalizedSum[head, default: 0] / Double(windows)
                let others = (similaritySum[head] ?? [:]).map { ($0.key, $0.value / Double(windows)) }.sorted { $0.0 < $1.0 }
                let top = others.max { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 > $1.0) }
                let redundancy = top?.1 ?? 0
                result.append(HeadDiagnostic(head: head, meanEntropy: mean, normalizedEntropy: normalized, redundancy: redundancy,
                                             mostSimilar: top.map { HeadIndex(layer: layer, head: $0.0) },
                                             collapsed: normalized >= collapseThreshold,
                                             prune: normalized < focusThreshold && redundancy >= redundancyThreshold,
                                             importance: importanceCount[head].map { importanceSum[head, default: 0] / Double($0) }))
            }
        }
        return result
    }
}
