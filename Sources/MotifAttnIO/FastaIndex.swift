import CHTSlib
import Foundation

/// Random access to an indexed FASTA (plain or bgzip) through htslib's faidx.
///
/// The `.fai` (and `.gzi`) are built when missing: next to the file, or, when
/// that folder is not writable, in `$XDG_CACHE_HOME/motifattn` (default
/// `~/.cache/motifattn`), in a folder keyed by the file's path, size and time.
final class FastaIndex {
    let path: String
    private let fai: OpaquePointer

    /// Decompressed BGZF blocks kept for reuse, in bytes: regions that fall in a block read
    /// recently (overlapping peaks, windows of one contig in any order) skip inflating it again.
    /// Bounds the extra memory of random access; a 21 Mb chromosome fits whole.
    static let blockCacheBytes: Int32 = 48 << 20

    /// Sequence names and lengths in file order, read from the `.fai` text: htslib 1.16's
    /// `faidx_seq_len` returns an `int`, which wraps for sequences of 2^31 bases or more.
    private(set) var sequences: [(name: String, length: Int)] = []
    private var lengthByName: [String: Int] = [:]

    init(path: String) throws {
        self.path = path
        _ = InputFile.silenceHTSlibOnce
        var loaded = fai_load3(path, nil, nil, Int32(FAI_CREATE.rawValue))
        var indexPath = path + ".fai"
        if loaded == nil {
            let folder = try Self.cacheFolder(for: path)
            let name = URL(fileURLWithPath: path).lastPathComponent
            indexPath = "\(folder)/\(name).fai"
            loaded = fai_load3(path, indexPath, "\(folder)/\(name).gzi", Int32(FAI_CREATE.rawValue))
        }
        guard let fai = loaded else {
            throw ReaderError.indexFailed(path: path, reason: "htslib could not index it (is it FASTA, and bgzip rather than gzip if compressed?)")
        }
        self.fai = fai
        fai_set_cache_size(fai, Self.blockCacheBytes)
        sequences = try Self.readLengths(indexPath: indexPath, fastaPath: path)
        guard sequences.count == Int(faidx_nseq(fai)) else {
            throw ReaderError.indexFailed(path: path, reason: "\(indexPath) lists \(sequences.count) sequences but htslib loaded \(faidx_nseq(fai))")
        }
        lengthByName = Dictionary(sequences.map { ($0.name, $0.length) }, uniquingKeysWith: { first, _ in first })
        try Self.checkBasesPerLine(indexPath: indexPath, fastaPath: path)
        try Self.checkAgainstPlainFile(indexPath: indexPath, fastaPath: path)
    }

    /// For an uncompressed FASTA, checks that the `.fai` fits the file: every record's bases lie inside it,
    /// and between one record's last base and the next one's first there is exactly one header line
    /// (htslib builds an index that silently skips a second record of the same name, and loads an index
    /// made for another file). Compressed files are checked as their regions are fetched.
    private static func checkAgainstPlainFile(indexPath: String, fastaPath: String) throws {
        guard let data = FileManager.default.contents(atPath: indexPath),
              let handle = FileHandle(forReadingAtPath: fastaPath) else { return }
        defer { try? handle.close() }
        guard let start = try? handle.read(upToCount: 1), start.first == UInt8(ascii: ">") else {
            return   // compressed: nothing to check here
        }
        let fileSize = Int((try? handle.seekToEnd()) ?? 0)
        var records: [(name: String, dataStart: Int, dataEnd: Int)] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: "\t")).map { String(decoding: $0, as: UTF8.self) }
            guard fields.count >= 5, let length = Int(fields[1]), let offset = Int(fields[2]),
                  let lineBases = Int(fields[3]), let lineBytes = Int(fields[4]), lineBases > 0, lineBytes >= lineBases else {
                throw ReaderError.staleIndex(path: fastaPath, index: indexPath, reason: "a line is not 'name length offset linebases linewidth'")
            }
            let end = offset + (length / lineBases) * lineBytes + length % lineBases
            records.append((fields[0], offset, end))
        }
        records.sort { $0.dataStart < $1.dataStart }
        for (i, record) in records.enumerated() {
            if record.dataEnd > fileSize {
                throw ReaderError.staleIndex(path: fastaPath, index: indexPath,
                                             reason: "'\(record.name)' would end at byte \(record.dataEnd) of a \(fileSize)-byte file")
            }
            // The bytes up to the next record's bases: line ends, then exactly one header line.
            let gapEnd = i + 1 < records.count ? records[i + 1].dataStart : fileSize
            guard gapEnd >= record.dataEnd else {
                throw ReaderError.staleIndex(path: fastaPath, index: indexPath, reason: "records '\(record.name)' and '\(records[i + 1].name)' overlap")
            }
            try handle.seek(toOffset: UInt64(record.dataEnd))
            let gap = try handle.read(upToCount: gapEnd - record.dataEnd) ?? Data()
            let headers = gap.split(separator: UInt8(ascii: "\n")).filter { $0.first == UInt8(ascii: ">") }
            let expected = i + 1 < records.count ? 1 : 0
            if headers.count > expected {
                // A record the index leaves out: htslib skips a second record of a name it has seen.
                let name = String(decoding: headers[0].dropFirst().prefix { $0 != 32 && $0 != 9 && $0 != 13 }, as: UTF8.self)
                if records.contains(where: { $0.name == name }) { throw ReaderError.duplicateSequenceName(path: fastaPath, name: name) }
                throw ReaderError.staleIndex(path: fastaPath, index: indexPath,
                                             reason: "the file has a record '\(name)' after '\(record.name)' that the index leaves out")
            }
            if headers.count < expected {
                throw ReaderError.staleIndex(path: fastaPath, index: indexPath,
                                             reason: "no header line before '\(records[i + 1].name)' where the index puts it")
            }
        }
    }

    /// The first two columns of a `.fai` (name, length), checked against htslib's own count of sequences.
    private static func readLengths(indexPath: String, fastaPath: String) throws -> [(name: String, length: Int)] {
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            throw ReaderError.indexFailed(path: fastaPath, reason: "cannot read its index \(indexPath)")
        }
        var result: [(name: String, length: Int)] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            let fields = line.split(separator: UInt8(ascii: "\t"), maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, let length = Int(String(decoding: fields[1], as: UTF8.self)), length >= 0 else {
                throw ReaderError.indexFailed(path: fastaPath, reason: "\(indexPath) line \(number + 1) is not 'name<TAB>length...'")
            }
            result.append((String(decoding: fields[0], as: UTF8.self), length))
        }
        return result
    }

    deinit { fai_destroy(fai) }

    /// Length of `contig`, or `nil` when the file has no such sequence.
    func length(of contig: String) -> Int? { lengthByName[contig] }

    /// Appends the bases of `contig[start..<end]` (upper-cased) to `buffer`.
    func append(contig: String, start: Int, end: Int, to buffer: inout ByteBuffer) throws {
        var length: hts_pos_t = 0
        guard let bases = faidx_fetch_seq64(fai, contig, hts_pos_t(start), hts_pos_t(end - 1), &length), length >= 0 else {
            throw ReaderError.fetchFailed(path: path, region: "\(contig):\(start + 1)-\(end)")
        }
        defer { free(bases) }
        let n = Int(length)
        let destination = buffer.reserveTail(n)
        let kept = bases.withMemoryRebound(to: UInt8.self, capacity: n) { copyBases($0, n, to: destination) }
        buffer.commitTail(kept)
        if n != end - start {
            throw ReaderError.truncated(path: path, detail: "\(contig):\(start + 1)-\(end) returned \(n) bases")
        }
    }

    private static func cacheFolder(for path: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache")
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var status = stat()
        _ = stat(path, &status)
        let key = "\(absolute)|\(status.st_size)|\(status.st_mtim.tv_sec)"
        // FNV-1a: a stable name for the file's cache folder.
        let hash = StableHash.fnv1a(key)
        let folder = "\(base)/motifattn/\(String(hash, radix: 16))"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ReaderError.indexFailed(path: path, reason: "its folder is read-only and the cache folder \(folder) cannot be created")
        }
        return folder
    }
}

extension FastaIndex {
    /// Every sequence of the index, in file order, with its length.
    func contigs() -> [(name: String, length: Int)] { sequences }
}

/// The sequences of an indexable FASTA (plain or bgzip) and their lengths, from its `.fai`
/// (built when missing, as for region access).
public enum GenomeIndex {
    /// Sequence names and lengths, in file order.
    public static func contigs(of path: String) throws -> [(name: String, length: Int)] {
        try FastaIndex(path: path).contigs()
    }

    /// The windows `WindowReader` makes of a sequence of `length` bases (plus strand): full windows every
    /// `stride` bases, then a shorter one reaching the end when it is at least half a window and adds bases.
    public static func windowRanges(length: Int, window: Int, stride: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        while start + window <= length {
            ranges.append(start..<(start + window))
            start += stride
        }
        let covered = ranges.last?.upperBound ?? 0
        if length > covered && start < length && 2 * (length - start) >= window {
            ranges.append(start..<length)
        }
        return ranges
    }
}
