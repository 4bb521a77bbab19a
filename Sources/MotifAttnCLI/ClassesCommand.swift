import ArgumentParser
import Foundation
import MotifAttn

/// `motifattn classes`: the look-alike classes of a motif database, as `scan` and `analyze` pair them.
struct ClassesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classes",
        abstract: "Group the motifs of a database into look-alike classes (the units the co-attention pairs).",
        discussion: """
        Sites are drawn from every motif and scanned with the whole database at the instance thresholds; \
        two motifs are look-alikes when each passes at at least half as many of the other's sites as the \
        other does itself, and classes are the connected groups. Writes one row per motif (motif_id, \
        name, representative_id, class_size) after a ##fingerprint line naming the database's SHA-256 \
        and the settings. `scan` and `analyze` read NAME.classes.tsv beside the database NAME.meme when its \
        fingerprint matches (--motif-classes auto), or any such file with --motif-classes FILE.
        """)

    @Option(help: ArgumentHelp("Motif database (MEME format); default: bundled JASPAR 2026 CORE vertebrates.", valueName: "MEME"))
    var motifs: String?
    @OptionGroup var thresholds: InstanceThresholdOptions
    @Option(help: "Threads (results do not depend on it).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: [.short, .customLong("output"), .customLong("out")], help: ArgumentHelp("Output TSV, - for standard output.", valueName: "TSV"))
    var output = "-"

    func validate() throws {
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try reportingErrors("classes") {
            let path = try motifs ?? BundledData.path(of: BundledData.motifsFile)
            let database = try MEMEFormat.read(path: path)
            let threshold = thresholds.threshold
            let classes = MotifClasses.measure(database.motifs, threshold: threshold, threads: threads)
            let file = try OutputFile(path: output)
            try file.write(classes.tsv(motifs: database.motifs, fingerprint: try MotifClasses.fingerprint(databasePath: path, threshold: threshold),
                                       provenance: .thisProcess))
            try file.commit()
        }
    }
}
