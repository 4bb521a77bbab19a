import Foundation
import MotifAttnCore

/// The best alignment of a query motif with one target motif, TOMTOM-style.
public struct MotifMatch: Sendable, Hashable {
    /// Identifier of the query motif.
    public var queryID: String
    /// Identifier of the target (database) motif.
    public var targetID: String
    /// Name of the target motif (its TF).
    public var targetName: String
    /// Index of the target in the comparator's list.
    public var targetIndex: Int
    /// Where the query starts relative to the (oriented) target: query position `i` faces target position `i + offset`.
    public var offset: Int
    /// Probability of an alignment this good by chance, corrected for the number of alignments tried.
    public var pValue: Double
    /// `pValue` × number of targets: matches this good expected by chance in the database.
    public var eValue: Double
    /// Benjamini–Hochberg q-value over all targets of the query.
    public var qValue: Double
    /// Number of aligned positions.
    public var overlap: Int
    /// Sum of the column Pearson correlations over the aligned positions.
    public var score: Double
    /// Consensus of the query.
    public var queryConsensus: String
    /// Consensus of the target in the orientation of the alignment.
    public var targetConsensus: String
    /// `.plus` when the target aligns as given, `.minus` when its reverse complement does.
    public var orientation: Strand
}

/// Compares motifs with a database of motifs, as TOMTOM does.
///
/// Method (see `docs/analysis.md`): two positions are compared by the Pearson
/// correlation of their `A C G T` probabilities (0 when either is uniform). An
/// alignment's score is the sum of correlations over the aligned positions;
/// every offset with at least `minimumOverlap` aligned positions (or the shorter
/// width) is tried, against the target and its reverse complement. The null
/// distribution of each query position's correlation is that position's
/// correlation with every position (both strands) of every database motif, as
/// TOMTOM's; correlations are binned in steps of 1/`binsPerUnit` and the exact
/// distribution of a sum over a run of query positions is the convolution of
/// their nulls. An alignment's p-value is the upper tail at its score; the
/// target's p-value is the best alignment's, Šidák-corrected for the number of
/// alignments tried, `1 − (1 − p)^n`. E = p × number of targets, q-values by
/// Benjamini–Hochberg over the targets of one query.
public final class MotifComparator {
    /// The database motifs compared against.
    public let targets: [Motif]
    /// Fewest aligned positions considered (capped at the shorter motif's width).
    public let minimumOverlap: Int
    /// Correlation bins per unit (20 → steps of 0.05).
    public let binsPerUnit: Int
    /// Standardised target columns, `[column * 4 + base]`: forward columns of every target, then reverse-complement ones.
    private var standardized: [Double] = []
    /// First column of each target's forward and reverse-complement matrix in `standardized`.
    private var forwardStart: [Int] = []
    private var reverseStart: [Int] = []
    private var columnCount = 0
    private var consensus: [(plus: String, minus: String)] = []

    /// Prepares comparisons against `targets`.
    public init(targets: [Motif], minimumOverlap: Int = 5, binsPerUnit: Int = 20) {
        precondition((1...10_000).contains(binsPerUnit), "binsPerUnit must be between 1 and 10,000")
        self.targets = targets
        self.minimumOverlap = minimumOverlap
        self.binsPerUnit = binsPerUnit
        for motif in targets {
            forwardStart.append(columnCount)
            for column in motif.probabilities { standardized += Self.standardize(column); columnCount += 1 }
        }
        consensus = targets.map { ($0.consensus, $0.reverseComplement.consensus) }
        for motif in targets {
            reverseStart.append(columnCount)
            for column in motif.reverseComplement.probabilities { standardized += Self.standardize(column); columnCount += 1 }
        }
    }

    /// Centred and scaled to unit length, so that a dot product is the Pearson correlation; zero for a flat column.
    static func standardize(_ column: [Double]) -> [Double] {
        let mean = column.reduce(0, +) / 4
        let centered = column.map { $0 - mean }
        let norm = centered.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm < 1e-9 ? [0, 0, 0, 0] : centered.map { $0 / norm }
    }

    /// Pearson correlation of two columns of `A C G T` probabilities (0 when either is uniform).
    public static func columnCorrelation(_ a: [Double], _ b: [Double]) -> Double {
        zip(standardize(a), standardize(b)).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// Best alignment with every target, sorted by p-value (then target order).
    public func compare(_ query: Motif) -> [MotifMatch] {
        let width = query.width
        let span = 2 * binsPerUnit   // binned correlation of one position lies in 0...span (value +binsPerUnit)
        // Binned correlation of every query position with every database position (0...span fits 16 bits:
        // 2 bytes per query position and database column, 70 MB for 10^5 motifs and a 15-wide query).
        var binned = [UInt16](repeating: 0, count: width * columnCount)
        let queryColumns = query.probabilities.map(Self.standardize)
        standardized.withUnsafeBufferPointer { columns in
            binned.withUnsafeMutableBufferPointer { out in
                for i in 0..<width {
                    let q = queryColumns[i]
                    let q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3]
                    let scale = Double(binsPerUnit)
                    for c in 0..<columnCount {
                        let r = q0 * columns[c * 4] + q1 * columns[c * 4 + 1] + q2 * columns[c * 4 + 2] + q3 * columns[c * 4 + 3]
                        out[i * columnCount + c] = UInt16(Int((r * scale).rounded()) + binsPerUnit)
                    }
                }
            }
        }
        // Null of each query position: its binned correlations with all database positions.
        let nulls: [[Double]] = (0..<width).map { i in
            var histogram = [Double](repeating: 0, count: span + 1)
            binned.withUnsafeBufferPointer { scores in
                histogram.withUnsafeMutableBufferPointer { h in
                    for c in (i * columnCount)..<((i + 1) * columnCount) { h[Int(scores[c])] += 1 }
                }
            }
            return histogram.map { $0 / Double(columnCount) }
        }
        // Upper tails of the summed score for every run of query positions, tails[start][length - 1].
        var tails: [[[Double]]] = []
        tails.reserveCapacity(width)
        for start in 0..<width {
            var distribution: [Double] = [1]
            var runTails: [[Double]] = []
            for end in start..<width {
                var next = [Double](repeating: 0, count: distribution.count + span)
                distribution.withUnsafeBufferPointer { current in
                    nulls[end].withUnsafeBufferPointer { null in
                        next.withUnsafeMutableBufferPointer { out in
                            for s in 0..<current.count {
                                let mass = current[s]
                                if mass == 0 { continue }
                                for b in 0...span { out[s + b] += mass * null[b] }
                            }
                        }
                    }
                }
                distribution = next
                var tail = [Double](repeating: 0, count: distribution.count + 1)
                tail.withUnsafeMutableBufferPointer { out in
                    distribution.withUnsafeBufferPointer { d in
                        var running = 0.0
                        for s in stride(from: d.count - 1, through: 0, by: -1) { running += d[s]; out[s] = running }
                    }
                }
                runTails.append(tail)
            }
            tails.append(runTails)
        }
        var matches: [MotifMatch] = []
        matches.reserveCapacity(targets.count)
        let queryConsensus = query.consensus
        binned.withUnsafeBufferPointer { scores in
        for (t, target) in targets.enumerated() {
            let targetWidth = target.width
            let needed = min(minimumOverlap, width, targetWidth)
            var best: (p: Double, overlap: Int, offset: Int, strand: Strand, score: Int)? = nil
            var tried = 0
            for strand in [Strand.plus, .minus] {
                let first = strand == .plus ? forwardStart[t] : reverseStart[t]
                for offset in (needed - width)...(targetWidth - needed) {
                    let lo = max(0, -offset), hi = min(width, targetWidth - offset)
                    guard hi - lo >= needed else { continue }
                    tried += 1
                    var sum = 0
                    var at = lo * columnCount + first + lo + offset
                    for _ in lo..<hi { sum += Int(scores[at]); at += columnCount + 1 }
                    let tail = tails[lo][hi - lo - 1]
                    let p = sum < tail.count ? tail[sum] : 0
                    if best == nil || p < best!.p || (p == best!.p && hi - lo > best!.overlap) {
                        best = (p, hi - lo, offset, strand, sum - (hi - lo) * binsPerUnit)
                    }
                }
            }
            guard let best else { continue }
            let corrected = best.p >= 1 ? 1 : min(1, -expm1(Double(tried) * log1p(-best.p)))
            matches.append(MotifMatch(queryID: query.id, targetID: target.id, targetName: target.name, targetIndex: t,
                                      offset: best.offset, pValue: corrected, eValue: corrected * Double(targets.count), qValue: 1,
                                      overlap: best.overlap, score: Double(best.score) / Double(binsPerUnit),
                                      queryConsensus: queryConsensus,
                                      targetConsensus: best.strand == .plus ? consensus[t].plus : consensus[t].minus,
                                      orientation: best.strand))
        }
        }
        let q = Statistics.benjaminiHochberg(matches.map(\.pValue))
        for i in matches.indices { matches[i].qValue = q[i] }
        matches.sort { ($0.pValue, $0.targetIndex) < ($1.pValue, $1.targetIndex) }
        return matches
    }
}
