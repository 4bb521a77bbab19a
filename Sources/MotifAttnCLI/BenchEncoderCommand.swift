import ArgumentParser
import Foundation
import MotifAttn
import MotifAttnBenchmarking

/// `motifattn bench-encoder`: scoring speed against ONNX Runtime on the same model and windows.
struct BenchEncoderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-encoder",
        abstract: "Measure scoring speed (windows/s) at 1 and N threads, against ONNX Runtime when --peer is given.",
        discussion: """
        Tokenizes and scores the same windows (random, or the records of --fasta) with motifattn and, \
        with --peer, with `ort_peer.py score` on the same model, threads and windows, alternating the two \
        engines --repeats times. Prints the median windows/s of each, their ratio, motifattn's effective \
        GFLOP/s (matrix products of the full forward pass) and the OpenBLAS sgemm rate measured in the same \
        run at the model's projection shapes. Build the reference speed model with \
        `random_model.py M.safetensors --k 3 --conv 11 --d-model 128 --heads 8 --layers 4 --d-ff 512`. \
        With --bf16 the bf16 encoder (`--precision bf16`) is timed too, in the same alternation: its \
        windows/s, its ratio to fp32 and to ONNX Runtime, and the largest |logit difference| from fp32.
        """)

    @Option(help: ArgumentHelp("Model file (safetensors).", valueName: "M")) var model = "Reference/model/default.safetensors"
    @Option(help: ArgumentHelp("Score the records of this FASTA instead of random windows.", valueName: "FASTA")) var fasta: String?
    @Option(help: "Random windows to score.") var windows = 4000
    @Option(help: "Length of each random window, in bases.") var length = 200
    @Option(help: "Largest thread count to measure (1 is always measured).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Windows per encoder batch.") var batch = 32
    @Option(help: "Timed runs per engine and thread count (the median is reported).") var repeats = 3
    @Option(help: ArgumentHelp("ort_peer.py to run as the ONNX Runtime peer.", valueName: "PATH")) var peer: String?
    @Option(help: "Python interpreter for --peer (needs onnx, onnxruntime, safetensors, numpy).") var python = "python3"
    @Option(help: "Windows per ONNX Runtime call.") var peerBatch = 64
    @Option(help: "Seed of the random windows.") var seed: UInt64 = 1
    @Flag(help: "Also time the bf16 encoder (needs AVX512_BF16).") var bf16 = false

    func validate() throws {
        guard windows > 0, length > 0, threads > 0, batch > 0, repeats > 0, peerBatch > 0 else {
            throw ValidationError("windows, length, threads, batch, repeats and peer-batch must be positive")
        }
        if let peer, !FileManager.default.fileExists(atPath: peer) { throw ValidationError("--peer \(peer): no such file") }
        if bf16 && !ProductPrecision.isSupported(.bf16) { throw ValidationError("--bf16 needs a CPU with AVX512_BF16, which this one does not have") }
    }

    func run() throws {
        try reportingErrors("bench-encoder") {
            let loaded = try AttentionModel(contentsOf: model)
            let tokenizer = try loaded.makeTokenizer()
            var names: [String] = []
            var bases: [[UInt8]] = []
            if let fasta {
                let reader = try FastaRecordReader(path: fasta)
                while let record = try reader.next() { names.append(record.name); bases.append(record.bases) }
            } else {
                bases = EncoderThroughput.randomWindows(count: windows, length: length, seed: seed)
                names = (0..<bases.count).map { "w\($0 + 1)" }
            }
            guard !bases.isEmpty else { throw ScoringError.noSequences(path: fasta ?? "-") }
            // The peer reads a FASTA: write the windows once, outside any timed region.
            var peerInput: String?
            if peer != nil {
                let path = NSTemporaryDirectory() + "motifattn-bench-\(getpid()).fa"
                var text = ""
                for (name, window) in zip(names, bases) { text += ">\(name)\n" + String(decoding: window, as: UTF8.self) + "\n" }
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                peerInput = path
            }
            defer { if let peerInput { try? FileManager.default.removeItem(atPath: peerInput) } }
            let onnx = peer.map { PeerProcess(python: python, script: $0) }
            let c = loaded.config
            let tokens = tokenizer.encode(bases[0]).ids.count
            let flops = EncoderThroughput.flopsPerWindow(config: c, tokens: tokens)
            printError(String(format: "motifattn bench-encoder: %@: d_model %d, %d heads in all, %d layers, d_ff %d, conv %d; %d windows of %d tokens; %.1f MFLOP per window",
                              model, c.dModel, c.headLayout.count, c.nLayers, c.dFF, c.convWidth, bases.count, tokens, flops / 1e6))
            let kernels = EncoderThroughput.openBLASKernels
            printError("motifattn bench-encoder: OpenBLAS kernels \(kernels)"
                       + (kernels == "Prescott" ? " (its SSE3 fallback for CPU models it does not know: "
                          + "try OPENBLAS_CORETYPE=SkylakeX or Haswell, docs/encoder.md)" : ""))
            print("threads\twindows\tmotifattn_windows_per_s\tort_windows_per_s\tratio\tmotifattn_gflop_per_s\tsgemm_gflop_per_s\tlogit_sum"
                  + (bf16 ? "\tbf16_windows_per_s\tbf16_over_fp32\tbf16_over_ort\tbf16_max_abs_logit_difference" : ""))
            for t in Set([1, threads]).sorted() {
                let encoder = Encoder(model: loaded, threads: t, batchSize: batch)
                let bf16Encoder = bf16 ? Encoder(model: loaded, threads: t, batchSize: batch, precision: .bf16) : nil
                var ours: [Double] = [], theirs: [Double] = [], halves: [Double] = []
                var logitSum = 0.0
                for _ in 0..<repeats {
                    let m = try EncoderThroughput.measure(encoder: encoder, tokenizer: tokenizer, windows: bases)
                    ours.append(m.windowsPerSecond)
                    logitSum = m.logitSum
                    if let bf16Encoder {
                        halves.append(try EncoderThroughput.measure(encoder: bf16Encoder, tokenizer: tokenizer, windows: bases).windowsPerSecond)
                    }
                    if let onnx, let peerInput {
                        theirs.append(try onnx.rate(arguments: ["score", model, peerInput, "--threads", "\(t)", "--batch", "\(peerBatch)"],
                                                    key: "records_per_s"))
                    }
                }
                let sgemm = EncoderThroughput.sgemmRate(config: c, tokens: tokens, batchSize: batch, threads: t)
                let rate = Statistics.median(ours)
                let peerRate = theirs.isEmpty ? nil : Statistics.median(theirs)
                printError("motifattn bench-encoder: \(t) thread(s): motifattn " + ours.map { String(format: "%.1f", $0) }.joined(separator: " ")
                           + (theirs.isEmpty ? "" : "; onnxruntime " + theirs.map { String(format: "%.1f", $0) }.joined(separator: " ")) + " windows/s")
                var columns = [String(t), String(bases.count), String(format: "%.1f", rate),
                               peerRate.map { String(format: "%.1f", $0) } ?? "-",
                               peerRate.map { String(format: "%.2f", rate / $0) } ?? "-",
                               String(format: "%.1f", rate * flops / 1e9), String(format: "%.1f", sgemm),
                               String(format: "%.4f", logitSum)]
                if let bf16Encoder {
                    let halfRate = Statistics.median(halves)
                    let rows = Encoder.tokenRows(bases, tokenizer: tokenizer)
                    let exact = try encoder.score(tokenRows: rows), rounded = try bf16Encoder.score(tokenRows: rows)
                    var largest = 0.0
                    for (a, b) in zip(exact, rounded) {
                        for (u, v) in zip(a, b) { largest = max(largest, abs(Double(u) - Double(v))) }
                    }
                    columns += [String(format: "%.1f", halfRate), String(format: "%.2f", halfRate / rate),
                                peerRate.map { String(format: "%.2f", halfRate / $0) } ?? "-", String(format: "%.5f", largest)]
                }
                print(columns.joined(separator: "\t"))
            }
        }
    }
}
