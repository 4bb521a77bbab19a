import Foundation

/// Statistical tests used by the analysis, written for tiny p-values (log space where it matters).
public enum Statistics {
    /// Natural logarithm of the gamma function, `ln Γ(x)` for `x > 0`.
    public static func logGamma(_ x: Double) -> Double { lgamma(x) }

    /// Natural logarithm of the binomial coefficient `n choose k` (`-inf` outside `0...n`).
    public static func logChoose(_ n: Int, _ k: Int) -> Double {
        guard k >= 0, k <= n else { return -.infinity }
        return lgamma(Double(n) + 1) - lgamma(Double(k) + 1) - lgamma(Double(n - k) + 1)
    }

    /// `ln(exp(a) + exp(b))` without overflow.
    public static func logAdd(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        let high = max(a, b), low = min(a, b)
        return high + log1p(exp(low - high))
    }

    /// Natural log of the hypergeometric upper tail `P(X ≥ observed)`.
    ///
    /// `X` counts marked items among `draws` items drawn without replacement from
    /// `population` items of which `marked` are marked. Same as
    /// `scipy.stats.hypergeom.logsf(observed - 1, population, marked, draws)`.
    public static func logHypergeometricUpperTail(observed: Int, population: Int, marked: Int, draws: Int) -> Double {
        precondition(population >= 0 && marked >= 0 && draws >= 0 && marked <= population && draws <= population,
                     "hypergeometric counts out of range")
        let low = max(0, draws - (population - marked))
        let high = min(marked, draws)
        if observed <= low { return 0 }
        if observed > high { return -.infinity }
        let denominator = logChoose(population, draws)
        var total = -Double.infinity
        // Terms fall off fast above the mode; summing from the far end keeps precision.
        for x in stride(from: high, through: observed, by: -1) {
            total = logAdd(total, logChoose(marked, x) + logChoose(population - marked, draws - x) - denominator)
        }
        return min(0, total)
    }

    /// Hypergeometric upper tail `P(X ≥ observed)` (see `logHypergeometricUpperTail`).
    public static func hypergeometricUpperTail(observed: Int, population: Int, marked: Int, draws: Int) -> Double {
        exp(logHypergeometricUpperTail(observed: observed, population: population, marked: marked, draws: draws))
    }

    /// Binomial upper tail `P(X ≥ observed)` for `X ~ Binomial(trials, probability)`.
    ///
    /// Summed in log space from the far end, so tiny tails keep their precision. Same as
    /// `scipy.stats.binom.sf(observed - 1, trials, probability)`.
    public static func binomialUpperTail(observed: Int, trials: Int, probability: Double) -> Double {
        precondition(trials >= 0 && probability >= 0 && probability <= 1, "binomial parameters out of range")
        if observed <= 0 { return 1 }
        if observed > trials { return 0 }
        if probability == 0 { return 0 }
        if probability == 1 { return 1 }
        let logP = log(probability), logQ = log1p(-probability)
        var total = -Double.infinity
        for x in stride(from: trials, through: observed, by: -1) {
            total = logAdd(total, logChoose(trials, x) + Double(x) * logP + Double(trials - x) * logQ)
        }
        return min(1, exp(total))
    }

    /// Upper tail of the standard normal distribution, `P(Z ≥ z)`, accurate far into the tail.
    public static func normalUpperTail(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// One-sided Wilcoxon signed-rank test that `values` tend to be positive: zeros dropped, absolute values
    /// ranked (ties share their mean rank), `W+` the rank sum of the positive values, normal approximation
    /// with tie correction and no continuity correction, as `scipy.stats.wilcoxon(values, alternative='greater',
    /// method='approx', zero_method='wilcox', correction=False)`. Returns `W+` and the p-value (1 when no value is non-zero).
    public static func wilcoxonSignedRankGreater(_ values: [Double]) -> (statistic: Double, p: Double) {
        let nonZero = values.filter { $0 != 0 }.sorted { abs($0) < abs($1) }
        let n = Double(nonZero.count)
        guard !nonZero.isEmpty else { return (0, 1) }
        let (positiveRankSum, tieTerm) = midRankSum(sortedKeys: nonZero.map(abs)) { nonZero[$0] > 0 }
        let mean = n * (n + 1) / 4
        let variance = n * (n + 1) * (2 * n + 1) / 24 - tieTerm / 48
        guard variance > 0 else { return (positiveRankSum, positiveRankSum > mean ? 0 : 1) }
        return (positiveRankSum, normalUpperTail((positiveRankSum - mean) / variance.squareRoot()))
    }

    /// Ranks of `sortedKeys` (ascending; tied keys share their mean rank, from 1): the sum of the ranks of the positions
    /// that `selected` picks, and `Σ (t³ − t)` over the groups of t tied keys.
    static func midRankSum(sortedKeys: [Double], selected: (Int) -> Bool) -> (rankSum: Double, tieTerm: Double) {
        var rankSum = 0.0, tieTerm = 0.0
        var i = 0
        while i < sortedKeys.count {
            var j = i
            while j + 1 < sortedKeys.count && sortedKeys[j + 1] == sortedKeys[i] { j += 1 }
            let midRank = Double(i + j + 2) / 2, tied = Double(j - i + 1)
            tieTerm += tied * tied * tied - tied
            for k in i...j where selected(k) { rankSum += midRank }
            i = j + 1
        }
        return (rankSum, tieTerm)
    }

    /// Result of a one-sided Mann–Whitney U test.
    public struct MannWhitneyResult: Sendable, Hashable {
        /// U statistic of the first sample (pairs where the first sample's value is larger, ties count ½).
        public var u: Double
        /// One-sided p-value for "the first sample tends to be larger".
        public var p: Double
        /// Common-language effect size `U / (n1·n2)`: the chance a first-sample value beats a second-sample one.
        public var effect: Double
    }

    /// One-sided Mann–Whitney U test that `first` tends to be larger than `second`.
    ///
    /// Normal approximation with tie correction and continuity correction, as
    /// `scipy.stats.mannwhitneyu(first, second, alternative='greater', method='asymptotic')`.
    public static func mannWhitneyGreater(_ first: [Double], _ second: [Double]) -> MannWhitneyResult {
        var values = first.map { ($0, 0) } + second.map { ($0, 1) }
        values.sort { $0.0 < $1.0 }
        let (rankSumFirst, tieTerm) = midRankSum(sortedKeys: values.map(\.0)) { values[$0].1 == 0 }
        return mannWhitneyFromRanks(rankSumFirst: rankSumFirst, n1: first.count, n2: second.count, tieTerm: tieTerm)
    }

    /// Mann–Whitney U from the first sample's rank sum and `Σ (t³ − t)` over tie groups.
    static func mannWhitneyFromRanks(rankSumFirst: Double, n1: Int, n2: Int, tieTerm: Double) -> MannWhitneyResult {
        guard n1 > 0, n2 > 0 else { return MannWhitneyResult(u: 0, p: 1, effect: 0.5) }
        let a = Double(n1), b = Double(n2), n = a + b
        let u = rankSumFirst - a * (a + 1) / 2
        let mean = a * b / 2
        let variance = a * b / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        let p: Double
        if variance <= 0 {
            p = 1 // every value tied: no evidence either way
        } else {
            p = min(1, normalUpperTail((u - mean - 0.5) / variance.squareRoot()))
        }
        return MannWhitneyResult(u: u, p: p, effect: u / (a * b))
    }

    /// One-sided Mann–Whitney U test on two histograms over the same ordered bins.
    ///
    /// Values in one bin count as ties, so this is exact for the binned values
    /// and needs memory proportional to the number of bins, not of values.
    public static func mannWhitneyGreater(firstCounts: [Int], secondCounts: [Int]) -> MannWhitneyResult {
        precondition(firstCounts.count == secondCounts.count, "histograms must share bins")
        var rankBefore = 0.0, rankSumFirst = 0.0, tieTerm = 0.0
        var n1 = 0, n2 = 0
        for bin in 0..<firstCounts.count {
            let a = firstCounts[bin], b = secondCounts[bin]
            let tied = Double(a + b)
            if tied == 0 { continue }
            let midRank = rankBefore + (tied + 1) / 2
            rankSumFirst += Double(a) * midRank
            tieTerm += tied * tied * tied - tied
            rankBefore += tied
            n1 += a; n2 += b
        }
        return mannWhitneyFromRanks(rankSumFirst: rankSumFirst, n1: n1, n2: n2, tieTerm: tieTerm)
    }

    /// Benjamini–Hochberg q-values, in the input order.
    ///
    /// Same as `scipy.stats.false_discovery_control(p, method='bh')`: `p(i)·m/i`
    /// made monotone from the largest p down and capped at 1.
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        guard m > 0 else { return [] }
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] || (pValues[$0] == pValues[$1] && $0 < $1) }
        var q = [Double](repeating: 1, count: m)
        var running = 1.0
        for rank in stride(from: m, through: 1, by: -1) {
            let index = order[rank - 1]
            running = min(running, pValues[index] * Double(m) / Double(rank))
            q[index] = min(1, running)
        }
        return q
    }

    /// Median of values (mean of the two middle ones for an even count); `nan` when empty.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
