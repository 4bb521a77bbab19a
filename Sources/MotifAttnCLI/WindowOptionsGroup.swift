import ArgumentParser
import MotifAttn

extension StrandChoice: ExpressibleByArgument {}

/// The flags that choose what is read and how it is cut into windows (shared by `windows`, `score`, `scan`).
struct WindowOptionsGroup: ParsableArguments {
    private static let defaults = WindowOptions()

    @Option(name: .customLong("regions"), help: ArgumentHelp("BED file of regions to read (0-based, half-open).", valueName: "BED"))
    var regionsFile: String?

    @Option(name: .customLong("region"), help: ArgumentHelp("A region chr, chr:start or chr:start-end (1-based inclusive, as samtools); repeatable.", valueName: "R"))
    var regionStrings: [String] = []

    @Option(name: .customLong("window"), help: "Window length in bases (default: 200).")
    var windowLength: Int?

    /// Window length in bases.
    var window: Int { windowLength ?? Self.defaults.window }

    /// Whether any option asked for tiling into windows or for regions (`score` then scores windows, not whole records).
    var tilingRequested: Bool { windowLength != nil || stride != nil || regionsFile != nil || !regionStrings.isEmpty }

    @Option(help: "Distance between window starts in bases (default: the window length).")
    var stride: Int?

    @Option(help: "Strands to produce: plus, or both (adds the reverse complement, marked -).")
    var strand: StrandChoice = .plus

    @Option(name: .customLong("max-n"), help: "Skip windows whose fraction of N bases is above this.")
    var maxN: Double = defaults.maxN

    @Option(help: ArgumentHelp("Reference FASTA to decode CRAM.", valueName: "REF"))
    var reference: String?

    @Option(name: .customLong("exclude-flags"), help: ArgumentHelp("Drop reads with any of these SAM flags (names or a number, as samtools -F).", valueName: "F"))
    var excludeFlags: String = "UNMAP,SECONDARY,QCFAIL,DUP"

    @Option(name: .customLong("min-mapq"), help: ArgumentHelp("Drop reads with a mapping quality below this.", valueName: "Q"))
    var minMapq: Int = defaults.minMappingQuality

    func validate() throws {
        guard window > 0 else { throw ValidationError("--window must be at least 1 base") }
        if let stride, stride <= 0 { throw ValidationError("--stride must be at least 1 base") }
        guard maxN >= 0 && maxN <= 1 else { throw ValidationError("--max-n must be a fraction between 0 and 1") }
        guard minMapq >= 0 else { throw ValidationError("--min-mapq must be 0 or more") }
        guard WindowOptions.parseFlags(excludeFlags) != nil else {
            throw ValidationError("--exclude-flags: cannot read '\(excludeFlags)' as SAM flags (e.g. UNMAP,DUP or 0x404)")
        }
        for text in regionStrings { _ = try parsedRegion(text) }
    }

    private func parsedRegion(_ text: String) throws -> Region {
        do { return try RegionParser.parse(text) } catch { throw ValidationError("--region: \(error)") }
    }

    /// The library options these flags describe.
    func options(threads: Int) -> WindowOptions {
        WindowOptions(window: window, stride: stride, strand: strand, maxN: maxN, threads: threads,
                      reference: reference, excludeFlags: WindowOptions.parseFlags(excludeFlags) ?? WindowOptions.defaultExcludeFlags,
                      minMappingQuality: minMapq)
    }

    /// The regions asked for: those of `--regions` then each `--region`, in order.
    func regions() throws -> [Region] {
        var regions: [Region] = []
        if let regionsFile { regions += try BEDReader.read(path: regionsFile) }
        for text in regionStrings { regions.append(try parsedRegion(text)) }
        return regions
    }
}
