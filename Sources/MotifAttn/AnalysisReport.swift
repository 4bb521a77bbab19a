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
        let patched = results.heads.contains { $0.patch != nil }
        let headRows = results.heads.map { h in
            ["\(h.head.layer)", "\(h.head.head)", String(format: "%.2f", h.meanEntropy), String(format: "%.2f", h.redundancy),
             h.collapsed ? "yes" : "no", h.prune ? "yes" : "no", h.importance.map { String(format: "%.4f", $0) } ?? "NA"]
                + (patched ? [h.patch.map { String(format: "%.3f [%.3f, %.3f]", $0.mean, $0.ciLow, $0.ciHigh) } ?? "NA",
                              h.patch.map { String(format: "%.2e", $0.pValue) } ?? "NA"] : [])
        }
        let unmatched = results.headMotifs.filter { ($0.bestMatch?.qValue ?? 1) > options.maxQValue }.map { m in
            [m.motif.id, m.head.description, m.motif.consensus, "\(m.sites)", String(format: "%.2e", m.qValue)]
        }
        let headBars = results.heads.map { h in
            ReportContent.HeadBar(label: h.head.description, entropy: h.meanEntropy,
                                  maxEntropy: h.normalizedEntropy > 0 ? h.meanEntropy / h.normalizedEntropy : h.meanEntropy,
                                  importance: h.importance,
                                  flags: [h.collapsed ? "collapsed" : nil, h.prune ? "prune" : nil].compactMap { $0 }.joined(separator: ", "))
        }
        var summary = summary
        if !firstRows.isEmpty {
            summary.append(("top interactions", firstRows.prefix(3).map { "\($0.nameA) + \($0.nameB)" }.joined(separator: "; ")))
        }
        return ReportContent(title: title, summary: summary, cautions: cautions, headMotifs: Array(motifs),
                             unmatchedHeadMotifs: unmatched,
                             interactionCards: interactionCards(firstRows.prefix(10), heads: headsOfPair, windows: results.reportWindows),
                             headBars: headBars,
                             interactionColumns: ["motif_a", "name_a", "motif_b", "name_b", "heads", "n_bound", "mean_bound",
                                                  "mean_background", "effect", "epistasis", "q_value", "median_distance", "orientation"],
                             interactionRows: interactionRows,
                             headColumns: ["layer", "head", "entropy_bits", "redundancy", "collapsed", "prune", "importance"]
                                + (patched ? ["patch effect [95 % CI]", "patch p"] : []),
                             headRows: headRows, windows: results.reportWindows)
    }

    /// Cards for the pairs' first rows: the classes' representatives and members, the heads, and the first
    /// top window holding a site of each class (only those sites marked).
    private func interactionCards(_ rows: ArraySlice<Interaction>, heads: [String: [String]],
                                  windows: [ReportContent.WindowMap]) -> [ReportContent.InteractionCard] {
        let motifByID = Dictionary(instanceMotifs.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let motifIndex = Dictionary(instanceMotifs.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        func described(_ ids: [String]) -> [String] { ids.map { id in motifByID[id].map { "\(id) \($0.name)" } ?? id } }
        return rows.map { i in
            let membersA = i.membersA.isEmpty ? [i.motifA] : i.membersA
            let membersB = i.membersB.isEmpty ? [i.motifB] : i.membersB
            let namesA = Set(membersA.compactMap { motifByID[$0]?.name }), namesB = Set(membersB.compactMap { motifByID[$0]?.name })
            var example: ReportContent.WindowMap?
            for window in windows {
                let a = window.instances.filter { namesA.contains($0.name) }, b = window.instances.filter { namesB.contains($0.name) }
                if !a.isEmpty && !b.isEmpty {
                    example = window
                    example!.instances = a + b.filter { x in !a.contains { $0.start == x.start && $0.end == x.end && $0.name == x.name } }
                    break
                }
            }
            // Centre-to-centre distances of the closest sites, in the windows sampled for the epistasis test.
            var distances: [Int] = []
            if let pairSamples, let a = motifIndex[i.motifA], let b = motifIndex[i.motifB] {
                for entry in pairSamples.entries(a, b) {
                    let closest = entry.sitesA.flatMap { x in entry.sitesB.map { y in abs((x.lowerBound + x.upperBound) - (y.lowerBound + y.upperBound)) / 2 } }.min()
                    if let closest { distances.append(closest) }
                }
            }
            var card = ReportContent.InteractionCard(
                labelA: i.nameA, labelB: i.nameB, matrixA: motifByID[i.motifA]?.probabilities, matrixB: motifByID[i.motifB]?.probabilities,
                membersA: described(membersA), membersB: described(membersB), heads: heads[i.motifA + "\t" + i.motifB] ?? [i.headLabel],
                boundSites: i.boundCount, effect: i.effect, epistasis: i.epistasis?.mean, qValue: i.qValue,
                medianDistance: i.medianDistance, orientation: i.orientation, example: example)
            card.sampledDistances = distances
            return card
        }
    }
}
