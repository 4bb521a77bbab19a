import ArgumentParser
import Foundation
import MotifAttn

/// `motifattn scan`: the main job — score a genome and read motifs and TF pairs from the model's attention.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan a genome: score every window, then find the motifs each head attends to and co-attending TF pairs.",
        discussion: """
        Writes into --out: scores.tsv.gz (chrom start end strand logit probability per window, 0-based \
        half-open; bgzip-compressed and tabix-indexed: scores.tsv.gz.tbi), scores.bedgraph, \
        head_motifs.tsv and motifs.meme (motifs each head focuses on, matched to the motif database), motif_matches.tsv (TOMTOM-style), interactions.tsv (motif \
        pairs whose sites attend to each other more, and more specifically, in bound than in background \
        windows; p and BH q), heads.tsv (head diagnostics), report.html and run.json. \
        Bound windows overlap --regions; without regions they are the top --bound-fraction of windows \
        by score and background is the bottom half. Without --model the bundled default model is \
        used; without --motifs the bundled JASPAR 2026 CORE vertebrates. Results do not depend on --threads.

        Sharded (--partial --shard, then `motifattn merge`): with --regions each shard scores and analyses \
        in one run. Without regions a shard first scores (phase 1: scores.tsv and a score histogram), \
        `motifattn merge --phase threshold` finds the genome's cut-offs (threshold.tsv), then each shard \
        runs again with --threshold and --scored (phase 2: the analysis of its chosen windows).
        """)

    @Argument(help: ArgumentHelp("Genome FASTA (plain or bgzip; bgzip recommended).", valueName: "GENOME")) var genome: String
    @Option(help: ArgumentHelp("Bound regions (BED).", valueName: "BED")) var regions: String?
    private static let windowDefaults = ScanSettings.defaultWindowOptions
    private static let defaults = ScanSettings(genome: "", regionsPath: nil, modelPath: "", windowOptions: windowDefaults,
                                               analysis: AnalysisOptions(motifsPath: ""), outputFolder: "")

    @Option(help: "Window length in bases.") var window = windowDefaults.window
    @Option(help: "Distance between window starts in bases.") var stride = windowDefaults.stride
    @Option(help: "Strands to score: plus, or both.") var strand: StrandChoice = windowDefaults.strand
    @Option(name: .customLong("max-n"), help: "Skip windows whose fraction of N bases is above this.") var maxN = windowDefaults.maxN
    @Option(name: .customLong("bound-fraction"), help: "Without --regions: fraction of windows (top by score) called bound.")
    var boundFraction = defaults.boundFraction
    @Option(name: .customLong("max-bound"), help: "About this many bound windows analysed at most (a position-keyed sample beyond).")
    var maxBound = defaults.maxBound
    @Option(name: .customLong("max-background"), help: "About this many background windows analysed at most (a position-keyed sample beyond).")
    var maxBackground = defaults.maxBackground
    @Option(name: .customLong("background-per-bound"),
            help: "Background windows analysed per bound window analysed, at most (beside --max-background).")
    var backgroundPerBound = defaults.backgroundPerBound
    @Flag(help: "Write mergeable statistics (scores.tsv, partial.state) for `motifattn merge` instead of final results.")
    var partial = false
    @Option(help: ArgumentHelp("Phase 2 of a sharded scan without regions: the cut-offs from `merge --phase threshold`.",
                               valueName: "threshold.tsv"))
    var threshold: String?
    @Option(help: ArgumentHelp("Phase 2: this shard's phase-1 part folder (its scores are analysed, not scored again).", valueName: "DIR"))
    var scored: String?
    @Option(help: ArgumentHelp("Only windows starting in this part of the genome (chr:start-end, 1-based; start-1 a multiple of --stride).",
                               valueName: "REGION"))
    var shard: String?
    @OptionGroup var analysis: AnalysisOptionsGroup
    @OptionGroup var precision: PrecisionOption

    func validate() throws {
        guard window > 0, stride > 0 else { throw ValidationError("--window and --stride must be at least 1 base") }
        guard boundFraction > 0 && boundFraction < 0.5 else { throw ValidationError("--bound-fraction must be between 0 and 0.5") }
        guard maxBound > 0, maxBackground > 0 else { throw ValidationError("--max-bound and --max-background must be positive") }
        guard backgroundPerBound > 0, backgroundPerBound.isFinite else { throw ValidationError("--background-per-bound must be positive") }
        guard maxN >= 0 && maxN <= 1 else { throw ValidationError("--max-n must be a fraction between 0 and 1") }
        if partial && analysis.patchPairs > 0 {
            throw ValidationError("--patch-pairs pairs windows within one run; a sharded scan (--partial) cannot patch")
        }
        if threshold != nil || scored != nil {
            guard threshold != nil && scored != nil else { throw ValidationError("--threshold and --scored go together (phase 2 of a sharded scan)") }
            guard partial else { throw ValidationError("--threshold and --scored are for phase 2 of a sharded scan: add --partial") }
            guard regions == nil else { throw ValidationError("--threshold is for scans without --regions (with regions a shard needs one phase)") }
        }
        if let shard {
            let region: Region
            do { region = try RegionParser.parse(shard) } catch { throw ValidationError("--shard: \(error)") }
            guard region.start % stride == 0 else {
                throw ValidationError("--shard \(shard): a shard must start where a window starts, 1 + a multiple of --stride (\(stride))")
            }
        }
        if shard != nil && !partial { throw ValidationError("--shard is for sharded scans: add --partial") }
    }

    func run() throws {
        try reportingErrors("scan") {
            var settings = ScanSettings(genome: genome, regionsPath: regions, modelPath: try analysis.modelPath(),
                                        windowOptions: WindowOptions(window: window, stride: stride, strand: strand, maxN: maxN,
                                                                     threads: analysis.threads),
                                        analysis: try analysis.analysisOptions(), outputFolder: analysis.out)
            settings.boundFraction = boundFraction
            settings.maxBound = maxBound
            settings.maxBackground = maxBackground
            settings.backgroundPerBound = backgroundPerBound
            settings.background = analysis.background
            settings.threads = analysis.threads
            settings.precision = precision.precision
            settings.seed = analysis.seed
            settings.quiet = analysis.quiet
            settings.partial = partial
            settings.shard = try shard.map { try RegionParser.parse($0) }
            settings.thresholdPath = threshold
            settings.scoredPart = scored
            try ScanPipeline(settings: settings, record: RunRecord(command: "scan")).run()
            if !analysis.quiet { printError("motifattn scan: results in \(analysis.out)/") }
        }
    }
}
