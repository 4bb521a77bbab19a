import MotifAttnCore
import Foundation

/// Random access to the bases of an indexed FASTA (plain or bgzip; the `.fai`/`.gzi` are built when missing,
/// as for region reading).
///
/// Not thread-safe: use one per thread.
public final class ReferenceSequence {
    /// The FASTA's path.
    public let path: String
    private let index: FastaIndex
    private var buffer = ByteBuffer(capacity: 1 << 12)

    /// Opens `path` and loads (or builds) its index.
    public init(path: String) throws {
        self.path = path
        index = try FastaIndex(path: path)
    }

    deinit { buffer.deallocate() }

    /// The length of `contig`, or `nil` when the FASTA has no sequence of that name.
    public func length(of contig: String) -> Int? { index.length(of: contig) }

    /// The upper-cased bases of `contig[start..<end]` (0-based, half-open; must lie inside the contig).
    public func bases(contig: String, start: Int, end: Int) throws -> [UInt8] {
        guard end > start else { return [] }
        buffer.removeAll()
        try index.append(contig: contig, start: start, end: end, to: &buffer)
        return Array(UnsafeBufferPointer(start: buffer.storage, count: buffer.count))
    }
}
