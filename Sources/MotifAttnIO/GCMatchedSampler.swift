import MotifAttnCore

/// Picks background windows whose GC content matches that of a set of bound windows.
///
/// GC fraction is binned (`bins` equal bins over [0, 1]); each bin keeps a
/// reservoir sample (Vitter's algorithm R) of the candidates that fall in it,
/// sized to the number of bound windows in that bin times `ratio`. Candidates are
/// streamed once and memory stays at the reservoirs' size, whatever the genome.
/// Deterministic for a given seed and candidate order.
public struct GCMatchedSampler {
    /// Number of GC bins.
    public let bins: Int
    private var wanted: [Int]
    private var seen: [Int]
    private var reservoirs: [[Window]]
    private var generator: SeededGenerator

    /// - Parameters:
    ///   - boundGCFractions: GC fraction (0...1) of every bound window.
    ///   - ratio: background windows wanted per bound window.
    ///   - bins: number of equal-width GC bins.
    ///   - seed: seed of the reservoir sampling.
    public init(boundGCFractions: [Double], ratio: Double = 1, bins: Int = 20, seed: UInt64) {
        self.bins = bins
        var counts = [Int](repeating: 0, count: bins)
        for gc in boundGCFractions { counts[Self.bin(of: gc, bins: bins)] += 1 }
        wanted = counts.map { Int(($0 as Int == 0 ? 0 : Double($0) * ratio).rounded()) }
        seen = [Int](repeating: 0, count: bins)
        reservoirs = [[Window]](repeating: [], count: bins)
        generator = SeededGenerator(seed: seed)
    }

    /// GC fraction among the A, C, G, T bases of `bases` (N and other letters ignored); `nil` when there are none.
    public static func gcFraction<Bases: Sequence>(of bases: Bases) -> Double? where Bases.Element == UInt8 {
        var gc = 0, acgt = 0
        for b in bases {
            switch b | 0x20 {
            case UInt8(ascii: "g"), UInt8(ascii: "c"): gc += 1; acgt += 1
            case UInt8(ascii: "a"), UInt8(ascii: "t"): acgt += 1
            default: break
            }
        }
        return acgt == 0 ? nil : Double(gc) / Double(acgt)
    }

    static func bin(of gc: Double, bins: Int) -> Int { min(bins - 1, max(0, Int(gc * Double(bins)))) }

    /// Offers one candidate background window.
    public mutating func offer(_ window: Window) {
        guard let gc = Self.gcFraction(of: window.bases) else { return }
        let b = Self.bin(of: gc, bins: bins)
        guard wanted[b] > 0 else { return }
        seen[b] += 1
        if reservoirs[b].count < wanted[b] {
            reservoirs[b].append(window)
        } else {
            let j = generator.uniform(below: seen[b])
            if j < wanted[b] { reservoirs[b][j] = window }
        }
    }

    /// The chosen windows, in genome order within each bin, bins by increasing GC.
    public var chosen: [Window] {
        reservoirs.flatMap { $0.sorted { ($0.sourceName, $0.start, $0.strand.rawValue) < ($1.sourceName, $1.start, $1.strand.rawValue) } }
    }

    /// Bins whose candidates were too few to match the bound windows: (bin, wanted, available).
    public var shortfalls: [(bin: Int, wanted: Int, available: Int)] {
        (0..<bins).compactMap { seen[$0] < wanted[$0] ? ($0, wanted[$0], seen[$0]) : nil }
    }
}
