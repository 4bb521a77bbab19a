import ArgumentParser
import Foundation
import MotifAttn

extension BackgroundChoice: ExpressibleByArgument {}
extension CoAttentionScore: ExpressibleByArgument {}

/// `motifattn scan`: the main job — score a genome and read motifs and TF pairs from the model's attention.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan a genome: score every window, then find the motifs each head attends to and co-attending TF pairs.",
        discussion: """
        Writes into --out: scores.tsv (chrom start end strand logit probability per window, 0-based \
        half-open), scores.bedgraph, head_motifs.tsv and motifs.meme (motifs each head focuses on, \
        matched to the motif database), motif_matches.tsv (TOMTOM-style), interactions.tsv (motif \
        pairs whose instances attend to each other more in bound than in background windows, with \
        Mann-Whitney p and BH q), heads.tsv (head diagnostics), report.html and run.json. \
        Bound windows overlap --regions; without regions they are the top --bound-fraction of windows \
        by score and background is the bottom half. Without --model the bundled default model is \
        used; without --motifs the bundled JASPAR 2026 CORE vertebrates. Results do not depend on --threads.
        """)

    @Argument(help: ArgumentHelp("Genome FASTA (plain or bgzip; bgzip recommended).", valueName: "GENOME")) var genome: String
    @Option(help: ArgumentHelp("Model (safetensors); default: the bundled model.", valueName: "M")) var model: String?
    @Option(help: ArgumentHelp("Bound regions (BED).", valueName: "BED")) var regions: String?
    @Option(help: ArgumentHelp("Motif database (MEME format); default: bundled JASPAR CORE vertebrates.", valueName: "MEME")) var motifs: String?
    @Option(help: ArgumentHelp("Motif names and families (JASPAR TSV); default: the bundled one with the bundled motifs.", valueName: "TSV"))
    var motifTable: String?
    @Option(help: "Window length in bases.") var window = 200
    @Option(help: "Distance between window starts in bases.") var stride = 100
    @Option(help: "Strands to score: plus, or both.") var strand: StrandChoice = .both
    @Option(name: .customLong("max-n"), help: "Skip windows whose fraction of N bases is above this.") var maxN = 0.1
    @Option(name: .customLong("bound-fraction"), help: "Without --regions: fraction of windows (top by score) called bound.")
    var boundFraction = 0.01
    @Option(name: .customLong("max-bound"), help: "Most bound windows analysed (a seeded sample beyond).") var maxBound = 5_000
    @Option(name: .customLong("max-background"), help: "Most background windows analysed (a seeded sample beyond).") var maxBackground = 5_000
    @Option(help: "Background windows: genomic, or shuffle (dinucleotide-shuffled bound windows with their motif instances re-embedded).")
    var background: BackgroundChoice = .genomic
    @Option(name: .customLong("co-attention"),
            help: "Co-attention score of two sites: excess (attention beyond the key's mean share; default) or raw (largest weight).")
    var coAttention: CoAttentionScore = .excess
    @Option(name: .customLong("instance-p"), help: "Largest p-value of a motif instance.") var instanceP = 1e-4
    @Option(name: .customLong("max-q"), help: "Largest q-value of a reported head motif.") var maxQ = 0.05
    @Option(help: "Seed for sampling and shuffling.") var seed: UInt64 = 1
    @Option(help: "Threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: ArgumentHelp("Output folder (created).", valueName: "DIR")) var out: String
    @Flag(help: "No progress on standard error.") var quiet = false

    func validate() throws {
        guard window > 0, stride > 0 else { throw ValidationError("--window and --stride must be at least 1 base") }
        guard boundFraction > 0 && boundFraction < 0.5 else { throw ValidationError("--bound-fraction must be between 0 and 0.5") }
        guard maxBound > 0, maxBackground > 0, threads > 0 else { throw ValidationError("--max-bound, --max-background and --threads must be positive") }
        guard instanceP > 0 && instanceP < 1, maxQ > 0 && maxQ <= 1 else { throw ValidationError("--instance-p and --max-q must be probabilities") }
    }

    func run() throws {
        try reportingErrors("scan") {
            let motifsPath = try motifs ?? BundledData.path(of: BundledData.motifsFile)
            let table = try motifTable ?? (motifs == nil ? BundledData.path(of: BundledData.annotationsFile) : nil)
            var analysis = AnalysisOptions(motifsPath: motifsPath, annotationsPath: table)
            analysis.instancePValue = instanceP
            analysis.maxQValue = maxQ
            analysis.coAttention.score = coAttention
            var settings = ScanSettings(genome: genome, regionsPath: regions, modelPath: try model ?? BundledData.path(of: BundledData.modelFile),
                                        windowOptions: WindowOptions(window: window, stride: stride, strand: strand, maxN: maxN, threads: threads),
                                        analysis: analysis, outputFolder: out)
            settings.boundFraction = boundFraction
            settings.maxBound = maxBound
            settings.maxBackground = maxBackground
            settings.background = background
            settings.threads = threads
            settings.seed = seed
            settings.quiet = quiet
            try ScanPipeline(settings: settings, record: RunRecord(command: "scan")).run()
            if !quiet { printError("motifattn scan: results in \(out)/") }
        }
    }
}
