import Foundation
import MotifAttnCore
import MotifAttnKernels

/// The test of one motif pair in one head (or all heads together): a row of `interactions.tsv`.
public struct Interaction: Sendable {
    /// Identifier of the first motif (the smaller id).
    public var motifA: String
    /// Name of the first motif.
    public var nameA: String
    /// Identifier of the second motif.
    public var motifB: String
    /// Name of the second motif.
    public var nameB: String
    /// The head, or nil for the combined row (`all`: per instance pair, the maximum over heads).
    public var head: HeadIndex?
    /// Co-attention scores of the pair in bound windows.
    public var boundCount: Int
    /// Scores in the null (background pairs at the same distances).
    public var backgroundCount: Int
    /// Scores of the pair itself in background windows (part of the null).
    public var ownBackgroundCount: Int
    /// Mean co-attention of the pair in bound windows.
    public var meanBound: Double
    /// Mean co-attention in the null.
    public var meanBackground: Double
    /// Common-language effect size: chance that a bound score beats a null score (`U / (n1·n2)`).
    public var effect: Double
    /// The row's p-value: the larger of the elevation p-value (one-sided Mann–Whitney, bound greater than
    /// null) and the specificity test's (epistasis or mutual-best), an intersection–union test.
    public var pValue: Double
    /// Benjamini–Hochberg q-value over every pair and head tested (combined rows included).
    public var qValue: Double
    /// Median distance in bases between the centres of the two sites, in bound windows.
    public var medianDistance: Double
    /// Most frequent strands of the two sites in bound windows (`++`, `+-`, `-+`, `--`).
    public var orientation: String
    /// Fraction of the pair's bound scores where each site was the other's strongest co-attention
    /// partner in the window (among all instance pairs of the window, in this head).
    public var mutualBestFraction: Double = 0
    /// Binomial upper tail of the pair's mutual-best count against the rate of all instance pairs in
    /// bound windows (same head): is the pair more specific than chance partners?
    public var mutualBestPValue: Double = 1
    /// Mann–Whitney p-value alone (elevated co-attention); `pValue` is the larger of this and the specificity test's
    /// (`mutualBestPValue`, or `epistasis` when the analysis tests pairs in the model).
    public var elevationPValue: Double = 1
    /// The pair tested in the model (`EpistasisTest`), when it was (the same for every row of the pair).
    public var epistasis: EpistasisTest?
    /// The pair's head with the smallest p-value (then largest effect).
    public var bestHead: HeadIndex?
    /// Database motifs of `motifA`'s look-alike class (`MotifClasses`), `motifA` first; just `motifA` without classes.
    public var membersA: [String] = []
    /// Database motifs of `motifB`'s look-alike class, `motifB` first.
    public var membersB: [String] = []
    /// `motif_a+motif_b` of the stronger reported pair this row's pair echoes through a look-alike motif
    /// (`LookAlikeEchoes`); nil when it is not an echo.
    public var echoOf: String?

    /// `L{layer}H{head}` or `all`.
    public var headLabel: String { head?.description ?? "all" }
}

/// How the co-attention of two sites is scored from a head's attention map.
public enum CoAttentionScore: String, Sendable, CaseIterable {
    /// The largest attention weight from a token of one site to a token of the other, either direction.
    case raw
    /// The largest excess attention: a weight minus the mean weight its key receives from all queries
    /// of the window, from a token of one site to a token of the other, either direction. A key that
    /// every token attends to (a "hub", such as a strongly bound site) gets no credit for being
    /// attended by an unrelated site; only attention beyond the key's usual share counts.
    case excess
}

/// Settings of the co-attention statistics.
public struct CoAttentionSettings: Sendable {
    /// How a pair of sites is scored.
    public var score: CoAttentionScore = .excess
    /// Score histogram bins over [−1, 1]; scores are binned by their signed square root, which resolves small weights.
    public var scoreBins: Int = 2048
    /// Width in bases of the distance bins of the null.
    public var distanceBinWidth: Int = 10
    /// Longest centre-to-centre distance counted (longer ones fall in the last bin).
    public var maxDistance: Int = 1000
    /// Pairs with fewer bound scores are not tested.
    public var minimumBound: Int = 5

    /// Default settings.
    public init() {}
}

/// Co-attention of motif instance pairs, accumulated window by window in bounded memory.
///
/// For each window, each pair of instances of different motifs whose sites do
/// not overlap, and each head, the score is the largest attention weight from a
/// token covering one site to a token covering the other, in either direction.
/// The combined score (`all`) of an instance pair is its largest score over heads.
///
/// Scores are stored as exact counts over fixed histograms (`scoreBins` bins of
/// the square root of the score), so memory is bounded by the number of motif
/// pairs × heads × bins, never by the number of windows; rank statistics on the
/// histograms are exact for the binned values (ties within a bin). Means are exact.
///
/// Null: a truly interacting pair may never co-occur in background windows, so
/// it is compared with the co-attention of all co-occurring instance pairs (of
/// any motifs) in background windows, per head, taken from the distance bins
/// where the pair occurs in bound windows. The pair's own background scores are
/// part of that null when they exist. Per pair and head: one-sided Mann–Whitney
/// U (bound greater than null), effect `U / (n1·n2)`, BH q-values over every
/// pair × head tested and the combined rows.
public final class CoAttentionAccumulator {
    /// Motifs the instances refer to (`MotifInstance.motifIndex`).
    public let motifs: [Motif]
    /// Settings.
    public let settings: CoAttentionSettings
    /// The heads of each encoder layer; a head's slot in `layout` indexes the per-head tables.
    public let layout: HeadLayout

    struct PairState {
        var bound: [UInt32: UInt32] = [:]      // slot << 16 | score bin → count (one table per pair keeps the overhead small)
        var boundSum: [Double]
        var ownBackground: [UInt32]             // per head slot
        var ownBackgroundSum: [Double]
        var mutualBest: [UInt32]                // per head slot, bound windows
        var distances: [UInt16: UInt32] = [:]   // centre distance (bases) → count, bound windows
        var orientations = [0, 0, 0, 0]
    }

    var pairs: [Int: PairState] = [:]   // keyed by `pairKeys`
    /// Keys of `pairs` and of the pair scores `add` returns.
    var pairKeys: MotifPairKey { MotifPairKey(motifCount: motifs.count) }
    var boundPairsPerSlot: [Int] = []   // instance pairs scored in bound windows
    var mutualBestPerSlot: [Int] = []   // of those, pairs that were mutual best partners
    var null: [UInt32]                  // [slot][distanceBin][scoreBin]
    var nullSum: [Double]               // [slot][distanceBin]
    private let slots: Int
    private let distanceBins: Int

    /// Creates an empty accumulator for instances of `motifs` in an encoder of `layers × heads`.
    public convenience init(motifs: [Motif], layers: Int, heads: Int, settings: CoAttentionSettings = CoAttentionSettings()) {
        self.init(motifs: motifs, layout: HeadLayout(layers: layers, headsPerLayer: heads), settings: settings)
    }

    /// Creates an empty accumulator for instances of `motifs` in an encoder with the heads of `layout`
    /// (fewer in some layers when the model is pruned).
    public init(motifs: [Motif], layout: HeadLayout, settings: CoAttentionSettings = CoAttentionSettings()) {
        precondition(settings.scoreBins > 0 && settings.scoreBins <= 65_536 && layout.count < 65_535 && settings.maxDistance < 65_536,
                     "co-attention histograms are indexed with 16 bits")
        self.motifs = motifs
        self.layout = layout
        self.settings = settings
        slots = layout.count + 1
        distanceBins = settings.maxDistance / settings.distanceBinWidth + 1
        null = [UInt32](repeating: 0, count: slots * distanceBins * settings.scoreBins)
        nullSum = [Double](repeating: 0, count: slots * distanceBins)
        boundPairsPerSlot = [Int](repeating: 0, count: slots)
        mutualBestPerSlot = [Int](repeating: 0, count: slots)
    }

    /// Histogram cells holding a count, over all pairs (the null's fixed histograms excluded).
    public var storedCount: Int {
        pairs.values.reduce(0) { total, state in total + state.bound.count + state.distances.count }
    }

    /// Most cells `storedCount` can reach for the motif pairs seen so far: pairs × (heads + 1) × bins + pairs × (maxDistance + 1).
    public var storageBound: Int { pairs.count * (slots * settings.scoreBins + settings.maxDistance + 1) }

    /// Motif pairs seen so far.
    public var pairCount: Int { pairs.count }

    private func scoreBin(_ score: Float) -> Int {
        let x = max(-1, min(1, Double(score)))
        let root = x < 0 ? -(-x).squareRoot() : x.squareRoot()
        return min(settings.scoreBins - 1, Int((root + 1) / 2 * Double(settings.scoreBins)))
    }

    /// Adds one window and the motif instances found in its bases. Returns each motif pair's strongest combined
    /// score in the window (over its instance pairs; keyed by `MotifPairKey`), which
    /// `EpistasisSample.attended` samples windows by.
    @discardableResult
    public func add(_ window: WindowAttention, instances: [MotifInstance]) -> [Int: Float] {
        precondition(window.layout == layout, "window attention has another shape than the accumulator")
        let sites = instances.map { window.tokens(covering: $0.start..<$0.end) }
        let n = window.tokens
        let headCount = layout.count
        // The instance pairs scored: different sites that do not overlap. Two sites of one motif (one look-alike
        // class) pair too: a factor bound twice, or two factors of one class.
        var pairIndices: [(i: Int, j: Int)] = []
        for i in 0..<instances.count {
            for j in (i + 1)..<max(i + 1, instances.count) {
                let x = instances[i], y = instances[j]
                guard x.end <= y.start || y.end <= x.start, !sites[i].isEmpty, !sites[j].isEmpty else { continue }
                pairIndices.append((i, j))
            }
        }
        guard !pairIndices.isEmpty else { return [:] }
        // pairScores[p · slots + slot]: the pair's score in each head, then the combined score.
        var pairScores = [Float](repeating: 0, count: pairIndices.count * slots)
        // A pair's score in a head: the strongest weight (less the key's mean weight for `excess`) from the queries
        // of one site to the keys of the other, either direction, and at least −1. It is read from `strongest`:
        // per site j and query token q, the largest over j's keys (one pass over each query row, per head).
        let queryRows = Array(Set(sites.joined())).sorted()
        // Every site's keys as one range (the k-mer tokenizer's), else nil: the key-by-key loop below.
        let keyRanges: SiteKeyRanges? = {
            let ranges = sites.map { $0.isEmpty ? 0..<0 : Self.contiguous($0) }
            return ranges.allSatisfy { $0 != nil } ? SiteKeyRanges(ranges.map { $0! }) : nil
        }()
        var strongest = [Float](repeating: -.infinity, count: instances.count * n)
        var keyMeans = [Float](repeating: 0, count: settings.score == .excess ? n : 0)
        window.attention.withUnsafeBufferPointer { weights in
            for h in 0..<headCount {
                let map = weights.baseAddress! + h * n * n
                if settings.score == .excess {
                    // The mean weight each key receives: rows summed in order, then scaled.
                    keyMeans.withUnsafeMutableBufferPointer { means in
                        means.update(repeating: 0)
                        addRows(into: means.baseAddress!, rows: map, count: n, n: n)
                        let scale = 1 / Float(n)
                        for k in 0..<n { means[k] *= scale }
                    }
                }
                keyMeans.withUnsafeBufferPointer { meansBuffer in
                    let means = settings.score == .excess ? meansBuffer.baseAddress! : nil
                    strongest.withUnsafeMutableBufferPointer { out in
                        if let keyRanges {
                            siteMaxima(map, n: n, subtracting: means, rows: queryRows, keys: keyRanges, into: out.baseAddress!)
                        } else {
                            // Sites whose tokens are not consecutive (a tokenizer other than the k-mer one): key by key.
                            for (j, keys) in sites.enumerated() {
                                for q in queryRows {
                                    let row = map + q * n
                                    var best = -Float.infinity
                                    for k in keys { best = max(best, row[k] - (means?[k] ?? 0)) }
                                    out[j * n + q] = best
                                }
                            }
                        }
                    }
                }
                for (p, pair) in pairIndices.enumerated() {
                    var forward: Float = -1, backward: Float = -1
                    for q in sites[pair.i] { forward = max(forward, strongest[pair.j * n + q]) }
                    for q in sites[pair.j] { backward = max(backward, strongest[pair.i * n + q]) }
                    pairScores[p * slots + h] = max(forward, backward)
                }
            }
        }
        for p in pairIndices.indices {
            pairScores[p * slots + headCount] = pairScores[(p * slots)..<(p * slots + headCount)].max() ?? 0
        }
        // Each instance's strongest partner score per slot, for the mutual-best flags.
        var strongestPartner = [Float](repeating: -.greatestFiniteMagnitude, count: instances.count * slots)
        for (p, pair) in pairIndices.enumerated() {
            for slot in 0..<slots {
                let score = pairScores[p * slots + slot]
                strongestPartner[pair.i * slots + slot] = max(strongestPartner[pair.i * slots + slot], score)
                strongestPartner[pair.j * slots + slot] = max(strongestPartner[pair.j * slots + slot], score)
            }
        }
        var mutual = [Bool](repeating: false, count: slots)
        var combined: [Int: Float] = [:]
        pairScores.withUnsafeBufferPointer { all in
            for (p, pair) in pairIndices.enumerated() {
                let scores = UnsafeBufferPointer(rebasing: all[(p * slots)..<((p + 1) * slots)])
                for slot in 0..<slots {
                    mutual[slot] = scores[slot] >= strongestPartner[pair.i * slots + slot] && scores[slot] >= strongestPartner[pair.j * slots + slot]
                }
                let x = instances[pair.i], y = instances[pair.j]
                // The smaller motif index first; two sites of one motif in the order they lie in the window.
                let (first, second) = (x.motifIndex, x.start) < (y.motifIndex, y.start) ? (x, y) : (y, x)
                record(first, second, scores, mutualBest: mutual, label: window.label)
                let key = pairKeys.key(first.motifIndex, second.motifIndex)
                combined[key] = max(combined[key] ?? -.infinity, scores[headCount])
            }
        }
        return combined
    }

    /// A site's tokens as one range when they are consecutive (always for the k-mer tokenizer), else nil.
    static func contiguous(_ tokens: [Int]) -> Range<Int>? {
        guard let first = tokens.first, let last = tokens.last, last - first + 1 == tokens.count else { return nil }
        return first..<(last + 1)
    }

    private func record(_ a: MotifInstance, _ b: MotifInstance, _ scores: UnsafeBufferPointer<Float>, mutualBest: [Bool], label: WindowLabel) {
        let key = pairKeys.key(a.motifIndex, b.motifIndex)
        // Updated in place in the dictionary: a copy taken out and put back would copy each of its arrays.
        update(&pairs[key, default: PairState(boundSum: Array(repeating: 0, count: slots),
                                              ownBackground: Array(repeating: 0, count: slots),
                                              ownBackgroundSum: Array(repeating: 0, count: slots),
                                              mutualBest: Array(repeating: 0, count: slots))],
               a, b, scores, mutualBest: mutualBest, label: label)
    }

    private func update(_ state: inout PairState, _ a: MotifInstance, _ b: MotifInstance, _ scores: UnsafeBufferPointer<Float>,
                        mutualBest: [Bool], label: WindowLabel) {
        let distance = Int(abs(a.center - b.center).rounded())
        let distanceBin = min(distance, settings.maxDistance) / settings.distanceBinWidth
        for slot in 0..<slots {
            let score = scores[slot]
            let bin = scoreBin(score)
            if label == .bound {
                boundPairsPerSlot[slot] += 1
                if mutualBest[slot] { state.mutualBest[slot] += 1; mutualBestPerSlot[slot] += 1 }
                state.bound[UInt32(slot) << 16 | UInt32(bin), default: 0] += 1
                state.boundSum[slot] += Double(score)
            } else {
                state.ownBackground[slot] += 1
                state.ownBackgroundSum[slot] += Double(score)
                null[(slot * distanceBins + distanceBin) * settings.scoreBins + bin] += 1
                nullSum[slot * distanceBins + distanceBin] += Double(score)
            }
        }
        if label == .bound {
            state.distances[UInt16(min(distance, settings.maxDistance)), default: 0] += 1
            state.orientations[(a.strand == .plus ? 0 : 2) + (b.strand == .plus ? 0 : 1)] += 1
        }
    }

    /// Tests every pair and head with enough bound scores, in pair and head order, q-values not yet set;
    /// `pValue` is the intersection–union of the elevation and mutual-best tests.
    public func testedRows() -> [Interaction] {
        var rows: [Interaction] = []
        let bins = settings.scoreBins
        let allHeads = layout.allHeads
        for key in pairs.keys.sorted() {
            let state = pairs[key]!
            let (first, second) = pairKeys.motifs(of: key)
            let a = motifs[first], b = motifs[second]
            var boundCounts = [[Int]](repeating: [Int](repeating: 0, count: bins), count: slots)
            for (key, count) in state.bound { boundCounts[Int(key >> 16)][Int(key & 0xFFFF)] += Int(count) }
            let boundTotal = boundCounts[0].reduce(0, +)
            guard boundTotal >= settings.minimumBound else { continue }
            let usedBins = Set(state.distances.keys.map { Int($0) / settings.distanceBinWidth })
            let distances = state.distances.sorted { $0.key < $1.key }
            let medianDistance = Self.median(distances.map { (Double($0.key), Int($0.value)) })
            let orientationNames = ["++", "+-", "-+", "--"]
            let orientation = orientationNames[state.orientations.indices.max { state.orientations[$0] < state.orientations[$1] }!]
            var pairRows: [Interaction] = []
            for slot in 0..<slots {
                var nullCounts = [Int](repeating: 0, count: bins)
                var nullTotalSum = 0.0
                for d in usedBins.sorted() {
                    let offset = (slot * distanceBins + d) * bins
                    for bin in 0..<bins { nullCounts[bin] += Int(null[offset + bin]) }
                    nullTotalSum += nullSum[slot * distanceBins + d]
                }
                let nullTotal = nullCounts.reduce(0, +)
                let test = Statistics.mannWhitneyGreater(firstCounts: boundCounts[slot], secondCounts: nullCounts)
                let elevation = nullTotal > 0 ? test.p : 1
                let chanceRate = boundPairsPerSlot[slot] > 0 ? Double(mutualBestPerSlot[slot]) / Double(boundPairsPerSlot[slot]) : 1
                let specificity = Statistics.binomialUpperTail(observed: Int(state.mutualBest[slot]), trials: boundTotal, probability: chanceRate)
                let head = slot < slots - 1 ? HeadIndex(layer: allHeads[slot].layer, head: allHeads[slot].head) : nil
                pairRows.append(Interaction(motifA: a.id, nameA: a.displayName, motifB: b.id, nameB: b.displayName, head: head,
                                            boundCount: boundTotal, backgroundCount: nullTotal, ownBackgroundCount: Int(state.ownBackground[slot]),
                                            meanBound: state.boundSum[slot] / Double(boundTotal),
                                            meanBackground: nullTotal > 0 ? nullTotalSum / Double(nullTotal) : .nan,
                                            effect: nullTotal > 0 ? test.effect : .nan, pValue: max(elevation, specificity), qValue: 1,
                                            medianDistance: medianDistance, orientation: orientation,
                                            mutualBestFraction: Double(state.mutualBest[slot]) / Double(boundTotal),
                                            mutualBestPValue: specificity, elevationPValue: elevation, bestHead: nil))
            }
            let best = pairRows.filter { $0.head != nil }.min { ($0.pValue, -$0.effect) < ($1.pValue, -$1.effect) }?.head
            for i in pairRows.indices { pairRows[i].bestHead = best }
            rows += pairRows
        }
        return rows
    }

    /// Tests every pair and head with enough bound scores (`testedRows()`), then q-values and order (`ranked(_:)`).
    public func interactions() -> [Interaction] { Self.ranked(testedRows()) }

    /// Benjamini–Hochberg q-values of `rows`, and the rows sorted by q, then effect (descending), then input order.
    /// With `EpistasisFamily.allRows`, q-values of the rows' p-values; with `.testedPairs`, the larger of the row's
    /// elevation q-value (over every row) and its pair's `EpistasisTest.qValue` (1 for rows of untested pairs).
    public static func ranked(_ rows: [Interaction], family: EpistasisFamily = .allRows) -> [Interaction] {
        var rows = rows
        rank(&rows, family: family)
        return rows
    }

    /// `ranked(_:family:)` in place. The order is found on the rows' q-values and effects alone and then applied
    /// by moving rows along the permutation's cycles, so a run's tens of thousands of rows are never copied.
    public static func rank(_ rows: inout [Interaction], family: EpistasisFamily = .allRows) {
        switch family {
        case .allRows:
            let q = Statistics.benjaminiHochberg(rows.map(\.pValue))
            for i in rows.indices { rows[i].qValue = q[i] }
        case .testedPairs:
            let elevationQ = Statistics.benjaminiHochberg(rows.map(\.elevationPValue))
            for i in rows.indices { rows[i].qValue = rows[i].epistasis.map { max(elevationQ[i], $0.qValue) } ?? 1 }
        }
        let q = rows.map(\.qValue), effect = rows.map { $0.effect.isNaN ? -1 : $0.effect }
        let order = rows.indices.sorted { x, y in
            if q[x] != q[y] { return q[x] < q[y] }
            if effect[x] != effect[y] { return effect[x] > effect[y] }
            return x < y
        }
        // rows[k] takes the row at order[k]: each cycle of the permutation is walked once, holding one row aside.
        var placed = [Bool](repeating: false, count: rows.count)
        for start in rows.indices where !placed[start] {
            let held = rows[start]
            var k = start
            while true {
                placed[k] = true
                let source = order[k]
                if source == start { rows[k] = held; break }
                rows[k] = rows[source]
                k = source
            }
        }
    }

    static func median(_ weighted: [(value: Double, count: Int)]) -> Double {
        let total = weighted.reduce(0) { $0 + $1.count }
        guard total > 0 else { return .nan }
        func value(at rank: Int) -> Double {
            var seen = 0
            for entry in weighted { seen += entry.count; if seen > rank { return entry.value } }
            return weighted.last!.value
        }
        return total % 2 == 1 ? value(at: total / 2) : (value(at: total / 2 - 1) + value(at: total / 2)) / 2
    }
}
