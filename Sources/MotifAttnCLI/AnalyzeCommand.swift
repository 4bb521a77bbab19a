import ArgumentParser
import Foundation
import MotifAttn

/// `motifattn analyze`: the attention analysis of labelled sequences (or of a genome with regions).
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Find the motifs each head attends to and co-attending TF pairs in labelled sequences or a genome with bound regions.",
        discussion: """
        INPUT is a labelled FASTA (headers with label=1 for bound, label=0 for background, as simulate.py \
        writes them; each record one window no longer than the model's max_len), or a genome with \
        --regions (bound windows overlap the regions; this runs the same pipeline as scan and also writes \
        scores). Writes head_motifs.tsv, motifs.meme, motif_matches.tsv, interactions.tsv, heads.tsv, \
        report.html and run.json into --out (see docs/analysis.md for the methods).
        """)

    @Argument(help: ArgumentHelp("Labelled FASTA, or a genome FASTA with --regions.", valueName: "INPUT")) var input: String
    @Option(help: ArgumentHelp("Bound regions (BED); makes INPUT a genome.", valueName: "BED")) var regions: String?
    @OptionGroup var analysis: AnalysisOptionsGroup
    @Option(help: ArgumentHelp("Motifs whose instances the co-attention pairs: database, discovered (the run's head motifs) or both. "
                               + "discovered and both read INPUT twice (a file, not -), the first time for the head motifs; labelled FASTA only.",
                               valueName: "database|discovered|both"))
    var instances: InstanceSource = .database

    func validate() throws {
        guard instances.needsDiscoveredMotifs else { return }
        guard regions == nil else { throw ValidationError("--instances \(instances.rawValue) works on a labelled FASTA, not a genome with --regions") }
        guard input != "-" else { throw ValidationError("--instances \(instances.rawValue) reads INPUT twice: give a file, not standard input") }
    }

    func run() throws {
        try reportingErrors("analyze") {
            if let regions {
                var settings = ScanSettings(genome: input, regionsPath: regions, modelPath: try analysis.modelPath(),
                                            windowOptions: ScanSettings.defaultWindowOptions.with(threads: analysis.threads),
                                            analysis: try analysis.analysisOptions(), outputFolder: analysis.out)
                settings.background = analysis.background
                settings.threads = analysis.threads
                settings.seed = analysis.seed
                settings.quiet = analysis.quiet
                try ScanPipeline(settings: settings, record: RunRecord(command: "analyze")).run()
            } else {
                var options = try analysis.analysisOptions()
                options.instances = instances
                let pipeline = AnalyzePipeline(input: input, modelPath: try analysis.modelPath(), options: options,
                                               background: analysis.background, outputFolder: analysis.out,
                                               record: RunRecord(command: "analyze"))
                pipeline.threads = analysis.threads
                pipeline.seed = analysis.seed
                pipeline.quiet = analysis.quiet
                try pipeline.run()
            }
            if !analysis.quiet { printError("motifattn analyze: results in \(analysis.out)/") }
        }
    }
}
