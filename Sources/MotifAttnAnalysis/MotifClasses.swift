import Foundation
import MotifAttnCore
import MotifAttnIO

/// Classes of look-alike motifs: database motifs whose instances the PWM scan cannot tell apart.
///
/// JASPAR holds 52 ETS motifs, 47 E-box bHLH motifs, several GATA and MAF motifs. The co-attention keeps
/// one motif per site (`MotifInstance.bestPerSite`), and at a site of one TF the best-scoring motif is a
/// lottery among its look-alikes (and random long motifs), so one interacting pair of TFs is split
/// into many weak motif pairs. The co-attention therefore pairs classes: each kept instance is counted
/// under its class's representative, and `interactions.tsv` lists the members.
///
/// Classes come from the scan itself (`SiteClaims`, every motif passing at sites drawn from each motif):
/// two motifs are look-alikes when each passes at at least `minimumShare` as many of the other's drawn
/// sites as the other passes at itself (mutual, so a composite motif that holds an ETS half does not
/// join the ETS class, whose members rarely pass at its sites). Classes are the connected groups of that
/// relation. The representative is the member that passes at the most of its class-mates' drawn sites
/// (relative to their own), ties to the earlier motif.
public struct MotifClasses: Sendable, Equatable {
    /// Representative motif (an index into the database) of each motif's class.
    public var representative: [Int]
    /// Members of each class, by representative; the representative first, then in database order.
    public var members: [Int: [Int]]

    /// Every motif in a class of its own.
    public static func singletons(count: Int) -> MotifClasses {
        MotifClasses(representative: Array(0..<count), members: Dictionary(uniqueKeysWithValues: (0..<count).map { ($0, [$0]) }))
    }

    /// Share of the other motif's own passing count a motif must reach at its drawn sites (both ways).
    public static let minimumShare = 0.5
    /// A motif passing at fewer of its own drawn sites counts as passing at this many (so that a motif that
    /// rarely passes at its own sites does not join every class by a handful of chance hits).
    public static let minimumOwnPassing = 3

    /// Classes from `passing[a][b]`, the drawn sites of motif `a` at which motif `b` passes
    /// (`SiteClaims.measure(..., everyPassing: true)`).
    public init(passing: [[Int: Int]]) {
        let n = passing.count
        func share(_ a: Int, _ b: Int) -> Double {
            Double(passing[a][b, default: 0]) / Double(max(Self.minimumOwnPassing, passing[a][a, default: 0]))
        }
        var parent = Array(0..<n)
        func root(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        for a in 0..<n {
            for b in passing[a].keys.sorted() where b > a && b < n {
                guard share(a, b) >= Self.minimumShare && share(b, a) >= Self.minimumShare else { continue }
                let (x, y) = (root(a), root(b))
                if x != y { parent[max(x, y)] = min(x, y) }
            }
        }
        var groups: [Int: [Int]] = [:]
        for a in 0..<n { groups[root(a), default: []].append(a) }
        var representative = Array(0..<n)
        var members: [Int: [Int]] = [:]
        for group in groups.values {
            let centrality = group.map { m in group.reduce(0.0) { $0 + ($1 == m ? 0 : share($1, m)) } }
            let lead = group.indices.max { (centrality[$0], -group[$0]) < (centrality[$1], -group[$1]) }.map { group[$0] }!
            for m in group { representative[m] = lead }
            members[lead] = [lead] + group.filter { $0 != lead }
        }
        self.init(representative: representative, members: members)
    }

    /// Measures the classes of `motifs` at the instance thresholds the analysis uses.
    public static func measure(_ motifs: [Motif], threshold: InstanceThreshold, settings: SiteClaims.Settings = SiteClaims.Settings(),
                               threads: Int = 1) -> MotifClasses {
        MotifClasses(passing: SiteClaims.measure(motifs, threshold: threshold, settings: settings, threads: threads, everyPassing: true))
    }

    /// Creates classes from a representative per motif (each representative must be its own).
    public init(representative: [Int], members: [Int: [Int]]) {
        self.representative = representative
        self.members = members
    }

    /// Creates classes from a representative per motif, listing the members.
    public init(representative: [Int]) {
        var members: [Int: [Int]] = [:]
        for (m, lead) in representative.enumerated() where m != lead { members[lead, default: [lead]].append(m) }
        for (m, lead) in representative.enumerated() where m == lead && members[m] == nil { members[m] = [m] }
        self.init(representative: representative, members: members)
    }

    /// Number of classes.
    public var count: Int { members.count }

    /// Instances relabelled with their class's representative (motif index and id).
    public func relabel(_ instances: [MotifInstance], motifs: [Motif]) -> [MotifInstance] {
        instances.map { instance in
            var relabelled = instance
            relabelled.motifIndex = representative[instance.motifIndex]
            relabelled.motifID = motifs[relabelled.motifIndex].id
            return relabelled
        }
    }

    // MARK: - File

    /// What a classes file must have been made from to be used: the database's SHA-256, the instance
    /// thresholds and the measurement settings.
    public static func fingerprint(databasePath: String, threshold: InstanceThreshold,
                                   settings: SiteClaims.Settings = SiteClaims.Settings()) throws -> String {
        [
            "classes-1", "sha256=\(try SHA256.hex(ofFileAt: databasePath))", "instance_p=\(threshold.pValue)",
            "instance_recall=\(threshold.recall)",
            // The ceiling matters only for loosened thresholds.
            "instance_max_p=\(threshold.recall > 0 ? "\(threshold.ceiling)" : "-")", "sites=\(settings.sitesPerMotif)",
            "flank=\(settings.flank)", "background=\(settings.background.map { "\($0)" }.joined(separator: ","))", "seed=\(settings.seed)",
            "share=\(minimumShare)", "min_own=\(minimumOwnPassing)",
        ].joined(separator: ";")
    }

    /// Where the analysis looks for the classes of the database at `databasePath`: `NAME.classes.tsv` beside it.
    public static func companionPath(ofDatabase databasePath: String) -> String {
        (databasePath as NSString).deletingPathExtension + ".classes.tsv"
    }

    /// Columns of a classes file.
    public static let columns = ["motif_id", "name", "representative_id", "class_size"]

    /// The classes as a TSV: `##fingerprint=` and the provenance line, the header, one row per motif in database order.
    public func tsv(motifs: [Motif], fingerprint: String, provenance: Provenance) -> String {
        var text = "##fingerprint=\(fingerprint)\n\(provenance.line)\n" + Self.columns.joined(separator: "\t") + "\n"
        for (m, motif) in motifs.enumerated() {
            let lead = representative[m]
            text += "\(motif.id)\t\(motif.displayName)\t\(motifs[lead].id)\t\(members[lead]?.count ?? 1)\n"
        }
        return text
    }

    /// Reads a classes file written by `tsv(motifs:fingerprint:provenance:)`, whatever settings it was made for
    /// (`--motif-classes FILE`). Errors name the file and line.
    public static func read(path: String, motifs: [Motif]) throws -> MotifClasses {
        guard let classes = try read(path: path, motifs: motifs, fingerprint: nil) else {
            preconditionFailure("a classes file is only refused for its fingerprint, and none was asked for")
        }
        return classes
    }

    /// Reads a classes file written by `tsv(motifs:fingerprint:provenance:)`; nil when its fingerprint is
    /// not `fingerprint` (made for another database or threshold). Errors name the file and line.
    public static func read(path: String, motifs: [Motif], requiring fingerprint: String) throws -> MotifClasses? {
        try read(path: path, motifs: motifs, fingerprint: fingerprint)
    }

    private static func read(path: String, motifs: [Motif], fingerprint: String?) throws -> MotifClasses? {
        let reader = try TextLineReader(path: path)
        let index = Dictionary(motifs.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        var representative = Array(0..<motifs.count)
        var seen = Set<Int>(), sawHeader = false
        while let line = try reader.next() {
            if line.hasPrefix("##fingerprint=") {
                if let fingerprint, String(line.dropFirst("##fingerprint=".count)) != fingerprint { return nil }
                continue
            }
            if line.hasPrefix("#") || line.isEmpty { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if !sawHeader { sawHeader = true; if fields.first == columns[0] { continue } }
            guard fields.count >= 3, let m = index[fields[0]], let lead = index[fields[2]] else {
                throw MotifFileError.malformed(path: path, line: reader.lineNumber,
                                               reason: "expected motif_id and representative_id of motifs in the database")
            }
            representative[m] = lead
            seen.insert(m)
        }
        guard seen.count == motifs.count else {
            throw MotifFileError.malformed(path: path, line: reader.lineNumber, reason: "lists \(seen.count) of the database's \(motifs.count) motifs")
        }
        for lead in Set(representative) where representative[lead] != lead {
            throw MotifFileError.malformed(path: path, line: reader.lineNumber, reason: "\(motifs[lead].id) represents a class but belongs to another")
        }
        return MotifClasses(representative: representative)
    }
}

extension MotifClasses {
    /// How a class of look-alikes is named in tables and the report, so that a reader sees a group and its size:
    /// a single motif by its name (`GATA4`); a larger class by the DNA-binding family or structural class its
    /// members share, its representative and how many look-alikes it stands for (`bHLH: TAL1::TCF3 +46 look-alikes`).
    ///
    /// The shared label is the most common JASPAR `tf_family` when at least half the members have it, else the
    /// most common `tf_class` when at least half have that (the part in parentheses when the class name has one,
    /// `bHLH` for `Basic helix-loop-helix factors (bHLH)`), else `mixed families`.
    public static func label(representative: String, members: [String], annotations: MotifAnnotations?) -> String {
        guard members.count > 1 else { return representative }
        let count = "+\(members.count - 1) look-alike\(members.count == 2 ? "" : "s")"
        func majority(_ values: [String]) -> String? {
            let tally = Dictionary(values.filter { !$0.isEmpty }.map { ($0, 1) }, uniquingKeysWith: +)
            guard let top = tally.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }), 2 * top.value >= members.count else { return nil }
            return top.key
        }
        let known = members.compactMap { annotations?.byID[$0] }
        let shared = majority(known.map(\.tfFamily)) ?? majority(known.map(\.tfClass)).map { tfClass -> String in
            guard let open = tfClass.lastIndex(of: "("), let close = tfClass.lastIndex(of: ")"), open < close else { return tfClass }
            return String(tfClass[tfClass.index(after: open)..<close])
        } ?? "mixed families"
        return "\(shared): \(representative) \(count)"
    }
}
