import Foundation

extension FastaIndex {
    /// Refuses an index htslib cannot fetch from: a sequence with bases whose first line holds none
    /// (NUL or other non-printing bytes) is indexed with 0 bases per line, and htslib 1.16 divides by that
    /// when fetching (SIGFPE; `samtools faidx` crashes on such a file too). Found by the window-reader fuzzer.
    static func checkBasesPerLine(indexPath: String, fastaPath: String) throws {
        guard let data = FileManager.default.contents(atPath: indexPath) else { return }
        for line in data.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
            guard fields.count >= 4, let length = Int(String(decoding: fields[1], as: UTF8.self)),
                  let basesPerLine = Int(String(decoding: fields[3], as: UTF8.self)) else { continue }
            if length > 0 && basesPerLine <= 0 {
                let name = String(decoding: fields[0], as: UTF8.self)
                throw ReaderError.indexFailed(path: fastaPath, reason: "sequence '\(name)' starts with a line without bases, which htslib cannot read by region")
            }
        }
    }
}
