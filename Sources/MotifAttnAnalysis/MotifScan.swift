import Foundation
import MotifAttnCore
import MotifAttnKernels

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

    /// Whether two sites are one: they overlap by at least half the shorter of the two (the overlap at which
    /// `bestPerSite` keeps one motif per site).
    public static func sameSite(_ x: Range<Int>, _ y: Range<Int>) -> Bool {
        2 * (min(x.upperBound, y.upperBound) - max(x.lowerBound, y.lowerBound)) >= min(x.count, y.count)
    }

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
            let clashes = kept.contains { k in Self.sameSite(x.start..<x.end, instances[k].start..<instances[k].end) }
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
        var next = distribution
        distribution[0] = 1
        var reach = 0
        for (column, probabilities) in zip(integerScores, drawing) {
            // next[t] = Σ_b distribution[t − column[b]]·probabilities[b], one contiguous pass per base. The bases
            // go by falling score (ties by base), the order in which a pass over s = 0...reach, then b, adds
            // them to each next[t]: the sums are the same to the bit, and the passes vectorise.
            let bases = (0..<4).sorted { (column[$0], $1) > (column[$1], $0) }
            next.withUnsafeMutableBufferPointer { out in
                distribution.withUnsafeBufferPointer { from in
                    for i in 0...(reach + column.max()!) { out[i] = 0 }
                    for b in bases {
                        let p = probabilities[b], target = out.baseAddress! + column[b], source = from.baseAddress!
                        for s in 0...reach { target[s] += source[s] * p }
                    }
                }
            }
            reach += column.max()!
            swap(&distribution, &next)
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

/// One strand's `ChunkedStrandScores` read through pointers (memory owned elsewhere).
struct StrandTables {
    let chunkStart: UnsafePointer<Int>
    let table: UnsafePointer<Int16>
    let bestAfter: UnsafePointer<Int32>
    let chunks: Int
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
/// a base other than `A C G T` are skipped. Safe to share between threads: the cache is built under a lock.
///
/// Each strand of a motif is scored through 3-base word tables with early rejection
/// (`ChunkedStrandScores`); the cache keeps, per GC level and motif, those tables, the
/// log-odds and only the tail of the score distribution at and above the threshold.
public final class MotifScanner: @unchecked Sendable {
    /// The motifs scanned for, in the order of `MotifInstance.motifIndex`.
    public let motifs: [Motif]
    /// Which p-value a site must reach, per motif.
    public let threshold: InstanceThreshold
    /// Largest p-value reported by motifs long enough to reach it (FIMO's default 1e-4).
    public var pValueThreshold: Double { threshold.pValue }
    /// Pseudocount added to motif probabilities.
    public let pseudocount: Double
    /// Threads that prepare the motifs of a GC level the first time a window of that GC is scanned (the exact
    /// score distributions: the costly part of a short scan). The result does not depend on it.
    public var preparationThreads = 1
    /// Prepared motifs per GC level (guarded by `cacheLock`).
    private var cache: [Int: PreparedLevel] = [:]
    private let cacheLock = NSLock()

    /// The motifs prepared for one GC level, and their chunk tables copied into memory the level owns, so
    /// that the scan loop reads plain pointers (no reference counting shared between threads). The tables are
    /// kept there only, since a scan prepares a level for every 1 % of GC its windows span.
    private final class PreparedLevel {
        let motifs: [Prepared]
        /// Per motif: width, threshold and both strands' tables, pointing into `arena`.
        let scanning: [ScanEntry]
        private let arena: UnsafeMutableRawPointer

        struct ScanEntry {
            var width: Int
            var threshold: Int32
            var plus: StrandTables
            var minus: StrandTables
        }

        init(motifs built: [(motif: Prepared, plus: ChunkedStrandScores, minus: ChunkedStrandScores)]) {
            motifs = built.map(\.motif)
            func bytes(_ s: ChunkedStrandScores) -> Int {
                s.chunkStart.count * MemoryLayout<Int>.stride + s.bestAfter.count * MemoryLayout<Int32>.stride
                    + s.table.count * MemoryLayout<Int16>.stride
            }
            let slack = 2 * MemoryLayout<Int>.alignment  // alignment padding after each strand's tables
            let total = built.reduce(0) { $0 + bytes($1.plus) + bytes($1.minus) + slack }
            arena = .allocate(byteCount: max(1, total), alignment: MemoryLayout<Int>.alignment)
            var cursor = arena
            func copy(_ s: ChunkedStrandScores) -> StrandTables {
                let chunkStart = cursor.bindMemory(to: Int.self, capacity: s.chunkStart.count)
                chunkStart.initialize(from: s.chunkStart, count: s.chunkStart.count)
                cursor += s.chunkStart.count * MemoryLayout<Int>.stride
                let bestAfter = cursor.bindMemory(to: Int32.self, capacity: s.bestAfter.count)
                bestAfter.initialize(from: s.bestAfter, count: s.bestAfter.count)
                cursor += s.bestAfter.count * MemoryLayout<Int32>.stride
                let table = cursor.bindMemory(to: Int16.self, capacity: s.table.count)
                table.initialize(from: s.table, count: s.table.count)
                cursor += s.table.count * MemoryLayout<Int16>.stride
                // Keep the next block aligned for Int.
                let misalignment = Int(bitPattern: cursor) % MemoryLayout<Int>.alignment
                if misalignment != 0 { cursor += MemoryLayout<Int>.alignment - misalignment }
                return StrandTables(chunkStart: chunkStart, table: table, bestAfter: bestAfter, chunks: s.chunkStart.count)
            }
            scanning = built.map { m in
                ScanEntry(width: m.motif.width, threshold: Int32(m.motif.threshold), plus: copy(m.plus), minus: copy(m.minus))
            }
        }

        deinit { arena.deallocate() }
    }

    private final class Prepared {
        var width: Int
        var threshold: Int
        /// `survival` of the scoring matrix from `threshold` on (p-values of reportable scores only).
        var tail: [Double]
        /// Log-odds in bits, `[position * 4 + base]`.
        var logOdds: [Double]

        init(width: Int, threshold: Int, tail: [Double], logOdds: [Double]) {
            self.width = width
            self.threshold = threshold
            self.tail = tail
            self.logOdds = logOdds
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

    private static func levelKey(_ background: [Double]) -> Int { Int((background[1] * 200).rounded()) }

    private func prepared(for background: [Double]) -> PreparedLevel {
        let key = Self.levelKey(background)
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let hit = cache[key] { return hit }
        let level = PreparedLevel(motifs: parallelMap(count: motifs.count, threads: preparationThreads) { prepare(motif: $0, background: background) })
        cache[key] = level
        return level
    }

    /// Prepares the GC levels of `sequences` that are not prepared yet, all at once on `preparationThreads`
    /// threads, so that scans of them (from any thread) find their matrices ready. Call it before scanning a
    /// batch from several threads: a level prepared on first use is built by the thread that needs it while
    /// the others wait.
    public func prepareLevels(of sequences: [[UInt8]]) {
        var backgrounds: [Int: [Double]] = [:]
        for bases in sequences {
            let background = Self.background(of: bases)
            backgrounds[Self.levelKey(background)] = background
        }
        cacheLock.lock()
        defer { cacheLock.unlock() }
        let missing = backgrounds.keys.filter { cache[$0] == nil }.sorted()
        guard !missing.isEmpty else { return }
        let count = motifs.count
        let built = parallelMap(count: missing.count * count, threads: preparationThreads) { i in
            prepare(motif: i % count, background: backgrounds[missing[i / count]]!)
        }
        for (j, key) in missing.enumerated() { cache[key] = PreparedLevel(motifs: Array(built[(j * count)..<((j + 1) * count)])) }
    }

    /// Motif `index` prepared for `background`, with both strands' chunk tables (which its level copies).
    private func prepare(motif index: Int, background: [Double]) -> (motif: Prepared, plus: ChunkedStrandScores, minus: ChunkedStrandScores) {
        let matrix = ScoringMatrix(motif: motifs[index], background: background, pseudocount: pseudocount)
        let threshold = matrix.threshold(pValue: self.threshold.pValue(for: matrix))
        let reverse = matrix.integerScores.reversed().map { Array($0.reversed()) }
        let prepared = Prepared(width: matrix.integerScores.count, threshold: threshold,
                                tail: threshold < matrix.survival.count ? Array(matrix.survival[threshold...]) : [],
                                logOdds: matrix.logOdds.flatMap { $0 })
        return (prepared, ChunkedStrandScores(integerScores: matrix.integerScores), ChunkedStrandScores(integerScores: reverse))
    }

    /// The log-odds (bits, `[position · 4 + base]`) of motif `index` on windows of this composition: those of
    /// `scoringMatrix(motifIndex:for:)`, from the scanner's cache.
    public func logOdds(motifIndex index: Int, for bases: [UInt8]) -> [Double] {
        prepared(for: Self.background(of: bases)).motifs[index].logOdds
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
        scan(bases, composition: composition, overlapping: nil)
    }

    /// The instances with p ≤ the threshold that overlap `bases[range]`, sorted by start, strand and motif: the
    /// instances of `scan(bases)` that overlap the range, found by scoring only the starts that can overlap it.
    public func scan(_ bases: [UInt8], overlapping range: Range<Int>) -> [MotifInstance] {
        scan(bases, composition: nil, overlapping: range)
    }

    private func scan(_ bases: [UInt8], composition: [UInt8]?, overlapping range: Range<Int>?) -> [MotifInstance] {
        let level = prepared(for: Self.background(of: composition ?? bases))
        let n = bases.count
        let scanWords = ScanWords(count: n) { Self.code(bases[$0]) }
        // The starts that pass `scanStrand`'s first stage.
        let candidates = UnsafeMutablePointer<Int32>.allocate(capacity: n + 1)
        defer { candidates.deallocate() }
        var found: [(index: Int, start: Int, strand: Strand, score: Int32)] = []
        scanWords.words.withUnsafeBufferPointer { word in
            scanWords.validRun.withUnsafeBufferPointer { valid in
                level.scanning.withUnsafeBufferPointer { entries in
                    for index in 0..<entries.count {
                        let entry = entries[index], width = entry.width
                        guard width <= n else { continue }
                        var starts = 0..<(n - width + 1)
                        if let range {
                            starts = starts.clamped(to: max(0, range.lowerBound - width + 1)..<max(0, range.upperBound))
                            if starts.isEmpty { continue }
                        }
                        Self.scanStrand(entry.plus, width: width, threshold: entry.threshold, starts: starts,
                                        words: word.baseAddress!, validRun: valid.baseAddress!, candidates: candidates) { start, score in
                            found.append((index, start, .plus, score))
                        }
                        Self.scanStrand(entry.minus, width: width, threshold: entry.threshold, starts: starts,
                                        words: word.baseAddress!, validRun: valid.baseAddress!, candidates: candidates) { start, score in
                            found.append((index, start, .minus, score))
                        }
                    }
                }
            }
        }
        var instances = found.map { instance($0.index, level.motifs[$0.index], $0.start, $0.strand, Int($0.score), bases) }
        instances.sort { ($0.start, $0.strand == .plus ? 0 : 1, $0.motifIndex) < ($1.start, $1.strand == .plus ? 0 : 1, $1.motifIndex) }
        return instances
    }

    /// Calls `hit` for every start in `starts` whose integer score on this strand reaches `threshold`
    /// (`scanStrand` of the tables in place).
    @inline(__always)
    static func scanStrand(_ scores: ChunkedStrandScores, width: Int, threshold: Int32, starts: Range<Int>,
                           words: UnsafePointer<UInt8>, validRun: UnsafePointer<Int>,
                           candidates: UnsafeMutablePointer<Int32>, hit: (Int, Int32) -> Void) {
        scores.chunkStart.withUnsafeBufferPointer { chunkStart in
            scores.table.withUnsafeBufferPointer { table in
                scores.bestAfter.withUnsafeBufferPointer { bestAfter in
                    let tables = StrandTables(chunkStart: chunkStart.baseAddress!, table: table.baseAddress!,
                                              bestAfter: bestAfter.baseAddress!, chunks: chunkStart.count)
                    scanStrand(tables, width: width, threshold: threshold, starts: starts, words: words, validRun: validRun,
                               candidates: candidates, hit: hit)
                }
            }
        }
    }

    /// Calls `hit` for every start in `starts` whose integer score on this strand reaches `threshold`.
    ///
    /// Two stages: a branch-free pass (`tableFirstStage`, 32 starts a step on AVX-512BW or AVX2) adds the first
    /// `firstStage` chunks' scores at every start and keeps the starts that can still reach the threshold
    /// (in `candidates`, room for every start and one more); only
    /// those go on, chunk by chunk, with early rejection.
    @inline(__always)
    static func scanStrand(_ scores: StrandTables, width: Int, threshold: Int32, starts: Range<Int>,
                           words: UnsafePointer<UInt8>, validRun: UnsafePointer<Int>,
                           candidates: UnsafeMutablePointer<Int32>, hit: (Int, Int32) -> Void) {
        let size = ChunkedStrandScores.tableSize
        let chunks = scores.chunks, chunkStart = scores.chunkStart, table = scores.table, bestAfter = scores.bestAfter
        let t0 = table, t1 = t0 + size, t2 = t1 + size
        let w0 = words + chunkStart[0], w1 = words + chunkStart[1], w2 = words + chunkStart[2]
        let need = threshold &- bestAfter[2]
        let kept = tableFirstStage(words: (w0, w1, w2), tables: (t0, t1, t2), need: need, starts: starts, candidates: candidates)
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
