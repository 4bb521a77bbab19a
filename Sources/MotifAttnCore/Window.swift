/// The strand a window's bases were read from.
public enum Strand: String, Sendable, Hashable, Codable {
    /// As in the reference sequence.
    case plus = "+"
    /// Reverse complement of the reference sequence.
    case minus = "-"
}

/// A stretch of DNA handed to the model: where it comes from and its bases.
///
/// Coordinates are 0-based, half-open, on the forward strand of `sourceName`
/// (a chromosome, a FASTA record or, for alignments, the reference contig).
/// For a `.minus` window `bases` hold the reverse complement of `start..<end`.
public struct Window: Sendable, Hashable {
    /// Chromosome, record or contig the window comes from.
    public var sourceName: String
    /// 0-based first base (inclusive).
    public var start: Int
    /// 0-based end (exclusive).
    public var end: Int
    /// Strand the bases are given on.
    public var strand: Strand
    /// Upper-case ASCII bases (`A C G T N` and IUPAC letters as read).
    public var bases: [UInt8]
    /// A name of its own, for windows that are whole records or reads; `nil` for tiles.
    public var name: String?

    public init(sourceName: String, start: Int, end: Int, strand: Strand, bases: [UInt8], name: String? = nil) {
        self.sourceName = sourceName
        self.start = start
        self.end = end
        self.strand = strand
        self.bases = bases
        self.name = name
    }

    /// Number of bases.
    public var length: Int { bases.count }

    /// `chrom:start-end(strand)` with a 0-based start, as in FASTA output headers.
    public var label: String { name ?? "\(sourceName):\(start)-\(end)(\(strand.rawValue))" }
}

/// A window whose bases are lent by the reader rather than owned (`WindowReader.forEachWindow`):
/// valid only during the call it is passed to. Fields mean what they mean in `Window`.
public struct BorrowedWindow {
    /// Chromosome, record or contig the window comes from.
    public let sourceName: String
    /// 0-based first base (inclusive).
    public let start: Int
    /// 0-based end (exclusive).
    public let end: Int
    /// Strand the bases are given on.
    public let strand: Strand
    /// Upper-case ASCII bases, lent for the duration of the call.
    public let bases: UnsafeBufferPointer<UInt8>
    /// A name of its own, for windows that are whole records or reads; `nil` for tiles.
    public let name: String?

    /// A window lending `bases` (they must stay valid while the window is used).
    public init(sourceName: String, start: Int, end: Int, strand: Strand, bases: UnsafeBufferPointer<UInt8>, name: String?) {
        self.sourceName = sourceName
        self.start = start
        self.end = end
        self.strand = strand
        self.bases = bases
        self.name = name
    }

    /// An owned copy.
    public var owned: Window {
        Window(sourceName: sourceName, start: start, end: end, strand: strand, bases: Array(bases), name: name)
    }
}

extension Window {
    /// Calls `body` with this window lent as a `BorrowedWindow`.
    public func withBorrowed<Result>(_ body: (BorrowedWindow) throws -> Result) rethrows -> Result {
        try bases.withUnsafeBufferPointer { bases in
            try body(BorrowedWindow(sourceName: sourceName, start: start, end: end, strand: strand, bases: bases, name: name))
        }
    }
}
