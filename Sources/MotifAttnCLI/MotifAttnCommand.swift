import ArgumentParser
import Foundation
import MotifAttn

@main
struct MotifAttnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "motifattn",
        abstract: "Find transcription-factor motifs and candidate TF–TF interactions in DNA from Transformer attention.",
        discussion: """
        Coordinates are 0-based, half-open (BED) in every output; region strings \
        (chr:start-end) are 1-based inclusive, as in samtools. `-` means standard \
        input or output. Errors are one line on standard error; exit status 1 for \
        data errors, 64 for usage errors.
        """,
        version: motifattnVersion,
        subcommands: allSubcommands
    )
}
