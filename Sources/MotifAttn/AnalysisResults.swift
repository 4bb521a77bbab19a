import Foundation
import MotifAttnAnalysis
import MotifAttnCore

/// What the analysis found: the contents of `head_motifs.tsv`, `motifs.meme`, `motif_matches.tsv`,
/// `interactions.tsv` and `heads.tsv`.
public struct AnalysisResults: Sendable {
    public var headMotifs: [HeadMotif]
    public var matches: [MotifMatch]
    public var interactions: [Interaction]
    /// Rows tested (pairs × heads, combined rows included) before `interactions` was cut to the significant ones.
    public var interactionsTested: Int
    /// Motif pairs whose knock-out (epistasis) test was run (`AnalysisOptions.epistasisPairs`, `epistasisMorePairs`).
    public var pairsTestedForEpistasis = 0
    public var heads: [HeadDiagnostic]
    public var boundWindows: Int
    public var backgroundWindows: Int
    /// Top-scoring bound windows with their attention and motif instances, for the report.
    public var reportWindows: [ReportContent.WindowMap]

    /// Writes the five result files into `folder` (which must exist).
    public func write(to folder: String, provenance: Provenance) throws {
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        try ResultTables.writeHeadMotifs(headMotifs, to: path("head_motifs.tsv"), provenance: provenance)
        try ResultTables.writeHeadMotifsMEME(headMotifs, to: path("motifs.meme"))
        try ResultTables.writeMatches(matches, to: path("motif_matches.tsv"), provenance: provenance)
        try ResultTables.writeInteractions(interactions, to: path("interactions.tsv"), provenance: provenance)
        try ResultTables.writeHeads(heads, to: path("heads.tsv"), provenance: provenance)
    }
}
