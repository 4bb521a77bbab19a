import Foundation
import MotifAttnCore

/// Refinement of a head motif from the sites in its head's kept regions: the consensus search (round 0),
/// the PWM rescans and expectation maximisation.
extension HeadMotifDiscovery {
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
    func refine(_ consensus: [Int], head: HeadIndex, id: String) -> Motif? {
        let minimumSites = settings.minimumSites
        pruneRegions(head)
        let kept = regions[head] ?? []
        let sequences = kept.map(\.codes)
        let width = consensus.count
        let allowed = width <= wordLength && settings.exactOneWordConsensus ? 0 : max(1, width / 6)
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
        return rescanned(alignedMotif(sites, in: sequences, id: id), head: head)
    }

    /// `motif` after `refinementRounds` PWM rescans of the head's kept regions (see `refine`); a round
    /// that finds fewer than `minimumSites` sites keeps the motif it started from. When a rescan found
    /// sites, the result is re-estimated by `expectationMaximized`, unless that moved it to another motif.
    func rescanned(_ start: Motif, head: HeadIndex) -> Motif {
        let minimumSites = settings.minimumSites
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
        return estimated.isSameMotif(as: motif, minimumCorrelation: settings.expectationSameMotifCorrelation) ? estimated : motif
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
                        MotifScanner.scanStrand(scores, width: width, threshold: threshold, starts: 0..<(sequence.count - width + 1),
                                                words: words.baseAddress!,
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
}
