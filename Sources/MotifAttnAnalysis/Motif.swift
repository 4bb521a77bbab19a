import Foundation
import MotifAttnCore

/// A transcription-factor binding motif: a position probability matrix over `A C G T`.
public struct Motif: Sendable, Hashable {
    /// Identifier, e.g. a JASPAR matrix id `MA0139.2` or a discovered `L1H2_3`.
    public var id: String
    /// Human-readable name, e.g. the TF `CTCF`; empty when the file gives none.
    public var name: String
    /// One row per motif position, each with the probabilities of `A C G T` (summing to 1).
    public var probabilities: [[Double]]
    /// Number of sites the matrix was built from (MEME's `nsites=`); 20 when unknown, as MEME assumes.
    public var sites: Int
    /// E-value recorded in the file (MEME's `E=`), if any.
    public var eValue: Double?
    /// Link to the motif's page, if any (MEME's `URL` line).
    public var url: String?

    /// Creates a motif from rows of `A C G T` probabilities.
    public init(id: String, name: String = "", probabilities: [[Double]], sites: Int = 20, eValue: Double? = nil, url: String? = nil) {
        self.id = id
        self.name = name
        self.probabilities = probabilities
        self.sites = sites
        self.eValue = eValue
        self.url = url
    }

    /// Number of positions.
    public var width: Int { probabilities.count }

    /// The name if there is one, else the id.
    public var displayName: String { name.isEmpty ? id : name }

    /// The motif of the opposite strand: positions reversed and each base complemented.
    public var reverseComplement: Motif {
        var copy = self
        copy.probabilities = probabilities.reversed().map { Array($0.reversed()) }
        return copy
    }

    /// Consensus sequence, one IUPAC letter per position.
    ///
    /// A position is written as a single base when it has probability ≥ 0.5 and
    /// twice the next one, as a two-base code when two bases together hold ≥ 0.75,
    /// and as `N` otherwise (the usual MEME/TOMTOM convention).
    public var consensus: String {
        String(probabilities.map { Motif.consensusLetter($0) })
    }

    static func consensusLetter(_ column: [Double]) -> Character {
        let order = (0..<4).sorted { column[$0] > column[$1] || (column[$0] == column[$1] && $0 < $1) }
        let letters: [Character] = ["A", "C", "G", "T"]
        let first = column[order[0]], second = column[order[1]]
        if first >= 0.5 && first >= 2 * second { return letters[order[0]] }
        if first + second >= 0.75 {
            let pair = Set([order[0], order[1]])
            switch pair {
            case [0, 1]: return "M"
            case [0, 2]: return "R"
            case [0, 3]: return "W"
            case [1, 2]: return "S"
            case [1, 3]: return "Y"
            default: return "K"
            }
        }
        return "N"
    }

    /// Information content of the matrix in bits against a uniform background.
    public var informationContent: Double {
        probabilities.reduce(0) { total, column in total + Self.columnInformation(column) }
    }

    /// Information of one column of `A C G T` probabilities in bits against a uniform background (0...2).
    public static func columnInformation(_ column: [Double]) -> Double {
        2 + column.reduce(0) { $0 + ($1 > 0 ? $1 * log2($1) : 0) }
    }

    /// Whether `other`, of the same width, is this motif re-estimated rather than another one: the mean Pearson
    /// correlation of facing columns, over the columns of `other` with at least 0.5 bits, is at least 0.9.
    func isSameMotif(as other: Motif, minimumCorrelation: Double = 0.9) -> Bool {
        guard width == other.width else { return false }
        let informative = other.probabilities.indices.filter { Motif.columnInformation(other.probabilities[$0]) >= 0.5 }
        guard !informative.isEmpty else { return true }
        let mean = informative.reduce(0) { $0 + MotifComparator.columnCorrelation(probabilities[$1], other.probabilities[$1]) } / Double(informative.count)
        return mean >= minimumCorrelation
    }
}

/// A set of motifs read from (or written to) a MEME minimal-format file.
public struct MotifDatabase: Sendable {
    /// The motifs in file order.
    public var motifs: [Motif]
    /// Background probabilities of `A C G T` declared by the file (uniform if absent).
    public var background: [Double]
    /// Whether the motifs are meant to be matched on both strands (`strands: + -`).
    public var bothStrands: Bool
    /// MEME format version declared in the file (4 or 5).
    public var version: Int

    /// Creates a database of motifs.
    public init(motifs: [Motif], background: [Double] = [0.25, 0.25, 0.25, 0.25], bothStrands: Bool = true, version: Int = 4) {
        self.motifs = motifs
        self.background = background
        self.bothStrands = bothStrands
        self.version = version
    }

    /// The motif with the given id, if present.
    public func motif(id: String) -> Motif? { motifs.first { $0.id == id } }
}

/// Problems reading a motif file, naming the file and line.
public enum MotifFileError: Error, CustomStringConvertible {
    /// The file cannot be opened or is not text.
    case unreadable(path: String, reason: String)
    /// A line does not fit the format.
    case malformed(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot read motif file: \(reason)"
        case let .malformed(path, line, reason): return "\(path), line \(line): \(reason)"
        }
    }
}

/// Reading and writing motifs in MEME minimal format (versions 4 and 5).
///
/// Understood: `MEME version N`, `ALPHABET= ACGT` (DNA only), `strands:`,
/// `Background letter frequencies` (the next line(s) `A p C p G p T p`),
/// `MOTIF id [name]`, `letter-probability matrix: alength= 4 w= W nsites= N E= E`
/// followed by W rows of four probabilities, and `URL` lines. `log-odds matrix`
/// blocks (MEME's full output) are skipped. Rows are checked to sum to 1 within 0.02.
public enum MEMEFormat {
    /// Reads a MEME file from disk.
    public static func read(path: String) throws -> MotifDatabase {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MotifFileError.unreadable(path: path, reason: "no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MotifFileError.unreadable(path: path, reason: "not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Parses MEME text; `path` is only used in error messages.
    public static func parse(_ text: String, path: String = "<motifs>") throws -> MotifDatabase {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        var database = MotifDatabase(motifs: [])
        var sawVersion = false
        var current: Motif?
        var index = 0
        func fail(_ reason: String, _ line: Int) -> MotifFileError { .malformed(path: path, line: line, reason: reason) }
        func finishMotif() throws {
            if let motif = current {
                if motif.probabilities.isEmpty {
                    throw fail("motif \(motif.id) has no letter-probability matrix", index)
                }
                database.motifs.append(motif)
            }
            current = nil
        }
        while index < lines.count {
            let line = lines[index].trimmingBlanks
            let lineNumber = index + 1
            index += 1
            if line.isEmpty { continue }
            if !sawVersion {
                guard line.hasPrefix("MEME version") else {
                    throw fail("expected 'MEME version 4' or 'MEME version 5' as the first line, found '\(line.prefix(40))'", lineNumber)
                }
                let fields = line.split(separator: " ")
                // "5.5.4" → 5; a version of only dots ("." splits into nothing) is not a number.
                guard fields.count >= 3, let major = fields[2].split(separator: ".", omittingEmptySubsequences: false).first.flatMap({ Int($0) }) else {
                    throw fail("cannot read the MEME version number", lineNumber)
                }
                database.version = major
                sawVersion = true
                continue
            }
            if line.hasPrefix("ALPHABET") {
                let value = line.drop(while: { $0 != "=" }).dropFirst().trimmingCharacters(in: .whitespaces)
                let letters = value.split(separator: " ").first.map(String.init) ?? ""
                guard letters.uppercased() == "ACGT" else {
                    throw fail("only the DNA alphabet ACGT is supported, found '\(value)'", lineNumber)
                }
            } else if line.hasPrefix("strands:") {
                database.bothStrands = line.contains("-")
            } else if line.hasPrefix("Background letter frequencies") {
                var values: [Character: Double] = [:]
                while index < lines.count && values.count < 4 {
                    let fields = lines[index].split(separator: " ").map(String.init)
                    index += 1
                    if fields.isEmpty { continue }
                    guard fields.count % 2 == 0 else { throw fail("background frequencies must be letter/value pairs", index) }
                    for pair in stride(from: 0, to: fields.count, by: 2) {
                        guard let letter = fields[pair].uppercased().first, let value = Double(fields[pair + 1]) else {
                            throw fail("cannot read background frequency '\(fields[pair]) \(fields[pair + 1])'", index)
                        }
                        values[letter] = value
                    }
                }
                guard let a = values["A"], let c = values["C"], let g = values["G"], let t = values["T"] else {
                    throw fail("background frequencies must give A, C, G and T", index)
                }
                database.background = [a, c, g, t]
            } else if line.hasPrefix("MOTIF") {
                try finishMotif()
                let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                guard fields.count >= 2 else { throw fail("MOTIF line without an identifier", lineNumber) }
                current = Motif(id: fields[1], name: fields.count > 2 ? fields[2...].joined(separator: " ") : "", probabilities: [])
            } else if line.hasPrefix("URL") {
                guard current != nil else { throw fail("URL line outside a motif", lineNumber) }
                current?.url = line.dropFirst(3).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("letter-probability matrix") || line.hasPrefix("log-odds matrix") {
                guard current != nil else { throw fail("matrix outside a motif (no MOTIF line before it)", lineNumber) }
                let isProbability = line.hasPrefix("letter-probability")
                let settings = parseSettings(line)
                if let alength = settings["alength"], Int(alength) != 4 {
                    throw fail("alength= \(alength) but the DNA alphabet has 4 letters", lineNumber)
                }
                var width: Int? = nil
                if let w = settings["w"] {
                    guard let value = Int(w), value > 0 else { throw fail("cannot read motif width w= \(w)", lineNumber) }
                    width = value
                }
                var rows: [[Double]] = []
                while index < lines.count {
                    if let width, rows.count == width { break }
                    let rowText = lines[index].trimmingBlanks
                    if rowText.isEmpty {
                        if width == nil { break }
                        index += 1; continue
                    }
                    let fields = rowText.split(whereSeparator: { $0 == " " || $0 == "\t" })
                    let numbers = fields.compactMap { Double($0) }
                    if numbers.count != fields.count {
                        if width == nil { break }
                        throw fail("expected \(width!) matrix rows for motif \(current!.id), found \(rows.count)", index + 1)
                    }
                    guard numbers.count == 4 else {
                        throw fail("matrix row of motif \(current!.id) has \(numbers.count) values, expected 4", index + 1)
                    }
                    if isProbability {
                        let sum = numbers.reduce(0, +)
                        guard numbers.allSatisfy({ $0 >= 0 }), abs(sum - 1) <= 0.02 else {
                            throw fail("probabilities of motif \(current!.id) sum to \(sum), not 1", index + 1)
                        }
                        rows.append(numbers.map { $0 / sum })
                    }
                    index += 1
                }
                if let width, isProbability, rows.count != width {
                    throw fail("expected \(width) matrix rows for motif \(current!.id), found \(rows.count)", index)
                }
                if isProbability {
                    guard !rows.isEmpty else { throw fail("empty letter-probability matrix for motif \(current!.id)", lineNumber) }
                    current?.probabilities = rows
                    if let n = settings["nsites"], let sites = Double(n) {
                        // Int(_:) traps on NaN, infinities and values beyond Int.
                        guard sites.isFinite, sites < 1e15 else { throw fail("nsites= \(n) is not a number of sites", lineNumber) }
                        current?.sites = max(1, Int(sites.rounded()))
                    }
                    if let e = settings["E"], let value = Double(e) { current?.eValue = value }
                }
            }
            // Other lines (comments, training-set lines of full MEME output) carry nothing we need.
        }
        guard sawVersion else { throw MotifFileError.malformed(path: path, line: 1, reason: "empty file: no 'MEME version' line") }
        try finishMotif()
        return database
    }

    /// `key= value` pairs of a matrix header line.
    static func parseSettings(_ line: String) -> [String: String] {
        let afterColon = line.drop(while: { $0 != ":" }).dropFirst()
        let tokens = afterColon.replacingOccurrences(of: "=", with: "= ").split(separator: " ").map(String.init)
        var settings: [String: String] = [:]
        var i = 0
        while i < tokens.count {
            if tokens[i].hasSuffix("="), i + 1 < tokens.count {
                settings[String(tokens[i].dropLast())] = tokens[i + 1]
                i += 2
            } else {
                i += 1
            }
        }
        return settings
    }

    /// The database as MEME minimal-format text (version 4), probabilities with six decimals.
    public static func render(_ database: MotifDatabase) -> String {
        var text = "MEME version \(database.version >= 5 ? 5 : 4)\n\nALPHABET= ACGT\n\nstrands: \(database.bothStrands ? "+ -" : "+")\n\n"
        text += "Background letter frequencies\n"
        text += zip(["A", "C", "G", "T"], database.background).map { "\($0) \(String(format: "%.6f", $1))" }.joined(separator: " ") + "\n"
        for motif in database.motifs {
            text += "\nMOTIF \(motif.id)\(motif.name.isEmpty ? "" : " " + motif.name)\n"
            let e = motif.eValue.map { String(format: "%.3g", $0) } ?? "0"
            text += "letter-probability matrix: alength= 4 w= \(motif.width) nsites= \(motif.sites) E= \(e)\n"
            for row in motif.probabilities {
                text += row.map { String(format: "%.6f", $0) }.joined(separator: " ") + "\n"
            }
            if let url = motif.url { text += "URL \(url)\n" }
        }
        return text
    }

    /// Writes the database to `path` (`-` for standard output) without leaving half-written files.
    public static func write(_ database: MotifDatabase, to path: String) throws {
        let output = try OutputFile(path: path)
        try output.write(render(database))
        try output.commit()
    }
}

/// What a motif database's annotation table says about one matrix.
public struct MotifAnnotation: Sendable, Hashable {
    /// Matrix identifier (`MA0139.2`).
    public var id: String
    /// TF name (`CTCF`).
    public var name: String
    /// Structural class of the TF's DNA-binding domain (`C2H2 zinc finger factors`).
    public var tfClass: String
    /// TF family within the class (`More than 3 adjacent zinc fingers`).
    public var tfFamily: String
}

/// The JASPAR annotation table (`matrix_id name tf_class tf_family ...`, tab-separated, with a header).
public struct MotifAnnotations: Sendable {
    /// Annotations by matrix id.
    public var byID: [String: MotifAnnotation]

    /// Creates an annotation table from entries.
    public init(_ entries: [MotifAnnotation]) {
        byID = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Reads a JASPAR TSV; columns are found by header name, so extra columns are fine.
    public static func readJASPAR(path: String) throws -> MotifAnnotations {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw MotifFileError.unreadable(path: path, reason: "no such file, not readable or not UTF-8")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.first?.split(separator: "\t", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) else {
            throw MotifFileError.malformed(path: path, line: 1, reason: "empty annotation table")
        }
        var columns: [String: Int] = [:]
        for (i, name) in header.enumerated() { columns[name] = i }
        for required in ["matrix_id", "name", "tf_class", "tf_family"] where columns[required] == nil {
            throw MotifFileError.malformed(path: path, line: 1, reason: "header lacks the column '\(required)'")
        }
        var entries: [MotifAnnotation] = []
        for (offset, line) in lines.dropFirst().enumerated() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.isEmpty { continue }
            let fields = trimmed.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == header.count else {
                throw MotifFileError.malformed(path: path, line: offset + 2, reason: "\(fields.count) columns, the header has \(header.count)")
            }
            entries.append(MotifAnnotation(id: fields[columns["matrix_id"]!], name: fields[columns["name"]!],
                                           tfClass: fields[columns["tf_class"]!], tfFamily: fields[columns["tf_family"]!]))
        }
        return MotifAnnotations(entries)
    }

    /// Whether two matrices share a TF family (false when either is unknown).
    ///
    /// Dimers list one family per partner separated by `;` (`Jun-related;Maf-related`
    /// for Bach1::Mafk); sharing any one counts, so MAFK and Bach1::Mafk share a family.
    public func sameFamily(_ a: String, _ b: String) -> Bool {
        guard let fa = byID[a]?.tfFamily, let fb = byID[b]?.tfFamily else { return false }
        let familiesA = Set(fa.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        let familiesB = Set(fb.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        return !familiesA.isDisjoint(with: familiesB)
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (the only blanks of MEME and JASPAR files);
    /// much cheaper than Foundation's `trimmingCharacters(in:)` on the 10^6 lines of a large database.
    var trimmingBlanks: String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !blank($0) }) else { return "" }
        let last = lastIndex(where: { !blank($0) })!
        return String(self[first...last])
    }
}
