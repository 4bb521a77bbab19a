/// The half-open stretch of a window's bases that one token stands for (0-based offsets into the window).
///
/// Special tokens ([CLS], [SEP], [PAD]) cover an empty span.
public struct TokenSpan: Sendable, Hashable {
    /// First base covered (0-based, inclusive).
    public var start: Int32
    /// One past the last base covered.
    public var end: Int32

    /// The span `start..<end`.
    public init(start: Int, end: Int) {
        self.start = Int32(start)
        self.end = Int32(end)
    }

    /// The empty span of a special token.
    public static let empty = TokenSpan(start: 0, end: 0)

    /// Whether the token covers no base.
    public var isEmpty: Bool { end <= start }
}

/// The ids of the special tokens a model's vocabulary reserves.
public struct SpecialTokens: Sendable, Hashable {
    /// Padding after the end of a shorter row; masked out as a key.
    public var pad: Int32
    /// A piece of sequence the vocabulary has no token for (e.g. holding an N).
    public var unknown: Int32
    /// The classification token that starts every row; its final vector gives the logits.
    public var cls: Int32
    /// The separator that ends every row.
    public var sep: Int32
    /// The masking token of masked-language-model training.
    public var mask: Int32

    /// Special tokens with the given ids.
    public init(pad: Int32, unknown: Int32, cls: Int32, sep: Int32, mask: Int32) {
        self.pad = pad; self.unknown = unknown; self.cls = cls; self.sep = sep; self.mask = mask
    }

    /// The layout of the motifattn v1 format: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4.
    public static let motifattnV1 = SpecialTokens(pad: 0, unknown: 1, cls: 2, sep: 3, mask: 4)
}

/// Turns a window's bases into the token ids a model reads, each with the bases it covers.
///
/// Conform to plug your own tokenizer into the encoder and the attention-to-base mapping:
/// only `vocabularySize`, `specialTokens` and `encode(_:ids:spans:)` are required.
public protocol Tokenizer: Sendable {
    /// Number of distinct token ids (ids are `0..<vocabularySize`).
    var vocabularySize: Int { get }
    /// The reserved special ids.
    var specialTokens: SpecialTokens { get }
    /// Replaces `ids` and `spans` with the tokens of `bases` (ASCII letters, any case),
    /// [CLS] first and [SEP] last; `spans[i]` is the half-open base range of `ids[i]`.
    ///
    /// Reuses the arrays' storage, so calling it in a loop with the same arrays does not allocate.
    func encode(_ bases: UnsafeBufferPointer<UInt8>, ids: inout [Int32], spans: inout [TokenSpan])
}

/// A window turned into tokens.
public struct TokenizedWindow: Sendable, Hashable {
    /// Token ids, [CLS] first and [SEP] last.
    public var ids: [Int32]
    /// For each token, the bases it covers.
    public var spans: [TokenSpan]
    /// Number of bases of the window.
    public var baseCount: Int

    /// A tokenized window from its parts.
    public init(ids: [Int32], spans: [TokenSpan], baseCount: Int) {
        self.ids = ids; self.spans = spans; self.baseCount = baseCount
    }
}

extension Tokenizer {
    /// The tokens of `bases` (a convenience that allocates; use `encode(_:ids:spans:)` in loops).
    public func encode(_ bases: [UInt8]) -> TokenizedWindow {
        var ids: [Int32] = []
        var spans: [TokenSpan] = []
        bases.withUnsafeBufferPointer { encode($0, ids: &ids, spans: &spans) }
        return TokenizedWindow(ids: ids, spans: spans, baseCount: bases.count)
    }

    /// The tokens of a string of bases.
    public func encode(_ bases: String) -> TokenizedWindow { encode(Array(bases.utf8)) }
}
