import Foundation
import MotifAttnIO
import MotifAttnCore
import MotifAttnModel
import MotifAttnTokenizers

/// Errors while scoring sequences.
public enum ScoringError: Error, CustomStringConvertible {
    case recordTooLong(path: String, record: String, bases: Int, tokens: Int, maxLen: Int)
    case noSequences(path: String)

    public var description: String {
        switch self {
        case let .recordTooLong(path, record, bases, tokens, maxLen):
            return "\(path): record '\(record)' (\(bases) bp) gives \(tokens) tokens, more than the model's max_len \(maxLen); give windowing options (e.g. --window 200 --stride 100) to score it in windows"
        case let .noSequences(path): return "\(path): no sequence to score"
        }
    }
}

/// One scored window or record.
public struct ScoredWindow: Sendable {
    /// The window (coordinates, strand, name).
    public var window: Window
    /// Logit of each model output.
    public var logits: [Float]
    /// The window's attention maps, when the scoring was asked to keep them.
    public var attention: AttentionMaps?
}

/// Scores windows with a model in fixed-size batches, so memory stays at a few batches whatever the input size
/// and results do not depend on the thread count.
public final class WindowScorer {
    /// The model's encoder.
    public let encoder: Encoder
    /// The model's tokenizer.
    public let tokenizer: KmerTokenizer
    /// Windows per scoring batch (a multiple of the encoder's batch, so every encoder batch is full).
    public let windowsPerBatch: Int

    /// A scorer for `model` on `threads` threads, with its matrix products in `precision`.
    public init(model: AttentionModel, threads: Int, precision: ProductPrecision = .fp32) throws {
        encoder = Encoder(model: model, threads: threads, batchSize: 32, precision: precision)
        tokenizer = try model.config.makeTokenizer()
        windowsPerBatch = 32 * 16
    }

    /// The token ids of each window; a window with more tokens than `max_len` is an error naming it.
    private func tokenRows(_ windows: [Window], source: String) throws -> [[Int32]] {
        let maxLen = encoder.config.maxLen
        return try windows.map { w in
            let ids = tokenizer.encode(w.bases).ids
            guard ids.count <= maxLen else {
                throw ScoringError.recordTooLong(path: source, record: w.label, bases: w.bases.count, tokens: ids.count, maxLen: maxLen)
            }
            return ids
        }
    }

    /// Logits of each window, in order; a window with more tokens than `max_len` is an error naming it.
    /// Windows for which `keepsAttention` is true also get their attention maps. `variantOf[i] = j` says window i
    /// is window j with a few bases changed (`Encoder.forward(variantOf:)`); it applies without `keepsAttention`.
    public func score(_ windows: [Window], source: String, keepsAttention: ((Window) -> Bool)? = nil,
                      variantOf: [Int?]? = nil) throws -> [ScoredWindow] {
        let rows = try tokenRows(windows, source: source)
        guard let keepsAttention else {
            let logits = try encoder.score(tokenRows: rows, variantOf: variantOf)
            return zip(windows, logits).map { ScoredWindow(window: $0, logits: $1) }
        }
        let kept = windows.map(keepsAttention)
        // Each kept window's maps are copied out on the encoder's threads as its batch finishes (each to its own slot).
        var maps = [AttentionMaps?](repeating: nil, count: windows.count)
        let keepsAny = kept.contains(true)
        let output = try maps.withUnsafeMutableBufferPointer { buffer in
            let slots = buffer
            return try encoder.forward(tokenRows: rows, keepAttention: keepsAny, attentionRows: kept,
                                copyingAttention: keepsAny ? { i, view in slots[i] = self.mapStorage.copy(view) } : nil)
        }
        return windows.indices.map { i in ScoredWindow(window: windows[i], logits: Array(output.logits(window: i)), attention: maps[i]) }
    }

    /// Storage of attention maps given back by `recycle(_:)`, reused by the next windows whose maps are kept
    /// (freed when `scoreAll` ends).
    private let mapStorage = ReusableMapStorage()

    /// Gives back maps that `score(_:source:keepsAttention:variantOf:)` returned and the caller no longer needs,
    /// so later maps reuse their storage (a fresh megabyte array costs a page fault per page). Maps still held
    /// elsewhere stay intact: their storage is then copied, not overwritten.
    public func recycle(_ maps: [AttentionMaps]) {
        mapStorage.giveBack(maps)
    }

    /// Logits of each window, in order, with each head's map of the windows `attentionOf` marks (all when `nil`)
    /// handed to `visit` as soon as the encoder computes it (`Encoder.forward(visitingHeadMaps:)`): on the
    /// encoder's threads, concurrently for different windows, never stored. For callers that summarise the maps.
    /// `variantOf[i] = j` says window i is window j with a few bases changed (`Encoder.forward(variantOf:)`).
    public func score(_ windows: [Window], source: String, attentionOf: [Bool]? = nil, variantOf: [Int?]? = nil,
                      visitingHeadMaps visit: @escaping (HeadMapView) -> Void) throws -> [[Float]] {
        let rows = try tokenRows(windows, source: source)
        let output = try encoder.forward(tokenRows: rows, keepAttention: false, attentionRows: attentionOf, variantOf: variantOf,
                                         visitingHeadMaps: visit)
        return windows.indices.map { Array(output.logits(window: $0)) }
    }

    /// Streams windows from `next` in batches, handing each batch's scores to `consume` in input order
    /// (with the attention maps of the windows for which `keepsAttention` is true).
    public func scoreAll(source: String, next: () throws -> Window?, keepsAttention: ((Window) -> Bool)? = nil,
                         consume: ([ScoredWindow]) throws -> Void) throws {
        // Recycled maps serve the stream only: what comes after it (or a retry after an error) should not pay for them.
        defer { mapStorage.release() }
        var batch: [Window] = []
        batch.reserveCapacity(windowsPerBatch)
        while let w = try next() {
            batch.append(w)
            if batch.count == windowsPerBatch {
                try consume(try score(batch, source: source, keepsAttention: keepsAttention))
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try consume(try score(batch, source: source, keepsAttention: keepsAttention)) }
    }
}

/// The logistic function, computed stably for large |x|.
public func logistic(_ x: Float) -> Double {
    let z = Double(x)
    return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
}

/// The table `motifattn score` writes: a provenance line, a header, then one row per record or window with
/// each output's logit and probability (six decimals).
///
/// Records are named only; windows also carry chrom, start, end (0-based, half-open) and strand.
public final class ScoreTable {
    private let output: OutputFile
    private let withCoordinates: Bool
    /// Rows written so far.
    public private(set) var rows = 0

    /// Opens `output` and writes the provenance line and the header for a model with `outputs` outputs.
    public init(output: OutputFile, outputs: Int, withCoordinates: Bool, provenance: Provenance) throws {
        self.output = output
        self.withCoordinates = withCoordinates
        try output.write(provenance.line + "\n")
        let valueColumns = outputs == 1 ? ["logit", "probability"] : (0..<outputs).flatMap { ["logit_\($0)", "probability_\($0)"] }
        try output.write(((withCoordinates ? ["name", "chrom", "start", "end", "strand"] : ["name"]) + valueColumns)
            .joined(separator: "\t") + "\n")
    }

    /// Writes the rows of `scored`, in order.
    public func write(_ scored: [ScoredWindow]) throws {
        for s in scored {
            var fields = [s.window.label]
            if withCoordinates { fields += [s.window.sourceName, "\(s.window.start)", "\(s.window.end)", s.window.strand.rawValue] }
            for z in s.logits { fields += [String(format: "%.6f", z), String(format: "%.6f", logistic(z))] }
            try output.write(fields.joined(separator: "\t") + "\n")
        }
        rows += scored.count
    }

    /// Finishes the file (renames it into place; checks for errors writing standard output).
    public func commit() throws { try output.commit() }
}
