import Foundation
import MotifAttnAnalysis

extension AttentionAnalysis {
    /// The report page's content for `results`.
    ///
    /// The page leads with the answer: the candidate interactions, one row per motif pair with the heads
    /// that carry it, then the head motifs that match a database motif (q ≤ the run's `maxQValue`); head
    /// motifs without a significant match are counted and left to `head_motifs.tsv`.
    public func reportContent(_ results: AnalysisResults, title: String, summary: [(String, String)],
                              cautions: [String] = []) -> ReportContent {
        let matched = results.headMotifs.filter { ($0.bestMatch?.qValue ?? 1) <= options.maxQValue }
        let motifs = matched.prefix(40).map { m -> ReportContent.HeadMotif in
            var target: [[Double]]?
            if let match = m.bestMatch {
                let motif = database.motifs[match.targetIndex]
                target = (match.orientation == .minus ? motif.reverseComplement : motif).probabilities
            }
            return ReportContent.HeadMotif(id: m.motif.id, layer: m.head.layer, head: m.head.head, consensus: m.motif.consensus,
                                           sites: m.sites, qValue: m.qValue, matrix: m.motif.probabilities,
                                           matchID: m.bestMatch?.targetID, matchName: m.bestMatch?.targetName,
                                           matchQValue: m.bestMatch?.qValue, matchMatrix: target, matchOffset: m.bestMatch?.offset ?? 0)
        }
        // One row per pair: its most significant row (the table's order), with every head that carries it.
        var headsOfPair: [String: [String]] = [:]
        var firstRows: [Interaction] = []
        for i in results.interactions {
            let pair = i.motifA + "\t" + i.motifB
            if headsOfPair[pair] == nil { firstRows.append(i) }
            headsOfPair[pair, default: []].append(i.headLabel)
        }
        let interactionRows = firstRows.prefix(30).map { i in
            let heads = headsOfPair[i.motifA + "\t" + i.motifB]!
            // A class of look-alikes is named by its shared family, representative and size (`MotifClasses.label`).
            return [i.motifA, i.nameA, i.motifB, i.nameB, heads.joined(separator: " "), "\(i.boundCount)", String(format: "%.3f", i.meanBound),
             String(format: "%.3f", i.meanBackground), String(format: "%.3f", i.effect),
             i.epistasis.map { String(format: "%.2f", $0.mean) } ?? "NA", String(format: "%.2e", i.qValue),
             String(format: "%.0f", i.medianDistance), i.orientation]
        }
        let headRows = results.heads.map { h in
            ["\(h.head.layer)", "\(h.head.head)", String(format: "%.2f", h.meanEntropy), String(format: "%.2f", h.redundancy),
             h.collapsed ? "yes" : "no", h.prune ? "yes" : "no", h.importance.map { String(format: "%.4f", $0) } ?? "NA"]
        }
        return ReportContent(title: title, summary: summary, cautions: cautions, headMotifs: Array(motifs),
                             headMotifsWithoutMatch: results.headMotifs.count - matched.count,
                             interactionColumns: ["motif_a", "name_a", "motif_b", "name_b", "heads", "n_bound", "mean_bound",
                                                  "mean_background", "effect", "epistasis", "q_value", "median_distance", "orientation"],
                             interactionRows: interactionRows,
                             headColumns: ["layer", "head", "entropy_bits", "redundancy", "collapsed", "prune", "importance"],
                             headRows: headRows, windows: results.reportWindows)
    }
}
