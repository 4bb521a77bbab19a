import Foundation
import MotifAttnCore

/// One occurrence of a motif in a window, as found by a PWM scan.
public struct MotifInstance: Sendable, Hashable {
    /// Index of the motif in the scanner's motif list.
    public var motifIndex: Int
    /// Identifier of the motif (`MA0139.2`).
    public var motifID: String
    /// 0-based first base of the site in the window's bases.
    public var start: Int
    /// 0-based end (exclusive) of the site in the window's bases.
    public var end: Int
    /// Strand of the window's bases the motif reads on.
    public var strand: Strand
    /// Log-odds score of the site in bits.
    public var score: Double
    /// Probability that a random site of the window's composition scores at least as high.
    public var pValue: Double

    /// Creates an instance.
    public init(motifIndex: Int, motifID: String, start: Int, end: Int, strand: Strand, score: Double, pValue: Double) {
        self.motifIndex = motifIndex
        self.motifID = motifID
        self.start = start
        self.end = end
        self.strand = strand
        self.score = score
        self.pValue = pValue
    }

    /// Base position halfway through the site (in window coordinates, may end in .5).
    public var center: Double { Double(start + end) / 2 }

    /// One instance per site: instances sorted by p-value (then motif index, start) are kept greedily unless
    /// they overlap an instance already kept by at least half of the shorter site.
    ///
    /// Databases such as JASPAR hold many similar motifs (a dozen bHLH E-boxes), so one site often
    /// matches several of them; keeping only the best-matching motif per site stops a site's
    /// co-attention from being counted once per look-alike motif. The result is in input order.
    public static func bestPerSite(_ instances: [MotifInstance]) -> [MotifInstance] {
        guard instances.count > 1 else { return instances }
        let order = instances.indices.sorted {
            let a = instances[$0], b = instances[$1]
            return (a.pValue, a.motifIndex, a.start, $0) < (b.pValue, b.motifIndex, b.start, $1)
        }
        var kept: [Int] = []
        for i in order {
            let x = instances[i]
            let clashes = kept.contains { k in
                let y = instances[k]
                let overlap = min(x.end, y.end) - max(x.start, y.start)
                return 2 * overlap >= min(x.end - x.start, y.end - y.start)
            }
            if !clashes { kept.append(i) }
        }
        return kept.sorted().map { instances[$0] }
    }
}

/// A motif turned into a log-odds scoring matrix against one background, with its exact score distribution.
///
/// As FIMO: probabilities get a pseudocount spread by the background,
/// `p' = (p·n + a·bg) / (n + a)` with `n` the motif's site count and `a` the
/// pseudocount (0.1); the score of base `b` at position `j` is `log2(p'[j][b] / bg[b])`.
/// Scores are scaled to integers (`round((s − min)·R/(max − min))`, `R` = 100 per
/// position) and the exact distribution of the summed integer score of a random
/// site drawn from the background is computed by dynamic programming; p-values
/// are its upper tail.
public struct ScoringMatrix: Sendable {
    /// Log-odds scores in bits, `[position][A C G T]`.
    public var logOdds: [[Double]]
    /// Integer-scaled scores, `[position][A C G T]`, each in `0...R`.
    public var integerScores: [[Int]]
    /// `survival[s]` = probability that a background site's integer score is at least `s`.
    public var survival: [Double]
    /// Background probabilities of `A C G T` used.
    public var background: [Double]

    /// Builds the matrix of `motif` against `background` (probabilities of `A C G T`).
    public init(motif: Motif, background: [Double], pseudocount: Double = 0.1, range: Int = 100) {
        self.background = background
        let n = Double(motif.sites)
        logOdds = motif.probabilities.map { column in
            (0..<4).map { b in log2(((column[b] * n + pseudocount * background[b]) / (n + pseudocount)) / background[b]) }
        }
        let low = logOdds.joined().min()!, high = logOdds.joined().max()!
        let factor = high > low ? Double(range) / (high - low) : 0
        integerScores = logOdds.map { column in column.map { Int((($0 - low) * factor).rounded()) } }
        survival = Self.upperTail(of: integerScores, highest: integerScores.count * range,
                                  drawing: Array(repeating: background, count: integerScores.count))
    }

    /// `result[s]` for `s` in `0...highest + 1`: probability that a site whose base at position `j` is `b` with
    /// probability `drawing[j][b]` has a summed integer score of at least `s` (exact, by dynamic programming over
    /// positions; `highest` bounds the summed score).
    static func upperTail(of integerScores: [[Int]], highest: Int, drawing: [[Double]]) -> [Double] {
        var distribution = [Double](repeating: 0, count: highest + 1)
        distribution[0] = 1
        var reach = 0
        for (column, probabilities) in zip(integerScores, drawing) {
            var next = [Double](repeating: 0, count: distribution.count)
            for s in 0...reach where distribution[s] > 0 {
                for b in 0..<4 { next[s + column[b]] += distribution[s] * probabilities[b] }
            }
            reach += column.max()!
            distribution = next
        }
        var tail = [Double](repeating: 0, count: distribution.count + 1)
        for s in stride(from: distribution.count - 1, through: 0, by: -1) { tail[s] = tail[s + 1] + distribution[s] }
        return tail
    }

    /// P-value of an integer score (probability a background site scores at least that).
    public func pValue(integerScore: Int) -> Double {
        if integerScore <= 0 { return 1 }
        if integerScore >= survival.count { return 0 }
        return min(1, survival[integerScore])
    }

    /// Smallest integer score whose p-value is at most `p` (beyond the maximum if none is).
    public func threshold(pValue p: Double) -> Int {
        for s in 0..<survival.count where survival[s] <= p { return s }
        return survival.count
    }

    /// Largest integer score that at least `fraction` of the motif's own sites reach (`ownSurvival`).
    public func scoreReached(byFraction fraction: Double) -> Int {
        let own = ownSurvival()
        for s in stride(from: own.count - 1, through: 0, by: -1) where own[s] >= fraction { return s }
        return 0
    }

    /// `ownSurvival()[s]`: probability that a site drawn from the motif's own (pseudocounted) probabilities,
    /// `background[b] · 2^logOdds[j][b]`, has an integer score of at least `s` (the same dynamic programming
    /// as `survival`, which draws from the background).
    public func ownSurvival() -> [Double] {
        let own = logOdds.map { column in (0..<4).map { background[$0] * exp2(column[$0]) } }
        return Self.upperTail(of: integerScores, highest: survival.count - 2, drawing: own)
    }
}

/// Which p-value a site must reach to count as an instance of a motif.
///
/// FIMO uses one p-value (1e-4) for every motif. A short motif (JASPAR's GATA5 is 8 columns) cannot
/// reach it with most of its own sites: only a third of sites drawn from GATA5 itself score p ≤ 1e-4.
/// With `recall` above 0, a motif whose own sites mostly fall short gets a looser threshold: the p-value
/// of the score that a fraction `recall` of its own sites reach, but never looser than `ceiling`.
/// Motifs long enough to reach `pValue` with that fraction of their sites keep `pValue`.
public struct InstanceThreshold: Sendable, Equatable {
    /// Threshold of motifs long enough to reach it (FIMO's 1e-4).
    public var pValue: Double
    /// Fraction of a motif's own sites the threshold should admit (0: `pValue` for every motif).
    public var recall: Double
    /// Loosest threshold any motif gets.
    public var ceiling: Double

    /// Creates a rule, e.g. p ≤ 1e-4, loosened for short motifs up to half their own sites and at most p ≤ 1e-3.
    public init(pValue: Double = 1e-4, recall: Double = 0.5, ceiling: Double = 1e-3) {
        self.pValue = pValue
        self.recall = recall
        self.ceiling = max(ceiling, pValue)
    }

    /// One p-value for every motif, as FIMO.
    public static func fixed(_ pValue: Double) -> InstanceThreshold { InstanceThreshold(pValue: pValue, recall: 0, ceiling: pValue) }

    /// The p-value threshold of the motif behind `matrix`.
    public func pValue(for matrix: ScoringMatrix) -> Double {
        guard recall > 0, ceiling > pValue else { return pValue }
        let own = matrix.pValue(integerScore: matrix.scoreReached(byFraction: recall))
        return min(ceiling, max(pValue, own))
    }
}

/// One strand of a motif as lookup tables over 3-base words, for scanning with early rejection.
///
/// The columns are cut into chunks of three (the last may be shorter). Each chunk has a table of its
/// summed integer score for every 3-base word (64 entries; a shorter chunk ignores the word's last
/// bases). Chunks are visited in decreasing order of their score range, and `bestAfter[k]` is the
/// most the chunks after the k-th can still add, so a start whose running score plus `bestAfter`
/// falls below the threshold is rejected early. There are always at least `firstStage` chunks
/// (all-zero ones pad short motifs). The accepted scores are exactly the integer scores of
/// `ScoringMatrix` (the same sum, regrouped). Tables are small (16-bit, 128 bytes a chunk) because
/// the scan is bound by fetching them: all of JASPAR's take about 1 MB per GC level.
struct ChunkedStrandScores {
    /// Bases per chunk and entries per chunk table.
    static let chunkBases = 3, tableSize = 64
    /// Chunks summed for every start before the first rejection.
    static let firstStage = 3
    /// Column where each chunk starts, in visiting order.
    var chunkStart: [Int]
    /// `[chunk * tableSize + word]`, chunks in visiting order.
    var table: [Int16]
    /// Most the chunks after position k of the visiting order can add.
    var bestAfter: [Int32]

    init(integerScores: [[Int]]) {
        let width = integerScores.count
        var chunks: [(start: Int, table: [Int16], range: Int)] = []
        for first in stride(from: 0, to: width, by: Self.chunkBases) {
            let columns = min(Self.chunkBases, width - first)
            var table = [Int16](repeating: 0, count: Self.tableSize)
            for word in 0..<Self.tableSize {
                var score = 0
                for j in 0..<columns { score += integerScores[first + j][(word >> (2 * (Self.chunkBases - 1 - j))) & 3] }
                table[word] = Int16(score)
            }
            chunks.append((first, table, Int(table.max()!) - Int(table.min()!)))
        }
        // Most discriminating chunk first (ties by position, so the order is fixed).
        chunks.sort { ($0.range, -$0.start) > ($1.range, -$1.start) }
        while chunks.count < Self.firstStage { chunks.append((0, [Int16](repeating: 0, count: Self.tableSize), 0)) }
        chunkStart = chunks.map(\.start)
        table = chunks.flatMap(\.table)
        var after = [Int32](repeating: 0, count: chunks.count)
        var best: Int32 = 0
        for k in stride(from: chunks.count - 1, through: 0, by: -1) {
            after[k] = best
            best += Int32(chunks[k].table.max()!)
        }
        bestAfter = after
    }
}

/// A sequence as the table scan reads it: the 3-base word starting at each position (2 bits a base,
/// first base highest; past the end and non-ACGT bases count as A) and the run of valid bases from each
/// position, so that sites holding anything but A, C, G or T are skipped.
struct ScanWords {
    var words: [UInt8]
    var validRun: [Int]

    /// `code(i)`: base i's 2-bit code and whether it is one of A, C, G, T.
    init(count n: Int, code: (Int) -> (value: UInt8, valid: Bool)) {
        let shift = 2 * (ChunkedStrandScores.chunkBases - 1)
        words = [UInt8](repeating: 0, count: n + ChunkedStrandScores.chunkBases)
        validRun = [Int](repeating: 0, count: n + 1)
        var word = 0
        for i in stride(from: words.count - 1, through: 0, by: -1) {
            let c = i < n ? code(i) : (value: 0, valid: false)
            word = (word >> 2) | (Int(c.value) << shift)
            words[i] = UInt8(word)
            if i < n { validRun[i] = c.valid ? validRun[i + 1] + 1 : 0 }
        }
    }
}

/// Scans windows for motif instances as FIMO does: both strands, exact p-values, p ≤ threshold
/// (one threshold for all motifs, or loosened for short motifs: `InstanceThreshold`).
///
/// The background of each window is its own base composition, made
/// strand-symmetric (A = T, C = G, since both strands are scanned), with one
/// pseudocount per base, and rounded to 1 % GC so that matrices and their score
/// distributions are built once per motif and GC level and reused. Sites holding
/// a base other than `A C G T` are skipped. Owns a cache, so use one scanner per thread.
///
/// Each strand of a motif is scored through 3-base word tables with early rejection
/// (`ChunkedStrandScores`); the cache keeps, per GC level and motif, those tables, the
/// log-odds and only the tail of the score distribution at and above the threshold.
public final class MotifScanner {
    /// The motifs scanned for, in the order of `MotifInstance.motifIndex`.
    public let motifs: [Motif]
    /// Which p-value a site must reach, per motif.
    public let threshold: InstanceThreshold
    /// Largest p-value reported by motifs long enough to reach it (FIMO's default 1e-4).
    public var pValueThreshold: Double { threshold.pValue }
    /// Pseudocount added to motif probabilities.
    public let pseudocount: Double
    private var cache: [Int: [Prepared]] = [:]
    /// Scratch for `scanStrand`: the starts that pass its first stage.
    private var candidates = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private var candidateCapacity = 1

    private final class Prepared {
        var width: Int
        var threshold: Int
        /// `survival` of the scoring matrix from `threshold` on (p-values of reportable scores only).
        var tail: [Double]
        /// Log-odds in bits, `[position * 4 + base]`.
        var logOdds: [Double]
        var plus: ChunkedStrandScores
        var minus: ChunkedStrandScores

        init(width: Int, threshold: Int, tail: [Double], logOdds: [Double], plus: ChunkedStrandScores, minus: ChunkedStrandScores) {
            self.width = width
            self.threshold = threshold
            self.tail = tail
            self.logOdds = logOdds
            self.plus = plus
            self.minus = minus
        }
    }

    /// Creates a scanner for `motifs` with one p-value threshold for every motif, as FIMO.
    public convenience init(motifs: [Motif], pValueThreshold: Double = 1e-4, pseudocount: Double = 0.1) {
        self.init(motifs: motifs, threshold: .fixed(pValueThreshold), pseudocount: pseudocount)
    }

    /// Creates a scanner for `motifs` whose per-motif p-value thresholds follow `threshold`.
    public init(motifs: [Motif], threshold: InstanceThreshold, pseudocount: Double = 0.1) {
        self.motifs = motifs
        self.threshold = threshold
        self.pseudocount = pseudocount
    }

    deinit { candidates.deallocate() }

    /// Strand-symmetric background of `bases` with one pseudocount per base, rounded to 1 % GC.
    public static func background(of bases: [UInt8]) -> [Double] {
        var gc = 1, at = 1 // one pseudocount for each of the four bases, paired
        for base in bases {
            switch base {
            case UInt8(ascii: "C"), UInt8(ascii: "G"), UInt8(ascii: "c"), UInt8(ascii: "g"): gc += 1
            case UInt8(ascii: "A"), UInt8(ascii: "T"), UInt8(ascii: "a"), UInt8(ascii: "t"): at += 1
            default: break
            }
        }
        let percent = (100 * Double(gc) / Double(gc + at)).rounded()
        let g = percent / 200
        return [0.5 - g, g, g, 0.5 - g]
    }

    private func prepared(for background: [Double]) -> [Prepared] {
        let key = Int((background[1] * 200).rounded())
        if let hit = cache[key] { return hit }
        let built = motifs.map { motif -> Prepared in
            let matrix = ScoringMatrix(motif: motif, background: background, pseudocount: pseudocount)
            let threshold = matrix.threshold(pValue: self.threshold.pValue(for: matrix))
            let reverse = matrix.integerScores.reversed().map { Array($0.reversed()) }
            return Prepared(width: matrix.integerScores.count, threshold: threshold,
                            tail: threshold < matrix.survival.count ? Array(matrix.survival[threshold...]) : [],
                            logOdds: matrix.logOdds.flatMap { $0 },
                            plus: ChunkedStrandScores(integerScores: matrix.integerScores),
                            minus: ChunkedStrandScores(integerScores: reverse))
        }
        cache[key] = built
        return built
    }

    /// The scoring matrix used for motif `index` on windows of this composition.
    public func scoringMatrix(motifIndex index: Int, for bases: [UInt8]) -> ScoringMatrix {
        ScoringMatrix(motif: motifs[index], background: Self.background(of: bases), pseudocount: pseudocount)
    }

    /// All instances with p ≤ the threshold, sorted by start, strand and motif.
    ///
    /// `composition`, when given, sets the background instead of `bases` (scanning a stretch of a longer
    /// window with the p-values a scan of the whole window gives).
    public func scan(_ bases: [UInt8], composition: [UInt8]? = nil) -> [MotifInstance] {
        let tables = prepared(for: Self.background(of: composition ?? bases))
        let n = bases.count
        let scanWords = ScanWords(count: n) { Self.code(bases[$0]) }
        if candidateCapacity < n + 1 {
            candidates.deallocate()
            candidateCapacity = n + 1
            candidates = .allocate(capacity: candidateCapacity)
        }
        let candidates = self.candidates
        var found: [MotifInstance] = []
        scanWords.words.withUnsafeBufferPointer { word in
            scanWords.validRun.withUnsafeBufferPointer { valid in
                for (index, prepared) in tables.enumerated() {
                    let width = prepared.width
                    guard width <= n else { continue }
                    let threshold = Int32(prepared.threshold)
                    Self.scanStrand(prepared.plus, width: width, threshold: threshold, count: n,
                                    words: word.baseAddress!, validRun: valid.baseAddress!, candidates: candidates) { start, score in
                        found.append(instance(index, prepared, start, .plus, Int(score), bases))
                    }
                    Self.scanStrand(prepared.minus, width: width, threshold: threshold, count: n,
                                    words: word.baseAddress!, validRun: valid.baseAddress!, candidates: candidates) { start, score in
                        found.append(instance(index, prepared, start, .minus, Int(score), bases))
                    }
                }
            }
        }
        found.sort { ($0.start, $0.strand == .plus ? 0 : 1, $0.motifIndex) < ($1.start, $1.strand == .plus ? 0 : 1, $1.motifIndex) }
        return found
    }

    /// Calls `hit` for every start whose integer score on this strand reaches `threshold`.
    ///
    /// Two stages: a branch-free pass adds the first `firstStage` chunks' scores at every start and keeps
    /// the starts that can still reach the threshold (in `candidates`, room for `count` starts); only
    /// those go on, chunk by chunk, with early rejection.
    @inline(__always)
    static func scanStrand(_ scores: ChunkedStrandScores, width: Int, threshold: Int32, count n: Int,
                                   words: UnsafePointer<UInt8>, validRun: UnsafePointer<Int>,
                                   candidates: UnsafeMutablePointer<Int32>, hit: (Int, Int32) -> Void) {
        scores.chunkStart.withUnsafeBufferPointer { chunkStart in
            scores.table.withUnsafeBufferPointer { table in
                scores.bestAfter.withUnsafeBufferPointer { bestAfter in
                    let size = ChunkedStrandScores.tableSize
                    let chunks = chunkStart.count, starts = n - width + 1
                    let t0 = table.baseAddress!, t1 = t0 + size, t2 = t1 + size
                    let w0 = words + chunkStart[0], w1 = words + chunkStart[1], w2 = words + chunkStart[2]
                    let need = threshold &- bestAfter[2]
                    var kept = 0
                    for start in 0..<starts {
                        let score = Int32(t0[Int(w0[start])]) &+ Int32(t1[Int(w1[start])]) &+ Int32(t2[Int(w2[start])])
                        candidates[kept] = Int32(truncatingIfNeeded: start)
                        kept &+= score >= need ? 1 : 0
                    }
                    for c in 0..<kept {
                        let start = Int(candidates[c])
                        if validRun[start] < width { continue }
                        var score = Int32(t0[Int(w0[start])]) &+ Int32(t1[Int(w1[start])]) &+ Int32(t2[Int(w2[start])])
                        var k = 3
                        while k < chunks {
                            score &+= Int32(table[k &* size &+ Int(words[start &+ chunkStart[k]])])
                            if score &+ bestAfter[k] < threshold { break }
                            k &+= 1
                        }
                        if k == chunks { hit(start, score) }
                    }
                }
            }
        }
    }

    private func instance(_ index: Int, _ table: Prepared, _ start: Int, _ strand: Strand, _ integer: Int, _ bases: [UInt8]) -> MotifInstance {
        let width = table.width
        var score = 0.0
        for j in 0..<width {
            let base = Int(Self.code(bases[start + j]).value)
            score += strand == .plus ? table.logOdds[j * 4 + base] : table.logOdds[(width - 1 - j) * 4 + 3 - base]
        }
        let offset = integer - table.threshold
        let pValue = offset < table.tail.count ? min(1, table.tail[offset]) : 0
        return MotifInstance(motifIndex: index, motifID: motifs[index].id, start: start, end: start + width, strand: strand,
                             score: score, pValue: pValue)
    }

    /// A base's 2-bit code (A C G T = 0 1 2 3, either case) and whether it is one of them.
    @inline(__always)
    static func code(_ base: UInt8) -> (value: UInt8, valid: Bool) {
        let code = Nucleotides.code(base)
        return (code ?? 0, code != nil)
    }
}
