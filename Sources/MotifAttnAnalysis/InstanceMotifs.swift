
/// The motifs whose instances the co-attention pairs, with their look-alike classes: the database's
/// motifs (at their database indices), the head motifs discovered in the run, or both.
///
/// A discovered motif joins the class of its best database match when the match is significant, so its
/// sites count with that TF's database motifs (`both`) or with the other discovered motifs matching the
/// same class (`discovered`). A discovered motif without a significant database match joins the class of the
/// matched discovered motif it resembles most, when that comparison is significant (`MotifComparator` against the
/// matched discovered motifs): a short GATA word matrix (`TAGATAAS`) too short to match GATA5 in the database still
/// resembles the run's GATA5-like motif, and its sites are the same factor's. Otherwise it is a class of its own.
public struct InstanceMotifSet: Sendable {
    /// Database motifs (when included) followed by the discovered ones.
    public var motifs: [Motif]
    /// Look-alike classes over `motifs`.
    public var classes: MotifClasses
    /// Index of the first discovered motif in `motifs` (`motifs.count` when none).
    public var discoveredStart: Int

    /// - Parameters:
    ///   - database: the database motifs.
    ///   - databaseClasses: their look-alike classes.
    ///   - discovered: head motifs, with their best database matches.
    ///   - includeDatabase: whether the database motifs are scanned too.
    ///   - maxMatchQValue: largest q-value of a match that puts a discovered motif in its match's class.
    public init(database: [Motif], databaseClasses: MotifClasses, discovered: [HeadMotif], includeDatabase: Bool, maxMatchQValue: Double) {
        motifs = includeDatabase ? database : []
        discoveredStart = motifs.count
        var representative = includeDatabase ? databaseClasses.representative : []
        var firstOfDatabaseClass: [Int: Int] = [:]
        var matched: [Int] = [], unmatched: [Int] = []
        for headMotif in discovered {
            let index = motifs.count
            var motif = headMotif.motif
            var lead = index
            if let match = headMotif.bestMatch, match.qValue <= maxMatchQValue, databaseClasses.representative.indices.contains(match.targetIndex) {
                motif.name = "\(match.targetName.isEmpty ? match.targetID : match.targetName)-like"
                let databaseClass = databaseClasses.representative[match.targetIndex]
                if includeDatabase {
                    lead = databaseClass
                } else {
                    lead = firstOfDatabaseClass[databaseClass, default: index]
                    firstOfDatabaseClass[databaseClass] = lead
                }
                matched.append(index)
            } else {
                motif.name = motif.consensus
                unmatched.append(index)
            }
            motifs.append(motif)
            representative.append(lead)
        }
        if !matched.isEmpty && !unmatched.isEmpty {
            let all = motifs
            let comparator = MotifComparator(targets: matched.map { all[$0] })
            for index in unmatched {
                guard let best = comparator.compare(all[index]).first, best.qValue <= maxMatchQValue else { continue }
                representative[index] = representative[matched[best.targetIndex]]
            }
        }
        classes = MotifClasses(representative: representative)
    }
}

/// Scans a window for instances of database motifs (at the analysis's threshold) and discovered motifs
/// (at their own, width-aware threshold); discovered motifs' indices follow the database's. Safe to share
/// between threads, as its `MotifScanner`s are.
public final class InstanceScanner: @unchecked Sendable {
    private let database: MotifScanner?
    private let discovered: MotifScanner?
    private let discoveredOffset: Int

    public init(database: [Motif], databaseThreshold: InstanceThreshold, discovered: [Motif], discoveredThreshold: InstanceThreshold) {
        self.database = database.isEmpty ? nil : MotifScanner(motifs: database, threshold: databaseThreshold)
        self.discovered = discovered.isEmpty ? nil : MotifScanner(motifs: discovered, threshold: discoveredThreshold)
        discoveredOffset = database.count
    }

    /// Threads that prepare a GC level's motifs (`MotifScanner.preparationThreads`).
    public var preparationThreads: Int {
        get { database?.preparationThreads ?? discovered?.preparationThreads ?? 1 }
        set { database?.preparationThreads = newValue; discovered?.preparationThreads = newValue }
    }

    /// Prepares the GC levels of `sequences` not prepared yet (`MotifScanner.prepareLevels(of:)`).
    public func prepareLevels(of sequences: [[UInt8]]) {
        database?.prepareLevels(of: sequences)
        discovered?.prepareLevels(of: sequences)
    }

    /// Instances in `bases`: the database motifs', then the discovered motifs' (indices shifted past the database).
    public func scan(_ bases: [UInt8]) -> [MotifInstance] { scan(bases, overlapping: nil) }

    /// The instances of `scan(bases)` that overlap `bases[range]` (`MotifScanner.scan(_:overlapping:)`), found by
    /// scoring only the starts that can overlap it; every instance when `range` is nil.
    public func scan(_ bases: [UInt8], overlapping range: Range<Int>?) -> [MotifInstance] {
        func found(_ scanner: MotifScanner?) -> [MotifInstance] {
            guard let scanner else { return [] }
            return range.map { scanner.scan(bases, overlapping: $0) } ?? scanner.scan(bases)
        }
        return found(database) + found(discovered).map { instance in
            var shifted = instance
            shifted.motifIndex += discoveredOffset
            return shifted
        }
    }
}
