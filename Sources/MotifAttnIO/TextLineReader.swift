import MotifAttnCore
import CHTSlib
import Foundation

/// Reads a text file line by line through htslib, in bounded memory: plain, gzip or bgzip, `-` for standard input.
public final class TextLineReader {
    /// The file read.
    public let path: String
    /// Number of the line `next()` returned last (1-based; 0 before the first).
    public private(set) var lineNumber = 0
    private let bgzf: UnsafeMutablePointer<BGZF>
    private var line = kstring_t(l: 0, m: 0, s: nil)

    /// Opens `path` (`-` for standard input).
    public init(path: String) throws {
        self.path = path
        guard let file = motifattn_hopen(path, "r") else {
            throw ReaderError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard let bgzf = bgzf_hopen(file, "r") else {
            _ = hclose(file)
            throw ReaderError.cannotOpen(path: path, reason: "cannot read as text, gzip or bgzip")
        }
        self.bgzf = bgzf
    }

    deinit {
        _ = bgzf_close(bgzf)
        free(line.s)
    }

    /// The next line without its line break (nor a `\r` before it), or nil at the end of the file.
    public func next() throws -> String? {
        let status = bgzf_getline(bgzf, Int32(UInt8(ascii: "\n")), &line)
        if status == -1 { return nil }
        if status < -1 { throw ReaderError.truncated(path: path, detail: "read failed after line \(lineNumber)") }
        lineNumber += 1
        var text = String(cString: line.s)
        if text.hasSuffix("\r") { text.removeLast() }
        return text
    }
}
