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

    enum Format: String, ExpressibleByArgument, CaseIterable { case fasta, bed, tsv }

    @Argument(help: "FASTA, SAM, BAM or CRAM file (- for standard input).")
    var input: String

    @OptionGroup var windowing: WindowOptionsGroup

    @Option(help: "Output format: fasta, bed (BED6) or tsv.")
    var format: Format = .fasta

    @Option(help: "Threads for BGZF/BAM/CRAM decompression.")
    var threads: Int = 1

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Output file (- for standard output).", valueName: "OUT"))
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
                try out.write("##motifattn version=\(motifattnVersion) command=\(CommandLine.arguments.joined(separator: " "))\n")
                try out.write("source\tstart\tend\tstrand\tname\tsequence\n")
            }
            var line: [UInt8] = []
            line.reserveCapacity(1 << 12)
            while let window = try reader.next() {
                line.removeAll(keepingCapacity: true)
                switch format {
                case .fasta:
                    line.append(UInt8(ascii: ">"))
                    line.append(contentsOf: window.label.utf8)
                    line.append(10)
                    line.append(contentsOf: window.bases)
                case .bed:
                    line.append(contentsOf: "\(window.sourceName)\t\(window.start)\t\(window.end)\t\(window.label)\t0\t\(window.strand.rawValue)".utf8)
                case .tsv:
                    line.append(contentsOf: "\(window.sourceName)\t\(window.start)\t\(window.end)\t\(window.strand.rawValue)\t\(window.label)\t".utf8)
                    line.append(contentsOf: window.bases)
                }
                line.append(10)
                try out.write(bytes: line)
            }
            try out.commit()
            printError("motifattn windows: \(reader.windowsProduced) windows written, \(reader.windowsSkipped) skipped (more than \(windowing.maxN) N)")
        }
    }
}
