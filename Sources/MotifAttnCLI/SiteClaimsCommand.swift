import ArgumentParser
import Foundation
import MotifAttn

/// `motifattn site-claims`: how many of each motif's own sites the one-motif-per-site rule credits to it.
struct SiteClaimsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site-claims",
        abstract: "Measure which motif the instance caller credits with sites drawn from each motif of a database.",
        discussion: """
        For every motif, sites are drawn from its own probabilities, set between random flanks (40 % GC) \
        and scanned with the whole database at the analysis's instance thresholds; the co-attention keeps \
        the best-matching motif of overlapping instances, and that motif claims the site. Writes one row \
        per motif: its width, how many of its drawn sites it kept, how many nobody claimed, and the motifs \
        that claimed the rest (id:count, most first). A motif that keeps few of its own sites will rarely \
        be paired in interactions.tsv. With --every-passing, kept_own and claimed_by_others count every \
        motif passing at the drawn sites (look-alikes pass at most of each other's sites).
        """)

    @Option(help: ArgumentHelp("Motif database (MEME format); default: bundled JASPAR 2026 CORE vertebrates.", valueName: "MEME"))
    var motifs: String?
    @OptionGroup var thresholds: InstanceThresholdOptions
    @Option(help: "Sites drawn from each motif.") var sites = SiteClaims.Settings().sitesPerMotif
    @Option(help: "Seed of the drawn sites.") var seed: UInt64 = 1
    @Flag(name: .customLong("every-passing"),
          help: "Count every motif with an instance covering a drawn site, not only the one the co-attention keeps.")
    var everyPassing = false
    @Option(help: "Threads (results do not depend on it).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: [.short, .customLong("output"), .customLong("out")], help: ArgumentHelp("Output TSV, - for standard output.", valueName: "TSV"))
    var output = "-"

    func validate() throws {
        guard threads > 0, sites > 0 else { throw ValidationError("--threads and --sites must be at least 1") }
    }

    func run() throws {
        try reportingErrors("site-claims") {
            let database = try MEMEFormat.read(path: try motifs ?? BundledData.path(of: BundledData.motifsFile))
            var settings = SiteClaims.Settings()
            settings.sitesPerMotif = sites
            settings.seed = seed
            let threshold = thresholds.threshold
            let claims = SiteClaims.measure(database.motifs, threshold: threshold, settings: settings, threads: threads,
                                            everyPassing: everyPassing)
            let file = try OutputFile(path: output)
            try file.write(SiteClaims.tsv(claims, motifs: database.motifs, sitesPerMotif: sites))
            try file.commit()
        }
    }
}
