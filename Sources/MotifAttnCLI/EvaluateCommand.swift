import ArgumentParser
import Foundation
import MotifAttn
import MotifAttnBenchmarking

/// `motifattn evaluate`: precision and recall of a result folder against a planted truth.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Compare the interactions and head motifs of a scan or analyze folder with a planted truth (simulate.py).",
        discussion: """
        Pairs: the first 2 × (planted pairs) distinct motif pairs with q ≤ --alpha in interactions.tsv \
        (in the table's order) are the reported ones, leaving out pairs marked as a look-alike echo of a \
        stronger pair (echo_of) unless --count-echoes; a planted pair is found when it is among them. \
        Motifs: a planted motif is found when it, or a motif of the same TF family (--families, a JASPAR \
        TSV), is the best match with match q ≤ --alpha of a head motif in head_motifs.tsv. \
        Prints one line: recall and precision of pairs and motifs, and what was missed; a second line \
        counts the motifs by look-alike class (--classes), as the pairs are: a planted motif is found when \
        a head motif's best match is in its class, each class of best matches is reported once, and the \
        size of each planted motif's class is printed beside it; with \
        motif_matches.tsv in the folder, a last line: for each planted motif, −log10 of the smallest \
        match p-value of any head motif against it (how close the closest head motif is, whichever \
        look-alike is its best match), and their sum.
        """)

    @Argument(help: ArgumentHelp("Result folder holding interactions.tsv and head_motifs.tsv.", valueName: "DIR")) var results: String
    @Option(name: .customLong("truth-pairs"), help: ArgumentHelp("Planted pairs (jaspar_id_a, jaspar_id_b columns).", valueName: "TSV"))
    var truthPairs: String
    @Option(name: .customLong("truth-motifs"), help: ArgumentHelp("Planted motifs (jaspar_id column).", valueName: "TSV"))
    var truthMotifs: String
    @Option(help: ArgumentHelp("JASPAR TSV with matrix_id and tf_family; default: the bundled one.", valueName: "TSV")) var families: String?
    @Option(help: ArgumentHelp("Look-alike classes of the database (a `motifattn classes` table); default: the bundled one of JASPAR CORE vertebrates.",
                               valueName: "TSV")) var classes: String?
    @Option(help: "Largest q-value counted as found.") var alpha = 0.05
    @Flag(name: .customLong("count-echoes"), help: "Count pairs marked echo_of (a look-alike echo of a stronger pair) as pairs of their own.")
    var countEchoes = false

    func validate() throws {
        guard alpha > 0 && alpha <= 1 else { throw ValidationError("--alpha must be in (0, 1]") }
    }

    func run() throws {
        try reportingErrors("evaluate") {
            let table = try families ?? BundledData.path(of: BundledData.annotationsFile)
            let folder = results as NSString
            let matches = folder.appendingPathComponent("motif_matches.tsv")
            let evaluation = try TruthEvaluation.evaluate(
                interactionsPath: folder.appendingPathComponent("interactions.tsv"),
                headMotifsPath: folder.appendingPathComponent("head_motifs.tsv"),
                truthPairsPath: truthPairs, truthMotifsPath: truthMotifs,
                families: try TruthEvaluation.families(fromJasparTSV: table), alpha: alpha,
                matchesPath: FileManager.default.fileExists(atPath: matches) ? matches : nil, countEchoes: countEchoes,
                lookAlikeClasses: try TruthEvaluation.classes(fromClassesTSV: classes ?? BundledData.path(of: BundledData.classesFile)))
            print(evaluation.description)
        }
    }
}
