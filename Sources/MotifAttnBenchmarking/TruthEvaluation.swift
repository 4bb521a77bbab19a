import Foundation

/// Errors reading the tables that are compared with a planted truth.
public enum EvaluationError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case missingColumn(path: String, column: String)
    case badNumber(path: String, column: String, value: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .missingColumn(path, column): return "\(path): no column '\(column)' in the header"
        case let .badNumber(path, column, value): return "\(path): '\(value)' in column '\(column)' is not a number"
        }
    }
}

/// A tab-separated table with `##` provenance lines, a header row and data rows.
public struct TSVTable: Sendable {
    /// Column names from the header row.
    public var columns: [String]
    /// Data rows, each as many fields as there are columns (short rows padded with "").
    public var rows: [[String]]

    /// Reads `path`; `#`-prefixed lines before the header are provenance and skipped.
    public init(path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw EvaluationError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        while let first = lines.first, first.hasPrefix("##") { lines.removeFirst() }
        guard let header = lines.first else { throw EvaluationError.unreadable(path: path, reason: "no header row") }
        let names = (header.hasPrefix("#") ? String(header.dropFirst()) : header).split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        columns = names
        rows = lines.dropFirst().map { line in
            var fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if fields.count < names.count { fields += Array(repeating: "", count: names.count - fields.count) }
            return fields
        }
        self.path = path
    }

    private var path: String

    /// The index of `column`, or an error naming the file.
    public func index(of column: String) throws -> Int {
        guard let i = columns.firstIndex(of: column) else { throw EvaluationError.missingColumn(path: path, column: column) }
        return i
    }
}

/// How well a run recovered a planted truth (simulate.py's `truth_pairs.tsv` and `truth_motifs.tsv`).
public struct TruthEvaluation: Sendable, CustomStringConvertible {
    /// Planted interacting pairs found among the top-ranked significant pairs.
    public var pairsFound: Int
    /// Planted interacting pairs.
    public var pairsPlanted: Int
    /// Distinct significant pairs considered (at most 2 × planted).
    public var pairsReported: Int
    /// Planted motifs that are the best match (or same TF family) of a significant head motif.
    public var motifsFound: Int
    /// Planted motifs.
    public var motifsPlanted: Int
    /// Distinct database motifs reported as significant best matches of head motifs.
    public var motifsReported: Int
    /// Of those, how many are planted motifs or of a planted motif's family.
    public var motifsReportedCorrect: Int
    /// Planted pairs not found, as `A+B`.
    public var missedPairs: [String]
    /// Planted pairs found, as `A+B` with the sizes of the look-alike classes they were found in (`A+B (52×1)`).
    public var foundPairs: [String] = []
    /// Reported pairs holding a planted pair (its two motifs within the row's two classes).
    public var pairsReportedCorrect = 0
    /// Planted motifs not found.
    public var missedMotifs: [String]
    /// Per planted motif (in the truth file's order), the smallest match p-value of any head motif against it in
    /// `motif_matches.tsv` (nil: no head motif matches it with q ≤ 0.5, the table's limit); empty without that table.
    /// Unlike recall, this does not depend on which of several look-alike database motifs is the best match, nor on
    /// a q-value threshold: it measures how close the closest head motif is to each planted matrix.
    public var plantedMotifFit: [(id: String, pValue: Double?)] = []

    /// Motifs counted by family or look-alike class (`lookAlikeClasses` of `evaluate`; nil without): a planted motif
    /// is found when the best match (match q ≤ alpha) of some head motif is of its family (as for `motifsFound`) or in
    /// its look-alike class, and the best matches count once per class among the reported.
    public var motifsByClass: MotifsByClass?

    /// The motif figures by family or look-alike class. Classes are the motifs the PWM scan cannot tell apart
    /// (`motifattn classes`), by which the pairs are counted: a head motif whose best match is a look-alike of the
    /// planted motif from another family (JDP2 for a CRE-type FOSL1::JUN) finds it. The reported count one claim
    /// per class, so five E-box look-alikes matched by five head motifs are one claim, right or wrong, and each
    /// planted motif found is shown with its class size (a find within a class of 47 is a weaker claim).
    public struct MotifsByClass: Sendable, Equatable {
        /// Planted motifs with a head motif's significant best match of their family or class.
        public var found: Int
        /// Distinct classes of the head motifs' significant best matches.
        public var reported: Int
        /// Of those, the classes with a best match of a planted motif's family or class.
        public var reportedCorrect: Int
        /// Each planted motif found, as `ID (class size)`, in the truth file's order.
        public var foundWithClassSizes: [String]
    }

    /// Sum over planted motifs of −log10 of `plantedMotifFit` (0 for a motif no head motif matches).
    public var plantedMotifFitScore: Double { plantedMotifFit.reduce(0) { $0 + ($1.pValue.map { -log10($0) } ?? 0) } }

    public var pairRecall: Double { pairsPlanted == 0 ? 0 : Double(pairsFound) / Double(pairsPlanted) }
    public var pairPrecision: Double { pairsReported == 0 ? 0 : Double(pairsReportedCorrect) / Double(pairsReported) }
    public var motifRecall: Double { motifsPlanted == 0 ? 0 : Double(motifsFound) / Double(motifsPlanted) }
    public var motifPrecision: Double { motifsReported == 0 ? 0 : Double(motifsReportedCorrect) / Double(motifsReported) }

    public var description: String {
        String(format: "pairs: recall %.2f (%d/%d), precision %.2f (%d of %d reported); motifs: recall %.2f (%d/%d), precision %.2f (%d of %d reported)",
               pairRecall, pairsFound, pairsPlanted, pairPrecision, pairsReportedCorrect, pairsReported,
               motifRecall, motifsFound, motifsPlanted, motifPrecision, motifsReportedCorrect, motifsReported)
            + (foundPairs.isEmpty ? "" : "; found pairs (class sizes): " + foundPairs.joined(separator: ", "))
            + (missedPairs.isEmpty ? "" : "; missed pairs: " + missedPairs.joined(separator: ", "))
            + (missedMotifs.isEmpty ? "" : "; missed motifs: " + missedMotifs.joined(separator: ", "))
            + (motifsByClass.map { byClass in
                String(format: "\nmotifs by family or look-alike class: recall %.2f (%d/%d), precision %.2f (%d of %d classes reported)",
                       motifsPlanted == 0 ? 0 : Double(byClass.found) / Double(motifsPlanted), byClass.found, motifsPlanted,
                       byClass.reported == 0 ? 0 : Double(byClass.reportedCorrect) / Double(byClass.reported),
                       byClass.reportedCorrect, byClass.reported)
                    + (byClass.foundWithClassSizes.isEmpty ? "" : "; found (class sizes): " + byClass.foundWithClassSizes.joined(separator: ", "))
            } ?? "")
            + (plantedMotifFit.isEmpty ? "" : "\nplanted-motif fit (-log10 p of the closest head motif): "
                + plantedMotifFit.map { "\($0.id) " + ($0.pValue.map { String(format: "%.1f", -log10($0)) } ?? "none") }.joined(separator: ", ")
                + String(format: "; sum %.1f", plantedMotifFitScore))
    }

    /// Compares a run's `interactions.tsv` and `head_motifs.tsv` with the truth files.
    ///
    /// Pairs: the distinct unordered motif pairs with q ≤ `alpha`, in the table's order
    /// (sorted by q then effect), the first 2 × planted of them, leaving out pairs the analysis marked as look-alike
    /// echoes of a stronger pair (`echo_of`, `LookAlikeEchoes`) unless `countEchoes`; a planted pair is found if it is
    /// among them, its two motifs within the row's two look-alike classes (`class_a`, `class_b`; without
    /// those columns, the row's own motifs); a discovered head motif there (`--instances discovered|both`)
    /// stands for its best database match with match q ≤ `alpha` in `head_motifs.tsv`. Motifs: a planted motif is found if a head motif's best match with match q ≤ `alpha`
    /// is that motif or a motif of the same TF family (JASPAR's `tf_family`, when `families` has it; the whole entry, so
    /// a dimer's `Fos-related;Jun-related` is matched only by the same pair of families).
    /// - Parameters:
    ///   - families: JASPAR matrix ID → TF family (from the JASPAR TSV); may be empty.
    ///   - matchesPath: the run's `motif_matches.tsv`, for `plantedMotifFit`; nil leaves it empty.
    ///   - lookAlikeClasses: the look-alike classes of the database (`classes(fromClassesTSV:)`), for `motifsByClass`; nil
    ///     leaves it nil. A motif the table does not name is a class of its own.
    public static func evaluate(interactionsPath: String, headMotifsPath: String, truthPairsPath: String,
                                truthMotifsPath: String, families: [String: String] = [:], alpha: Double = 0.05,
                                matchesPath: String? = nil, countEchoes: Bool = false,
                                lookAlikeClasses: LookAlikeClasses? = nil) throws -> TruthEvaluation {
        let truthPairs = try TSVTable(path: truthPairsPath)
        let a = try truthPairs.index(of: "jaspar_id_a"), b = try truthPairs.index(of: "jaspar_id_b")
        let plantedPairs = truthPairs.rows.map { ($0[a], $0[b]) }

        let interactions = try TSVTable(path: interactionsPath)
        let ma = try interactions.index(of: "motif_a"), mb = try interactions.index(of: "motif_b"), q = try interactions.index(of: "q_value")
        let ca = interactions.columns.firstIndex(of: "class_a"), cb = interactions.columns.firstIndex(of: "class_b")
        let echo = interactions.columns.firstIndex(of: "echo_of")
        // Discovered motifs (`--instances discovered|both`) stand for their best database match (match q ≤ alpha).
        let headMotifs = try TSVTable(path: headMotifsPath)
        let best = try headMotifs.index(of: "best_match_id"), matchQ = try headMotifs.index(of: "match_q_value")
        let headMotifID = try headMotifs.index(of: "motif_id")
        var matchOfDiscovered: [String: String] = [:]
        for row in headMotifs.rows where !row[best].isEmpty && row[best] != "." && (Double(row[matchQ]) ?? 1) <= alpha {
            matchOfDiscovered[row[headMotifID]] = row[best]
        }
        var reported: [Set<String>] = []
        var classes: [(a: Set<String>, b: Set<String>)] = []
        for row in interactions.rows where (Double(row[q]) ?? 1) <= alpha && (countEchoes || echo.map { row[$0] == "." } ?? true) {
            let pair = Set([row[ma], row[mb]])
            if reported.contains(pair) { continue }
            reported.append(pair)
            func members(_ column: Int?, _ own: String) -> Set<String> {
                let ids = column.map { row[$0] }.flatMap { $0.isEmpty ? nil : $0.split(separator: ",").map(String.init) } ?? [own]
                return Set(ids.map { matchOfDiscovered[$0] ?? $0 })
            }
            classes.append((members(ca, row[ma]), members(cb, row[mb])))
            if reported.count == 2 * plantedPairs.count { break }
        }
        func holds(_ row: (a: Set<String>, b: Set<String>), _ pair: (String, String)) -> Bool {
            (row.a.contains(pair.0) && row.b.contains(pair.1)) || (row.a.contains(pair.1) && row.b.contains(pair.0))
        }
        var found: [String] = [], missed: [String] = []
        for pair in plantedPairs {
            if let row = classes.first(where: { holds($0, pair) }) {
                let (first, second) = row.a.contains(pair.0) ? (row.a, row.b) : (row.b, row.a)
                found.append("\(pair.0)+\(pair.1) (\(first.count)×\(second.count))")
            } else {
                missed.append([pair.0, pair.1].sorted().joined(separator: "+"))
            }
        }
        let reportedCorrect = classes.filter { row in plantedPairs.contains { holds(row, $0) } }.count

        let truthMotifs = try TSVTable(path: truthMotifsPath)
        let id = try truthMotifs.index(of: "jaspar_id")
        let plantedMotifs = truthMotifs.rows.map { $0[id] }
        var matched: [String] = []
        for row in headMotifs.rows where !row[best].isEmpty && row[best] != "." && (Double(row[matchQ]) ?? 1) <= alpha {
            if !matched.contains(row[best]) { matched.append(row[best]) }
        }
        // JASPAR's family of a dimer lists its subunits' families ("Fos-related;Jun-related" for FOSL1::JUN); the
        // whole list must be the same. Sharing one subunit's family is not enough: JASPAR files the CNC factors
        // (NFE2, BACH1) under Jun-related, so a Bach1::Mafk-like motif would credit FOSL1::JUN.
        func sameFamily(_ matched: String, _ planted: String) -> Bool {
            if matched == planted { return true }
            guard let own = families[matched], let other = families[planted], !own.isEmpty else { return false }
            return own == other
        }
        let foundMotifs = plantedMotifs.filter { p in matched.contains { sameFamily($0, p) } }
        let correct = matched.filter { m in plantedMotifs.contains { sameFamily(m, $0) } }
        var evaluation = TruthEvaluation(
            pairsFound: found.count, pairsPlanted: plantedPairs.count, pairsReported: reported.count,
            motifsFound: foundMotifs.count, motifsPlanted: plantedMotifs.count, motifsReported: matched.count,
            motifsReportedCorrect: correct.count,
            missedPairs: missed, foundPairs: found, pairsReportedCorrect: reportedCorrect,
            missedMotifs: plantedMotifs.filter { p in !matched.contains { sameFamily($0, p) } })
        if let classes = lookAlikeClasses {
            func credits(_ match: String, _ planted: String) -> Bool {
                sameFamily(match, planted) || classes.representative(match) == classes.representative(planted)
            }
            let foundByClass = plantedMotifs.filter { p in matched.contains { credits($0, p) } }
            var matchedByClass: [String: [String]] = [:]
            for m in matched { matchedByClass[classes.representative(m), default: []].append(m) }
            evaluation.motifsByClass = MotifsByClass(
                found: foundByClass.count, reported: matchedByClass.count,
                reportedCorrect: matchedByClass.values.filter { members in members.contains { m in plantedMotifs.contains { credits(m, $0) } } }.count,
                foundWithClassSizes: foundByClass.map { "\($0) (\(classes.size(of: $0)))" })
        }
        if let matchesPath {
            let matches = try TSVTable(path: matchesPath)
            let target = try matches.index(of: "target_id"), p = try matches.index(of: "p_value")
            var closest: [String: Double] = [:]
            for row in matches.rows {
                guard let value = Double(row[p]) else { throw EvaluationError.badNumber(path: matchesPath, column: "p_value", value: row[p]) }
                closest[row[target]] = min(closest[row[target]] ?? 1, value)
            }
            evaluation.plantedMotifFit = plantedMotifs.map { ($0, closest[$0]) }
        }
        return evaluation
    }

    /// The look-alike classes of a database, from a `motifattn classes` table (`motif_id`, `representative_id`,
    /// `class_size` columns).
    public static func classes(fromClassesTSV path: String) throws -> LookAlikeClasses {
        let table = try TSVTable(path: path)
        let id = try table.index(of: "motif_id"), representative = try table.index(of: "representative_id")
        let size = try table.index(of: "class_size")
        var classes = LookAlikeClasses()
        for row in table.rows {
            guard let count = Int(row[size]) else { throw EvaluationError.badNumber(path: path, column: "class_size", value: row[size]) }
            classes.representatives[row[id]] = row[representative]
            classes.sizes[row[representative]] = count
        }
        return classes
    }

    /// Look-alike classes of database motifs as `evaluate` reads them: each motif's class representative and
    /// each class's size, by motif ID. The analysis's `MotifClasses` reads the same table against the motifs
    /// themselves; `evaluate` compares IDs only, so it needs no motif database.
    public struct LookAlikeClasses: Sendable {
        /// Motif ID → the ID of its class's representative.
        public var representatives: [String: String] = [:]
        /// Representative ID → members in its class.
        public var sizes: [String: Int] = [:]

        public init() {}

        /// The representative of `motif`'s class (the motif itself when the table does not name it).
        public func representative(_ motif: String) -> String { representatives[motif] ?? motif }

        /// The size of `motif`'s class (1 when the table does not name it).
        public func size(of motif: String) -> Int { sizes[representative(motif)] ?? 1 }
    }

    /// JASPAR matrix ID → TF family, from the JASPAR TSV (`matrix_id`, `tf_family` columns).
    public static func families(fromJasparTSV path: String) throws -> [String: String] {
        let table = try TSVTable(path: path)
        let id = try table.index(of: "matrix_id"), family = try table.index(of: "tf_family")
        return Dictionary(table.rows.map { ($0[id], $0[family]) }, uniquingKeysWith: { first, _ in first })
    }
}
