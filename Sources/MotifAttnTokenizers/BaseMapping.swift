/// Maps per-token values back onto the bases of a window through the tokens' spans.
///
/// Each base takes the mean over the tokens that cover it (0 where no token does, e.g. past the
/// last whole k-mer). Special tokens cover no base, so their values are dropped.
public enum BaseMapping {
    /// A per-token profile (e.g. attention received by each token) as a per-base profile of `baseCount` values.
    public static func profileOnBases(_ tokenProfile: [Float], spans: [TokenSpan], baseCount: Int) -> [Float] {
        precondition(tokenProfile.count == spans.count, "one value per token")
        var sum = [Float](repeating: 0, count: baseCount)
        var cover = [Float](repeating: 0, count: baseCount)
        for (value, span) in zip(tokenProfile, spans) where !span.isEmpty {
            for b in Int(span.start)..<min(Int(span.end), baseCount) { sum[b] += value; cover[b] += 1 }
        }
        for b in 0..<baseCount where cover[b] > 0 { sum[b] /= cover[b] }
        return sum
    }

    /// A token×token map (row-major `[tokens, tokens]`, row = query) as a base×base map `[baseCount, baseCount]`.
    ///
    /// Entry (i, j) is the mean of the token entries (a, b) with token a covering base i and token b covering base j.
    public static func mapOnBases(_ tokenMap: UnsafeBufferPointer<Float>, spans: [TokenSpan], baseCount: Int) -> [Float] {
        let t = spans.count
        precondition(tokenMap.count == t * t, "a square map over the tokens")
        // Rows first: [baseCount, tokens], then columns.
        var rowsOnBases = [Float](repeating: 0, count: baseCount * t)
        var cover = [Float](repeating: 0, count: baseCount)
        for (a, span) in spans.enumerated() where !span.isEmpty {
            for b in Int(span.start)..<min(Int(span.end), baseCount) {
                cover[b] += 1
                for j in 0..<t { rowsOnBases[b * t + j] += tokenMap[a * t + j] }
            }
        }
        var out = [Float](repeating: 0, count: baseCount * baseCount)
        for i in 0..<baseCount where cover[i] > 0 {
            var profile = [Float](repeating: 0, count: t)
            for j in 0..<t { profile[j] = rowsOnBases[i * t + j] / cover[i] }
            let row = profileOnBases(profile, spans: spans, baseCount: baseCount)
            for j in 0..<baseCount { out[i * baseCount + j] = row[j] }
        }
        return out
    }
}
