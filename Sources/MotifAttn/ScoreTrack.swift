import Foundation

/// A genome-wide overview of window scores for the report's track: per sequence, the highest logit in
/// bins of equal size, and which bins hold bound windows.
///
/// Windows are added in genome order. Bins start at `initialBinBases` and double (merging neighbours)
/// whenever the genome would need more than `maxBins`, so a bacterial genome and a human one both draw
/// in a few thousand bins, from one streaming pass.
public struct ScoreTrack: Sendable {
    /// One sequence of the genome: the bins' highest logits (nil where no window was scored) and bound flags.
    public struct Sequence: Sendable {
        public var name: String
        public var maxima: [Float?]
        public var bound: [Bool]
    }

    /// Bases per bin.
    public private(set) var binBases: Int
    /// The sequences in the order their windows came.
    public private(set) var sequences: [Sequence] = []
    /// Most bins over all sequences.
    public let maxBins: Int
    /// Bins of every sequence but the last.
    private var closedBins = 0

    public init(initialBinBases: Int = 1_000, maxBins: Int = 2_000) {
        binBases = initialBinBases
        self.maxBins = maxBins
    }

    /// Adds a window starting at `start` of `sequence` with its logit and whether it is bound.
    public mutating func add(sequence name: String, start: Int, logit: Float, bound: Bool) {
        if sequences.last?.name != name {
            closedBins += sequences.last?.maxima.count ?? 0
            sequences.append(Sequence(name: name, maxima: [], bound: []))
        }
        var bin = start / binBases
        // Every sequence keeps at least its first bin, so a genome of many short sequences never coarsens without end.
        while bin > 0 && closedBins + bin + 1 > maxBins {
            coarsen()
            bin = start / binBases
        }
        let last = sequences.count - 1
        while sequences[last].maxima.count <= bin {
            sequences[last].maxima.append(nil)
            sequences[last].bound.append(false)
        }
        sequences[last].maxima[bin] = max(sequences[last].maxima[bin] ?? -.infinity, logit)
        if bound { sequences[last].bound[bin] = true }
    }

    /// Marks the bin of a window chosen as bound after it was added (scans without regions).
    public mutating func markBound(sequence name: String, start: Int) {
        guard let i = sequences.firstIndex(where: { $0.name == name }) else { return }
        let bin = start / binBases
        if bin < sequences[i].bound.count { sequences[i].bound[bin] = true }
    }

    /// Doubles the bin size: each pair of neighbouring bins becomes one.
    private mutating func coarsen() {
        binBases *= 2
        for i in sequences.indices {
            let old = sequences[i]
            let count = (old.maxima.count + 1) / 2
            sequences[i].maxima = (0..<count).map { j in
                let pair = old.maxima[(2 * j)..<min(2 * j + 2, old.maxima.count)].compactMap { $0 }
                return pair.max()
            }
            sequences[i].bound = (0..<count).map { j in old.bound[(2 * j)..<min(2 * j + 2, old.bound.count)].contains(true) }
        }
        closedBins = sequences.dropLast().reduce(0) { $0 + $1.maxima.count }
    }
}
