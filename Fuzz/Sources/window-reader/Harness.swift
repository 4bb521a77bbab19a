// WindowReader over arbitrary bytes in a file: format detection (FASTA, gzip, BGZF, SAM, BAM, CRAM),
// streaming tiling with two settings, and, for FASTA, faidx indexing and region reads.
import FuzzSupport
import MotifAttnIO
import MotifAttnCore

/// Reads every window (at most `limit`), checking what holds for every tile.
func drain(_ reader: WindowReader, limit: Int = 100_000) throws {
    var count = 0
    while let window = try reader.next(), count < limit {
        count += 1
        if window.name == nil {  // a tile of a FASTA sequence, not a read
            precondition(window.start >= 0 && window.end - window.start == window.bases.count, "a tile holds its bases")
            precondition(window.bases.count <= reader.options.window, "a tile is at most a window long")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = Fuzz.file(Fuzz.bytes(data, size))
    let quiet: (String) -> Void = { _ in }
    let small = WindowOptions(window: 7, stride: 3, strand: .both, maxN: 0.5, excludeFlags: 0)
    for options in [small, WindowOptions()] {
        do { try drain(try WindowReader(path: path, options: options, warningHandler: quiet)) } catch { Fuzz.expected(error) }
    }
    // Region access through faidx (builds the .fai, and the .gzi for BGZF, next to the file).
    do {
        let contigs = try GenomeIndex.contigs(of: path)
        var regions: [Region] = []
        for contig in contigs.prefix(4) {
            regions.append(Region(contig: contig.name, start: 0, end: nil))
            regions.append(Region(contig: contig.name, start: contig.length / 3, end: contig.length / 3 + 20))
            regions.append(Region(contig: contig.name, start: max(0, contig.length - 5), end: contig.length + 5))
        }
        if !regions.isEmpty { try drain(try WindowReader(path: path, regions: regions, options: small, warningHandler: quiet)) }
    } catch {
        Fuzz.expected(error)
    }
    return 0
}
