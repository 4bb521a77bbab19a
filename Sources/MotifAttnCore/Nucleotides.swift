/// The nucleotide codes every stage shares: A C G T as 0 1 2 3 (either case), and complements.
public enum Nucleotides {
    /// 0...3 for `A C G T` (either case), nil for anything else (N, IUPAC codes, gaps).
    @inlinable
    public static func code(_ base: UInt8) -> UInt8? {
        switch base {
        case UInt8(ascii: "A"), UInt8(ascii: "a"): return 0
        case UInt8(ascii: "C"), UInt8(ascii: "c"): return 1
        case UInt8(ascii: "G"), UInt8(ascii: "g"): return 2
        case UInt8(ascii: "T"), UInt8(ascii: "t"): return 3
        default: return nil
        }
    }

    /// Code per byte for table-driven loops: 0...3 for `A C G T` (either case), 4 for anything else.
    public static let codeTable: [UInt8] = {
        var table = [UInt8](repeating: 4, count: 256)
        for (i, c) in "ACGT".utf8.enumerated() { table[Int(c)] = UInt8(i); table[Int(c) + 32] = UInt8(i) }
        return table
    }()

    /// The upper-case letter of a code 0...3.
    public static let letters: [UInt8] = Array("ACGT".utf8)

    /// Complement per byte: IUPAC codes complemented in either case, other bytes kept.
    public static let complementTable: [UInt8] = {
        var table = (0..<256).map { UInt8($0) }
        let pairs: [(Character, Character)] = [("A", "T"), ("C", "G"), ("R", "Y"), ("K", "M"), ("B", "V"), ("D", "H"),
                                               ("S", "S"), ("W", "W"), ("N", "N")]
        for (a, b) in pairs {
            table[Int(a.asciiValue!)] = b.asciiValue!
            table[Int(b.asciiValue!)] = a.asciiValue!
            table[Int(a.asciiValue!) + 32] = b.asciiValue! + 32
            table[Int(b.asciiValue!) + 32] = a.asciiValue! + 32
        }
        return table
    }()

    /// The reverse complement of `bases` (IUPAC codes complemented, other bytes kept).
    public static func reverseComplement(_ bases: [UInt8]) -> [UInt8] {
        guard !bases.isEmpty else { return [] }
        return [UInt8](unsafeUninitializedCapacity: bases.count) { result, initialized in
            bases.withUnsafeBufferPointer { reverseComplement($0, into: result.baseAddress!) }
            initialized = bases.count
        }
    }

    /// Writes the reverse complement of `bases` to the `bases.count` bytes at `destination`.
    public static func reverseComplement(_ bases: UnsafeBufferPointer<UInt8>, into destination: UnsafeMutablePointer<UInt8>) {
        let n = bases.count
        complementTable.withUnsafeBufferPointer { table in
            for i in 0..<n { destination[n - 1 - i] = table[Int(bases[i])] }
        }
    }
}
