import ArgumentParser
import Foundation
import MotifAttn

/// `motifattn windows`: tile sequences, regions or reads into windows and write them out.
struct WindowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "windows",
        abstract: "Cut a FASTA (whole, or BED/region subsets) or the reads of a SAM/BAM/CRAM into windows.",
        discussion: """
        INPUT is detected by content: FASTA (plain, gzip or bgzip; - for standard input), \
        SAM, BAM or CRAM. Output coordinates are 0-based, half-open; FASTA headers are \
        >chrom:start-end(strand). The number of windows skipped for N goes to standard error.
        """
    )

    @Argument(help: "FASTA, SAM, BAM or CRAM file (- for standard input).")
    var input: String

    @OptionGroup var windowing: WindowOptionsGroup

    @Option(help: "Output format: fasta, bed (BED6) or tsv.")
    var format: WindowTextFormat = .fasta

    @Option(help: "Threads for BGZF/BAM/CRAM decompression.")
    var threads: Int = 1

    @Option(name: [.short, .customLong("output"), .customLong("out")], help: ArgumentHelp("Output file (- for standard output).", valueName: "OUT"))
    var output: String = "-"

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try reportingErrors("windows") {
            let reader = try WindowReader(path: input, regions: try windowing.regions(), options: windowing.options(threads: threads),
                                          warningHandler: { printError("motifattn windows: \($0)") })
            let out = try OutputFile(path: output)
            if format == .tsv {
                try out.write(Provenance.thisProcess.line + "\n")
                try out.write(WindowTextFormat.tsvHeader)
            }
            let format = format
            try reader.forEachWindow { try format.write($0, to: out) }
            try out.commit()
            printError("motifattn windows: \(reader.windowsProduced) windows written, \(reader.windowsSkipped) skipped (more than \(windowing.maxN) N)")
        }
    }
}

extension WindowTextFormat: ExpressibleByArgument {}
