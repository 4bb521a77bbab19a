import Foundation
import MotifAttnCore

/// A motif one head attends to, discovered from its high-attention regions.
public struct HeadMotif: Sendable {
    /// The head.
    public var head: HeadIndex
    /// The motif, named `L{layer}H{head}_{n}` (n from 1, in order of significance).
    public var motif: Motif
    /// Windows (bound and background) holding the seed word in a high-attention region of this head.
    public var sites: Int
    /// Fraction of bound windows where the seed word lies in a high-attention region.
    public var boundFraction: Double
    /// Fraction of background windows where the seed word lies in a high-attention region.
    public var backgroundFraction: Double
    /// Hypergeometric p-value of the seed word's enrichment in bound windows.
    public var pValue: Double
    /// Benjamini–Hochberg q-value of the seed word over all words and heads tested.
    public var qValue: Double
    /// Of the windows (bound and background) holding the seed word, the fraction where it lies in a
    /// high-attention region of this head.
    public var focusFraction: Double = .nan
    /// The head's overall rate: over every word, windows with the word in a region per window holding it.
    public var expectedFraction: Double = .nan
    /// Binomial p-value of the seed word's attention focus (`focusFraction` above `expectedFraction`).
    public var focusPValue: Double = .nan
    /// Benjamini–Hochberg q-value of the focus p-value over all words and heads.
    public var focusQValue: Double = .nan
    /// The best database match, if a comparator was given.
    public var bestMatch: MotifMatch? { matches.first }
    /// Every database match (one per target, best first), if a comparator was given.
    public var matches: [MotifMatch] = []
}

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
    /// Default of the most motifs reported per head. A head that attends one factor strongly also focuses on many words
    /// of its variants and surroundings, each seeding a motif of its own; on the benchmark's default-model scan the weakly
    /// attended FOSL1::JUN was the 14th motif of its head (the places were 10 before 29 Nov; 15 and 20 find all 8 planted motifs).
    public static let defaultMaxMotifsPerHead = 15

    /// Word length k.
    public let wordLength: Int
    /// Relative threshold of `AttentionRegions.find`.
    public let relativeThreshold: Double
    /// Shortest high-attention region.
    public let minLength: Int
    /// Widest motif grown from chained words.
    public let maxMotifWidth: Int
    /// Width in bases of the running mean applied to each profile before regions are found (1: none).
    public let smoothing: Int
    /// High-attention regions kept per head (bound windows) for refining motifs from their sites.
    public let siteReservoir: Int
    /// Bases kept on each side of a region, and added around a refined motif's sites.
    public let siteFlank: Int
    /// Rounds of PWM rescanning after the consensus round of a motif's refinement (0: none).
    public let refinementRounds: Int
    /// Largest p-value of a site found by a PWM rescan of the refinement.
    public let sitePValue: Double
    /// Rounds of expectation maximisation over all positions of the kept regions after the rescans (0: none).
    public let expectationRounds: Int
    /// Rule of the rescans' per-matrix threshold: `sitePValue`, loosened for a matrix too short for half its own
    /// sites to reach it (a 6-column word matrix cannot reach 1e-4 at all), up to 1e-3.
    var siteThreshold: InstanceThreshold { InstanceThreshold(pValue: sitePValue, recall: 0.5, ceiling: max(sitePValue, 1e-3)) }
    var counts: [HeadIndex: [UInt32: (bound: Int, background: Int)]] = [:]
    /// Windows (bound and background) holding each word anywhere, whatever the attention.
    var presence: [UInt32: Int] = [:]
    var regions: [HeadIndex: [KeptRegion]] = [:]
    /// Bound windows seen.
    public internal(set) var boundWindows = 0
    /// Background windows seen.
    public internal(set) var backgroundWindows = 0

    /// Creates an empty accumulator.
    public init(wordLength: Int = 6, relativeThreshold: Double = 0.2, minLength: Int = 5, maxMotifWidth: Int = 25, smoothing: Int = 5,
                siteReservoir: Int = 4000, siteFlank: Int = 6, refinementRounds: Int = 2, sitePValue: Double = 1e-4,
                expectationRounds: Int = 3) {
        precondition(smoothing >= 1, "smoothing must be at least 1 base")
        self.expectationRounds = expectationRounds
        self.refinementRounds = refinementRounds
        self.sitePValue = sitePValue
        self.siteReservoir = siteReservoir
        self.siteFlank = siteFlank
        self.maxMotifWidth = maxMotifWidth
        self.smoothing = smoothing
        precondition(wordLength >= 3 && wordLength <= 15, "word length must be 3...15")
        self.wordLength = wordLength
        self.relativeThreshold = relativeThreshold
        self.minLength = minLength
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

    /// A site in a kept region: the region's index, the first base and the width, and the strand.
    struct RegionSite { var region: Int; var start: Int; var width: Int; var forward: Bool }

    /// The motif grown from `consensus` by aligning its matches in the head's kept regions, or nil
    /// when fewer than `minimumSites` regions hold a match.
    ///
    /// Round 0 aligns the best consensus match of each region: at most one mismatch per 6 bases, none when the
    /// consensus is a single word (`wordLength` bases or fewer). One mismatch in 6 bases is noise: a region of 30 bases
    /// holds such a match of a given 6-mer with probability ≈ 50 · 19 / 4096 ≈ 0.23 (exact: 0.012), and it takes in
    /// another factor's variant words (the CRE word `ATGACG` would gather the MARE sites `ATGACT` of its head). Each
    /// further round (`refinementRounds`) rescans the regions with the current matrix as a PWM (log-odds
    /// against the regions' own strand-symmetric composition) and aligns the best site of each region
    /// whose score has p ≤ `sitePValue` (`siteThreshold` for short matrices): the matrix is then learnt from the sites rather than from
    /// their resemblance to one consensus, so degenerate positions keep their mix of bases. A round that
    /// finds fewer than `minimumSites` sites keeps the previous matrix.
    func refine(_ consensus: [Int], head: HeadIndex, id: String, minimumSites: Int = 10) -> Motif? {
        pruneRegions(head)
        let kept = regions[head] ?? []
        let sequences = kept.map(\.codes)
        let width = consensus.count
        let allowed = width <= wordLength ? 0 : max(1, width / 6)
        let reverse = consensus.reversed().map { 3 - $0 }
        var sites: [RegionSite] = []
        for (index, sequence) in sequences.enumerated() where sequence.count >= width {
            // Best match (fewest mismatches, then leftmost, forward before reverse) in this region.
            var best: (mismatches: Int, start: Int, forward: Bool)?
            for start in 0...(sequence.count - width) {
                for (forward, pattern) in [(true, consensus), (false, reverse)] {
                    var mismatches = 0
                    for j in 0..<width where Int(sequence[start + j]) != pattern[j] {
                        mismatches += 1
                        if mismatches > allowed { break }
                    }
                    if mismatches <= allowed && (best == nil || mismatches < best!.mismatches) { best = (mismatches, start, forward) }
                }
            }
            if let match = best { sites.append(RegionSite(region: index, start: match.start, width: width, forward: match.forward)) }
        }
        sites = distinct(sites, kept)
        guard sites.count >= minimumSites else { return nil }
        return rescanned(alignedMotif(sites, in: sequences, id: id), head: head, minimumSites: minimumSites)
    }

    /// `motif` after `refinementRounds` PWM rescans of the head's kept regions (see `refine`); a round
    /// that finds fewer than `minimumSites` sites keeps the motif it started from. When a rescan found
    /// sites, the result is re-estimated by `expectationMaximized`, unless that moved it to another motif.
    func rescanned(_ start: Motif, head: HeadIndex, minimumSites: Int = 10) -> Motif {
        pruneRegions(head)
        let kept = regions[head] ?? []
        let sequences = kept.map(\.codes)
        var motif = start
        guard refinementRounds > 0, !sequences.isEmpty else { return motif }
        var composition = [1.0, 1, 1, 1]
        for sequence in sequences { for code in sequence where code < 4 { composition[Int(code)] += 1; composition[3 - Int(code)] += 1 } }
        let total = composition.reduce(0, +)
        let background = composition.map { $0 / total }
        var sitesFound = 0
        for _ in 0..<refinementRounds {
            let found = distinct(pwmSites(ScoringMatrix(motif: motif, background: background), in: sequences), kept)
            guard found.count >= minimumSites else { break }
            sitesFound = found.count
            let next = alignedMotif(found, in: sequences, id: motif.id)
            if next.probabilities == motif.probabilities { break }
            motif = next
        }
        guard sitesFound > 0, expectationRounds > 0 else { return motif }
        // In the sample's own order (smallest hash first), so that the sums do not depend on how windows arrived.
        let ordered = kept.sorted(by: KeptRegion.precedesInSample)
        let estimated = expectationMaximized(motif, in: ordered, background: background, siteShare: Double(sitesFound) / Double(kept.count))
        // The estimate must stay the same motif: a head's other, more frequent motif can pull it over to itself
        // (a CRE motif of the default model drifted to the MARE sites of Bach1::Mafk in the same head).
        return estimated.isSameMotif(as: motif) ? estimated : motif
    }

    /// The motif re-estimated from every position of every kept region, each weighted by its posterior
    /// probability of being the region's site (`expectationRounds` rounds of expectation maximisation
    /// under MEME's ZOOPS model: zero or one site per region, at any position and strand, in a region
    /// with a site with prior probability γ; the width is kept).
    ///
    /// Why: the PWM rescans align only sites with p ≤ `sitePValue`, so a site with a minor base at a
    /// degenerate position is left out and the matrix grows sharper than the sites it came from
    /// (the benchmark's `FOSL1::JUN`: its planted sites attended by a head have `T` 0.65 / `C` 0.26 at
    /// the last position, the rescanned matrix `T` 0.89). A strong site keeps a posterior near 1
    /// whatever one minor base, so the weighted counts keep the mix of bases.
    ///
    /// Position weights use the matrix with one pseudo-site spread by `background`; γ starts at
    /// `siteShare` and is re-estimated each round; a region whose most probable site lies where an
    /// earlier region's does (overlapping windows) is left out.
    func expectationMaximized(_ start: Motif, in kept: [KeptRegion], background: [Double], siteShare: Double) -> Motif {
        let width = start.width
        let logBackground = background.map(log)
        var motif = start
        var share = min(max(siteShare, 0.01), 0.99)
        for _ in 0..<expectationRounds {
            // Log-odds of each base at each position (plus strand), and of the reverse complement.
            let n = Double(max(motif.sites, 1))
            // Flat `[position * 4 + base]`, so that the scoring loop below allocates nothing per position.
            let plus = motif.probabilities.flatMap { column in (0..<4).map { log((column[$0] * n + background[$0]) / (n + 1)) - logBackground[$0] } }
            let minus = (0..<(width * 4)).map { plus[(width - 1 - $0 / 4) * 4 + 3 - $0 % 4] }
            var counts = [[Double]](repeating: [0, 0, 0, 0], count: width)
            var seen = Set<SiteKey>()
            var posteriorTotal = 0.0, regionsUsed = 0
            var scores: [(start: Int, forward: Bool, score: Double)] = []
            for region in kept where region.codes.count >= width {
                let codes = region.codes
                scores.removeAll(keepingCapacity: true)
                positions: for first in 0...(codes.count - width) {
                    var forwardScore = 0.0, reverseScore = 0.0
                    for j in 0..<width {
                        let code = Int(codes[first + j])
                        guard code < 4 else { continue positions }
                        forwardScore += plus[j * 4 + code]
                        reverseScore += minus[j * 4 + code]
                    }
                    scores.append((first, true, forwardScore))
                    scores.append((first, false, reverseScore))
                }
                guard let best = scores.max(by: { $0.score < $1.score }),
                      seen.insert(region.place(start: best.start, width: width, forward: best.forward)).inserted else { continue }
                regionsUsed += 1
                // Posterior of each position: (γ/m)·LR_j / ((1 − γ) + (γ/m)·Σ LR), in logs for large ratios.
                let prior = log(share / Double(scores.count))
                let top = max(log(1 - share), prior + best.score)
                let denominator = top + log(exp(log(1 - share) - top) + scores.reduce(0) { $0 + exp(prior + $1.score - top) })
                for entry in scores {
                    let weight = exp(prior + entry.score - denominator)
                    guard weight > 1e-6 else { continue }
                    posteriorTotal += weight
                    for j in 0..<width {
                        let code = Int(codes[entry.forward ? entry.start + j : entry.start + width - 1 - j])
                        counts[j][entry.forward ? code : 3 - code] += weight
                    }
                }
            }
            guard regionsUsed > 0, posteriorTotal >= 1 else { break }
            share = min(max(posteriorTotal / Double(regionsUsed), 0.01), 0.99)
            let probabilities = counts.map { column -> [Double] in
                let total = column.reduce(0, +) + 0.01 * 4
                return column.map { ($0 + 0.01) / total }
            }
            motif = Motif(id: motif.id, probabilities: probabilities, sites: Int(posteriorTotal.rounded()))
        }
        return motif
    }

    /// `sites` without repeats of one site of the source (overlapping windows show a site several times).
    func distinct(_ sites: [RegionSite], _ kept: [KeptRegion]) -> [RegionSite] {
        var seen = Set<SiteKey>()
        return sites.filter { seen.insert(kept[$0.region].place(start: $0.start, width: $0.width, forward: $0.forward)).inserted }
    }

    /// The best site of each region scoring p ≤ `sitePValue` under `matrix` (ties: leftmost, forward first),
    /// found with the motif scanner's tables (`ChunkedStrandScores`, `MotifScanner.scanStrand`).
    func pwmSites(_ matrix: ScoringMatrix, in sequences: [[UInt8]]) -> [RegionSite] {
        let width = matrix.integerScores.count
        let threshold = Int32(matrix.threshold(pValue: siteThreshold.pValue(for: matrix)))
        let plus = ChunkedStrandScores(integerScores: matrix.integerScores)
        let minus = ChunkedStrandScores(integerScores: matrix.integerScores.reversed().map { Array($0.reversed()) })
        let longest = sequences.map(\.count).max() ?? 0
        let candidates = UnsafeMutablePointer<Int32>.allocate(capacity: longest + 1)
        defer { candidates.deallocate() }
        var sites: [RegionSite] = []
        for (index, sequence) in sequences.enumerated() where sequence.count >= width {
            let scanWords = ScanWords(count: sequence.count) { sequence[$0] < 4 ? (sequence[$0], true) : (0, false) }
            var best: (score: Int32, start: Int, forward: Bool)?
            func consider(_ score: Int32, _ start: Int, _ forward: Bool) {
                guard let b = best else { best = (score, start, forward); return }
                if score > b.score || (score == b.score && (start < b.start || (start == b.start && forward && !b.forward))) {
                    best = (score, start, forward)
                }
            }
            scanWords.words.withUnsafeBufferPointer { words in
                scanWords.validRun.withUnsafeBufferPointer { valid in
                    for (scores, forward) in [(plus, true), (minus, false)] {
                        MotifScanner.scanStrand(scores, width: width, threshold: threshold, count: sequence.count, words: words.baseAddress!,
                                                validRun: valid.baseAddress!, candidates: candidates) { consider($1, $0, forward) }
                    }
                }
            }
            if let site = best { sites.append(RegionSite(region: index, start: site.start, width: width, forward: site.forward)) }
        }
        return sites
    }

    /// The frequency matrix of `sites` extended by `siteFlank` bases each side, flanking columns
    /// under 0.3 bits of information (or covered by under half the sites) trimmed, at most
    /// `maxMotifWidth` wide (the less informative end column dropped first).
    func alignedMotif(_ sites: [RegionSite], in sequences: [[UInt8]], id: String) -> Motif {
        let width = sites[0].width, flank = siteFlank
        var columns = [[Double]](repeating: [0, 0, 0, 0], count: width + 2 * flank)
        for site in sites {
            let sequence = sequences[site.region]
            for offset in -flank..<(width + flank) {
                let position = site.forward ? site.start + offset : site.start + width - 1 - offset
                guard position >= 0 && position < sequence.count else { continue }
                let code = Int(sequence[position])
                guard code < 4 else { continue }
                columns[offset + flank][site.forward ? code : 3 - code] += 1
            }
        }
        func information(_ column: [Double]) -> Double {
            let total = column.reduce(0, +)
            guard total >= Double(sites.count) / 2 else { return 0 }
            return Motif.columnInformation(column.map { $0 / total })
        }
        var first = 0, last = columns.count - 1
        while first < flank && information(columns[first]) < 0.3 { first += 1 }
        while last > columns.count - 1 - flank && information(columns[last]) < 0.3 { last -= 1 }
        while last - first + 1 > maxMotifWidth {
            if information(columns[first]) < information(columns[last]) { first += 1 } else { last -= 1 }
        }
        let probabilities = columns[first...last].map { column -> [Double] in
            let total = column.reduce(0, +) + 0.01 * 4
            return column.map { ($0 + 0.01) / total }
        }
        return Motif(id: id, probabilities: probabilities, sites: sites.count)
    }

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
    ///   - maxMotifsPerHead: at most this many motifs per head.
    ///   - comparator: when given, each motif's database matches are filled in.
    ///   - useFocus: also seed motifs from words the head focuses on without enrichment in bound windows.
    ///   - sameFactor: with a comparator, the look-alike class of a database motif (an index into the
    ///     comparator's targets); a motif whose best match (q ≤ `maxQValue`) falls in the class of an earlier
    ///     motif of the same head repeats that motif and is left out, without taking one of the head's places.
    public func motifs(maxQValue: Double = 0.05, maxMotifsPerHead: Int = HeadMotifDiscovery.defaultMaxMotifsPerHead, comparator: MotifComparator? = nil,
                       useFocus: Bool = true, sameFactor: ((Int) -> Int)? = nil) -> [HeadMotif] {
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
        let boundTotal = Double(max(1, boundWindows)), backgroundTotal = Double(max(1, backgroundWindows))
        var result: [HeadMotif] = []
        for head in counts.keys.sorted() {
            // Seeds: words enriched in bound windows (most significant first), then words the head only
            // focuses on (most significant focus first); a group absorbs words of either kind.
            func enriched(_ t: WordTest) -> Bool {
                t.q <= maxQValue && Double(t.bound) / boundTotal > Double(t.background) / backgroundTotal
            }
            let candidates = tests.filter { $0.head == head }
            var pool = candidates.filter(enriched).sorted { ($0.p, $0.word) < ($1.p, $1.word) }
            if useFocus {
                pool += candidates.filter { !enriched($0) && $0.focusQ <= maxQValue }.sorted { ($0.focusP, $0.word) < ($1.focusP, $1.word) }
            }
            pruneRegions(head)
            let support = ExtensionSupport(regions: regions[head] ?? [], k: wordLength)
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
                // A long chain of words may match no site as a whole (words chain through a site's random
                // flanks up to `maxMotifWidth`): then the chain's middle around the seed word (2k bases) starts
                // the consensus round, and failing that the word matrix starts the PWM rounds.
                let core = 2 * wordLength
                let motif = refine(group.consensus, head: head, id: id)
                    ?? (group.consensus.count > core ? refine(group.consensus(aroundSeed: core), head: head, id: id) : nil)
                    ?? rescanned(group.motif(id: id), head: head)
                var found = HeadMotif(head: head, motif: motif, sites: seed.bound + seed.background,
                                      boundFraction: Double(seed.bound) / boundTotal, backgroundFraction: Double(seed.background) / backgroundTotal,
                                      pValue: seed.p, qValue: seed.q, focusFraction: Double(seed.bound + seed.background) / Double(max(1, seed.present)),
                                      expectedFraction: seed.expected, focusPValue: seed.focusP, focusQValue: seed.focusQ)
                if let comparator { found.matches = comparator.compare(motif) }
                if let sameFactor, let match = found.bestMatch, match.qValue <= maxQValue,
                   !factorsSeen.insert(sameFactor(match.targetIndex)).inserted {
                    continue
                }
                number += 1
                result.append(found)
            }
        }
        return result
    }
}

/// Words merged into one motif: base counts per position, grown as words chain onto it.
struct WordGroup {
    var counts: [[Double]]
    let k: Int

    /// Position of the seed word's first base in `counts` (words joining on the left shift it).
    private(set) var seedStart = 0

    init(seed: [Int], weight: Int) {
        k = seed.count
        counts = seed.map { base in (0..<4).map { $0 == base ? Double(weight) : 0 } }
    }

    var consensus: [Int] { counts.map { column in column.indices.max { column[$0] < column[$1] }! } }

    /// At most `length` bases of the consensus, centred on the seed word.
    func consensus(aroundSeed length: Int) -> [Int] {
        let full = consensus
        guard full.count > length else { return full }
        let end = min(full.count, max(0, seedStart - (length - k) / 2) + length)
        return Array(full[(end - length)..<end])
    }

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
                if position < 0 { counts.insert([0, 0, 0, 0], at: 0); seedStart += 1 }
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
    /// Fewest regions holding the edge k bases for the test to apply (a rarer edge is let through).
    static let minimumEdge = 10
    /// Smallest share of the edge's occurrences that continue with the new base.
    static let minimumShare = 0.4

    init(regions: [HeadMotifDiscovery.KeptRegion], k: Int) {
        self.k = k
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
        guard seen >= Self.minimumEdge else { return true }
        return Double(longer[whole]) >= Self.minimumShare * Double(seen)
    }
}
