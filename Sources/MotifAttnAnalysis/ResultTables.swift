import Foundation
import MotifAttnCore

/// Writers of the analysis tables: provenance line, header, rows in a stable order, fixed float formats.
///
/// Formats: p-, q- and E-values `%.3e`; fractions, attention and effects `%.6f`;
/// entropies and similarities `%.4f`; distances `%.1f`; missing values `NA`.
public enum ResultTables {
    static func scientific(_ x: Double) -> String { x.isNaN ? "NA" : String(format: "%.3e", x) }
    static func fixed(_ x: Double, _ digits: Int = 6) -> String { x.isNaN ? "NA" : String(format: "%.\(digits)f", x) }
    static func clean(_ text: String) -> String { text.isEmpty ? "NA" : text.replacingOccurrences(of: "\t", with: " ") }

    /// Writes a table through `OutputFile` (`-` for standard output).
    static func write(_ path: String, provenance: Provenance, header: [String], rows: [[String]]) throws {
        let output = try OutputFile(path: path)
        try output.write(provenance.line + "\n")
        try output.write(header.joined(separator: "\t") + "\n")
        for row in rows { try output.write(row.joined(separator: "\t") + "\n") }
        try output.commit()
    }

    /// Columns of `head_motifs.tsv`.
    public static let headMotifColumns = ["layer", "head", "motif_id", "consensus", "n_sites", "bound_fraction", "background_fraction",
                                          "p_value", "q_value", "best_match_id", "best_match_name", "match_p_value", "match_q_value",
                                          "focus_fraction", "expected_fraction", "focus_p_value", "focus_q_value"]

    /// Writes `head_motifs.tsv`: one row per discovered motif, by layer, head and motif number.
    public static func writeHeadMotifs(_ motifs: [HeadMotif], to path: String, provenance: Provenance) throws {
        let ordered = motifs.enumerated().sorted { ($0.element.head, $0.offset) < ($1.element.head, $1.offset) }.map(\.element)
        let rows = ordered.map { m -> [String] in
            [String(m.head.layer), String(m.head.head), m.motif.id, m.motif.consensus, String(m.sites),
             fixed(m.boundFraction), fixed(m.backgroundFraction), scientific(m.pValue), scientific(m.qValue),
             m.bestMatch?.targetID ?? "NA", m.bestMatch.map { clean($0.targetName) } ?? "NA",
             m.bestMatch.map { scientific($0.pValue) } ?? "NA", m.bestMatch.map { scientific($0.qValue) } ?? "NA",
             fixed(m.focusFraction), fixed(m.expectedFraction), scientific(m.focusPValue), scientific(m.focusQValue)]
        }
        try write(path, provenance: provenance, header: headMotifColumns, rows: rows)
    }

    /// Writes `motifs.meme`: the discovered motifs in MEME minimal format.
    public static func writeHeadMotifsMEME(_ motifs: [HeadMotif], to path: String) throws {
        try MEMEFormat.write(MotifDatabase(motifs: motifs.map(\.motif)), to: path)
    }

    /// Columns of `motif_matches.tsv` (TOMTOM's).
    public static let matchColumns = ["query_id", "target_id", "optimal_offset", "p_value", "e_value", "q_value", "overlap",
                                      "query_consensus", "target_consensus", "orientation"]

    /// Writes `motif_matches.tsv`: matches with q ≤ `maxQValue` (TOMTOM's default 0.5), by query then p-value.
    public static func writeMatches(_ matches: [MotifMatch], to path: String, provenance: Provenance, maxQValue: Double = 0.5) throws {
        let kept = matches.enumerated().filter { $0.element.qValue <= maxQValue }
            .sorted { ($0.element.queryID, $0.element.pValue, $0.offset) < ($1.element.queryID, $1.element.pValue, $1.offset) }
            .map(\.element)
        let rows = kept.map { m -> [String] in
            [m.queryID, m.targetID, String(m.offset), scientific(m.pValue), scientific(m.eValue), scientific(m.qValue),
             String(m.overlap), m.queryConsensus, m.targetConsensus, m.orientation.rawValue]
        }
        try write(path, provenance: provenance, header: matchColumns, rows: rows)
    }

    /// Columns of `interactions.tsv`.
    public static let interactionColumns = ["motif_a", "name_a", "motif_b", "name_b", "layer", "head", "n_bound", "n_background",
                                            "mean_attention_bound", "mean_attention_background", "effect", "p_value", "q_value",
                                            "median_distance", "orientation", "n_background_own", "best_head", "mutual_best_fraction", "p_elevated", "p_mutual_best",
                                            "class_a", "class_b", "n_epistasis", "epistasis", "epistasis_positive", "epistasis_share", "p_epistasis", "echo_of"]

    /// Writes `interactions.tsv` in the given order (`CoAttentionAccumulator.interactions()` sorts by q, then effect).
    ///
    /// The combined row has `layer` and `head` both `all`; `best_head` is the pair's best head as `L{layer}H{head}`.
    public static func writeInteractions(_ interactions: [Interaction], to path: String, provenance: Provenance) throws {
        let rows = interactions.map { r -> [String] in
            [r.motifA, clean(r.nameA), r.motifB, clean(r.nameB), r.head.map { String($0.layer) } ?? "all", r.head.map { String($0.head) } ?? "all",
             String(r.boundCount), String(r.backgroundCount), fixed(r.meanBound), fixed(r.meanBackground), fixed(r.effect),
             scientific(r.pValue), scientific(r.qValue), fixed(r.medianDistance, 1), r.orientation, String(r.ownBackgroundCount),
             r.bestHead?.description ?? "NA", fixed(r.mutualBestFraction, 4),
             scientific(r.elevationPValue), scientific(r.mutualBestPValue),
             (r.membersA.isEmpty ? [r.motifA] : r.membersA).joined(separator: ","),
             (r.membersB.isEmpty ? [r.motifB] : r.membersB).joined(separator: ","),
             r.epistasis.map { String($0.windows) } ?? "NA", r.epistasis.map { fixed($0.mean) } ?? "NA",
             r.epistasis.map { fixed($0.positiveFraction, 4) } ?? "NA", r.epistasis.map { fixed($0.jointShare, 4) } ?? "NA",
             r.epistasis.map { scientific($0.pValue) } ?? "NA",
             r.echoOf ?? "."]
        }
        try write(path, provenance: provenance, header: interactionColumns, rows: rows)
    }

    /// Columns of `heads.tsv`.
    public static let headColumns = ["layer", "head", "mean_entropy_bits", "normalized_entropy", "redundancy", "most_similar_head",
                                     "collapsed", "prune", "importance"]

    /// Columns `heads.tsv` gains when activation patching ran (`AnalysisOptions.patchPairs`).
    public static let patchColumns = ["patch_effect", "patch_ci_low", "patch_ci_high", "patch_p_value", "patch_pairs"]

    /// Writes `heads.tsv`, by layer and head; `importance` is `NA` until the pipeline measures it; the
    /// patching columns are there when any head was patched.
    public static func writeHeads(_ diagnostics: [HeadDiagnostic], to path: String, provenance: Provenance) throws {
        let patched = diagnostics.contains { $0.patch != nil }
        let rows = diagnostics.sorted { $0.head < $1.head }.map { d -> [String] in
            var row = [String(d.head.layer), String(d.head.head), fixed(d.meanEntropy, 4), fixed(d.normalizedEntropy, 4), fixed(d.redundancy, 4),
                       d.mostSimilar?.description ?? "NA", d.collapsed ? "yes" : "no", d.prune ? "yes" : "no",
                       d.importance.map { fixed($0) } ?? "NA"]
            if patched {
                row += d.patch.map { [fixed($0.mean), fixed($0.ciLow), fixed($0.ciHigh), scientific($0.pValue), String($0.pairs)] }
                    ?? ["NA", "NA", "NA", "NA", "0"]
            }
            return row
        }
        try write(path, provenance: provenance, header: headColumns + (patched ? patchColumns : []), rows: rows)
    }
}
