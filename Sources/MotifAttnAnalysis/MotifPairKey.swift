/// One integer for an unordered pair of motifs, by their indices in a list of `motifCount` motifs:
/// `min(a, b) × motifCount + max(a, b)`.
///
/// The co-attention rows (`CoAttentionAccumulator`), the sampled windows of the epistasis test
/// (`PairWindowSamples`) and the test itself key pairs this way, so a pair has one key whichever motif
/// comes first, a motif paired with itself has one too, and keys sort by the smaller index, then the larger.
struct MotifPairKey: Sendable {
    /// Number of motifs the indices refer to.
    let motifCount: Int

    /// The key of motifs `a` and `b`, in either order.
    func key(_ a: Int, _ b: Int) -> Int { min(a, b) * motifCount + max(a, b) }

    /// The smaller and the larger motif index of `key`.
    func motifs(of key: Int) -> (first: Int, second: Int) { (key / motifCount, key % motifCount) }
}
