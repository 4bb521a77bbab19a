import MotifAttnCore
import CHTSlib

/// Which strands to produce windows for.
public enum StrandChoice: String, Sendable, CaseIterable {
    /// The reference (forward) strand only.
    case plus
    /// The forward strand, then the reverse complement of the same window (marked `-`).
    case both
}

/// How sequences are tiled into windows and which alignments are kept.
public struct WindowOptions: Sendable, Hashable {
    /// Window length in bases.
    public var window: Int
    /// Distance between the starts of consecutive windows, in bases.
    public var stride: Int
    /// Strands to produce.
    public var strand: StrandChoice
    /// Windows whose fraction of `N` bases is above this are skipped (and counted).
    public var maxN: Double
    /// Threads for BGZF/BAM/CRAM decompression (1 = none extra). Output does not depend on it.
    public var threads: Int
    /// Reference FASTA used to decode CRAM (otherwise the CRAM header's `UR`/`M5` tags are used).
    public var reference: String?
    /// Alignments with any of these SAM flag bits are dropped (default UNMAP, SECONDARY, QCFAIL, DUP).
    public var excludeFlags: Int
    /// Alignments with a mapping quality below this are dropped.
    public var minMappingQuality: Int

    /// The default excluded flags: UNMAP, SECONDARY, QCFAIL, DUP (0x704), as in `samtools view`'s common use.
    public static let defaultExcludeFlags = 0x4 | 0x100 | 0x200 | 0x400

    /// Creates options; `stride` defaults to `window` (tiles that touch, no overlap).
    public init(window: Int = 200, stride: Int? = nil, strand: StrandChoice = .plus, maxN: Double = 0.1,
                threads: Int = 1, reference: String? = nil,
                excludeFlags: Int = WindowOptions.defaultExcludeFlags, minMappingQuality: Int = 0) {
        self.window = window
        self.stride = stride ?? window
        self.strand = strand
        self.maxN = maxN
        self.threads = threads
        self.reference = reference
        self.excludeFlags = excludeFlags
        self.minMappingQuality = minMappingQuality
    }

    /// The same options with `threads` decompression threads.
    public func with(threads: Int) -> WindowOptions {
        var copy = self
        copy.threads = threads
        return copy
    }

    /// Parses SAM flags written as samtools accepts them: a number (`1796`, `0x704`)
    /// or comma-separated names (`UNMAP,SECONDARY,QCFAIL,DUP`). Returns `nil` when unrecognised.
    public static func parseFlags(_ text: String) -> Int? {
        let value = bam_str2flag(text)
        return value < 0 ? nil : Int(value)
    }
}
