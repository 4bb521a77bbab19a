/// Ranking metrics of a binary classifier: AUROC and AUPRC.
public enum ClassificationMetrics {
    /// Area under the ROC curve: the probability that a random positive scores above a
    /// random negative, ties counting one half (the Mann–Whitney U statistic / n₁n₀).
    /// Returns `nil` when either class is absent.
    public static func auroc(scores: [Float], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count)
        let positives = labels.filter { $0 }.count
        let negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumOfPositives: Double = 0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let midRank = Double(i + j) / 2 + 1
            for t in i...j where labels[order[t]] { rankSumOfPositives += midRank }
            i = j + 1
        }
        let u = rankSumOfPositives - Double(positives) * Double(positives + 1) / 2
        return u / (Double(positives) * Double(negatives))
    }

    /// Area under the precision–recall curve as average precision:
    /// Σ (Rₙ − Rₙ₋₁) Pₙ over score thresholds, tied scores forming one threshold
    /// (the definition scikit-learn's `average_precision_score` uses).
    public static func auprc(scores: [Float], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count)
        let positives = labels.filter { $0 }.count
        guard positives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var truePositives = 0, seen = 0
        var previousRecall = 0.0, area = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            for t in i...j where labels[order[t]] { truePositives += 1 }
            seen = j + 1
            let recall = Double(truePositives) / Double(positives)
            let precision = Double(truePositives) / Double(seen)
            area += (recall - previousRecall) * precision
            previousRecall = recall
            i = j + 1
        }
        return area
    }
}
