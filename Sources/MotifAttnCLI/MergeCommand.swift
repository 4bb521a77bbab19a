import ArgumentParser
import Foundation
import MotifAttn

/// `motifattn merge`: the reduce step of a sharded scan.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the parts of a sharded scan (scan --partial --shard ...) into the files of one scan.",
        discussion: """
        Each PART is a folder written by `motifattn scan --partial`. All parts must come from the same \
        genome, model, motif database, regions and settings. Scores are concatenated in genome order; \
        the analysis statistics of all parts are added up and tested once (p- and q-values over all \
        windows), giving the same files as a single scan: scores.tsv, scores.bedgraph, head_motifs.tsv, \
        motifs.meme, motif_matches.tsv, interactions.tsv, heads.tsv, report.html and run.json.
        """)

    @Argument(help: ArgumentHelp("Folders written by scan --partial.", valueName: "PART")) var parts: [String]
    @Option(name: [.customLong("out"), .short, .customLong("output")], help: ArgumentHelp("Output folder (created).", valueName: "DIR"))
    var out: String
    @Option(help: "Threads.") var threads = 1
    @Flag(help: "No messages on standard error.") var quiet = false

    func validate() throws {
        guard !parts.isEmpty else { throw ValidationError("give at least one PART folder") }
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try reportingErrors("merge") {
            let pipeline = MergePipeline(parts: parts, outputFolder: out, record: RunRecord(command: "merge"))
            pipeline.threads = threads
            try pipeline.run()
            if !quiet { printError("motifattn merge: \(parts.count) parts merged into \(out)/") }
        }
    }
}
