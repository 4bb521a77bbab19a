import ArgumentParser
import Foundation
import MotifAttn

/// `motifattn discover`: peaks and a genome in, a trained model and candidate TF interactions out.
struct DiscoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discover",
        abstract: "From peaks to TF motifs and candidate partners: train a model on the peaks, then scan the genome with it.",
        discussion: """
        One process, two steps, one folder: `train --genome GENOME --peaks PEAKS` with discover's \
        defaults (background: genome windows outside the peaks matched to their GC; validation on \
        held-out blocks of the genome; reverse-complement augmentation; at least \(TrainingSettings.defaultMinimumSteps) steps; shift \
        augmentation when those read each sequence more than \(TrainingSettings.shiftAboveEpochs) times), writing \
        DIR/model.safetensors, then `scan GENOME --regions PEAKS --model DIR/model.safetensors` into DIR \
        (scores, head motifs, interactions, report.html, run.json). --resume continues training from \
        DIR/model.checkpoint.safetensors, or goes straight to the scan when the model is finished. \
        Each step stays available as its own command.
        """)

    private static let defaults = DiscoverSettings(genome: "", peaks: "", outputFolder: "", analysis: AnalysisOptions(motifsPath: ""))

    @Argument(help: ArgumentHelp("Genome FASTA (plain or bgzip; indexed by faidx).", valueName: "GENOME")) var genome: String
    @Option(help: ArgumentHelp("Bound regions: BED or narrowPeak (windows centred on the summit when column 10 is set).", valueName: "BED"))
    var peaks: String
    @Option(help: ArgumentHelp("Training background: genomic, shuffle or a FASTA file.", valueName: "SOURCE"))
    var negatives: String = defaults.training.negatives.label
    @Option(name: .customLong("valid-chroms"), help: ArgumentHelp("Comma-separated chromosomes held out for validation (default: held-out blocks).", valueName: "CHROMS"))
    var validChroms: String?
    @Option(help: "Window length in bases, for training and scanning.") var window = defaults.training.window
    @Option(help: "Passes over the training set (more when --min-steps needs them).") var epochs = defaults.training.trainer.epochs
    @Option(name: .customLong("min-steps"), help: "Fewest optimisation steps.") var minSteps = defaults.training.trainer.minimumSteps
    @Flag(help: "Continue an interrupted discover run in the same --out folder.") var resume = false
    @OptionGroup var analysis: AnalysisOptionsGroup

    func validate() throws {
        if analysis.model != nil { throw ValidationError("discover trains its own model; to scan with a given model use `motifattn scan --model`") }
        guard window > 3, epochs > 0, minSteps >= 0 else {
            throw ValidationError("--window must be longer than the k-mer, --epochs positive and --min-steps 0 or more")
        }
    }

    func run() throws {
        try reportingErrors("discover") {
            var settings = DiscoverSettings(genome: genome, peaks: peaks, outputFolder: analysis.out, analysis: try analysis.analysisOptions())
            settings.training.negatives = NegativeSource(argument: negatives)
            settings.training.validationChromosomes = validChroms.map { $0.split(separator: ",").map(String.init) } ?? []
            settings.training.window = window
            settings.training.trainer.epochs = epochs
            settings.training.trainer.minimumSteps = minSteps
            settings.training.trainer.seed = analysis.seed
            settings.training.trainer.threads = analysis.threads
            settings.scan.threads = analysis.threads
            settings.scan.seed = analysis.seed
            settings.scan.background = analysis.background
            settings.scan.quiet = analysis.quiet
            settings.scan.windowOptions.threads = analysis.threads
            settings.resume = resume
            try DiscoverPipeline(settings: settings).run()
            if !analysis.quiet { printError("motifattn discover: model and results in \(analysis.out)/") }
        }
    }
}
