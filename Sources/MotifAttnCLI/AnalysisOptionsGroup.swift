import ArgumentParser
import Foundation
import MotifAttn

extension BackgroundChoice: ExpressibleByArgument {}
extension CoAttentionScore: ExpressibleByArgument {}
extension InstanceSource: ExpressibleByArgument {}
extension PairSpecificity: ExpressibleByArgument {}
extension EpistasisScale: ExpressibleByArgument {}
extension EpistasisSample: ExpressibleByArgument {}
extension EpistasisFamily: ExpressibleByArgument {}

/// Options of the attention analysis shared by `scan` and `analyze`.
struct AnalysisOptionsGroup: ParsableArguments {
    private static let defaults = AnalysisOptions(motifsPath: "")
    private static let scanDefaults = ScanSettings(genome: "", regionsPath: nil, modelPath: "", windowOptions: ScanSettings.defaultWindowOptions,
                                                   analysis: defaults, outputFolder: "")

    @Option(help: ArgumentHelp("Model (safetensors); default: the bundled model.", valueName: "M")) var model: String?
    @Option(help: ArgumentHelp("Motif database (MEME format); default: bundled JASPAR 2026 CORE vertebrates.", valueName: "MEME"))
    var motifs: String?
    @Option(name: .customLong("motif-table"),
            help: ArgumentHelp("Motif names and families (JASPAR TSV); default: the bundled one with the bundled motifs.", valueName: "TSV"))
    var motifTable: String?
    @Option(help: "Background windows: genomic (label 0 / outside the regions), or shuffle (dinucleotide-shuffled bound windows with their motif instances re-embedded).")
    var background: BackgroundChoice = scanDefaults.background
    @Option(name: .customLong("co-attention"),
            help: "Co-attention score of two sites: excess (attention beyond the key's mean share) or raw (largest weight).")
    var coAttention: CoAttentionScore = defaults.coAttention.score
    @Option(help: ArgumentHelp("Second test of a co-attention pair: epistasis (the model needs both sites: knocking both out costs less "
                               + "than the sum of knocking out each, in sampled bound windows) or mutual-best (each site is the other's "
                               + "strongest co-attention partner more often than chance).", valueName: "epistasis|mutual-best"))
    var specificity: PairSpecificity = defaults.pairSpecificity
    @Option(name: .customLong("epistasis-pairs"), help: "Most pairs tested for epistasis, the most co-attended among those that could be reported (a row with elevation q ≤ --max-interaction-q); untested pairs are not reported. 0: every such pair (slow).")
    var epistasisPairs = defaults.epistasisPairs
    @Option(name: .customLong("epistasis-more-pairs"), help: "After the first --epistasis-pairs, the next pairs by elevation are tested this many at a time while the last group tested holds a pair that would be reported. 0: stop at --epistasis-pairs.")
    var epistasisMorePairs = defaults.epistasisMorePairs
    @Option(name: .customLong("epistasis-windows"), help: "Bound windows per pair in the first look of the epistasis test.")
    var epistasisWindows = defaults.epistasisWindows
    @Option(name: .customLong("epistasis-follow-up-windows"),
            help: "Windows per pair in the second look of the epistasis test, for pairs whose first look gives p ≤ --epistasis-follow-up-p (a pair with more windows than the first look then takes twice the smaller of its looks' p-values). 0: one look.")
    var epistasisFollowUpWindows = defaults.epistasisFollowUpWindows
    @Option(name: .customLong("epistasis-follow-up-p"), help: "First-look p-value at or below which a pair gets the second look (1: every pair with more windows; 0.5 leaves out pairs whose first look leans against an interaction).")
    var epistasisFollowUpP = defaults.epistasisFollowUpP
    @Option(name: .customLong("epistasis-scale"),
            help: ArgumentHelp("Scale of the knock-out interaction L - L_A - L_B + L_AB: logit, or probability (the logistic of each logit, so a pair the model adds in logits but needs both of to call a window bound counts as joint).",
                               valueName: "logit|probability"))
    var epistasisScale: EpistasisScale = defaults.epistasisScale
    @Option(name: .customLong("epistasis-sample"),
            help: ArgumentHelp("Which bound windows of a pair the epistasis test knocks out: random (by a stable hash of the window), strongest (highest first logit) or attended (where the pair's two motifs attend each other most).",
                               valueName: "random|strongest|attended"))
    var epistasisSample: EpistasisSample = defaults.epistasisSample
    @Option(name: .customLong("epistasis-min-joint-share"),
            help: "Share of a pair's joint worth (the logit its two sites are worth together) that its knock-out interaction must exceed in the epistasis test (0: the interaction must exceed 0).")
    var epistasisMinimumJointShare = defaults.epistasisMinimumJointShare
    @Option(name: .customLong("epistasis-fdr"),
            help: ArgumentHelp("Family of the interaction q-values: tested-pairs (a row's q is the larger of its elevation q over every row and its pair's epistasis q over the pairs tested in the model) or all-rows (one Benjamini-Hochberg over every row's p-value, the larger of its two p-values).",
                               valueName: "tested-pairs|all-rows"))
    var epistasisFamily: EpistasisFamily = defaults.epistasisFamily
    @Option(name: .customLong("echo-site-share"),
            help: "Share of a reported pair's sites of one motif that a stronger pair's motif must also call for the pair to be marked its echo (echo_of), besides look-alikes by the database comparison (0: the comparison alone).")
    var echoSiteShare = defaults.echoSiteShare
    @Option(name: .customLong("patch-pairs"), help: "Pairs of bound and background windows (same length, similar GC) for activation patching of every head: patch_* columns in heads.tsv (0: off; 4 forward passes of the pairs per head).")
    var patchPairs = defaults.patchPairs
    @OptionGroup var thresholds: InstanceThresholdOptions
    @Option(name: .customLong("motif-classes"),
            help: ArgumentHelp("Look-alike motif classes the co-attention pairs: auto (measured from the motif database, or read from its NAME.classes.tsv when made for the same settings; the bundled JASPAR has one), none (every motif alone) or a file from `motifattn classes`.",
                               valueName: "auto|none|TSV"))
    var motifClasses = defaults.motifClasses.label
    @Option(name: .customLong("max-q"), help: "Largest q-value of a reported head motif.") var maxQ = defaults.maxQValue
    @Option(name: .customLong("max-interaction-q"), help: "Largest q-value of a row written to interactions.tsv (1: every tested row, up to --max-interaction-rows).")
    var maxInteractionQ = defaults.interactionMaxQValue
    @Option(name: .customLong("max-interaction-rows"), help: "Most rows written to interactions.tsv (the most significant).")
    var maxInteractionRows = defaults.maxInteractionRows
    @Option(name: .customLong("max-motifs-per-head"), help: "Most motifs reported per head (enriched ones first, then focused ones).")
    var maxMotifsPerHead = defaults.maxMotifsPerHead
    @Option(name: .customLong("analysis-setting"),
            help: ArgumentHelp("Set a threshold or rule of head-motif discovery, NAME=VALUE (repeatable; flags take on|off). "
                               + "Names and defaults: " + defaults.headMotifs.values.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
                               + ". For ablations; docs/analysis.md explains each.", valueName: "NAME=VALUE"))
    var analysisSettings: [String] = []
    @Option(help: "Seed for sampling, shuffling and the epistasis test's random bases (a pair that comes and goes with the seed is marginal).") var seed: UInt64 = scanDefaults.seed
    @Option(help: "Threads (results do not depend on it).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: [.customLong("out"), .short, .customLong("output")], help: ArgumentHelp("Output folder (created).", valueName: "DIR"))
    var out: String
    @Flag(help: "No progress on standard error.") var quiet = false

    /// Checks the options against the ranges `AnalysisOptions` itself enforces (one list of ranges, `AnalysisOptions.validate()`).
    func validate() throws {
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
        try validating { try settings(motifsPath: "", annotationsPath: nil).validate() }
    }

    /// The head-motif settings: the defaults, `--max-motifs-per-head`, then each `--analysis-setting` in order.
    func headMotifSettings() throws -> HeadMotifSettings {
        var settings = Self.defaults.headMotifs
        settings.maxMotifsPerHead = maxMotifsPerHead
        for text in analysisSettings {
            guard let equals = text.firstIndex(of: "=") else {
                throw ValidationError("--analysis-setting \(text): write NAME=VALUE")
            }
            do {
                try settings.set(String(text[..<equals]), to: String(text[text.index(after: equals)...]))
            } catch {
                throw ValidationError("--analysis-setting: \(error)")
            }
        }
        return settings
    }

    /// The model path, or the bundled default model.
    func modelPath() throws -> String { try model ?? BundledData.path(of: BundledData.modelFile) }

    /// The analysis settings these options describe.
    func analysisOptions() throws -> AnalysisOptions {
        let motifsPath = try motifs ?? BundledData.path(of: BundledData.motifsFile)
        let table = try motifTable ?? (motifs == nil ? BundledData.path(of: BundledData.annotationsFile) : nil)
        return try settings(motifsPath: motifsPath, annotationsPath: table)
    }

    /// The analysis settings these options describe, with the databases given.
    private func settings(motifsPath: String, annotationsPath: String?) throws -> AnalysisOptions {
        var options = AnalysisOptions(motifsPath: motifsPath, annotationsPath: annotationsPath)
        options.instancePValue = thresholds.instanceP
        options.instanceRecall = thresholds.instanceRecall
        options.instanceMaxPValue = thresholds.instanceMaxP
        options.motifClasses = MotifClassesChoice(label: motifClasses)
        options.pairSpecificity = specificity
        options.epistasisPairs = epistasisPairs
        options.epistasisMorePairs = epistasisMorePairs
        options.epistasisWindows = epistasisWindows
        options.epistasisFollowUpWindows = epistasisFollowUpWindows
        options.epistasisFollowUpP = epistasisFollowUpP
        options.epistasisScale = epistasisScale
        options.epistasisSample = epistasisSample
        options.epistasisFamily = epistasisFamily
        options.echoSiteShare = echoSiteShare
        options.epistasisMinimumJointShare = epistasisMinimumJointShare
        options.patchPairs = patchPairs
        options.maxQValue = maxQ
        options.interactionMaxQValue = maxInteractionQ
        options.maxInteractionRows = maxInteractionRows
        options.headMotifs = try headMotifSettings()
        options.coAttention.score = coAttention
        options.threads = threads
        return options
    }
}

/// Runs `check` and turns an `AnalysisSettingError` into a usage error that names the command-line option.
func validating(_ check: () throws -> Void) throws {
    do {
        try check()
    } catch let error as AnalysisSettingError {
        switch error {
        case let .badValue(name, value, accepted):
            throw ValidationError("\(commandLineOption(ofSetting: name)) \(value): must be \(accepted)")
        case let .conflict(setting, detail):
            throw ValidationError("\(commandLineOption(ofSetting: setting)) \(detail)")
        case .unknown:
            throw ValidationError("\(error)")
        }
    }
}

/// The command-line option that sets the analysis setting `name` (`AnalysisOptions.values`): its name with `-` for
/// `_`, but for the options named otherwise; a head-motif setting is set with `--analysis-setting`.
func commandLineOption(ofSetting name: String) -> String {
    let renamed = ["max_q_value": "--max-q", "co_attention_score": "--co-attention", "epistasis_family": "--epistasis-fdr",
                   "instance_p_value": "--instance-p",
                   "instance_max_p_value": "--instance-max-p", "head_motifs.max-motifs-per-head": "--max-motifs-per-head"]
    if let option = renamed[name] { return option }
    if name.hasPrefix("head_motifs.") { return "--analysis-setting \(name.dropFirst("head_motifs.".count))" }
    return "--" + name.replacingOccurrences(of: "_", with: "-")
}
