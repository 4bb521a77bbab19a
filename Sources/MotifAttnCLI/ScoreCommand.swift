import ArgumentParser
import Foundation
import MotifAttn

/// `motifattn score`: the model's logit and probability for each sequence or window.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score each FASTA record, or each window of a genome, with a model.",
        discussion: """
        Without windowing options each FASTA record is scored whole (a record longer than the model's \
        max_len is an error). With --window/--stride/--regions/--region the input is cut into windows \
        as by `motifattn windows` and each window is scored. Output: a TSV with a ##motifattn provenance \
        line and a header; columns name (records) or name, chrom, start, end, strand (windows; 0-based \
        half-open), then logit and probability (logit_0, probability_0, ... for several outputs). \
        Results do not depend on --threads.
        """)

    @Option(help: ArgumentHelp("Model file (safetensors).", valueName: "M")) var model: String
    @Argument(help: ArgumentHelp("FASTA (plain, gzip or bgzip; - for standard input), or SAM/BAM/CRAM.", valueName: "INPUT")) var input: String
    @OptionGroup var windowing: WindowOptionsGroup
    @Option(help: "Threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @OptionGroup var precision: PrecisionOption
    @Option(name: [.short, .customLong("output"), .customLong("out")], help: ArgumentHelp("Output TSV (- for standard output).", valueName: "OUT"))
    var output = "-"
    @Flag(help: "No progress on standard error.") var quiet = false

    func validate() throws {
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try reportingErrors("score") {
            let loaded = try AttentionModel(contentsOf: model)
            let scorer = try WindowScorer(model: loaded, threads: threads, precision: precision.precision)
            let tiled = windowing.tilingRequested
            let table = try ScoreTable(output: try OutputFile(path: output), outputs: loaded.config.nOutputs, withCoordinates: tiled,
                                       provenance: .thisProcess)
            let progress = ProgressMeter(command: "score", unit: "windows", quiet: quiet)
            let write: ([ScoredWindow]) throws -> Void = { scored in
                try table.write(scored)
                progress.advance(by: scored.count)
            }
            if tiled {
                let reader = try WindowReader(path: input, regions: try windowing.regions(), options: windowing.options(threads: threads))
                try scorer.scoreAll(source: input, next: reader.next, consume: write)
                if reader.windowsSkipped > 0 { progress.message("\(reader.windowsSkipped) windows skipped (more than \(windowing.maxN) N)") }
            } else {
                let reader = try FastaRecordReader(path: input, threads: threads)
                try scorer.scoreAll(source: input, next: { try reader.next()?.window }, consume: write)
            }
            guard progress.count > 0 else { throw ScoringError.noSequences(path: input) }
            try table.commit()
            progress.finish()
        }
    }
}
