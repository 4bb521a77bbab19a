import Foundation
import MotifAttnCore

/// Discovers, per head, the motifs attended to in bound windows, in memory bounded by the word length.
///
/// For every window and head, the attention profile is smoothed by a running
/// mean over `smoothing` bases (attention often peaks on one or two tokens of a
/// site; smoothing spreads the peak over the site), and its high-attention
/// regions (`AttentionRegions.find`) are cut into words of `wordLength` bases;
/// a word and its reverse complement count as one. Per head, each word keeps two
/// counters: bound and background windows where it lies in a high-attention
/// region (so memory is at most `4^k / 2` counter pairs per head, whatever the
/// number of windows). A word's enrichment in bound windows is a hypergeometric
/// upper tail (population: all windows; marked: bound windows; drawn: windows
/// with the word in a region), q-values by Benjamini–Hochberg over every word of
/// every head. Significant words of a head are merged greedily, most significant
/// first: the seed starts a group, and a word (either strand) joins the group
/// when it matches the group's consensus with no mismatch over at least k − 1
/// positions (sticking out by at most one, so overlapping words of one site
/// chain into the whole site) or with one mismatch over k positions; this repeats
/// until no word joins. Each group becomes a frequency matrix from its aligned
/// words weighted by their window counts; edge positions covered by under 30 %
/// of the best-covered position are trimmed. A group's statistics are those of its seed word.
///
/// Focus: a head may attend a word in every window, bound or not (a motif planted alike in both can
/// never be enriched). A third counter per word counts the windows holding it anywhere, and a word
/// is focused by a head when it lies in the head's regions in more of those windows than the head's
/// overall rate (`focusTests`); focused words that are not enriched seed further groups after the
/// enriched ones, and every motif reports its seed word's focus statistics.
///
/// Refinement from sites: words are short, so a group's matrix covers only the core of a
/// site and matches database motifs weakly. Each head also keeps a bounded sample
/// (`siteReservoir` regions per head: the regions with the smallest hashes of their window,
/// head and position, a bottom-k sample that is the same whatever order or sharding the
/// windows arrive in) of its high-attention regions in bound windows, with
/// `siteFlank` bases on each side. A group's consensus is searched in them (both strands, at
/// most one mismatch per 6 bases, none for a consensus of one word); the matching sites, extended by `siteFlank` bases, are aligned
/// into the motif's frequency matrix, and flanking columns under 0.3 bits of information are
/// trimmed. Then `refinementRounds` rescans of the regions with the matrix as a PWM learn it from
/// the best-scoring site of each region (`refine`); a site seen in several overlapping windows counts
/// once. When the consensus matches fewer than 10 regions, the word matrix starts the rescans.
/// Last, `expectationRounds` rounds of expectation maximisation over every position of the kept
/// regions re-estimate the matrix from its sites' mix of bases (`expectationMaximized`).
public final class HeadMotifDiscovery {
    /// Default of the most motifs reported per head (`HeadMotifSettings.maxMotifsPerHead`).
    public static let defaultMaxMotifsPerHead = HeadMotifSettings().maxMotifsPerHead

    /// Every threshold and rule of the discovery. Those used while windows are added (regions, words, the site
    /// reservoir) must not change once the first window is in; the others act when `motifs` is called.
    public var settings: HeadMotifSettings
    /// Word length k.
    public var wordLength: Int { settings.wordLength }
    var relativeThreshold: Double { settings.relativeThreshold }
    var minLength: Int { settings.minimumRegionLength }
    var maxMotifWidth: Int { settings.maxMotifWidth }
    var smoothing: Int { settings.smoothing }
    var siteReservoir: Int { settings.siteReservoir }
    var siteFlank: Int { settings.siteFlank }
    var refinementRounds: Int { settings.refinementRounds }
    var sitePValue: Double { settings.sitePValue }
    var expectationRounds: Int { settings.expectationRounds }
    /// Rule of the rescans' per-matrix threshold: `sitePValue`, loosened for a matrix too short for
    /// `shortMatrixRecall` of its own sites to reach it, up to 1e-3.
    var siteThreshold: InstanceThreshold {
        InstanceThreshold(pValue: sitePValue, recall: settings.shortMatrixRecall, ceiling: max(sitePValue, 1e-3))
    }
    var counts: [HeadIndex: [UInt32: (bound: Int, background: Int)]] = [:]
    /// Windows (bound and background) holding each word anywhere, whatever the attention.
    var presence: [UInt32: Int] = [:]
    var regions: [HeadIndex: [KeptRegion]] = [:]
    /// Bound windows seen.
    public internal(set) var boundWindows = 0
    /// Background windows seen.
    public internal(set) var backgroundWindows = 0

    /// Creates an empty accumulator with `settings`.
    public init(settings: HeadMotifSettings = HeadMotifSettings()) {
        precondition(settings.smoothing >= 1, "smoothing must be at least 1 base")
        precondition(settings.wordLength >= 3 && settings.wordLength <= 15, "word length must be 3...15")
        self.settings = settings
    }

    /// Number of word counters held (at most `heads · 4^k / 2`).
    public var storedCount: Int { counts.values.reduce(0) { $0 + $1.count } }

    /// Adds one window's attention.
    public func add(_ window: WindowAttention) {
        if window.label == .bound { boundWindows += 1 } else { backgroundWindows += 1 }
        let codes = window.window.bases.map { Nucleotides.code($0) }
        if codes.count >= wordLength {
            var present = Set<UInt32>()
            for start in 0...(codes.count - wordLength) {
                if let word = Self.canonicalWord(codes, start, wordLength) { present.insert(word) }
            }
            for word in present { presence[word, default: 0] += 1 }
        }
        for head in window.allHeads {
            var words = Set<UInt32>()
            let found = AttentionRegions.find(in: Self.runningMean(window.profile(head), width: smoothing),
                                              relativeThreshold: relativeThreshold, minLength: minLength)
            if window.label == .bound && siteReservoir > 0 { keepRegions(found, of: codes, window: window.window, head: head) }
            for region in found {
                guard region.count >= wordLength else { continue }
                for start in region.lowerBound...(region.upperBound - wordLength) {
                    if let word = Self.canonicalWord(codes, start, wordLength) { words.insert(word) }
                }
            }
            // Updated in place: a copy of the head's table taken out and put back would be copied whole
            // on the first write (copy on write), once per head and window.
            for word in words {
                if window.label == .bound { counts[head, default: [:]][word, default: (0, 0)].bound += 1 } else {
                    counts[head, default: [:]][word, default: (0, 0)].background += 1
                }
            }
        }
    }

    /// A high-attention region (with flanks) kept for refining motifs, and where its bases lie.
    struct KeptRegion: Equatable {
        /// Orders the bottom-k sample.
        var hash: UInt64
        /// Base codes 0...3, 4 for anything else.
        var codes: [UInt8]
        /// Hash of the sequence (contig or record) name.
        var source: UInt64
        /// Position in the source of `codes[0]`; `codes[i]` lies at `origin + i`, or at `origin − i` when `reversed`
        /// (a minus-strand window), so a site seen in overlapping windows is recognised as one.
        var origin: Int
        var reversed: Bool

        /// The bottom-k sample's order: smallest hash first, ties by sequence.
        static func precedesInSample(_ a: Self, _ b: Self) -> Bool {
            a.hash != b.hash ? a.hash < b.hash : a.codes.lexicographicallyPrecedes(b.codes)
        }

        /// Where a site of `width` bases at `start` in `codes` lies: its leftmost position in the source
        /// and whether it reads on the source's plus strand.
        func place(start: Int, width: Int, forward: Bool) -> SiteKey {
            SiteKey(source: source, position: reversed ? origin &- (start + width - 1) : origin &+ start, plus: forward != reversed, width: width)
        }
    }

    /// A site's place in its source, the same in every window that overlaps it.
    struct SiteKey: Hashable { var source: UInt64; var position: Int; var plus: Bool; var width: Int }

    /// Adds regions (with flanks) to the head's bottom-k sample.
    private func keepRegions(_ found: [Range<Int>], of codes: [UInt8?], window: Window, head: HeadIndex) {
        var key = StableHash.fnv1a(window.sourceName)
        key = Self.mix(key ^ UInt64(bitPattern: Int64(window.start)) ^ (window.strand == .minus ? 1 << 63 : 0))
        key = Self.mix(key ^ UInt64(head.layer << 16 | head.head))
        for region in found {
            let lower = max(0, region.lowerBound - siteFlank), upper = min(codes.count, region.upperBound + siteFlank)
            let hash = Self.mix(key ^ UInt64(region.lowerBound))
            let minus = window.strand == .minus
            regions[head, default: []].append(KeptRegion(hash: hash, codes: codes[lower..<upper].map { $0 ?? 4 }, source: StableHash.fnv1a(window.sourceName),
                                                         origin: minus ? window.end - 1 - lower : window.start + lower, reversed: minus))
            if regions[head]!.count >= 2 * siteReservoir { pruneRegions(head) }
        }
    }

    /// Keeps the `siteReservoir` regions of `head` with the smallest hashes.
    func pruneRegions(_ head: HeadIndex) {
        guard let list = regions[head], list.count > siteReservoir else { return }
        regions[head] = Array(list.sorted(by: KeptRegion.precedesInSample).prefix(siteReservoir))
    }

    /// SplitMix64 finaliser.
    static func mix(_ value: UInt64) -> UInt64 { StableHash.mix(value) }

    /// Centred running mean of `values` over `width` positions (fewer at the ends).
    static func runningMean(_ values: [Double], width: Int) -> [Double] {
        guard width > 1, !values.isEmpty else { return values }
        var prefix = [Double](repeating: 0, count: values.count + 1)
        for i in values.indices { prefix[i + 1] = prefix[i] + values[i] }
        let half = width / 2
        return values.indices.map { i in
            let lo = max(0, i - half), hi = min(values.count, i - half + width)
            return (prefix[hi] - prefix[lo]) / Double(hi - lo)
        }
    }

    /// Smaller of a word's code and its reverse complement's; nil if it holds a base other than ACGT.
    static func canonicalWord(_ codes: [UInt8?], _ start: Int, _ k: Int) -> UInt32? {
        var forward: UInt32 = 0, reverse: UInt32 = 0
        for j in 0..<k {
            guard let c = codes[start + j] else { return nil }
            forward = forward << 2 | UInt32(c)
            reverse |= UInt32(3 - c) << (2 * UInt32(j))
        }
        return min(forward, reverse)
    }

    static func decode(_ word: UInt32, _ k: Int) -> [Int] {
        (0..<k).map { Int((word >> (2 * UInt32(k - 1 - $0))) & 3) }
    }

    /// The enrichment and focus tests of a word in a head.
    struct WordTest {
        var head: HeadIndex; var word: UInt32; var bound: Int; var background: Int; var p: Double; var q: Double
        /// Windows holding the word anywhere; the head's expected in-region rate; focus p and q.
        var present = 0, expected = 0.0, focusP = 1.0, focusQ = 1.0
    }

    /// Focus tests of every word present in the windows, for every head (p-values, q still 1).
    ///
    /// A word is focused by a head when it lies in the head's high-attention regions in more of the
    /// windows holding it than the head's overall rate predicts. The rate is taken over all words:
    /// (windows with a word in a region, summed over words) / (windows holding a word, summed over
    /// words), so it is in the same units as the word's own fraction and already includes how often a
    /// word occurs twice in a window. p = binomial upper tail P(X ≥ in-region windows) with
    /// X ~ Binomial(windows holding the word, rate).
    func focusTests() -> [WordTest] {
        let presentTotal = presence.values.reduce(0, +)
        guard presentTotal > 0 else { return [] }
        let words = presence.keys.sorted()
        var tests: [WordTest] = []
        for head in counts.keys.sorted() {
            let table = counts[head]!
            let inRegions = table.values.reduce(0) { $0 + $1.bound + $1.background }
            let rate = min(1, Double(inRegions) / Double(presentTotal))
            for word in words {
                let entry = table[word] ?? (0, 0)
                let n = max(presence[word]!, entry.bound + entry.background)
                tests.append(WordTest(head: head, word: word, bound: entry.bound, background: entry.background, p: 1, q: 1, present: n,
                                      expected: rate, focusP: Statistics.binomialUpperTail(observed: entry.bound + entry.background,
                                                                                           trials: n, probability: rate)))
            }
        }
        return tests
    }

    /// Discovered motifs of every head, sorted by head then significance.
    ///
    /// - Parameters:
    ///   - maxQValue: words with a larger q-value are not used.
    ///   - comparator: when given, each motif's database matches are filled in.
    ///   - sameFactor: with a comparator, the look-alike class of a database motif (an index into the
    ///     comparator's targets); a motif whose best match (q ≤ `maxQValue`) falls in the class of an earlier
    ///     motif of the same head repeats that motif and is left out, without taking one of the head's places.
    ///   - threads: heads found side by side; the result does not depend on it.
    public func motifs(maxQValue: Double = 0.05, comparator: MotifComparator? = nil, sameFactor: ((Int) -> Int)? = nil,
                       threads: Int = 1) -> [HeadMotif] {
        let total = boundWindows + backgroundWindows
        guard total > 0 else { return [] }
        var tests: [WordTest] = []
        for head in counts.keys.sorted() {
            for (word, entry) in counts[head]!.sorted(by: { $0.key < $1.key }) {
                let p = Statistics.hypergeometricUpperTail(observed: entry.bound, population: total, marked: boundWindows,
                                                           draws: entry.bound + entry.background)
                tests.append(WordTest(head: head, word: word, bound: entry.bound, background: entry.background, p: p, q: 1))
            }
        }
        let q = Statistics.benjaminiHochberg(tests.map(\.p))
        for i in tests.indices { tests[i].q = q[i] }
        var focus = focusTests()
        let focusQ = Statistics.benjaminiHochberg(focus.map(\.focusP))
        for i in focus.indices { focus[i].focusQ = focusQ[i] }
        var focusOf: [HeadIndex: [UInt32: WordTest]] = [:]
        for test in focus { focusOf[test.head, default: [:]][test.word] = test }
        for i in tests.indices {
            guard let f = focusOf[tests[i].head]?[tests[i].word] else { continue }
            tests[i].present = f.present; tests[i].expected = f.expected; tests[i].focusP = f.focusP; tests[i].focusQ = f.focusQ
        }
        let heads = counts.keys.sorted()
        // Pruning is the only change to the discovery's state; done first, the heads can run side by side.
        for head in heads { pruneRegions(head) }
        return parallelMap(count: heads.count, threads: threads) { i in
            motifs(of: heads[i], tests: tests, maxQValue: maxQValue, comparator: comparator, sameFactor: sameFactor)
        }.flatMap { $0 }
    }

    /// One head's motifs from the word tests of every head (`motifs(maxQValue:comparator:sameFactor:threads:)`).
    private func motifs(of head: HeadIndex, tests: [WordTest], maxQValue: Double, comparator: MotifComparator?,
                        sameFactor: ((Int) -> Int)?) -> [HeadMotif] {
        let maxMotifsPerHead = settings.maxMotifsPerHead
        let boundTotal = Double(max(1, boundWindows)), backgroundTotal = Double(max(1, backgroundWindows))
        var result: [HeadMotif] = []
        // Seeds: words enriched in bound windows (most significant first), then words the head only
        // focuses on (most significant focus first); a group absorbs words of either kind.
        func enriched(_ t: WordTest) -> Bool {
            t.q <= maxQValue && Double(t.bound) / boundTotal > Double(t.background) / backgroundTotal
        }
        let candidates = tests.filter { $0.head == head }
        var pool = candidates.filter(enriched).sorted { ($0.p, $0.word) < ($1.p, $1.word) }
        if settings.seedsFromFocus {
            pool += candidates.filter { !enriched($0) && $0.focusQ <= maxQValue }.sorted { ($0.focusP, $0.word) < ($1.focusP, $1.word) }
        }
        let support = ExtensionSupport(regions: regions[head] ?? [], k: wordLength, minimumShare: settings.extensionSupport,
                                       minimumEdge: settings.extensionMinimumEdge)
        var number = 0
        var factorsSeen = Set<Int>()
        while let seed = pool.first, number < maxMotifsPerHead {
            pool.removeFirst()
            var group = WordGroup(seed: Self.decode(seed.word, wordLength), weight: seed.bound + seed.background)
            var grew = true
            while grew {
                grew = false
                var rest: [WordTest] = []
                for test in pool {
                    if group.absorb(Self.decode(test.word, wordLength), weight: test.bound + test.background, maxWidth: maxMotifWidth,
                                    extends: support.extends) {
                        grew = true
                    } else {
                        rest.append(test)
                    }
                }
                pool = rest
            }
            let id = "\(head)_\(number + 1)"
            // A consensus that matches too few regions leaves the word matrix to start the PWM rounds.
            let motif = refine(group.consensus, head: head, id: id) ?? rescanned(group.motif(id: id), head: head)
            var found = HeadMotif(head: head, motif: motif, sites: seed.bound + seed.background,
                                  boundFraction: Double(seed.bound) / boundTotal, backgroundFraction: Double(seed.background) / backgroundTotal,
                                  pValue: seed.p, qValue: seed.q, focusFraction: Double(seed.bound + seed.background) / Double(max(1, seed.present)),
                                  expectedFraction: seed.expected, focusPValue: seed.focusP, focusQValue: seed.focusQ)
            if let comparator { found.matches = comparator.compare(motif) }
            if settings.oneMotifPerFactor, let sameFactor, let match = found.bestMatch, match.qValue <= maxQValue,
               !factorsSeen.insert(sameFactor(match.targetIndex)).inserted {
                continue
            }
            number += 1
            result.append(found)
        }
        return result
    }
}
