import MotifAttnCore

/// Does the model use a motif pair jointly? The pair's sites knocked out one at a time and together,
/// in the pair's sampled bound windows (`PairWindowSamples`).
///
/// Per window, with `L` the model's first logit and `L_A`, `L_B`, `L_AB` the logits with site A, site B
/// or both replaced by random bases (`knockedOut`), the interaction is `L − L_A − L_B + L_AB`: how much
/// more the two sites are worth together than the sum of their separate worth. A model that needs both
/// sites (an AND of the two TFs) gives about `L − L_without` > 0; a site that adds evidence on its own,
/// whatever the other does, gives about 0. The test is a one-sided Wilcoxon signed-rank test over the
/// windows (`Statistics.wilcoxonSignedRankGreater`): it uses the sizes of the interactions through their
/// ranks, so a window where only one site of the pair was truly planted (interaction about 0) weighs
/// little, and one extreme window cannot dominate it.
public struct EpistasisTest: Sendable, Equatable {
    /// Windows tested.
    public var windows: Int
    /// Mean interaction, in logits.
    public var mean: Double
    /// Fraction of windows with a positive interaction.
    public var positiveFraction: Double
    /// One-sided Wilcoxon signed-rank p-value (interactions tend to be positive).
    public var pValue: Double

    /// The test of per-window interactions `L − L_A − L_B + L_AB`.
    public init(interactions: [Double]) {
        windows = interactions.count
        mean = interactions.isEmpty ? .nan : interactions.reduce(0, +) / Double(interactions.count)
        let positive = interactions.filter { $0 > 0 }.count
        positiveFraction = interactions.isEmpty ? .nan : Double(positive) / Double(interactions.count)
        pValue = Statistics.wilcoxonSignedRankGreater(interactions).p
    }

    /// `bases` with every base of `sites` replaced by a random base drawn with the window's own A/C/G/T
    /// frequencies (uniform when it has none), from `seed` (the same seed gives the same bases).
    public static func knockedOut(_ bases: [UInt8], sites: [Range<Int>], seed: UInt64) -> [UInt8] {
        var counts = [Double](repeating: 0, count: 4)
        for base in bases { if let code = Nucleotides.code(base) { counts[Int(code)] += 1 } }
        let total = counts.reduce(0, +)
        let frequencies = total > 0 ? counts.map { $0 / total } : [0.25, 0.25, 0.25, 0.25]
        var generator = SeededGenerator(seed: seed)
        var result = bases
        for site in sites {
            for i in site where i >= 0 && i < result.count { result[i] = generator.base(drawnFrom: frequencies) }
        }
        return result
    }
}
