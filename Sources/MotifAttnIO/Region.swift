import MotifAttnCore
import CHTSlib
import Foundation

/// A stretch of a contig asked for by the user: 0-based, half-open.
///
/// `end == nil` means "to the end of the contig" (a region string `chr` or
/// `chr:start`); the reader resolves it against the input's contig lengths.
public struct Region: Sendable, Hashable {
    /// Contig (chromosome) name as in the input's header or index.
    public var contig: String
    /// 0-based first base (inclusive).
    public var start: Int
    /// 0-based end (exclusive), or `nil` for the end of the contig.
    public var end: Int?
    /// Where the region came from, for messages (`regions.bed line 12`, `--region chr1:1-100`).
    public var origin: String
    /// Peak summit as an offset from `start` (narrowPeak column 10), when known.
    public var summit: Int?

    /// Creates a region from 0-based, half-open coordinates.
    public init(contig: String, start: Int, end: Int?, origin: String = "a region", summit: Int? = nil) {
        self.contig = contig
        self.start = start
        self.end = end
        self.origin = origin
        self.summit = summit
    }
}

/// Parses samtools-style region strings (`chr`, `chr:start`, `chr:start-end`).
///
/// Positions in the string are 1-based and inclusive, as in samtools; the
/// result is 0-based half-open (`chr1:1-100` → start 0, end 100). Commas in
/// numbers are allowed (`chr1:1,000-2,000`).
public enum RegionParser {
    /// Parses one region string.
    public static func parse(_ text: String) throws -> Region {
        let origin = "--region \(text)"
        guard !text.isEmpty else { throw ReaderError.badRegion(text: text, reason: "empty region") }
        guard let colon = text.lastIndex(of: ":") else {
            return Region(contig: text, start: 0, end: nil, origin: origin)
        }
        let contig = String(text[..<colon])
        let range = text[text.index(after: colon)...].replacingOccurrences(of: ",", with: "")
        guard !contig.isEmpty else { throw ReaderError.badRegion(text: text, reason: "no contig name before ':'") }
        let parts = range.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = Int(parts[0]) else {
            throw ReaderError.badRegion(text: text, reason: "start '\(parts[0])' is not a whole number")
        }
        guard first >= 1 else { throw ReaderError.badRegion(text: text, reason: "positions start at 1") }
        if parts.count == 1 || parts[1].isEmpty {
            return Region(contig: contig, start: first - 1, end: nil, origin: origin)
        }
        guard let last = Int(parts[1]) else {
            throw ReaderError.badRegion(text: text, reason: "end '\(parts[1])' is not a whole number")
        }
        guard last >= first else {
            throw ReaderError.badRegion(text: text, reason: "end \(last) is before start \(first)")
        }
        return Region(contig: contig, start: first - 1, end: last, origin: origin)
    }
}

/// Reads regions from a BED file (BED3 and up; plain, gzip or bgzip).
///
/// Coordinates are taken as written (0-based, half-open). Blank lines and
/// lines starting with `#`, `track` or `browser` are skipped; any other line
/// must have a contig, a start and an end, separated by tabs.
public enum BEDReader {
    /// Reads every region of the file at `path` (`-` for standard input).
    public static func read(path: String) throws -> [Region] {
        let reader = try TextLineReader(path: path)
        var regions: [Region] = []
        let name = URL(fileURLWithPath: path).lastPathComponent
        while let text = try reader.next() {
            let lineNumber = reader.lineNumber
            if text.allSatisfy({ $0 == " " || $0 == "\t" }) || text.hasPrefix("#")
                || text.hasPrefix("track") || text.hasPrefix("browser") { continue }
            let fields = text.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3 else {
                throw ReaderError.malformedBED(path: path, line: lineNumber,
                                               reason: "expected at least 3 tab-separated columns (contig, start, end), found \(fields.count)")
            }
            guard !fields[0].isEmpty else {
                throw ReaderError.malformedBED(path: path, line: lineNumber, reason: "empty contig name")
            }
            guard let start = Int(fields[1]) else {
                throw ReaderError.malformedBED(path: path, line: lineNumber, reason: "start '\(fields[1])' is not a whole number")
            }
            guard let end = Int(fields[2]) else {
                throw ReaderError.malformedBED(path: path, line: lineNumber, reason: "end '\(fields[2])' is not a whole number")
            }
            guard start >= 0 else {
                throw ReaderError.malformedBED(path: path, line: lineNumber, reason: "negative start \(start)")
            }
            guard end >= start else {
                throw ReaderError.malformedBED(path: path, line: lineNumber, reason: "end \(end) is before start \(start)")
            }
            // narrowPeak: column 10 is the summit's offset from the start, -1 when not called.
            var summit: Int?
            if fields.count >= 10, let offset = Int(fields[9]), offset >= 0, offset < end - start { summit = offset }
            regions.append(Region(contig: String(fields[0]), start: start, end: end, origin: "\(name) line \(lineNumber)", summit: summit))
        }
        return regions
    }
}
