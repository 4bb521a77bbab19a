import Foundation
import MotifAttnAnalysis
import MotifAttnCore

/// A window's place in the ranking that picks bound and background windows when a scan has no regions:
/// higher logit first; equal logits by genome position (sequence in the genome's order, then start, then
/// the plus strand before the minus strand). The order is total, so "the window at rank r" is one window,
/// whichever machine or shard ranks it.
struct RankedWindow: Comparable, Sendable {
    /// The logit as written in `scores.tsv`, as an order-preserving unsigned key (`ScoreKey`).
    var key: UInt32
    /// The sequence's index in the genome (`.fai` order, which is also the FASTA's order).
    var contig: Int
    /// 0-based start.
    var start: Int
    var minus: Bool

    /// `a < b`: `a` ranks before (above) `b`.
    static func < (a: RankedWindow, b: RankedWindow) -> Bool {
        if a.key != b.key { return a.key > b.key }
        return (a.contig, a.start, a.minus ? 1 : 0) < (b.contig, b.start, b.minus ? 1 : 0)
    }
}

/// The order-preserving unsigned key of a float: `key(a) < key(b)` exactly when `a` sorts before `b` by
/// IEEE total order (so -0 sits just below +0 and the key is defined for every bit pattern).
enum ScoreKey {
    static func of(_ x: Float) -> UInt32 {
        let bits = x.bitPattern
        return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }

    static func float(_ key: UInt32) -> Float {
        Float(bitPattern: key & 0x8000_0000 != 0 ? key & 0x7FFF_FFFF : ~key)
    }
}

/// How many windows of each shard's scores fall in each of 65,536 buckets of `ScoreKey` (its top 16 bits):
/// the first phase's summary of a shard. Summed over shards it gives the rank of every bucket in the
/// whole genome exactly, so the threshold step knows which bucket holds each cut-off and reads only that
/// bucket's windows again. 512 KiB in memory; only the buckets in use are stored.
struct ScoreHistogram {
    static let buckets = 1 << 16
    private(set) var counts = [Int](repeating: 0, count: ScoreHistogram.buckets)
    private(set) var total = 0

    static func bucket(_ key: UInt32) -> Int { Int(key >> 16) }

    mutating func add(_ logit: Float) {
        counts[Self.bucket(ScoreKey.of(logit))] += 1
        total += 1
    }

    func encode(to writer: inout StateWriter) {
        let used = counts.indices.filter { counts[$0] > 0 }
        writer.int(used.count)
        for bucket in used { writer.int(bucket); writer.int(counts[bucket]) }
    }

    /// Adds a histogram that `encode` wrote.
    mutating func merge(from reader: inout StateReader) throws {
        let used = try reader.count(limit: Self.buckets)
        for _ in 0..<used {
            let bucket = try reader.count(limit: Self.buckets - 1), count = try reader.count(limit: Int.max)
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { throw PartialStateError.truncated(path: reader.path) }
            counts[bucket] += count
            total = sum
        }
    }

    /// The bucket holding the window of `rank` (0 = the highest score), and that window's rank among the
    /// bucket's windows.
    func locate(rank: Int) -> (bucket: Int, rankInBucket: Int) {
        var above = 0
        for bucket in stride(from: Self.buckets - 1, through: 0, by: -1) where counts[bucket] > 0 {
            if rank < above + counts[bucket] { return (bucket, rank - above) }
            above += counts[bucket]
        }
        preconditionFailure("rank \(rank) beyond the \(total) windows counted")
    }
}

/// The cut-offs that choose bound and background windows without regions: bound are the windows ranked
/// at or above `lastBound` (the top `boundFraction`, at least one), background those at or below
/// `firstBackground` (the bottom half), each then sampled by the position-keyed coin at rate
/// min(1, cap / count). Both a single scan and the threshold step of a sharded one (`motifattn merge
/// --phase threshold`) find the two windows from `ScoreHistogram` and one more read of the rows in the one
/// or two buckets that hold them; the windows are ranked by one total order (`RankedWindow`), so both
/// choose the same windows.
struct ScoreCutoffs: Equatable {
    /// Windows scored in the whole genome.
    var windows: Int
    /// Windows ranked bound (before sampling).
    var boundCount: Int
    /// Windows ranked background (before sampling).
    var backgroundCount: Int
    /// The lowest-ranked bound window (nil when no window was scored).
    var lastBound: (contig: String, window: RankedWindow)?
    /// The highest-ranked background window (nil when there are fewer than two windows).
    var firstBackground: (contig: String, window: RankedWindow)?

    static func == (a: ScoreCutoffs, b: ScoreCutoffs) -> Bool {
        (a.windows, a.boundCount, a.backgroundCount) == (b.windows, b.boundCount, b.backgroundCount)
            && a.lastBound?.window == b.lastBound?.window && a.firstBackground?.window == b.firstBackground?.window
    }

    /// Bound and background counts of `windows` windows: round(windows × fraction), at least one, and half.
    static func counts(windows: Int, boundFraction: Double) -> (bound: Int, background: Int) {
        guard windows > 0 else { return (0, 0) }
        return (max(1, Int((Double(windows) * boundFraction).rounded())), windows / 2)
    }

    /// The ranks (0 = highest) of the last bound and the first background window.
    static func ranks(windows: Int, boundFraction: Double) -> (lastBound: Int?, firstBackground: Int?) {
        let (bound, background) = counts(windows: windows, boundFraction: boundFraction)
        return (bound > 0 ? bound - 1 : nil, background > 0 ? windows - background : nil)
    }

    func isBound(_ w: RankedWindow) -> Bool { lastBound.map { w <= $0.window } ?? false }
    func isBackground(_ w: RankedWindow) -> Bool { firstBackground.map { w >= $0.window } ?? false }

    /// The cut-offs in one line, for a part's header: parts analysed with different ones cannot be merged.
    var summary: String {
        func cut(_ c: (contig: String, window: RankedWindow)?) -> String {
            c.map { "\($0.contig):\($0.window.start)\($0.window.minus ? "-" : "+")@\(String($0.window.key, radix: 16))" } ?? "-"
        }
        return "windows=\(windows) bound=\(boundCount) background=\(backgroundCount) last_bound=\(cut(lastBound)) first_background=\(cut(firstBackground))"
    }

    /// The cut-offs of a genome whose scores are known by their histogram (summed over shards), reading
    /// again only the windows in the buckets that hold a cut-off: `windowsIn(buckets)` returns every window
    /// whose key falls in one of `buckets`, in any order. Equal to sorting every window and taking the two ranks.
    static func of(histogram: ScoreHistogram, boundFraction: Double,
                   windowsIn: (Set<Int>) throws -> [(contig: String, window: RankedWindow)]) rethrows -> ScoreCutoffs {
        let ranks = ranks(windows: histogram.total, boundFraction: boundFraction)
        let targets = [ranks.lastBound, ranks.firstBackground].map { $0.map { histogram.locate(rank: $0) } }
        let candidates = Dictionary(grouping: try windowsIn(Set(targets.compactMap { $0?.bucket })),
                                    by: { ScoreHistogram.bucket($0.window.key) })
        func pick(_ target: (bucket: Int, rankInBucket: Int)?) -> (contig: String, window: RankedWindow)? {
            guard let target else { return nil }
            return candidates[target.bucket]!.sorted { $0.window < $1.window }[target.rankInBucket]
        }
        let counts = counts(windows: histogram.total, boundFraction: boundFraction)
        return ScoreCutoffs(windows: histogram.total, boundCount: counts.bound, backgroundCount: counts.background,
                            lastBound: pick(targets[0]), firstBackground: pick(targets[1]))
    }

    // MARK: threshold.tsv

    /// The file `merge --phase threshold` writes and the second phase reads.
    static let fileName = "threshold.tsv"

    /// The text of `threshold.tsv`: a provenance line, then `name value...` rows; a cut-off window is
    /// `contig start strand logit key` (key: the logit's `ScoreKey` in hex, exact).
    func text(fingerprint: String, provenance: Provenance) -> String {
        func row(_ name: String, _ cut: (contig: String, window: RankedWindow)?) -> String {
            guard let (contig, w) = cut else { return "\(name)\t-\n" }
            return "\(name)\t\(contig)\t\(w.start)\t\(w.minus ? "-" : "+")\t\(String(format: "%.6f", ScoreKey.float(w.key)))\t"
                + String(w.key, radix: 16) + "\n"
        }
        return provenance.line + "\n" + "name\tvalue\n" + "fingerprint\t\(fingerprint)\n" + "windows\t\(windows)\n"
            + "bound_windows\t\(boundCount)\n" + "background_windows\t\(backgroundCount)\n"
            + row("last_bound", lastBound) + row("first_background", firstBackground)
    }

    /// Reads `threshold.tsv`; sequence names become indices through `contigIndex` (the genome's order).
    static func read(path: String, contigIndex: [String: Int]) throws -> (cutoffs: ScoreCutoffs, fingerprint: String) {
        let bad = ScanError.badThreshold(path: path)
        guard let data = FileManager.default.contents(atPath: path) else { throw ScanError.cannotReadThreshold(path: path) }
        var fields: [String: [String]] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let row = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            fields[row[0]] = Array(row.dropFirst())
        }
        func int(_ name: String) throws -> Int {
            guard let value = fields[name]?.first.flatMap({ Int($0) }), value >= 0 else { throw bad }
            return value
        }
        func cut(_ name: String) throws -> (contig: String, window: RankedWindow)? {
            guard let row = fields[name] else { throw bad }
            if row == ["-"] { return nil }
            guard row.count == 5, let index = contigIndex[row[0]], let start = Int(row[1]), row[2] == "+" || row[2] == "-",
                  let key = UInt32(row[4], radix: 16) else { throw bad }
            return (row[0], RankedWindow(key: key, contig: index, start: start, minus: row[2] == "-"))
        }
        guard let fingerprint = fields["fingerprint"]?.joined(separator: "\t") else { throw bad }
        let cutoffs = ScoreCutoffs(windows: try int("windows"), boundCount: try int("bound_windows"),
                                   backgroundCount: try int("background_windows"),
                                   lastBound: try cut("last_bound"), firstBackground: try cut("first_background"))
        return (cutoffs, fingerprint)
    }
}
