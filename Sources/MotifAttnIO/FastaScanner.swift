import MotifAttnCore
import CHTSlib
import Foundation

/// Copies `n` bytes from `source` to `destination`, upper-casing letters and
/// dropping whitespace (`\n`, `\r`, spaces, tabs); returns how many bytes were kept.
@inline(__always)
func copyBases(_ source: UnsafePointer<UInt8>, _ n: Int, to destination: UnsafeMutablePointer<UInt8>) -> Int {
    var newlines = 0
    return copyBases(source, n, to: destination, newlines: &newlines)
}

/// `copyBases`, also adding the number of line feeds met to `newlines`.
///
/// Sixteen bytes at a time when they hold no whitespace (most of a FASTA line), byte by
/// byte for the sixteen that hold a line break; then sixteen at a time again.
@inline(__always)
func copyBases(_ source: UnsafePointer<UInt8>, _ n: Int, to destination: UnsafeMutablePointer<UInt8>,
               newlines: inout Int) -> Int {
    var kept = 0
    var i = 0
    let space = SIMD16<UInt8>(repeating: 32)
    let lowerA = SIMD16<UInt8>(repeating: 97)
    let lowerZ = SIMD16<UInt8>(repeating: 122)
    @inline(__always) func copyByte(_ byte: UInt8) {
        if byte <= 32 {
            if byte == 10 { newlines &+= 1 }
            return
        }
        destination[kept] = (byte >= 97 && byte <= 122) ? byte &- 32 : byte
        kept &+= 1
    }
    // Soft-masked (lowercase) bases are read as bases.
    @inline(__always) func upperCased(_ chunk: SIMD16<UInt8>) -> SIMD16<UInt8> {
        chunk.replacing(with: chunk &- space, where: (chunk .>= lowerA) .& (chunk .<= lowerZ))
    }
    while i + 16 <= n {
        let chunk = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<UInt8>.self)
        let whitespace = unsafeBitCast(chunk .<= space, to: SIMD2<UInt64>.self)
        if whitespace[0] | whitespace[1] == 0 {
            UnsafeMutableRawPointer(destination + kept).storeBytes(of: upperCased(chunk), as: SIMD16<UInt8>.self)
            kept &+= 16
        } else if whitespace[0].nonzeroBitCount &+ whitespace[1].nonzeroBitCount == 8 && i + 32 <= n {
            // One line break in the sixteen (the usual case): the bytes before it, then the bytes after it,
            // each stored sixteen wide; the surplus of each store is overwritten by what follows.
            let position = whitespace[0] != 0 ? whitespace[0].trailingZeroBitCount / 8
                                              : 8 &+ whitespace[1].trailingZeroBitCount / 8
            if source[i &+ position] == 10 { newlines &+= 1 }
            UnsafeMutableRawPointer(destination + kept).storeBytes(of: upperCased(chunk), as: SIMD16<UInt8>.self)
            kept &+= position
            let after = UnsafeRawPointer(source + i + position + 1).loadUnaligned(as: SIMD16<UInt8>.self)
            UnsafeMutableRawPointer(destination + kept).storeBytes(of: upperCased(after), as: SIMD16<UInt8>.self)
            kept &+= 15 &- position
        } else {
            for j in i..<(i + 16) { copyByte(source[j]) }
        }
        i &+= 16
    }
    while i < n {
        copyByte(source[i])
        i &+= 1
    }
    return kept
}

/// Whether any lane of a 16-byte comparison is true (two 64-bit tests; the standard library's `any`
/// reduces lane by lane through a call).
@inline(__always)
func anyLane(_ mask: SIMDMask<SIMD16<Int8>>) -> Bool {
    let words = unsafeBitCast(mask, to: SIMD2<UInt64>.self)
    return words[0] | words[1] != 0
}

/// How many of the `n` bytes at `bytes` equal `target` (sixteen at a time).
@inline(__always)
func countOccurrences(of target: UInt8, in bytes: UnsafePointer<UInt8>, count n: Int) -> Int {
    var total = 0
    var i = 0
    let wanted = SIMD16<UInt8>(repeating: target)
    while i + 16 <= n {
        // Lane counts stay below 256: flush them every 255 chunks.
        var lanes = SIMD16<UInt8>(repeating: 0)
        var chunks = 0
        while i + 16 <= n && chunks < 255 {
            let chunk = UnsafeRawPointer(bytes + i).loadUnaligned(as: SIMD16<UInt8>.self)
            lanes &+= SIMD16<UInt8>(repeating: 0).replacing(with: 1, where: chunk .== wanted)
            i &+= 16
            chunks &+= 1
        }
        for lane in 0..<16 { total &+= Int(lanes[lane]) }
    }
    while i < n {
        if bytes[i] == target { total &+= 1 }
        i &+= 1
    }
    return total
}

/// Streams FASTA records through htslib (plain, gzip or bgzip; `-` for stdin),
/// never holding more than a chunk of the file plus what the caller keeps.
final class FastaScanner {
    let path: String
    private let bgzf: UnsafeMutablePointer<BGZF>
    private let raw: UnsafeMutablePointer<UInt8>
    private static let chunk = 1 << 18
    private var rawCount = 0
    private var rawPos = 0
    private var atLineStart = true
    private var seenHeader = false
    private var linesBeforeHeader = 0
    /// Lines ended so far (newlines consumed), so the line being read is `completedLines + 1`.
    private var completedLines = 0
    /// The 1-based line number of the last header returned by `nextHeader`.
    private(set) var headerLine = 0
    /// htslib's inflating threads (BGZF with `threads` > 1), destroyed after the file is closed.
    private var threadPool: OpaquePointer?
    /// BGZF blocks queued for the inflating threads (bgzf_mt queues 2 per thread): a deeper queue keeps
    /// them ahead of the parser (bgzf_mt's default of 2 per thread leaves them idle while the parser works).
    /// 64 blocks of at most 64 KiB, compressed and inflated, about 8 MiB.
    private static let queuedBlocks = 64

    /// Takes over the detected input's hFILE (closed in `deinit`).
    init(input: DetectedInput, path: String, threads: Int) throws {
        self.path = path
        guard let bgzf = bgzf_hopen(input.file, "r") else {
            _ = hclose(input.file)
            throw ReaderError.cannotOpen(path: path, reason: "cannot start decompression")
        }
        self.bgzf = bgzf
        raw = .allocate(capacity: Self.chunk)
        if input.format.compression == CHTSlib.bgzf {
            // A BGZF file cut at a block boundary decompresses cleanly but lacks the end marker.
            if bgzf_check_EOF(bgzf) == 0 {
                throw ReaderError.truncated(path: path, detail: "the BGZF end-of-file marker is missing")
            }
            if threads > 1, let pool = hts_tpool_init(Int32(threads)) {
                if bgzf_thread_pool(bgzf, pool, Int32(Self.queuedBlocks)) == 0 { threadPool = pool } else { hts_tpool_destroy(pool) }
            }
        }
    }

    deinit {
        _ = bgzf_close(bgzf)
        if let threadPool { hts_tpool_destroy(threadPool) }
        raw.deallocate()
    }

    private func refill() throws -> Bool {
        let n = bgzf_read(bgzf, raw, Self.chunk)
        if n < 0 { throw ReaderError.truncated(path: path, detail: "decompression failed") }
        rawCount = n
        rawPos = 0
        return n > 0
    }

    /// Skips what is left of the current record and reads the next header line.
    /// Returns the record name (up to the first whitespace) and the rest of the line, or `nil` at the end.
    func nextHeader() throws -> (name: String, description: String)? {
        while true {
            if rawPos == rawCount, try !refill() { return nil }
            if atLineStart && raw[rawPos] == UInt8(ascii: ">") {
                rawPos += 1
                headerLine = completedLines + 1
                let line = try readLine()
                seenHeader = true
                return Self.splitHeader(line)
            }
            if !seenHeader && atLineStart { linesBeforeHeader += 1 }
            let available = rawCount - rawPos
            let lineEnd: Int
            let hasNewline: Bool
            if let newline = memchr(raw + rawPos, 10, available) {
                lineEnd = raw.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                hasNewline = true
            } else {
                lineEnd = rawCount
                hasNewline = false
            }
            if !seenHeader {
                for i in rawPos..<lineEnd where raw[i] > 32 {
                    throw ReaderError.notFasta(path: path, line: linesBeforeHeader)
                }
            }
            rawPos = hasNewline ? lineEnd + 1 : lineEnd
            atLineStart = hasNewline
            if hasNewline { completedLines += 1 }
        }
    }

    private func readLine() throws -> [UInt8] {
        var line: [UInt8] = []
        while true {
            if rawPos == rawCount, try !refill() { atLineStart = true; return line }
            let available = rawCount - rawPos
            if let newline = memchr(raw + rawPos, 10, available) {
                let end = raw.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                line.append(contentsOf: UnsafeBufferPointer(start: raw + rawPos, count: end - rawPos))
                rawPos = end + 1
                atLineStart = true
                completedLines += 1
                return line
            }
            line.append(contentsOf: UnsafeBufferPointer(start: raw + rawPos, count: available))
            rawPos = rawCount
        }
    }

    private static func splitHeader(_ line: [UInt8]) -> (name: String, description: String) {
        var text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        guard let space = text.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (text, "") }
        let rest = text[text.index(after: space)...].drop(while: { $0 == " " || $0 == "\t" })
        return (String(text[..<space]), String(rest))
    }

    /// Appends at least `minimum` bases of the current record to `buffer` (upper-cased,
    /// line breaks removed) unless the record ends first. Returns `false` once the record has ended.
    ///
    /// Copies whole stretches of the decompressed chunk up to the next `>` (many lines at once).
    func appendBases(to buffer: inout ByteBuffer, minimum: Int) throws -> Bool {
        var appended = 0
        while appended < minimum {
            if rawPos == rawCount, try !refill() { return false }
            if atLineStart && raw[rawPos] == UInt8(ascii: ">") { return false }
            // A `>` inside a line is kept as a byte of the sequence, as before; only one at a line start ends the record.
            let searchFrom = raw[rawPos] == UInt8(ascii: ">") ? rawPos + 1 : rawPos
            // At most what is asked for (or 64 KiB), so a window reader's buffer stays small.
            let wanted = max(minimum - appended, 1 << 16)
            let limit = wanted >= rawCount - rawPos ? rawCount : rawPos + wanted
            let end: Int
            if let header = memchr(raw + searchFrom, Int32(UInt8(ascii: ">")), max(limit - searchFrom, 0)) {
                end = raw.distance(to: header.assumingMemoryBound(to: UInt8.self))
            } else {
                end = max(limit, searchFrom)
            }
            let n = end - rawPos
            var newlines = 0
            let kept = copyBases(raw + rawPos, n, to: buffer.reserveTail(n), newlines: &newlines)
            buffer.commitTail(kept)
            appended += kept
            completedLines += newlines
            atLineStart = raw[end - 1] == 10
            rawPos = end
        }
        return true
    }
}

/// One FASTA record read whole: its name, the rest of its header line and its bases.
public struct FastaRecord: Sendable, Hashable {
    /// The record name: the header up to the first space.
    public var name: String
    /// The rest of the header line (for example `label=1`), without the leading space.
    public var description: String
    /// Upper-cased bases, line breaks removed.
    public var bases: [UInt8]

    /// Creates a record.
    public init(name: String, description: String, bases: [UInt8]) {
        self.name = name
        self.description = description
        self.bases = bases
    }

    /// The whole record as one plus-strand window named by the record.
    public var window: Window {
        Window(sourceName: name, start: 0, end: bases.count, strand: .plus, bases: bases, name: name)
    }
}

/// Reads FASTA records one at a time, each whole (for labelled or short sequences).
///
/// Plain, gzip and bgzip files and standard input (`-`) are read through htslib.
/// Unlike `WindowReader`, a record is held in memory whole, so this is meant for
/// sequences of reads' or peaks' length, not chromosomes.
public final class FastaRecordReader {
    /// The path as given (`-` for standard input).
    public let path: String
    private let scanner: FastaScanner
    // Allocated once the input is open: deinit (which frees it) does not run when init throws before that.
    private var buffer: ByteBuffer
    private var pendingHeader: (name: String, description: String)?
    private var started = false
    /// Number of records returned so far.
    public private(set) var recordCount = 0
    /// The 1-based line number of the header of the record last returned (for error messages).
    public private(set) var headerLine = 0

    /// Opens `path`; `threads` > 1 decompresses BGZF in parallel.
    public init(path: String, threads: Int = 1) throws {
        self.path = path
        let input = try InputFile.open(path)
        guard input.kind == .fasta else {
            _ = hclose(input.file)
            throw ReaderError.unsupportedFormat(path: path, detected: "alignments (SAM/BAM/CRAM)")
        }
        scanner = try FastaScanner(input: input, path: path, threads: threads)
        buffer = ByteBuffer(capacity: 1 << 12)
    }

    deinit { buffer.deallocate() }

    /// The next record, or `nil` after the last one.
    public func next() throws -> FastaRecord? {
        if !started {
            started = true
            pendingHeader = try scanner.nextHeader()
            if pendingHeader == nil { throw ReaderError.emptyInput(path: path) }
        }
        guard let header = pendingHeader else { return nil }
        headerLine = scanner.headerLine
        buffer.removeAll()
        while try scanner.appendBases(to: &buffer, minimum: Int.max) {}
        let bases = Array(UnsafeBufferPointer(start: buffer.storage, count: buffer.count))
        pendingHeader = try scanner.nextHeader()
        recordCount += 1
        return FastaRecord(name: header.name, description: header.description, bases: bases)
    }
}
