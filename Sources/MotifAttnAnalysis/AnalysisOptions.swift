import Foundation

/// Settings of the attention analysis (per-head motifs, co-attention pairs, head diagnostics).
public struct AnalysisOptions: Sendable {
    /// Motif database in MEME format (default: the bundled JASPAR CORE vertebrates).
    public var motifsPath: String
    /// JASPAR-style TSV with names and TF families (optional).
    public var annotationsPath: String?
    /// Largest q-value of a reported head motif.
    public var maxQValue: Double = 0.05
    /// Thresholds and rules of head-motif discovery.
    public var headMotifs = HeadMotifSettings()
    /// Most motifs reported per head (`headMotifs.maxMotifsPerHead`).
    public var maxMotifsPerHead: Int {
        get { headMotifs.maxMotifsPerHead }
        set { headMotifs.maxMotifsPerHead = newValue }
    }
    /// Largest p-value of a motif instance (FIMO's 1e-4), for motifs long enough to reach it with most of their sites.
    public var instancePValue = 1e-4
    /// Fraction of a short motif's own sites its instance threshold admits (`InstanceThreshold.recall`; 0, the default:
    /// `instancePValue` for every motif, as FIMO).
    public var instanceRecall = 0.0
    /// Loosest instance threshold a short motif gets (`InstanceThreshold.ceiling`).
    public var instanceMaxPValue = 1e-3
    /// Settings of the co-attention statistics.
    public var coAttention = CoAttentionSettings()
    /// Threads for scanning motif instances.
    public var threads = 1
    /// Top-scoring bound windows kept for the report's heat maps.
    public var reportWindows = 6
    /// Fraction of bound windows whose logits are recomputed with each head ablated (head importance);
    /// windows are chosen by a hash of their position, so shards choose the same ones. 0 turns it off.
    public var ablationFraction = 0.1
    /// Pairs of bound and background windows for activation patching of every head (`patch_*` columns of
    /// `heads.tsv`); 0 turns it off. Costs 4 forward passes of the pairs per head. Pairs form within one
    /// run, so it is not available to sharded scans (`--partial`).
    public var patchPairs = 0
    /// Keep only the best-matching motif of overlapping instances (`MotifInstance.bestPerSite`).
    public var oneMotifPerSite = true
    /// Look-alike motif classes the co-attention pairs (`MotifClasses`).
    public var motifClasses: MotifClassesChoice = .automatic
    /// Which motifs' instances the co-attention pairs (`InstanceSource`).
    public var instances: InstanceSource = .database
    /// The second test of a co-attention pair, "is it specific?" (`PairSpecificity`).
    public var pairSpecificity: PairSpecificity = .epistasis
    /// Bound windows of a pair's first look in the epistasis test (`PairWindowSamples.testEpistasis`).
    public var epistasisWindows = 80
    /// Windows of a pair's second look in the epistasis test (0, or not above `epistasisWindows`: one look). A pair
    /// whose first look gives p ≤ `epistasisFollowUpP` is knocked out in its next sampled windows too, up to this many
    /// in all; every pair sampled in more windows than the first look takes twice the smaller p-value of its looks.
    /// Why: when a partner's motif belongs to a large look-alike class (ETS, E-box, AP-1), most windows holding
    /// both classes hold a chance match of the class instead of the partner's site, so the model's joint use of
    /// the true sites is diluted among windows where it has nothing to use; more windows restore the power, and
    /// only for pairs with some evidence already. Cost: up to three forward passes per extra window of a pair
    /// followed up (fewer where pairs share knocked-out copies), and pair samples of up to this many windows in memory.
    public var epistasisFollowUpWindows = 400
    /// The first look's p-value at or below which a pair is looked at again (`epistasisFollowUpWindows`); 1 looks
    /// again at every pair with more windows. Why 0.5: a first look above it leans against an interaction in the
    /// pair's most co-attended windows, and following such pairs was most of the test stage's knock-outs; on the
    /// development panel 0.5 reports the same tables as 1, while 0.05 left a jointly used large-class pair (first
    /// look p 0.07) unreported.
    public var epistasisFollowUpP = 0.5
    /// Most pairs tested for epistasis (0: no cap). Only pairs that could be reported are candidates (a row of
    /// theirs has an elevation q ≤ `interactionMaxQValue`); the cap keeps the strongest elevations and leaves the
    /// rest unreported. Why a cap: each tested pair costs three forward passes of up to `epistasisWindows`
    /// windows, and testing every candidate took the demo's test stage from about 10 s to about 200 s while
    /// adding only pairs the model does not need jointly.
    public var epistasisPairs = 60
    /// After the first `epistasisPairs`, the next candidates by elevation are tested this many at a time while the
    /// last group tested holds a pair that would be reported (for the first group, its last `epistasisMorePairs`
    /// pairs); 0 (the default) stops at `epistasisPairs`. What it is for: a fixed cap makes a pair's fate depend on
    /// how many other pairs out-rank it; with groups the test goes on while the ranking still yields reportable
    /// pairs near the cap. Why off: with 30 on the development panel (three knock-out seeds) it went on in 7 of 36
    /// runs, found no further planted pair and reported one more pair that is not planted (`docs/analysis.md`, §8).
    /// Cost: each further group is up to 30 more pairs' knock-outs.
    public var epistasisMorePairs = 0
    /// Seed of the epistasis test's random bases (the run's `--seed`; pipelines set it): the same seed gives
    /// the same knocked-out copies. Another seed draws other bases, so a pair that comes and goes with the
    /// seed is a marginal one.
    public var epistasisSeed: UInt64 = 1
    /// The scale on which the knock-out interaction of a pair is measured (`EpistasisScale`).
    public var epistasisScale: EpistasisScale = .logit
    /// Which of a pair's bound windows the epistasis test knocks out (`EpistasisSample`).
    public var epistasisSample: EpistasisSample = .attended
    /// The share of a pair's joint worth (`L − L_AB`, what its two sites are worth together) that its interaction
    /// must exceed for the epistasis test to reject (`EpistasisTest.jointShare`; 0: the interaction must exceed 0).
    /// Why: a model that adds its evidence and then bends the sum (a sigmoid-like read-out, attention shared among
    /// the sites of a window) gives every two sites it values a small interaction, a few per cent of their joint
    /// worth; a pair it needs together gives a large share (an AND: about all of it). With 0, any two motifs the
    /// model values that share windows can reach a tiny p-value with enough windows. Why off by default: a pair with
    /// a partner in a large look-alike class has a diluted share (its windows with a chance match of the class have
    /// an interaction of about 0 and the other site's worth), and on the development panel a floor of 0.05 lost such
    /// pairs as it removed the false ones (`docs/analysis.md`, section 8). Cost when on: a pair the model needs
    /// together for less than this share of the two sites' worth is not reported; no extra forward pass.
    public var epistasisMinimumJointShare = 0.0
    /// The family of the interaction q-values when pairs are tested for epistasis (`EpistasisFamily`).
    public var epistasisFamily: EpistasisFamily = .allRows
    /// Share of a reported pair's sites of one motif that a stronger pair's motif must also call for the two
    /// motifs to count as look-alikes when the echoes are marked (`LookAlikeEchoes.siteShare`, over the pair's
    /// first-look windows; 0: by the database comparison alone). Why: the comparison of whole matrices at
    /// q ≤ `maxQValue` misses look-alikes that share the core of a site but not its flanks (a CDX class beside the
    /// posterior HOX class, Hand1 beside Hand1::Tcf3), and their pairs with the stronger pair's partner were
    /// reported as pairs of their own; the sites show directly that the echo's windows hold the stronger pair's
    /// sites. Why 0.25: on the development panel the look-alikes that repeat a planted pair share 0.31–0.72 of
    /// their sites with the planted partner's class, while unrelated motifs share up to 0.18 by chance with the
    /// largest classes (the E-box class of 47 motifs calls many short sites). Cost: one scan of the instance motifs
    /// over each site of a pair's first look, for reported pairs only; a second interaction of a factor whose sites
    /// the first pair's partner also calls is hidden as an echo. Needs the pair samples of `PairSpecificity.epistasis`.
    public var echoSiteShare = 0.25
    /// Rows of `interactions.tsv` with a larger q-value are left out (1 writes every tested row).
    public var interactionMaxQValue = 0.05
    /// Most rows written to `interactions.tsv` (the most significant ones).
    public var maxInteractionRows = 5000

    public init(motifsPath: String, annotationsPath: String? = nil) {
        self.motifsPath = motifsPath
        self.annotationsPath = annotationsPath
    }

    /// The per-motif instance threshold these options describe.
    public var instanceThreshold: InstanceThreshold {
        InstanceThreshold(pValue: instancePValue, recall: instanceRecall, ceiling: instanceMaxPValue)
    }

    /// Every setting that can change the results, by name, with its value: the parameters of `run.json`, and
    /// the analysis part of the fingerprint that a sharded scan's parts must share and `merge` reads back
    /// (`set(_:to:)`). The head-motif settings follow with `head_motifs.` in front of their names. Left out: the
    /// two databases' paths (inputs, recorded with their SHA-256) and `threads` (results do not depend on it).
    public var values: [(name: String, value: String)] { Self.named.values(of: self) }

    /// Every name `set(_:to:)` accepts.
    public static var names: [String] { named.names }

    /// Sets the setting named `name` (as `values` names it) from text; a refused value leaves the options unchanged.
    public mutating func set(_ name: String, to value: String) throws {
        try Self.named.set(name, to: value, in: &self)
    }

    /// Checks every setting against the values `set(_:to:)` takes, then the settings that depend on each other;
    /// throws for the first problem. Options made in code or on the command line meet the same ranges as a
    /// sharded part's recorded settings.
    public func validate() throws {
        try Self.named.check(self)
        guard epistasisFollowUpWindows == 0 || epistasisFollowUpWindows > epistasisWindows else {
            throw AnalysisSettingError.conflict(setting: "epistasis_follow_up_windows",
                                                detail: "must be 0 (one look) or more than the first look's \(epistasisWindows) windows")
        }
    }

    /// Prefix of the head-motif settings' names in `values`.
    static let headMotifPrefix = "head_motifs."

    /// Every setting by name (`NamedSettings`); a new setting that can change the results is added here.
    static let named = NamedSettings<AnalysisOptions>([
        .positiveFraction("max_q_value", \.maxQValue),
        .openFraction("instance_p_value", \.instancePValue),
        .shareBelowOne("instance_recall", \.instanceRecall),
        .openFraction("instance_max_p_value", \.instanceMaxPValue),
        .choice("co_attention_score", \.coAttention.score),
        .double("ablation_fraction", \.ablationFraction, range: 0...1),
        .int("patch_pairs", \.patchPairs, minimum: 0),
        .int("report_windows", \.reportWindows, minimum: 0),
        .flag("one_motif_per_site", \.oneMotifPerSite),
        NamedSettings.Field(name: "motif_classes", get: { $0.motifClasses.label }, set: { options, text in
            options.motifClasses = MotifClassesChoice(label: text)
            return !text.isEmpty
        }, accepted: "auto, none or a classes file"),
        .choice("instances", \.instances),
        .choice("specificity", \.pairSpecificity),
        .int("epistasis_windows", \.epistasisWindows, minimum: 5),
        .int("epistasis_follow_up_windows", \.epistasisFollowUpWindows, minimum: 0),
        .double("epistasis_follow_up_p", \.epistasisFollowUpP, range: 0...1),
        .int("epistasis_pairs", \.epistasisPairs, minimum: 0),
        .int("epistasis_more_pairs", \.epistasisMorePairs, minimum: 0),
        .choice("epistasis_scale", \.epistasisScale),
        .choice("epistasis_sample", \.epistasisSample),
        .choice("epistasis_family", \.epistasisFamily),
        .double("echo_site_share", \.echoSiteShare, range: 0...1),
        .shareBelowOne("epistasis_min_joint_share", \.epistasisMinimumJointShare),
        .positiveFraction("max_interaction_q", \.interactionMaxQValue),
        .int("max_interaction_rows", \.maxInteractionRows, minimum: 1),
    ] + NamedSettings.nested(HeadMotifSettings.named, at: \.headMotifs, prefix: headMotifPrefix))
}

/// Which motifs the co-attention finds instances of (`--instances`).
///
/// Discovered motifs are the head motifs of the same run, so `discovered` and `both` need them before the
/// co-attention starts: `analyze` then reads its input twice (`AnalyzePipeline`), the first time for the
/// head motifs only. Discovered motifs are short and come from a few hundred sites; their instance
/// threshold is width-aware (`InstanceThreshold` with `HeadMotifSettings.discoveredInstanceRecall`, 0.5).
/// A discovered motif joins the look-alike class of its best database match when that match has
/// q ≤ `AnalysisOptions.maxQValue`, so its sites count with the database motifs of that TF.
public enum InstanceSource: String, Sendable, CaseIterable {
    /// Instances of the database motifs (FIMO-style scan), the default.
    case database
    /// Instances of the head motifs discovered in the run.
    case discovered
    /// Both: database and discovered motifs.
    case both

    /// Whether the discovered head motifs are scanned, so the run needs them before the co-attention.
    public var needsDiscoveredMotifs: Bool { self != .database }
}

/// How a co-attention pair is tested for specificity, the second of its two tests (the first: is its
/// co-attention elevated?). The row's p-value is the larger of the two (intersection–union).
public enum PairSpecificity: String, Sendable, CaseIterable {
    /// The model needs both sites: knocking them out together costs less than the sum of knocking out
    /// each (`EpistasisTest`, a Wilcoxon signed-rank test over the pair's sampled bound windows). Pairs that could be
    /// reported are tested (`PairWindowSamples.testEpistasis`), the `AnalysisOptions.epistasisPairs` most elevated.
    case epistasis
    /// The two sites are each other's strongest co-attention partner in more bound windows than chance
    /// (binomial test against the rate of all instance pairs).
    case mutualBest = "mutual-best"
}

/// The scale on which `EpistasisTest` measures the knock-out interaction `f(L) − f(L_A) − f(L_B) + f(L_AB)` of
/// a pair, with `L` the window's first logit.
public enum EpistasisScale: String, Sendable, CaseIterable {
    /// `f` is the identity: the interaction in logits. A model that adds the two sites' evidence in logits
    /// (each site worth the same whatever the other does) gives about 0, even when only both sites together
    /// make the window bound.
    case logit
    /// `f` is the logistic function: the interaction in the model's probability of the first output. A model
    /// that needs both sites to call the window bound gives a positive interaction whether it combines them
    /// in logits additively or not; two sites that each suffice (an OR) give a negative one, and a site that
    /// does not move the probability gives about 0.
    case probability

    /// `f(logit)` on this scale.
    public func value(ofLogit logit: Float) -> Double {
        switch self {
        case .logit: return Double(logit)
        case .probability: return 1 / (1 + exp(-Double(logit)))
        }
    }
}

/// Which of a pair's bound windows `PairWindowSamples` keeps for the epistasis test (`AnalysisOptions.epistasisWindows`
/// of them). Either way the sample does not depend on input order, threads or shards.
public enum EpistasisSample: String, Sendable, CaseIterable {
    /// A random sample: the windows of smallest stable hash of their label. Where a partner is in a large look-alike
    /// class most of them hold a chance match the model ignores, which dilutes the interaction of a pair it needs.
    case random
    /// The windows the model scores highest (first logit in steps of 1/256, the hash breaking ties): where it
    /// calls the window bound most surely, so the sites of a pair it needs are most likely its true sites and not
    /// chance look-alikes of a large class. Two logits that differ only in the last bits of a float (a batch of
    /// other composition) can fall on two sides of a step: a sharded run's sample can then differ from a single
    /// run's by such a window.
    case strongest
    /// The default: the windows where the pair's two motifs attend each other most (the pair's combined
    /// co-attention score in the window, as `CoAttentionAccumulator` records it, in steps of 1/256, highest first;
    /// the hash breaks ties): where the model links the two sites, so that in a large look-alike class the windows
    /// whose instance is a chance match the model ignores are left out. The knock-outs still measure the logit, so
    /// a pair the model co-attends but adds is not reported. A window's maps do not depend on the other windows of
    /// its batch (each window's products run on their own), so the sample is the same in a sharded run.
    case attended
}

/// How the q-value of a row of `interactions.tsv` is computed when its pair's specificity is tested in the
/// model (`PairSpecificity.epistasis`).
public enum EpistasisFamily: String, Sendable, CaseIterable {
    /// Screen, then confirm: the row's q-value is the larger of its elevation q-value (Benjamini–Hochberg of
    /// `Interaction.elevationPValue` over every row) and its pair's epistasis q-value (Benjamini–Hochberg over
    /// the pairs tested in the model, `EpistasisTest.qValue`). The knock-outs are a second experiment, run only on
    /// the pairs the elevation screen chose; their p-values come from new random bases and the model's logits,
    /// not from the attention statistics that chose them, so the confirmation's family is the pairs confirmed
    /// (independent filtering, as DESeq2 filters genes before its test). A row is reported when both q-values are
    /// small: false rows are bounded by the two false discovery rates together.
    /// It finds more planted pairs than `allRows` but reports look-alike echoes of them: a class of the partner's
    /// family paired with the other partner, whose sites are often the planted ones called by the look-alike.
    case testedPairs = "tested-pairs"
    /// One family (the default): Benjamini–Hochberg of the row's intersection–union p-value (the larger of its
    /// elevation and epistasis p-values) over every pair × head row, untested pairs' rows (p = 1) included. With
    /// tens of thousands of rows a pair's epistasis p-value must reach about 1e-6, which keeps look-alike echoes of
    /// a pair out and also a true pair whose windows hold many chance matches of large classes.
    case allRows = "all-rows"
}

/// Which look-alike classes of database motifs the co-attention pairs.
public enum MotifClassesChoice: Sendable, Equatable {
    /// Every motif is its own class.
    case none
    /// Classes measured from the database at the analysis's instance thresholds (`MotifClasses.measure`), or
    /// read from `DATABASE.classes.tsv` next to the database when that file was made for the same database
    /// and settings (the bundled JASPAR has one).
    case automatic
    /// Classes read from a file written by `motifattn classes`.
    case file(String)

    /// The choice as written on the command line and in fingerprints: `auto`, `none` or the file's path.
    public init(label: String) {
        switch label {
        case "auto": self = .automatic
        case "none": self = .none
        default: self = .file(label)
        }
    }

    /// `auto`, `none` or the file's path (`init(label:)` reads it back).
    public var label: String {
        switch self {
        case .none: return "none"
        case .automatic: return "auto"
        case .file(let path): return path
        }
    }
}
