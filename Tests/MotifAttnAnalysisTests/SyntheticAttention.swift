import Foundation
import MotifAttnIO
import MotifAttnCore
import MotifAttnAnalysis

/// Windows with planted motif sites and attention made to order, so the truth is known.
///
/// One token per base (span `i..<i+1`) after a `[CLS]` token with an empty span.
/// Every query row starts from random weights `1 + u` (u uniform in [0, 1)) and is normalised;
/// chosen heads get extra weight where the test wants signal.
struct SyntheticAttention {
    /// The three planted motifs: A and B interact in bound windows, C is a bystander. B may be set to A
    /// (a pair of two sites of one factor).
    let motifA: Motif, motifC: Motif
    var motifB: Motif
    let length = 150
    let heads = 3
    /// Head whose every query looks at the site of `focusMotifID` (default A) in bound windows (nil: none).
    var focusHead: Int? = nil
    /// The motif `focusHead` looks at.
    var focusMotifID: String? = nil
    /// Head whose every query looks at C's site in every window, bound and background (nil: none).
    var bystanderHead: Int? = nil
    /// Plant sites drawn from each motif's probabilities instead of its strongest site.
    var sampledSites = false
    /// Head whose A-site tokens and B-site tokens look at each other in bound windows (nil: none).
    var pairHead: Int? = nil
    /// Head whose attention is exactly uniform.
    var uniformHead: Int? = 2
    /// Extra raw weight added to a favoured key.
    var boost: Float = 20

    init() {
        let motifs = TestData.jaspar.motifs
        motifA = motifs.first { $0.id == "MA0591.2" }!   // Bach1::Mafk
        motifB = motifs.first { $0.id == "MA0766.3" }!   // GATA5
        motifC = motifs.first { $0.id == "MA0651.3" }!   // HOXC11
    }

    /// Bound windows hold A, B and C; background windows hold C with A or with B, never A with B.
    func window(_ number: Int, bound: Bool, using generator: inout TestData.Generator) -> (WindowAttention, sites: [String: Range<Int>]) {
        var bases = TestData.randomBases(length, using: &generator)
        var sites: [String: Range<Int>] = [:]
        func plant(_ motif: Motif, slot: Range<Int>) -> Range<Int> {
            let oriented = generator.next() % 2 == 0 ? motif : motif.reverseComplement
            let site = sampledSites ? TestData.sampledSite(oriented, using: &generator) : TestData.strongestSite(oriented)
            let start = slot.lowerBound + Int(generator.next() % UInt64(slot.count - site.count))
            bases.replaceSubrange(start..<(start + site.count), with: site)
            sites[motif.id] = start..<(start + site.count)
            return start..<(start + site.count)
        }
        var siteA: Range<Int>?, siteB: Range<Int>?
        if bound || number % 2 == 0 { siteA = plant(motifA, slot: 2..<40) }
        if bound || number % 2 == 1 { siteB = plant(motifB, slot: 55..<95) }
        _ = plant(motifC, slot: 110..<148)
        let n = length + 1
        let spans = [0..<0] + (0..<length).map { $0..<($0 + 1) }
        var attention = [Float](repeating: 0, count: heads * n * n)
        let tokenOf = { (base: Int) in base + 1 }
        for h in 0..<heads {
            for q in 0..<n {
                var row = [Float](repeating: 0, count: n)
                if h == uniformHead {
                    row = [Float](repeating: 1, count: n)
                } else {
                    for k in 0..<n { row[k] = 1 + Float(generator.next() % 1_000_000) / 1_000_000 }
                    if bound, h == focusHead, let a = sites[focusMotifID ?? motifA.id] {
                        for base in a { row[tokenOf(base)] += boost }
                    }
                    if h == bystanderHead, let c = sites[motifC.id] {
                        for base in c { row[tokenOf(base)] += boost }
                    }
                    if bound, h == pairHead, let a = siteA, let b = siteB {
                        if a.contains(q - 1) { for base in b { row[tokenOf(base)] += boost } }
                        if b.contains(q - 1) { for base in a { row[tokenOf(base)] += boost } }
                    }
                }
                let total = row.reduce(0, +)
                for k in 0..<n { attention[h * n * n + q * n + k] = row[k] / total }
            }
        }
        let window = Window(sourceName: "synthetic", start: number * 1000, end: number * 1000 + length, strand: .plus, bases: bases)
        return (WindowAttention(window: window, label: bound ? .bound : .background, tokenSpans: spans, layers: 1, heads: heads,
                                attention: attention), sites)
    }
}

extension SyntheticAttention {
    /// A head-motif discovery fed `count` synthetic windows, bound and background alternating.
    func discovery(windows count: Int = 200, seed: UInt64) -> HeadMotifDiscovery {
        var generator = TestData.Generator(seed: seed)
        let discovery = HeadMotifDiscovery()
        for number in 0..<count {
            discovery.add(window(number, bound: number % 2 == 0, using: &generator).0)
        }
        return discovery
    }
}
