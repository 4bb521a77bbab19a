// `partial.state` files as `motifattn merge` reads them: the header PartialScan.Header.read reads, the
// analysis state AttentionAnalysis.mergeState adds up (motif discovery, head diagnostics, co-attention,
// report windows), then the tests and writers a merge runs on it.
//
// A state only merges into an analysis of the same model shape and motif database, so the harness uses a
// fixed small one (below) and its seeds are made by it: MOTIFATTN_FUZZ_WRITE_SEEDS=DIR fuzz-partial-state
// writes them and exits. Co-attention histograms are kept small (16 score bins, 4 distance bins) so
// states are a few KB instead of the default's megabytes.
import Foundation
import FuzzSupport
import MotifAttn

let magic = "motifattn-partial-scan-3"  // PartialScan.magic

let motifsPath: String = {
    let folder = Fuzz.scratch + "/fixed"
    try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let consensus = ["AGATAAGA", "CCACGTGG", "ATGACTCA"]
    let motifs = consensus.enumerated().map { i, word in
        Motif(id: "M\(i + 1)", name: "TF\(i + 1)", probabilities: word.utf8.map { base in
            (0..<4).map { b in Array("ACGT".utf8)[b] == base ? 0.91 : 0.03 }
        })
    }
    let path = folder + "/motifs.meme"
    try! MEMEFormat.render(MotifDatabase(motifs: motifs)).write(toFile: path, atomically: true, encoding: .utf8)
    return path
}()

let encoder: Encoder = {
    let config = ModelConfig(tokenizer: TokenizerConfig(k: 3), dModel: 8, nHeads: 2, nLayers: 1, dFF: 16, maxLen: 80)
    return Encoder(model: try! AttentionModel(randomWeightsFor: config, seed: 7), threads: 1, batchSize: 8)
}()

func makeAnalysis() throws -> AttentionAnalysis {
    var options = AnalysisOptions(motifsPath: motifsPath)
    options.threads = 1
    options.coAttention.scoreBins = 16
    options.coAttention.maxDistance = 30
    options.coAttention.distanceBinWidth = 10
    options.coAttention.minimumBound = 1
    options.maxQValue = 1
    options.interactionMaxQValue = 1
    options.reportWindows = 2
    return try AttentionAnalysis(encoder: encoder, options: options)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var reader = StateReader(bytes: Fuzz.bytes(data, size), path: "partial.state")
    do {
        // PartialScan.Header.read (an analysed part: the final merge's input)
        guard (try? reader.string()) == magic else { throw PartialStateError.notAPartialState(path: reader.path) }
        guard try reader.string() == "analysis" else { throw PartialStateError.truncated(path: reader.path) }  // phase
        _ = try reader.string(); _ = try reader.string(); _ = try reader.string()  // fingerprint, genome, model
        _ = try reader.string(); _ = try reader.count(limit: Int.max); _ = try reader.int()  // shard contig, start, end
        for _ in 0..<4 { _ = try reader.count(limit: Int.max) }                     // scored, skipped, bound, background
        _ = try reader.string()                                                     // cut-offs (phase 2 without regions)
        let analysis = try makeAnalysis()
        try analysis.mergeState(from: &reader)
        guard reader.atEnd else { throw PartialStateError.truncated(path: reader.path) }
        // What merge does next: test once, write the tables and the report.
        let results = try analysis.results()
        Fuzz.reset()
        try results.write(to: Fuzz.scratch, provenance: Provenance(version: "fuzz", command: "merge"))
        _ = HTMLReport.render(analysis.reportContent(results, title: "fuzz", summary: []))
    } catch {
        Fuzz.expected(error)
    }
    return 0
}

/// MOTIFATTN_FUZZ_WRITE_SEEDS=DIR: writes states of 0, 3 and 8 windows to DIR and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutableRawPointer?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    guard let folder = ProcessInfo.processInfo.environment["MOTIFATTN_FUZZ_WRITE_SEEDS"] else { return 0 }
    var state: UInt64 = 42
    func random(_ n: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int(state >> 33) % n
    }
    let sites = ["AGATAAGA", "CCACGTGG", "ATGACTCA"].map { Array($0.utf8) }
    func window(_ i: Int, bound: Bool) -> Window {
        var bases = (0..<32).map { _ in Array("ACGT".utf8)[random(4)] }
        if bound {
            for (k, site) in sites.enumerated() where k < 2 && random(4) != 0 {
                let at = k * 12 + random(4)
                bases.replaceSubrange(at..<(at + site.count), with: site)
            }
        }
        return Window(sourceName: "chrF", start: i * 32, end: i * 32 + 32, strand: .plus, bases: bases)
    }
    for count in [0, 3, 8] {
        let analysis = try! makeAnalysis()
        let windows = (0..<count).map { window($0, bound: $0 % 2 == 0) }
        if !windows.isEmpty { try! analysis.add(windows, labels: windows.indices.map { $0 % 2 == 0 ? .bound : .background }) }
        var writer = StateWriter()
        writer.string(magic)
        writer.string("analysis")
        writer.string("fuzz|window=32|stride=32"); writer.string("genome.fa"); writer.string("model.safetensors")
        writer.string("chrF"); writer.int(0); writer.int(-1)
        for value in [count, 0, (count + 1) / 2, count / 2] { writer.int(value) }
        writer.string("")
        try! analysis.encodeState(to: &writer)
        let path = folder + "/state-\(count)-windows"
        guard FileManager.default.createFile(atPath: path, contents: Data(writer.bytes)) else { fatalError("cannot write \(path)") }
        print("wrote \(path) (\(writer.bytes.count) bytes)")
    }
    exit(0)
}
