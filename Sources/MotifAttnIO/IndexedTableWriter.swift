import MotifAttnCore
import CHTSlib
import Foundation

/// Errors writing a bgzip-compressed, tabix-indexed table.
public enum IndexedTableError: Error, CustomStringConvertible {
    /// Creating, writing, closing or indexing the file failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .writeFailed(path, reason): return "\(path): write failed: \(reason)"
        }
    }
}

/// A tab-separated table with `chrom start end` in its first three columns (0-based, half-open), written
/// bgzip-compressed and indexed for `tabix` (`path.tbi`, or `path.csi` when a sequence is longer than
/// tabix's 2^29 bases), so that a whole genome's table stays small on disk and a region of it can be read
/// without reading the rest (`tabix scores.tsv.gz chr1:1000-2000`).
///
/// Rows must come sorted by position within each sequence, each sequence's rows together. The first
/// `headerLines` lines (and any line starting with `#`) are left out of the index. Like `OutputFile` (MotifAttnCore),
/// nothing appears at `path` until ``commit()``: the table and its index go to registered temporary files
/// in the destination's folder, removed on failure or on SIGINT/SIGTERM.
public final class IndexedTableWriter {
    /// The final path of the table.
    public let path: String
    private let headerLines: Int
    private let temporary: String
    private var file: UnsafeMutablePointer<BGZF>?
    private var buffer: [UInt8] = []
    private var finished = false
    /// The index once ``closeForReading()`` has built it: its temporary and final paths.
    private var index: (temporary: String, final: String)?

    /// Opens a writer for `path` (normally ending in `.tsv.gz`); `threads` compress blocks in parallel
    /// (the bytes written do not depend on it).
    public init(path: String, headerLines: Int, threads: Int = 1) throws {
        self.path = path
        self.headerLines = headerLines
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        guard let (fd, temporary) = TemporaryFileRegistry.shared.create(template: "\(folder)/.\(url.lastPathComponent).tmp.XXXXXX") else {
            throw IndexedTableError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        fchmod(fd, 0o644)
        self.temporary = temporary
        guard let handle = bgzf_dopen(fd, "w") else {
            close(fd)
            TemporaryFileRegistry.shared.remove(temporary) { unlink(temporary) }
            throw IndexedTableError.writeFailed(path: path, reason: "cannot start bgzip compression")
        }
        file = handle
        if threads > 1 { _ = bgzf_mt(handle, Int32(threads), 256) }
        buffer.reserveCapacity(1 << 17)
    }

    deinit { abandon() }

    /// Appends UTF-8 text (whole lines).
    public func write(_ text: String) throws {
        buffer += text.utf8
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty, let file else { return }
        let written = buffer.withUnsafeBytes { bgzf_write(file, $0.baseAddress, $0.count) }
        guard written == buffer.count else { throw IndexedTableError.writeFailed(path: path, reason: "bgzip compression failed") }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Closes the table and indexes it without moving either into place: returns the table's temporary
    /// path, which can be read (`TextLineReader`) until ``commit()`` moves it or ``abandon()`` removes it.
    /// Nothing more can be written.
    public func closeForReading() throws -> String {
        if index != nil { return temporary }
        precondition(!finished, "the table was committed or abandoned")
        do { try flush() } catch { abandon(); throw error }
        let closed = bgzf_close(file)
        file = nil
        guard closed == 0 else {
            abandon()
            throw IndexedTableError.writeFailed(path: path, reason: "error closing the file")
        }
        var conf = tbx_conf_t(preset: Int32(TBX_GENERIC | TBX_UCSC), sc: 1, bc: 2, ec: 3, meta_char: Int32(UInt8(ascii: "#")),
                              line_skip: Int32(headerLines))
        // Tabix holds positions below 2^29; a longer sequence needs CSI (min_shift 14, as `tabix -C`).
        for (minShift, suffix) in [(Int32(0), ".tbi"), (Int32(14), ".csi")] {
            TemporaryFileRegistry.shared.register(temporary + suffix)
            if tbx_index_build(temporary, minShift, &conf) == 0 { index = (temporary + suffix, path + suffix); break }
            TemporaryFileRegistry.shared.remove(temporary + suffix) { unlink(temporary + suffix) }
        }
        guard index != nil else {
            abandon()
            throw IndexedTableError.writeFailed(path: path, reason: "htslib cannot index it (rows not sorted by position?)")
        }
        return temporary
    }

    /// Closes the table (unless ``closeForReading()`` did), indexes it and moves the table and then its index into place.
    public func commit() throws {
        guard !finished else { return }
        _ = try closeForReading()
        finished = true
        guard let index else { return }
        var failure: (String, Int32)?
        for (from, to) in [(temporary, path), (index.temporary, index.final)] {
            TemporaryFileRegistry.shared.remove(from) {
                if failure == nil && rename(from, to) != 0 { failure = (to, errno) }
                if failure != nil { unlink(from) }
            }
        }
        if let (to, code) = failure { throw IndexedTableError.writeFailed(path: to, reason: String(cString: strerror(code))) }
        // An index of the other kind left by an earlier run would describe another file.
        unlink(index.final.hasSuffix(".tbi") ? path + ".csi" : path + ".tbi")
    }

    /// Discards everything written; the destination is left as it was.
    public func abandon() {
        guard !finished else { return }
        finished = true
        if let file { _ = bgzf_close(file) }
        file = nil
        TemporaryFileRegistry.shared.remove(temporary) { unlink(temporary) }
        if let index { TemporaryFileRegistry.shared.remove(index.temporary) { unlink(index.temporary) } }
    }
}
