import ArgumentParser
import Foundation
import MotifAttn

extension MergePhase: ExpressibleByArgument {}

/// `motifattn merge`: the reduce step of a sharded scan.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the parts of a sharded scan (scan --partial --shard ...) into the files of one scan.",
        discussion: """
        Each PART is a folder written by `motifattn scan --partial`. All parts must come from the same \
        genome, model, motif database, regions and settings. Scores are concatenated in genome order; \
        the analysis statistics of all parts are added up and tested once (p- and q-values over all \
        windows), giving the same files as a single scan: scores.tsv.gz (+ .tbi), scores.bedgraph, \
        head_motifs.tsv, motifs.meme, motif_matches.tsv, interactions.tsv, heads.tsv, report.html and run.json. \
        Without regions a sharded scan has two phases: `--phase threshold` reads the phase-1 parts \
        (scores only) and writes threshold.tsv, the cut-offs of bound and background windows of the whole \
        genome, exactly as one scan ranks them (ties by genome position); each shard's phase 2 \
        (scan --partial --threshold --scored) analyses its chosen windows; `merge` then finishes. The parts' \
        shards must cover every sequence of the genome once (no overlap, no gap).
        """)

    @Argument(help: ArgumentHelp("Folders written by scan --partial.", valueName: "PART")) var parts: [String]
    @Option(name: [.customLong("out"), .short, .customLong("output")], help: ArgumentHelp("Output folder (created).", valueName: "DIR"))
    var out: String
    @Option(help: "Threads.") var threads = 1
    @Option(help: "final: the files of one scan (from parts with their analysis); threshold: threshold.tsv (from phase-1 parts).")
    var phase: MergePhase = .final
    @Flag(help: "No messages on standard error.") var quiet = false

    func validate() throws {
        guard !parts.isEmpty else { throw ValidationError("give at least one PART folder") }
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try reportingErrors("merge") {
            let pipeline = MergePipeline(parts: parts, outputFolder: out, record: RunRecord(command: "merge"))
            pipeline.threads = threads
            pipeline.phase = phase
            try pipeline.run()
            if !quiet { printError("motifattn merge: \(parts.count) parts merged into \(out)/\(phase == .threshold ? "threshold.tsv" : "")") }
        }
    }
}
