import Foundation
import MotifAttnCore

/// Words merged into one motif: base counts per position, grown as words chain onto it.
struct WordGroup {
    var counts: [[Double]]
    let k: Int

    init(seed: [Int], weight: Int) {
        k = seed.count
        counts = seed.map { base in (0..<4).map { $0 == base ? Double(weight) : 0 } }
    }

    var consensus: [Int] { counts.map { column in column.indices.max { column[$0] < column[$1] }! } }

    /// Adds the word (or its reverse complement) if it agrees with the consensus
    /// with no mismatch over at least k − 1 positions (it may stick out by one),
    /// or with one mismatch over all k positions; returns whether it was added.
    /// A word that sticks out is added only when `extends` (if given) accepts the k + 1 bases it would make
    /// of the group's k edge bases and its new base.
    mutating func absorb(_ word: [Int], weight: Int, maxWidth: Int, extends: ((_ bases: [Int]) -> Bool)? = nil) -> Bool {
        let current = consensus
        let reverse = word.reversed().map { 3 - $0 }
        for candidate in [word, reverse] {
            for position in -1...(current.count - k + 1) {
                let overlap = (0..<k).filter { position + $0 >= 0 && position + $0 < current.count }
                guard overlap.count >= k - 1 else { continue }
                let mismatches = overlap.filter { candidate[$0] != current[position + $0] }.count
                let full = overlap.count == k
                guard mismatches == 0 || (full && mismatches == 1) else { continue }
                if !full && counts.count >= maxWidth { continue }
                // A word sticking out adds a base: the k bases of the group's edge and the new one must occur together.
                if !full, let extends {
                    // Read so that the new base comes last: on the other strand for a word sticking out on the left.
                    let joined = position < 0 ? ([candidate[0]] + current.prefix(k)).reversed().map { 3 - $0 }
                                              : Array(current.suffix(k)) + [candidate[k - 1]]
                    guard extends(joined) else { continue }
                }
                if position < 0 { counts.insert([0, 0, 0, 0], at: 0) }
                let shift = max(0, position)
                if shift + k > counts.count { counts.append([0, 0, 0, 0]) }
                for j in 0..<k { counts[shift + j][candidate[j]] += Double(weight) }
                return true
            }
        }
        return false
    }

    /// The frequency matrix, edge positions with under 30 % of the best coverage trimmed.
    func motif(id: String) -> Motif {
        let coverage = counts.map { $0.reduce(0, +) }
        let best = coverage.max() ?? 1
        let kept = coverage.indices.filter { coverage[$0] >= 0.3 * best }
        let probabilities = (kept.first!...kept.last!).map { i in counts[i].map { $0 / coverage[i] } }
        return Motif(id: id, probabilities: probabilities, sites: Int(best.rounded()))
    }
}


/// Whether k + 1 bases occur together in a head's kept regions often enough for a word chain to grow by
/// their last (or first) base: a site's own next base follows its edge k bases in most of the regions that
/// hold them, while a chain through a random flank into another factor's words follows a base that does so
/// in about a quarter of them.
struct ExtensionSupport {
    let k: Int
    /// Occurrences of each k-mer and (k + 1)-mer (either strand) in the regions, indexed by their 2-bit codes.
    private var kmers: [Int32], longer: [Int32]
    /// Smallest share of the edge's occurrences that continue with the new base (0: every extension passes).
    let minimumShare: Double
    /// Fewest regions holding the edge k bases for the test to apply (a rarer edge is let through).
    let minimumEdge: Int

    init(regions: [HeadMotifDiscovery.KeptRegion], k: Int, minimumShare: Double, minimumEdge: Int) {
        self.k = k
        self.minimumShare = minimumShare
        self.minimumEdge = minimumEdge
        kmers = [Int32](repeating: 0, count: 1 << (2 * k))
        longer = [Int32](repeating: 0, count: 1 << (2 * (k + 1)))
        for region in regions {
            for strand in [region.codes, region.codes.reversed().map { $0 < 4 ? 3 - $0 : 4 }] {
                for start in 0..<max(0, strand.count - k + 1) {
                    guard let code = Self.code(strand[start..<(start + k)]) else { continue }
                    kmers[code] += 1
                    if start + k < strand.count, strand[start + k] < 4 { longer[code << 2 | Int(strand[start + k])] += 1 }
                }
            }
        }
    }

    static func code<C: Collection>(_ bases: C) -> Int? where C.Element: BinaryInteger {
        var value = 0
        for base in bases { guard base >= 0 && base < 4 else { return nil }; value = value << 2 | Int(base) }
        return value
    }

    /// Whether `bases` (k + 1 codes) may extend a chain: the k bases of the edge are followed by the last one in at least
    /// `minimumShare` of their occurrences (a left extension is read on the other strand), or the edge is too rare to tell.
    func extends(_ bases: [Int]) -> Bool {
        guard bases.count == k + 1, let whole = Self.code(bases) else { return true }
        let edge = whole >> 2
        let seen = Int(kmers[edge])
        guard minimumShare > 0, seen >= minimumEdge else { return true }
        return Double(longer[whole]) >= minimumShare * Double(seen)
    }
}
