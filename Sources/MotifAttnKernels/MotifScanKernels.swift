import CMotifScan

/// The instruction sets `tableFirstStage` may use, widest last.
public enum TableScanCode: Int32, CaseIterable, Sendable {
    /// The plain loop, on every CPU (the twin the vector paths are tested against).
    case plain = 0
    /// AVX2 at most: 32 starts a step through byte-plane `vpshufb` lookups.
    case avx2 = 1
    /// AVX-512BW at most: 32 starts a step through `vpermi2w` lookups.
    case avx512 = 2
}

/// The first stage of the motif scan's chunk tables: for each start `s` in `starts`, the sum
/// `tables.0[words.0[s]] + tables.1[words.1[s]] + tables.2[words.2[s]]` (tables of 64 16-bit scores, words 0…63);
/// the starts whose sum reaches `need` go to `candidates` in increasing order, and their count is returned.
/// `candidates` has room for `starts.count + 1` entries. The widest of `upTo`'s instruction sets the CPU has
/// (AVX-512BW or AVX2, 32 starts a step), else a plain loop; integer sums, so the starts are the same on every path.
@inline(__always)
public func tableFirstStage(words: (UnsafePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>),
                            tables: (UnsafePointer<Int16>, UnsafePointer<Int16>, UnsafePointer<Int16>), need: Int32,
                            starts: Range<Int>, candidates: UnsafeMutablePointer<Int32>,
                            upTo code: TableScanCode = .avx512) -> Int {
    motifattn_table_first_stage_at_most(code.rawValue, words.0, words.1, words.2, tables.0, tables.1, tables.2, need,
                                        starts.lowerBound, starts.upperBound, candidates)
}
