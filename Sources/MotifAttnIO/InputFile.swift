import MotifAttnCore
import CHTSlib
import Foundation

/// What an input file holds, decided from its content (never its extension).
enum InputKind {
    case fasta
    case alignments
}

/// An input opened through htslib with its format peeked at; nothing consumed yet.
struct DetectedInput {
    let file: UnsafeMutablePointer<hFILE>
    let format: htsFormat
    let kind: InputKind

    /// Whether the bytes are plain gzip (not BGZF), which faidx cannot index.
    var isPlainGzip: Bool { format.compression == gzip }
}

enum InputFile {
    /// Opens `path` (`-` for standard input) and detects its format.
    static func open(_ path: String) throws -> DetectedInput {
        silenceHTSlibOnce
        guard let file = motifattn_hopen(path, "r") else {
            throw ReaderError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        var format = htsFormat()
        if hts_detect_format2(file, path, &format) < 0 {
            _ = hclose(file)
            throw ReaderError.cannotOpen(path: path, reason: "cannot read the start of the file")
        }
        switch format.format {
        case sam, bam, cram:
            return DetectedInput(file: file, format: format, kind: .alignments)
        case fasta_format:
            return DetectedInput(file: file, format: format, kind: .fasta)
        case empty_format:
            _ = hclose(file)
            throw ReaderError.emptyInput(path: path)
        case _ where format.compression == no_compression && startsWithHeader(file):
            // htslib wants a sequence line after the first header; a record with no bases
            // (`>empty` straight followed by `>next`) is still FASTA.
            format.format = fasta_format
            return DetectedInput(file: file, format: format, kind: .fasta)
        default:
            let description = hts_format_description(&format).map { pointer -> String in
                defer { free(pointer) }
                return String(cString: pointer)
            } ?? "unknown"
            _ = hclose(file)
            throw ReaderError.unsupportedFormat(path: path, detected: description)
        }
    }

    /// Whether the first byte of an uncompressed file is `>` (peeked, not consumed).
    private static func startsWithHeader(_ file: UnsafeMutablePointer<hFILE>) -> Bool {
        var first: UInt8 = 0
        return hpeek(file, &first, 1) == 1 && first == UInt8(ascii: ">")
    }

    /// htslib prints its own warnings; our errors already say what went wrong in one line.
    static let silenceHTSlibOnce: Void = { hts_set_log_level(HTS_LOG_OFF) }()
}
