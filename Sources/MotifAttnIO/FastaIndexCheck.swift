import MotifAttnCore
import Foundation

/// One line of a `.fai`: a sequence's name, length, the byte offset of its first base, and its line layout.
///
/// Read once when an index is loaded: htslib 1.16's `faidx_seq_len` returns an `int` (it wraps at 2^31
/// bases), and the checks below need the layout htslib does not expose.
struct FaiRecord {
    var name: String
    var length: Int
    var offset: Int
    var basesPerLine: Int
    var bytesPerLine: Int

    /// Byte offset just past the record's last base (before its final line end).
    var dataEnd: Int {
        basesPerLine > 0 ? offset + (length / basesPerLine) * bytesPerLine + length % basesPerLine : offset
    }

    /// The records of the `.fai` at `indexPath`, in file order.
    static func read(indexPath: String, fastaPath: String) throws -> [FaiRecord] {
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            throw ReaderError.indexFailed(path: fastaPath, reason: "cannot read its index \(indexPath)")
        }
        var records: [FaiRecord] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
            let numbers = fields.dropFirst().prefix(4).map { Int(String(decoding: $0, as: UTF8.self)) }
            guard numbers.count == 4, let length = numbers[0], let offset = numbers[1],
                  let basesPerLine = numbers[2], let bytesPerLine = numbers[3], length >= 0, offset >= 0 else {
                throw ReaderError.indexFailed(path: fastaPath, reason: "\(indexPath) line \(number + 1) is not 'name length offset linebases linewidth'")
            }
            records.append(FaiRecord(name: String(decoding: fields[0], as: UTF8.self), length: length, offset: offset,
                                     basesPerLine: basesPerLine, bytesPerLine: bytesPerLine))
        }
        return records
    }

    /// Refuses an index htslib cannot fetch from: a sequence with bases whose first line holds none
    /// (NUL or other non-printing bytes) is indexed with 0 bases per line, and htslib 1.16 divides by that
    /// when fetching (SIGFPE; `samtools faidx` crashes on such a file too). Found by the window-reader fuzzer.
    static func checkBasesPerLine(_ records: [FaiRecord], fastaPath: String) throws {
        if let bad = records.first(where: { $0.length > 0 && $0.basesPerLine <= 0 }) {
            throw ReaderError.indexFailed(path: fastaPath, reason: "sequence '\(bad.name)' starts with a line without bases, which htslib cannot read by region")
        }
    }

    /// For an uncompressed FASTA, checks that the `.fai` fits the file: every record's bases lie inside it,
    /// and between one record's last base and the next one's first there are only line ends, header lines
    /// and records without bases (htslib builds an index that silently skips a second record of the same
    /// name, and loads an index made for another file). Compressed files are checked as regions are fetched.
    static func checkAgainstPlainFile(_ records: [FaiRecord], indexPath: String, fastaPath: String) throws {
        guard let handle = FileHandle(forReadingAtPath: fastaPath) else { return }
        defer { try? handle.close() }
        guard let start = try? handle.read(upToCount: 1), start.first == UInt8(ascii: ">") else {
            return   // compressed: nothing to check here
        }
        let fileSize = Int((try? handle.seekToEnd()) ?? 0)
        func stale(_ reason: String) -> ReaderError { .staleIndex(path: fastaPath, index: indexPath, reason: reason) }
        let sorted = records.sorted { $0.offset < $1.offset }
        for (i, record) in sorted.enumerated() {
            let end = record.dataEnd
            if end > fileSize { throw stale("'\(record.name)' would end at byte \(end) of a \(fileSize)-byte file") }
            let next = i + 1 < sorted.count ? sorted[i + 1] : nil
            let gapEnd = next?.offset ?? fileSize
            guard gapEnd >= end else { throw stale("records '\(record.name)' and '\(next!.name)' overlap") }
            try handle.seek(toOffset: UInt64(end))
            let gap = try handle.read(upToCount: gapEnd - end) ?? Data()
            // Walk the gap: bases under a header there belong to a record the index leaves out.
            var header: String?
            var headers = 0
            for line in gap.split(separator: UInt8(ascii: "\n")) {
                if line.first == UInt8(ascii: ">") {
                    headers += 1
                    header = String(decoding: line.dropFirst().prefix { $0 != 32 && $0 != 9 && $0 != 13 }, as: UTF8.self)
                } else if line.contains(where: { $0 > 32 }) {
                    guard let header else { throw stale("the file has more bases of '\(record.name)' than the index says") }
                    if records.contains(where: { $0.name == header }) {
                        throw ReaderError.duplicateSequenceName(path: fastaPath, name: header)
                    }
                    throw stale("the file has a record '\(header)' after '\(record.name)' that the index leaves out")
                }
            }
            if let next, headers == 0 { throw stale("no header line before '\(next.name)' where the index puts it") }
        }
    }
}
