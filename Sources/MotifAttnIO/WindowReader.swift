import MotifAttnCore
import CHTSlib
import Foundation

/// Streams the windows of a FASTA, SAM, BAM or CRAM file, one at a time.
///
/// - FASTA (plain, gzip, bgzip, or `-` for standard input), no regions: every
///   record is tiled while it is read, so memory does not grow with chromosome length.
/// - FASTA with regions: each region is read through faidx and tiled; coordinates
///   stay those of the contig. The index is built when missing (see `docs/reader.md`).
/// - Alignments: each read passing the flag and mapping-quality filters is one
///   window named by the read, with its reference coordinates and bases as stored
///   (SEQ as in the file); reads are neither tiled nor filtered for N.
///
/// Tiling: windows of `window` bases start every `stride` bases; after the last full
/// window, one shorter window reaching the end of the sequence is kept when it is at
/// least half a window long and holds bases no earlier window covered. Windows with
/// more than `maxN` N are skipped and counted. With `.both`, each window is followed
/// by its reverse complement (strand `-`, same coordinates).
public final class WindowReader {
    /// The input path as given (`-` for standard input).
    public let path: String
    /// The options in use.
    public let options: WindowOptions
    /// Windows returned so far (both strands, and reads for alignments).
    public private(set) var windowsProduced = 0
    /// Windows skipped so far for holding more than `maxN` N (each strand counts once).
    public private(set) var windowsSkipped = 0
    /// Sequences (FASTA records or regions) tiled so far.
    public private(set) var sequencesRead = 0
    /// Receives one-line warnings (for example a region clipped at the end of its contig).
    public let warningHandler: (String) -> Void

    /// Writes a warning to standard error as `motifattn: message`.
    public static let warnOnStandardError: (String) -> Void = { message in
        FileHandle.standardError.write(Data("motifattn: \(message)\n".utf8))
    }

    private enum Source {
        case stream(FastaScanner)
        case indexed(FastaIndex)
        case alignments(AlignmentSource)
    }

    private let source: Source
    private var regions: [Region]
    private let hasRegions: Bool
    private var regionCursor = 0
    private var regionsActive = false

    // Tiling state of the current sequence, in coordinates local to it.
    // Allocated once the input is open: deinit (which frees it) does not run when init throws before that.
    private var buffer: ByteBuffer
    private var sequenceName: String?
    private var offset = 0            // contig coordinate of local position 0
    private var bufferStart = 0       // local position of buffer[0]
    private var nextStart = 0         // local start of the next window
    private var lastEnd = 0           // local end of the last full window
    private var sequenceEnded = false
    private var sequenceLength = 0
    private var fetched = 0           // indexed mode: local bases fetched so far
    private var regionLength = 0
    private var pendingMinus: Window?
    // The reverse complement of the current window, for `forEachWindow`.
    private var reverseScratch: ByteBuffer
    private var sawAnything = false

    /// Opens `path` and prepares to read all of it (`regions` empty) or only `regions`.
    ///
    /// Every region is checked here: an unknown contig throws at once, and a region
    /// reaching past its contig's end is clipped and reported to `warningHandler`.
    public init(path: String, regions: [Region] = [], options: WindowOptions = WindowOptions(),
                warningHandler: @escaping (String) -> Void = WindowReader.warnOnStandardError) throws {
        self.warningHandler = warningHandler
        precondition(options.window > 0 && options.stride > 0, "window and stride must be positive")
        self.path = path
        self.options = options
        self.regions = regions
        hasRegions = !regions.isEmpty
        if hasRegions && path == "-" { throw ReaderError.regionsNeedAFile(path: path) }
        let input = try InputFile.open(path)
        switch input.kind {
        case .alignments:
            source = .alignments(try AlignmentSource(input: input, path: path, options: options))
        case .fasta where regions.isEmpty:
            source = .stream(try FastaScanner(input: input, path: path, threads: options.threads))
        case .fasta:
            let plainGzip = input.isPlainGzip
            _ = hclose(input.file)
            if plainGzip { throw ReaderError.gzipNeedsBgzip(path: path) }
            source = .indexed(try FastaIndex(path: path))
        }
        buffer = ByteBuffer(capacity: 1 << 16)
        reverseScratch = ByteBuffer(capacity: 256)
        try resolveRegions()
    }

    deinit {
        buffer.deallocate()
        reverseScratch.deallocate()
    }

    /// Bytes currently reserved for bases of the current sequence (for checking that memory stays bounded).
    var bufferCapacity: Int { buffer.capacity }

    /// Checks every region against the input's contigs before any window is produced,
    /// so that a bad region fails at once; regions past a contig's end are clipped with a warning.
    private func resolveRegions() throws {
        guard hasRegions else { return }
        let lengthOf: (String) -> Int?
        switch source {
        case .indexed(let index): lengthOf = index.length(of:)
        case .alignments(let alignments): lengthOf = alignments.length(of:)
        case .stream: return
        }
        var resolved: [Region] = []
        resolved.reserveCapacity(regions.count)
        var lengths: [String: Int] = [:]
        for var region in regions {
            let length: Int
            if let known = lengths[region.contig] {
                length = known
            } else {
                guard let found = lengthOf(region.contig) else {
                    throw ReaderError.unknownContig(path: path, contig: region.contig, origin: region.origin)
                }
                lengths[region.contig] = found
                length = found
            }
            let end = region.end ?? length
            if region.start >= length {
                warningHandler("\(region.origin): \(region.contig):\(region.start + 1)-\(end) starts past the end of \(region.contig) (\(length) bp); skipped")
                continue
            }
            if end > length {
                warningHandler("\(region.origin): \(region.contig):\(region.start + 1)-\(end) goes past the end of \(region.contig) (\(length) bp); clipped to \(region.contig):\(region.start + 1)-\(length)")
            }
            region.end = min(end, length)
            if region.end! > region.start { resolved.append(region) }
        }
        regions = resolved
    }

    /// The next window, or `nil` after the last one.
    public func next() throws -> Window? {
        if let minus = pendingMinus {
            pendingMinus = nil
            windowsProduced += 1
            return minus
        }
        if case .alignments(let alignments) = source { return try nextRead(alignments) }
        guard let tile = try nextAcceptedTile() else { return nil }
        let bases = Array(currentBases(tile))
        let plus = Window(sourceName: sequenceName!, start: offset + tile.start, end: offset + tile.end,
                          strand: .plus, bases: bases)
        if options.strand == .both {
            pendingMinus = Window(sourceName: plus.sourceName, start: plus.start, end: plus.end, strand: .minus,
                                  bases: Nucleotides.reverseComplement(bases))
        }
        windowsProduced += 1
        return plus
    }

    /// Hands every remaining window to `body` without copying its bases: the fast path for
    /// callers that use each window at once (such as writing it out).
    ///
    /// The `BorrowedWindow` passed to `body` is valid only during that call. Windows come in
    /// the order `next()` returns them, and the counters are kept the same way.
    public func forEachWindow(_ body: (BorrowedWindow) throws -> Void) throws {
        if let minus = pendingMinus {
            pendingMinus = nil
            windowsProduced += 1
            try minus.withBorrowed(body)
        }
        if case .alignments(let alignments) = source {
            while let read = try nextRead(alignments) { try read.withBorrowed(body) }
            return
        }
        let bothStrands = options.strand == .both
        while let tile = try nextAcceptedTile() {
            let bases = currentBases(tile)
            let name = sequenceName!
            windowsProduced += 1
            try body(BorrowedWindow(sourceName: name, start: offset + tile.start, end: offset + tile.end,
                                    strand: .plus, bases: bases, name: nil))
            if bothStrands {
                reverseScratch.removeAll()
                Nucleotides.reverseComplement(bases, into: reverseScratch.reserveTail(bases.count))
                reverseScratch.commitTail(bases.count)
                windowsProduced += 1
                try body(BorrowedWindow(sourceName: name, start: offset + tile.start, end: offset + tile.end, strand: .minus,
                                        bases: UnsafeBufferPointer(start: reverseScratch.storage, count: bases.count), name: nil))
            }
        }
    }

    /// The local range of the next tile that passes the N filter, moving on to the next sequence
    /// (FASTA record or region) as each ends; `nil` after the last one.
    private func nextAcceptedTile() throws -> (start: Int, end: Int)? {
        while true {
            if sequenceName == nil {
                guard try startNextSequence() else { return nil }
            }
            if let tile = try nextTile() { return tile }
        }
    }

    /// The bases of `tile` (local coordinates) in the buffer, valid until the buffer next changes.
    private func currentBases(_ tile: (start: Int, end: Int)) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: buffer.storage + (tile.start - bufferStart), count: tile.end - tile.start)
    }

    private func nextRead(_ alignments: AlignmentSource) throws -> Window? {
        while true {
            if hasRegions && !regionsActive {
                guard regionCursor < regions.count else { return nil }
                let region = regions[regionCursor]
                regionCursor += 1
                try alignments.seek(contig: region.contig, start: region.start, end: region.end!)
                regionsActive = true
            }
            if let read = try alignments.next() {
                windowsProduced += 1
                return read
            }
            guard hasRegions else { return nil }
            regionsActive = false
        }
    }

    private func startNextSequence() throws -> Bool {
        buffer.removeAll()
        bufferStart = 0
        nextStart = 0
        lastEnd = 0
        sequenceEnded = false
        fetched = 0
        switch source {
        case .stream(let scanner):
            guard let header = try scanner.nextHeader() else {
                if !sawAnything { throw ReaderError.emptyInput(path: path) }
                return false
            }
            sequenceName = header.name
            offset = 0
        case .indexed:
            guard regionCursor < regions.count else { return false }
            let region = regions[regionCursor]
            regionCursor += 1
            sequenceName = region.contig
            offset = region.start
            regionLength = region.end! - region.start
        case .alignments:
            return false
        }
        sawAnything = true
        sequencesRead += 1
        return true
    }

    /// Reads more bases of the current sequence; marks its end when there are none.
    private func readMore(atLeast minimum: Int) throws {
        switch source {
        case .stream(let scanner):
            if try !scanner.appendBases(to: &buffer, minimum: minimum) { sequenceEnded = true }
        case .indexed(let index):
            let n = min(max(minimum, 1 << 16), regionLength - fetched)
            if n > 0 {
                try index.append(contig: sequenceName!, start: offset + fetched, end: offset + fetched + n, to: &buffer)
                fetched += n
            }
            if fetched == regionLength { sequenceEnded = true }
        case .alignments:
            sequenceEnded = true
        }
        if sequenceEnded { sequenceLength = bufferStart + buffer.count }
    }

    /// The local range of the next window of the current sequence that passes the N filter,
    /// or `nil` (with `sequenceName` cleared) when the sequence is done.
    private func nextTile() throws -> (start: Int, end: Int)? {
        let window = options.window
        while true {
            let available = bufferStart + buffer.count
            if nextStart + window <= available {
                let start = nextStart
                nextStart += options.stride
                lastEnd = start + window
                if accepts(start: start, end: start + window) { return (start, start + window) }
                continue
            }
            if !sequenceEnded {
                // Drop bases no later window needs, keeping memory at about one window.
                let dead = min(nextStart - bufferStart, buffer.count)
                if dead > 0 && (dead >= 1 << 16 || dead * 2 >= buffer.count) {
                    buffer.removeFirst(dead)
                    bufferStart += dead
                }
                try readMore(atLeast: nextStart + window - (bufferStart + buffer.count))
                continue
            }
            // The sequence has ended: at most one shorter window reaching its end.
            let start = nextStart
            let end = sequenceLength
            nextStart = Int.max / 2
            if start < end && (end - start) * 2 >= window && end > lastEnd {
                if accepts(start: start, end: end) { return (start, end) }
            }
            if sequenceLength == 0, case .stream = source {
                warningHandler("\(path): record '\(sequenceName!)' has no bases")
            }
            sequenceName = nil
            return nil
        }
    }

    /// Whether the window `start..<end` (local coordinates) holds at most `maxN` N; counts it as skipped if not.
    private func accepts(start: Int, end: Int) -> Bool {
        let length = end - start
        let nCount = countOccurrences(of: UInt8(ascii: "N"), in: buffer.storage + (start - bufferStart), count: length)
        if Double(nCount) > options.maxN * Double(length) {
            windowsSkipped += options.strand == .both ? 2 : 1
            return false
        }
        return true
    }
}
