import MotifAttnCore

/// An error in a tokenizer's settings.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// k outside 1...12 (4^k k-mers must fit a vocabulary).
    case unsupportedK(Int)
    /// A step between k-mers below 1.
    case unsupportedStride(Int)

    public var description: String {
        switch self {
        case .unsupportedK(let k): return "k-mer tokenizer: k = \(k) is not supported (use 1 to 12)"
        case .unsupportedStride(let s): return "k-mer tokenizer: stride = \(s) is not supported (use 1 or more)"
        }
    }
}

/// The motifattn v1 k-mer tokenizer: [CLS], the k-mers starting at bases 0, s, 2s, … that fit wholly, [SEP].
///
/// Ids: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then the 4^k k-mers in base-4 order with
/// A=0 C=1 G=2 T=3 ("AAA"=5). A k-mer holding any other letter (N, IUPAC) is [UNK]; lower case
/// counts as upper case. Works on bytes through a 256-entry table, with a rolling code.
public struct KmerTokenizer: Tokenizer {
    /// Length of each k-mer.
    public let k: Int
    /// Distance in bases between the starts of consecutive k-mers.
    public let stride: Int
    /// 5 specials plus 4^k k-mers.
    public var vocabularySize: Int { 5 + (1 << (2 * k)) }
    /// [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4.
    public var specialTokens: SpecialTokens { .motifattnV1 }

    /// A tokenizer of k-mers of length `k` taken every `stride` bases.
    public init(k: Int, stride: Int = 1) throws {
        guard (1...12).contains(k) else { throw TokenizerError.unsupportedK(k) }
        guard stride >= 1 else { throw TokenizerError.unsupportedStride(stride) }
        self.k = k
        self.stride = stride
    }

    /// Number of tokens (specials included) for a window of `length` bases.
    public func tokenCount(forLength length: Int) -> Int {
        length < k ? 2 : 2 + (length - k) / stride + 1
    }

    public func encode(_ bases: UnsafeBufferPointer<UInt8>, ids: inout [Int32], spans: inout [TokenSpan]) {
        let count = tokenCount(forLength: bases.count)
        ids.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        ids.reserveCapacity(count)
        spans.reserveCapacity(count)
        ids.append(2)
        spans.append(.empty)
        if bases.count >= k {
            let mask = (1 << (2 * k)) - 1
            var code = 0
            var lastBad = -1  // position of the latest non-ACGT base
            Nucleotides.codeTable.withUnsafeBufferPointer { table in
                for i in 0..<bases.count {
                    let c = Int(table[Int(bases[i])])
                    if c == 4 { lastBad = i; code = (code << 2) & mask } else { code = ((code << 2) | c) & mask }
                    let start = i - k + 1
                    guard start >= 0, start % stride == 0 else { continue }
                    ids.append(lastBad >= start ? 1 : Int32(5 + code))
                    spans.append(TokenSpan(start: start, end: i + 1))
                }
            }
        }
        ids.append(3)
        spans.append(.empty)
    }
}
