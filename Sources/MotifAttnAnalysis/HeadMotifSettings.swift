/// Every threshold and rule of head-motif discovery (`HeadMotifDiscovery`), with its default.
///
/// The methods are described in `docs/analysis.md`, with each rule's ablation row on the benchmark panel
/// (`Benchmarks/panel/`). On the command line any field can be set
/// with `--analysis-setting NAME=VALUE` (`HeadMotifSettings.names` lists them).
public struct HeadMotifSettings: Sendable, Equatable, Hashable {
    // MARK: High-attention regions

    /// Bases of the running mean that smooths a head's attention profile before regions are cut
    /// (attention often peaks on one or two tokens of a site; smoothing spreads the peak over the site).
    public var smoothing = 5
    /// A region's bases exceed the window's mean profile and `mean + r·(max − mean)` with this r.
    public var relativeThreshold = 0.2
    /// Shortest region, in bases.
    public var minimumRegionLength = 5

    // MARK: Words

    /// Word length k: every k-mer in a region counts (a word and its reverse complement as one).
    public var wordLength = 6
    /// Seed motifs also from words a head focuses on everywhere (not only from words enriched in bound
    /// windows): a factor planted alike in bound and background windows can be attended but never enriched.
    public var seedsFromFocus = true

    // MARK: Grouping words into motifs

    /// Widest motif, in bases.
    public var maxMotifWidth = 25
    /// Most motifs reported per head (enriched seeds first, then focused ones).
    public var maxMotifsPerHead = 15
    /// A word chain grows by a base only when the group's k edge bases are followed by it in at least this
    /// share of their occurrences in the head's kept regions (0 turns the rule off): a site's own next base
    /// passes, a chain through a random flank into another factor's words follows a base about a quarter
    /// of the time.
    public var extensionSupport = 0.4
    /// An edge seen fewer times than this in the kept regions is let through by `extensionSupport`.
    public var extensionMinimumEdge = 10
    /// With true, a motif whose significant best match is in the look-alike class of an earlier motif of the
    /// same head is left out without taking a place (one motif per factor and head). Off by default: on the
    /// benchmark panel's development half it lost a distinct factor of a shared class and gained nothing.
    public var oneMotifPerFactor = false

    // MARK: Refinement from sites

    /// High-attention regions kept per head (a bottom-k sample by position hash) for refining its motifs.
    public var siteReservoir = 4000
    /// Bases kept on each side of a region, and added on each side of aligned sites.
    public var siteFlank = 6
    /// Round 0 searches a one-word consensus (k bases or fewer) without mismatches; longer consensuses allow
    /// one mismatch per 6 bases. One mismatch in 6 bases is noise: a 30-base region holds such a match of a
    /// given 6-mer with probability ≈ 0.23, and it takes in another factor's variant words.
    public var exactOneWordConsensus = true
    /// PWM rescans after round 0: each aligns the best site per region with p ≤ `sitePValue`.
    public var refinementRounds = 2
    /// p-value of a site in the rescans (loosened for short matrices by `shortMatrixRecall`).
    public var sitePValue = 1e-4
    /// In the rescans, a matrix too short for this share of its own sites to reach `sitePValue` gets the
    /// p-value that this share reach, never looser than 1e-3 (`InstanceThreshold.recall`; 0, the default:
    /// `sitePValue` for every matrix). With it a 6-column word matrix, which cannot reach 1e-4 at all (its
    /// best site has p ≈ 2.4e-4), can find sites and grow; without it such a word stays a word. Off by
    /// default: on the development panel it lost no attended motif when off and cost motif precision when on.
    public var shortMatrixRecall = 0.0
    /// The same rule for the instances of discovered motifs (`InstanceSource.discovered` and `.both`): a
    /// discovered motif too short for this share of its own sites to reach the instance p-value gets the
    /// p-value that this share reach, never looser than `AnalysisOptions.instanceMaxPValue`. Why 0.5:
    /// discovered motifs are often word matrices of 6–8 columns, and at FIMO's 1e-4 a 6-column one has no
    /// instance at all, so it could not pair with anything.
    public var discoveredInstanceRecall = 0.5
    /// Rounds of expectation maximisation (MEME's ZOOPS model) after the rescans (0: off).
    public var expectationRounds = 3
    /// The EM estimate is kept only while its informative columns correlate with the rescanned matrix's by
    /// at least this much on average (0: always kept): a head's more frequent motif can pull it away.
    public var expectationSameMotifCorrelation = 0.9
    /// Fewest distinct sites a refinement round needs; below it the round keeps the matrix it started from.
    public var minimumSites = 10

    /// The defaults.
    public init() {}

    /// The defaults with `change` applied.
    public static func with(_ change: (inout HeadMotifSettings) -> Void) -> HeadMotifSettings {
        var settings = HeadMotifSettings()
        change(&settings)
        return settings
    }

    /// The settings' names as `--analysis-setting` takes them, with their current values.
    public var values: [(name: String, value: String)] { Self.named.values(of: self) }

    /// Every name `set(_:to:)` accepts.
    public static var names: [String] { named.names }

    /// Sets the field named `name` (kebab-case, as `names` lists) from text; a refused value leaves the
    /// settings unchanged.
    public mutating func set(_ name: String, to value: String) throws {
        try Self.named.set(name, to: value, in: &self)
    }

    /// Every field by name (`NamedSettings`).
    static let named = NamedSettings<HeadMotifSettings>([
        .int("smoothing", \.smoothing, minimum: 1),
        .double("relative-threshold", \.relativeThreshold, range: 0...1),
        .int("min-region-length", \.minimumRegionLength, minimum: 1),
        .int("word-length", \.wordLength, minimum: 3),
        .flag("seeds-from-focus", \.seedsFromFocus),
        .int("max-motif-width", \.maxMotifWidth, minimum: 3),
        .int("max-motifs-per-head", \.maxMotifsPerHead, minimum: 1),
        .double("extension-support", \.extensionSupport, range: 0...1),
        .int("extension-min-edge", \.extensionMinimumEdge, minimum: 0),
        .flag("one-motif-per-factor", \.oneMotifPerFactor),
        .int("site-reservoir", \.siteReservoir, minimum: 0),
        .int("site-flank", \.siteFlank, minimum: 0),
        .flag("exact-one-word-consensus", \.exactOneWordConsensus),
        .int("refinement-rounds", \.refinementRounds, minimum: 0),
        .double("site-p", \.sitePValue, range: 1e-12...0.5),
        .double("short-matrix-recall", \.shortMatrixRecall, range: 0...1),
        .double("discovered-instance-recall", \.discoveredInstanceRecall, range: 0...1),
        .int("expectation-rounds", \.expectationRounds, minimum: 0),
        .double("expectation-same-motif", \.expectationSameMotifCorrelation, range: 0...1),
        .int("min-sites", \.minimumSites, minimum: 1),
    ])
}
