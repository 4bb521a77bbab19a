import Foundation
import XCTest
@testable import MotifAttn

/// The cut-offs of a scan without regions: found from histograms (a single scan's, or shards' summed by
/// the threshold step) they equal those of one sort of every window, and both choose the windows a plain
/// ranking chooses: higher logit first, equal logits by genome position.
final class ScoreCutoffTests: XCTestCase {
    func testShardedCutoffsEqualOneSortAndTiesGoByPosition() throws {
        var generator = SeededGenerator(seed: 20)
        let contigs = ["chr1", "chr2", "chrM"]
        // Logits from a few values, so many windows tie at each cut-off, plus spread ones.
        let values: [Float] = [-3.25, -1.5, -1.5, 0.75, 2.125, 2.125, 2.125]
        for trial in 0..<20 {
            var windows: [RankedWindow] = []
            for contig in contigs.indices {
                for start in stride(from: 0, to: 100 * (50 + trial * 7), by: 100) {
                    for minus in [false, true] {
                        let logit = generator.uniformDouble() < 0.8 ? values[Int(generator.uniformDouble() * Double(values.count))]
                                                                    : Float(generator.uniformDouble() * 8 - 4)
                        windows.append(RankedWindow(key: ScoreKey.of(logit), contig: contig, start: start, minus: minus))
                    }
                }
            }
            let fraction = [0.01, 0.1, 0.3][trial % 3]
            let single = ScoreCutoffs.bySorting(windows, contigs: contigs, boundFraction: fraction)

            // Shards: cut the genome-ordered list into uneven pieces; each writes its histogram, the step adds them.
            var cuts = [0, windows.count]
            for _ in 0..<(1 + trial % 6) { cuts.append(Int(generator.uniformDouble() * Double(windows.count))) }
            cuts.sort()
            var merged = ScoreHistogram()
            for (a, b) in zip(cuts, cuts.dropFirst()) {
                var shard = ScoreHistogram()
                for w in windows[a..<b] { shard.add(ScoreKey.float(w.key)) }
                var writer = StateWriter()
                shard.encode(to: &writer)
                var reader = StateReader(bytes: writer.bytes, path: "shard")
                try merged.merge(from: &reader)
                XCTAssertTrue(reader.atEnd)
            }
            var asked: Set<Int> = []
            let sharded = ScoreCutoffs.of(histogram: merged, boundFraction: fraction) { buckets in
                asked = buckets
                return windows.filter { buckets.contains(ScoreHistogram.bucket($0.key)) }.map { (contigs[$0.contig], $0) }
            }
            XCTAssertEqual(sharded, single, "trial \(trial)")
            XCTAssertLessThanOrEqual(asked.count, 2)

            // The truth: a plain ranking by (logit descending, contig, start, plus first).
            let truth = windows.sorted {
                let a = ScoreKey.float($0.key), b = ScoreKey.float($1.key)
                if a != b { return a > b }
                return ($0.contig, $0.start, $0.minus ? 1 : 0) < ($1.contig, $1.start, $1.minus ? 1 : 0)
            }
            let bound = max(1, Int((Double(windows.count) * fraction).rounded())), background = windows.count / 2
            for (rank, w) in truth.enumerated() {
                XCTAssertEqual(single.isBound(w), rank < bound, "trial \(trial) rank \(rank)")
                XCTAssertEqual(single.isBackground(w), rank >= windows.count - background, "trial \(trial) rank \(rank)")
            }
        }
    }

    func testScoreKeyKeepsTheOrderOfFloats() {
        let floats: [Float] = [-.infinity, -1e30, -2.5, -1e-30, 0, 1e-30, 1, 2.5, 1e30, .infinity]
        for (a, b) in zip(floats, floats.dropFirst()) {
            XCTAssertLessThan(ScoreKey.of(a), ScoreKey.of(b), "\(a) < \(b)")
            XCTAssertEqual(ScoreKey.float(ScoreKey.of(a)), a)
        }
    }
}

extension ScoreCutoffs {
    /// The cut-offs by sorting every window (the reference the histogram's cut-offs are checked against).
    static func bySorting(_ windows: [RankedWindow], contigs: [String], boundFraction: Double) -> ScoreCutoffs {
        let sorted = windows.sorted()
        let (bound, background) = counts(windows: windows.count, boundFraction: boundFraction)
        let ranks = ranks(windows: windows.count, boundFraction: boundFraction)
        return ScoreCutoffs(windows: windows.count, boundCount: bound, backgroundCount: background,
                            lastBound: ranks.lastBound.map { (contigs[sorted[$0].contig], sorted[$0]) },
                            firstBackground: ranks.firstBackground.map { (contigs[sorted[$0].contig], sorted[$0]) })
    }
}
