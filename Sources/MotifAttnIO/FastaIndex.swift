import MotifAttnCore
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

    /// Sequence names and lengths in file order, read from the `.fai` text (`FaiRecord`).
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
        let records = try FaiRecord.read(indexPath: indexPath, fastaPath: path)
        guard records.count == Int(faidx_nseq(fai)) else {
            throw ReaderError.indexFailed(path: path, reason: "\(indexPath) lists \(records.count) sequences but htslib loaded \(faidx_nseq(fai))")
        }
        sequences = records.map { ($0.name, $0.length) }
        lengthByName = Dictionary(sequences.map { ($0.name, $0.length) }, uniquingKeysWith: { first, _ in first })
        try FaiRecord.checkBasesPerLine(records, fastaPath: path)
        try FaiRecord.checkAgainstPlainFile(records, indexPath: indexPath, fastaPath: path)
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
