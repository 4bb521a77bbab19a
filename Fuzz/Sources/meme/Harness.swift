// MEME minimal-format motif files (versions 4 and 5): parsed, then used as a scan uses them (consensus,
// information content, reverse complement, PWM scanning) and written and read back.
import FuzzSupport
import MotifAttnAnalysis

let bases = Array("ACGTTGCAAGCTTGACCGGTATATCCCGGGAAATTTCGCGATCGNNACGTGCAGCTAGGCTTAAC".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = Fuzz.text(data, size)
    let database: MotifDatabase
    do { database = try MEMEFormat.parse(text, path: "motifs.meme") } catch { Fuzz.expected(error); return 0 }
    for motif in database.motifs {
        precondition(motif.width > 0 && motif.probabilities.allSatisfy { $0.count == 4 }, "four probabilities per position")
        _ = motif.consensus
        _ = motif.informationContent
        _ = motif.reverseComplement.consensus
    }
    // Scanning builds exact score distributions in time quadratic in the width; real motifs are < 40 wide.
    let scanned = database.motifs.filter { $0.width <= 64 }.prefix(8)
    _ = MotifScanner(motifs: Array(scanned)).scan(bases)
    let written = MEMEFormat.render(database)
    guard let again = try? MEMEFormat.parse(written, path: "written.meme") else { preconditionFailure("written motifs can be read:\n\(written)") }
    precondition(again.motifs.map(\.id) == database.motifs.map(\.id), "the same motifs are read back")
    return 0
}
