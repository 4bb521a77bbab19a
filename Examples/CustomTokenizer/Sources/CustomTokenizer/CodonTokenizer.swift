import MotifAttnTokenizers

/// Non-overlapping 3-mers with the v1 ids of 3-mers (so any k = 3 model reads them); a trailing partial
/// codon, or a codon with a base other than A/C/G/T, is one `[UNK]`. The type shown in docs/library.md.
struct CodonTokenizer: Tokenizer {
    var vocabularySize: Int { 5 + 64 }
    var specialTokens: SpecialTokens { .motifattnV1 }

    func encode(_ bases: UnsafeBufferPointer<UInt8>, ids: inout [Int32], spans: inout [TokenSpan]) {
        ids.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        ids.append(specialTokens.cls); spans.append(.empty)
        var start = 0
        while start < bases.count {
            let end = min(start + 3, bases.count)
            var code: Int32 = 0, known = end - start == 3
            for i in start..<end {
                switch bases[i] | 0x20 {  // lower case
                case UInt8(ascii: "a"): code = code * 4
                case UInt8(ascii: "c"): code = code * 4 + 1
                case UInt8(ascii: "g"): code = code * 4 + 2
                case UInt8(ascii: "t"): code = code * 4 + 3
                default: known = false
                }
            }
            ids.append(known ? 5 + code : specialTokens.unknown)
            spans.append(TokenSpan(start: start, end: end))
            start = end
        }
        ids.append(specialTokens.sep); spans.append(.empty)
    }
}
