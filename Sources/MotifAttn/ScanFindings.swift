import Foundation
import MotifAttnAnalysis
import MotifAttnCore

/// What a finished `motifattn scan` folder reported, as `variants --scan` checks variants against it: the
/// candidate TF pairs of `interactions.tsv` and the head motifs of `motifs.meme`.
public struct ScanFindings: Sendable {
    /// One pair `interactions.tsv` reports (its combined `all` row).
    public struct ReportedPair: Sendable, Hashable {
        /// Representative database motif of each side (`MA0482.3`).
        public var motifA: String
        /// Representative database motif of the other side.
        public var motifB: String
        /// The database motifs of each side's look-alike class (`class_a`, `class_b`); each holds its representative.
        public var membersA: Set<String>
        /// The look-alike class of side B.
        public var membersB: Set<String>
        /// The head whose co-attention of the pair is strongest (`best_head`); `nil` when the table does not name one.
        public var bestHead: HeadIndex?
        /// The pair's q-value in the scan.
        public var qValue: Double

        /// The pair's motif identifiers, `MA0482.3/MA1633.2`.
        public var label: String { "\(motifA)/\(motifB)" }
    }

    /// The pairs, in the order of `interactions.tsv` (most significant first).
    public var pairs: [ReportedPair]
    /// The scan's head motifs (`motifs.meme`, named `L0H1_2`).
    public var headMotifs: [Motif]
    /// The folder read.
    public var folder: String

    /// Pairs and head motifs, given directly.
    public init(pairs: [ReportedPair], headMotifs: [Motif], folder: String = "") {
        self.pairs = pairs; self.headMotifs = headMotifs; self.folder = folder
    }

    /// Reads `interactions.tsv` and `motifs.meme` of a scan's output folder.
    ///
    /// Every combined (`layer` = `all`) row of `interactions.tsv` is a reported pair: the scan writes only the rows
    /// at or below its `--max-interaction-q`. A folder that lacks either file, or a table without the columns it
    /// needs, is an error naming the file.
    public static func read(folder: String) throws -> ScanFindings {
        let tablePath = folder + "/interactions.tsv", memePath = folder + "/motifs.meme"
        for path in [tablePath, memePath] where !FileManager.default.fileExists(atPath: path) {
            throw ScanFindingsError(path: path, line: nil,
                                    reason: "not found: --scan takes the --out folder of a finished motifattn scan (or merge)")
        }
        let text: String
        do { text = try String(contentsOfFile: tablePath, encoding: .utf8) } catch {
            throw ScanFindingsError(path: tablePath, line: nil, reason: "cannot be read as text")
        }
        var columns: [String: Int] = [:]
        var pairs: [ReportedPair] = []
        var seen = Set<String>()
        let required = ["motif_a", "motif_b", "layer", "q_value", "best_head", "class_a", "class_b"]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if columns.isEmpty {
                columns = Dictionary(fields.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
                if let missing = required.first(where: { columns[$0] == nil }) {
                    throw ScanFindingsError(path: tablePath, line: number + 1, reason: "the header has no '\(missing)' column; is this a motifattn interactions table?")
                }
                continue
            }
            func field(_ name: String) -> String { let i = columns[name]!; return i < fields.count ? fields[i] : "" }
            guard fields.count == columns.count else {
                throw ScanFindingsError(path: tablePath, line: number + 1, reason: "\(fields.count) fields where the header has \(columns.count)")
            }
            guard field("layer") == "all" else { continue }
            guard let q = Double(field("q_value")) else {
                throw ScanFindingsError(path: tablePath, line: number + 1, reason: "q_value '\(field("q_value"))' is not a number")
            }
            let a = field("motif_a"), b = field("motif_b")
            guard seen.insert(a + "\t" + b).inserted else { continue }
            func members(_ list: String, _ representative: String) -> Set<String> {
                Set(list.split(separator: ",").map(String.init)).union([representative])
            }
            pairs.append(ReportedPair(motifA: a, motifB: b, membersA: members(field("class_a"), a), membersB: members(field("class_b"), b),
                                      bestHead: HeadIndex(label: field("best_head")), qValue: q))
        }
        let headMotifs = try MEMEFormat.read(path: memePath).motifs
        return ScanFindings(pairs: pairs, headMotifs: headMotifs, folder: folder)
    }

    /// Every database motif that belongs to a side of a reported pair.
    public var pairMotifIDs: Set<String> {
        pairs.reduce(into: Set<String>()) { $0.formUnion($1.membersA); $0.formUnion($1.membersB) }
    }
}

/// A scan folder that `variants --scan` cannot use: the file, the line when there is one, and why.
public struct ScanFindingsError: Error, CustomStringConvertible, Equatable {
    /// The file.
    public var path: String
    /// 1-based line, when the problem is on one.
    public var line: Int?
    /// What is wrong.
    public var reason: String

    public var description: String { line.map { "\(path): line \($0): \(reason)" } ?? "\(path): \(reason)" }
}

extension HeadIndex {
    /// Parses `L1H3`; `nil` for anything else.
    public init?(label: String) {
        let parts = label.split(separator: "H", maxSplits: 1)
        guard parts.count == 2, parts[0].hasPrefix("L"), let layer = Int(parts[0].dropFirst()), let head = Int(parts[1]),
              layer >= 0, head >= 0 else { return nil }
        self.init(layer: layer, head: head)
    }
}
