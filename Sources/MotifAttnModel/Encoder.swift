import Foundation
import MotifAttnCore
import MotifAttnKernels
import MotifAttnTokenizers

/// Why a batch of token rows cannot be encoded.
public enum EncoderError: Error, CustomStringConvertible, Equatable {
    /// A row is longer than the model's position table.
    case rowTooLong(row: Int, tokens: Int, maxLen: Int)
    /// A row holds no token.
    case emptyRow(row: Int)
    /// A token id outside the vocabulary.
    case tokenOutOfVocabulary(row: Int, position: Int, id: Int32, vocabularySize: Int)
    /// A head output given to `HeadIntervention.Action.replace` has another size than the window's.
    case replacementSize(row: Int, expected: Int, given: Int)
    /// A head intervention names a layer or head the model does not have.
    case noSuchHead(layer: Int, head: Int)
    /// A [PAD] token before a real token (rows are right-padded only).
    case padInsideRow(row: Int, position: Int)

    public var description: String {
        switch self {
        case .rowTooLong(let r, let t, let m): return "window \(r + 1): \(t) tokens exceed the model's max_len \(m); use shorter windows"
        case .emptyRow(let r): return "window \(r + 1): no tokens"
        case .tokenOutOfVocabulary(let r, let p, let id, let v): return "window \(r + 1), token \(p + 1): id \(id) is outside the model's vocabulary of \(v)"
        case .padInsideRow(let r, let p): return "window \(r + 1), token \(p + 1): [PAD] before the end of the row (rows must be right-padded)"
        case .replacementSize(let r, let e, let g):
            return "window \(r + 1): the replacement head output has \(g) numbers, the window's has \(e) (patch windows of the same token count)"
        case .noSuchHead(let l, let h): return "the model has no head \(h) in layer \(l)"
        }
    }
}

/// The attention probabilities of one window: every layer and head, for its real tokens only.
///
/// Layout: `probabilities[(slot · tokens + query) · tokens + key]`, where `slot` is the head's place in
/// `layout` (layer by layer, heads ascending; `layer · heads + head` in an unpruned model), i.e.
/// `[layer][head][query][key]`, each row a softmax over the window's real keys ([PAD] excluded).
public struct AttentionMaps: Sendable {
    /// Real tokens of the window ([CLS] and [SEP] included, [PAD] excluded).
    public var tokens: Int
    /// The heads of each layer (fewer in a pruned model).
    public var layout: HeadLayout
    /// All maps, `[slot][query][key]`.
    public var probabilities: [Float]

    /// Maps of a model whose heads are laid out as `layout`.
    public init(tokens: Int, layout: HeadLayout, probabilities: [Float]) {
        self.tokens = tokens; self.layout = layout; self.probabilities = probabilities
    }

    /// Maps of an unpruned model: `layers` layers of heads 0..<`heads`.
    @available(*, deprecated, message: "use init(tokens:layout:probabilities:); a pruned model has per-layer heads")
    public init(tokens: Int, layers: Int, heads: Int, probabilities: [Float]) {
        self.init(tokens: tokens, layout: HeadLayout(layers: layers, headsPerLayer: heads), probabilities: probabilities)
    }

    /// Encoder layers.
    public var layers: Int { layout.layers }

    /// Heads per layer of an unpruned model (source compatibility with 0.1); stops on a pruned model's maps,
    /// whose layers differ: use `layout`.
    @available(*, deprecated, message: "use layout.headsByLayer (a pruned model has per-layer heads)")
    public var heads: Int {
        precondition(layout.isUniform, "a pruned model's layers hold different heads: use layout.headsByLayer")
        return layout.widestLayer
    }

    /// The `tokens × tokens` map of one layer and head (row = query token); `head` is the head's number in the
    /// unpruned model (`L1H3` stays head 3 of layer 1 after pruning), and must be one the layer holds.
    public func map(layer: Int, head: Int) -> ArraySlice<Float> {
        guard let slot = layout.slot(layer: layer, head: head) else { preconditionFailure("no head L\(layer)H\(head) in these maps") }
        let size = tokens * tokens, start = slot * size
        return probabilities[start..<(start + size)]
    }
}

/// The attention maps of one window read in place (`Encoder.forward(visitingAttention:)`): the layout of
/// `AttentionMaps`, valid only while the closure that received it runs.
public struct AttentionMapsView {
    /// Real tokens of the window.
    public let tokens: Int
    /// The heads of each layer.
    public let layout: HeadLayout
    /// All maps, `[slot][query][key]`.
    public let probabilities: UnsafeBufferPointer<Float>

    /// The `tokens × tokens` map of one head (row = query token), by its number in the unpruned model.
    public func map(layer: Int, head: Int) -> UnsafeBufferPointer<Float> {
        guard let slot = layout.slot(layer: layer, head: head) else { preconditionFailure("no head L\(layer)H\(head) in these maps") }
        return UnsafeBufferPointer(rebasing: probabilities[(slot * tokens * tokens)..<((slot + 1) * tokens * tokens)])
    }

    /// A copy that outlives the call.
    public func copy() -> AttentionMaps {
        AttentionMaps(tokens: tokens, layout: layout, probabilities: Array(probabilities))
    }
}

/// One head's attention map of one window, read in place during `Encoder.forward(visitingHeadMaps:)`: valid
/// only while the closure that received it runs.
public struct HeadMapView {
    /// The window's place in the rows given to `forward`.
    public let window: Int
    /// The layer.
    public let layer: Int
    /// The head's number in the unpruned model (`L1H3` stays head 3 of layer 1 after pruning).
    public let head: Int
    /// The head's place in the model's `HeadLayout` (layer by layer, heads ascending).
    public let slot: Int
    /// Real tokens of the window.
    public let tokens: Int
    /// `[query][key]`, `tokens × tokens`, each row a softmax over the window's real keys.
    public let probabilities: UnsafeBufferPointer<Float>
}

/// An intervention on one head's output (its dHead columns of the attention context, before `out_proj`)
/// during `Encoder.forward`: ablation, and the two halves of activation patching. `head` is the head's number
/// in the unpruned model.
public struct HeadIntervention: Sendable {
    public enum Action: Sendable {
        /// Set the head's output to zero (ablation).
        case zero
        /// Keep the head's output of each window (`EncoderOutput.headOutputs`).
        case record
        /// Put these outputs in place of the head's own, one per window, as `record` returned them for
        /// windows of the same token count.
        case replace([[Float]])
    }
    public var layer: Int
    public var head: Int
    public var action: Action

    public init(layer: Int, head: Int, action: Action) {
        self.layer = layer; self.head = head; self.action = action
    }
}

/// What `Encoder.forward` returns for a list of windows, in input order.
public struct EncoderOutput: Sendable {
    /// Logits, `[window][output]` flattened: `logits[w · nOutputs + o]`.
    public var logits: [Float]
    /// Logits per window.
    public var nOutputs: Int
    /// Attention maps per window, when asked.
    public var attention: [AttentionMaps]?
    /// Final hidden states (after the final LayerNorm) per window, `[token][d_model]` over its real tokens, when asked.
    public var hidden: [[Float]]?
    /// With a `.record` intervention: the head's output per window, `[row][dHead]`, over the rows that reach
    /// the logits (every real token, or only [CLS] in the last layer when hidden states are not kept).
    public var headOutputs: [[Float]]?

    /// The logits of window `w`.
    public func logits(window w: Int) -> ArraySlice<Float> { logits[(w * nOutputs)..<((w + 1) * nOutputs)] }
}

/// Runs a v1 or v2 (pruned) model over windows of tokens: batched, multi-threaded, with the same result for any thread count.
///
/// Windows are cut into batches of `batchSize` in input order (independent of the thread count); each
/// batch runs on one pool thread with single-threaded OpenBLAS and that thread's own activation buffers.
public final class Encoder: @unchecked Sendable {
    /// The model being run.
    public let config: ModelConfig
    /// The heads of each layer (from the config; fewer in a pruned model).
    public let headLayout: HeadLayout
    /// Threads running batches.
    public var threadCount: Int { pool.threadCount }
    /// Windows per batch.
    public let batchSize: Int
    /// Number format of the matrix products (`ProductPrecision`); fp32 unless asked.
    public let precision: ProductPrecision
    private let weights: EncoderWeights
    private let pool: ThreadPool
    private let workspaces: [EncoderWorkspace]
    private let lock = NSLock()
    /// Where `forward` writes attention maps before copying them out (guarded by `lock`).
    private let attentionScratch = FloatBuffer(count: 0)

    /// An encoder for `model` on `threads` threads (default: all cores), `batchSize` windows per batch, with
    /// its matrix products in `precision` (bf16 needs `ProductPrecision.isSupported(.bf16)`: it is checked here).
    public init(model: AttentionModel, threads: Int = ProcessInfo.processInfo.activeProcessorCount, batchSize: Int = 32,
                precision: ProductPrecision = .fp32) {
        precondition(ProductPrecision.isSupported(precision), "this CPU cannot run \(precision) products (no AVX512_BF16)")
        useSingleThreadedBLAS()
        config = model.config
        headLayout = model.config.headLayout
        self.batchSize = max(1, batchSize)
        self.precision = precision
        var weights = EncoderWeights(model: model)
        if precision == .bf16 { weights.packForBF16(config: model.config) }
        self.weights = weights
        pool = ThreadPool(threads: threads)
        workspaces = (0..<pool.threadCount).map { _ in EncoderWorkspace() }
    }

    /// The logits of each window, `[window][output]`.
    /// `variantOf` as in `forward(variantOf:)`.
    public func score(tokenRows: [[Int32]], variantOf: [Int?]? = nil) throws -> [[Float]] {
        let out = try forward(tokenRows: tokenRows, keepAttention: false, variantOf: variantOf)
        return (0..<tokenRows.count).map { Array(out.logits(window: $0)) }
    }

    /// Runs the model; keeps attention maps and final hidden states only when asked.
    ///
    /// Rows are token ids ([CLS] … [SEP]) of any length up to `max_len`; trailing [PAD] ids are allowed and ignored.
    ///
    /// `attentionRows` (with `keepAttention`) keeps the maps of the rows marked true only; the others get
    /// empty `probabilities`. Keeping a few windows' maps costs little more than scoring.
    ///
    /// `ablating` removes one head: its attention output is set to zero before the layer's `out_proj`
    /// (the head-importance test of the analysis). `intervention` zeroes, records or replaces one head's
    /// output (activation patching); give one of the two. Heads are named by their number in the unpruned model.
    ///
    /// `visitingAttention` (with `keepAttention`) hands each kept window's maps to the closure instead: in window
    /// order, on the calling thread, read in place from the encoder's buffer and valid only during the call.
    /// `EncoderOutput.attention` is then `nil`. For callers that summarise the maps: it spares a copy (and a fresh
    /// allocation) of every window's maps.
    ///
    /// `copyingAttention` (with `keepAttention`, without `visitingAttention`) hands each kept window's maps to the
    /// closure as soon as its batch is done, while they are still in cache: on the encoder's threads, concurrently
    /// for different windows and in no set order, read in place and valid only during the call. The closure must be
    /// safe to call from several threads at once; it is meant for copying each window's maps to its own slot, which
    /// then takes every thread instead of the calling one alone. `EncoderOutput.attention` is then `nil`.
    ///
    /// `visitingHeadMaps` (with `keepAttention` false) hands each map of the rows `attentionRows` marks (all when
    /// `nil`) to the closure as soon as the head has computed it, while it is still in cache: on the encoder's
    /// threads, concurrently for different windows, so the closure must be safe to call from several threads
    /// at once (for example, writing each window's summary to its own slot). No map is stored. For callers
    /// that need a few numbers of each map, this costs little more than scoring plus the last layer's maps.
    ///
    /// `variantOf[r] = s` (s < r) says row r is row s with a few neighbouring tokens changed, as a variant's ALT
    /// window is its REF window: where both fall in one batch and have the same length, the convolution stem of
    /// the rows whose receptive field holds no changed token is copied from row s instead of recomputed. The
    /// results equal computing row r on its own up to float summation order.
    public func forward(tokenRows: [[Int32]], keepAttention: Bool, attentionRows: [Bool]? = nil, keepHidden: Bool = false,
                        ablating ablated: (layer: Int, head: Int)? = nil, intervention: HeadIntervention? = nil,
                        variantOf: [Int?]? = nil,
                        visitingAttention visit: ((Int, AttentionMapsView) throws -> Void)? = nil,
                        copyingAttention copyOut: ((Int, AttentionMapsView) -> Void)? = nil,
                        visitingHeadMaps visitHead: ((HeadMapView) -> Void)? = nil) throws -> EncoderOutput {
        precondition(attentionRows.map { $0.count == tokenRows.count } ?? true, "one attentionRows flag per row")
        precondition(variantOf.map { $0.count == tokenRows.count } ?? true, "one variantOf entry per row")
        precondition(ablated == nil || intervention == nil, "give ablating or intervention, not both")
        precondition(visitHead == nil || !keepAttention, "visitingHeadMaps reads the maps in place: keepAttention must be false")
        precondition(copyOut == nil || (keepAttention && visit == nil), "copyingAttention needs keepAttention and no visitingAttention")
        let c = config
        let intervention = intervention ?? ablated.map { HeadIntervention(layer: $0.layer, head: $0.head, action: .zero) }
        let layout = headLayout
        var editedPosition = 0
        if let intervention {
            guard let position = layout.position(layer: intervention.layer, head: intervention.head) else {
                throw EncoderError.noSuchHead(layer: intervention.layer, head: intervention.head)
            }
            editedPosition = position
        }
        var lengths = [Int](repeating: 0, count: tokenRows.count)
        for (r, row) in tokenRows.enumerated() {
            var n = row.count
            while n > 0 && row[n - 1] == 0 { n -= 1 }
            guard n > 0 else { throw EncoderError.emptyRow(row: r) }
            guard n <= c.maxLen else { throw EncoderError.rowTooLong(row: r, tokens: n, maxLen: c.maxLen) }
            for p in 0..<n {
                let id = row[p]
                guard id >= 0, Int(id) < c.vocabularySize else {
                    throw EncoderError.tokenOutOfVocabulary(row: r, position: p, id: id, vocabularySize: c.vocabularySize)
                }
                guard id != 0 else { throw EncoderError.padInsideRow(row: r, position: p) }
            }
            lengths[r] = n
        }
        let count = tokenRows.count
        // Outputs are laid out before the batch loop; batches write disjoint parts.
        var attentionOffsets = [Int](repeating: 0, count: count + 1)
        var hiddenOffsets = [Int](repeating: 0, count: count + 1)
        let perMap = layout.count
        for r in 0..<count {
            let kept = keepAttention && (attentionRows?[r] ?? true)
            attentionOffsets[r + 1] = attentionOffsets[r] + (kept ? perMap * lengths[r] * lengths[r] : 0)
            hiddenOffsets[r + 1] = hiddenOffsets[r] + (keepHidden ? lengths[r] * c.dModel : 0)
        }
        // A head's output reaches the logits from every real row, except in the last layer scored from [CLS] alone.
        let editedRows: (Int) -> Int = { r in
            intervention?.layer == c.nLayers - 1 && !keepHidden ? 1 : lengths[r]
        }
        var headOffsets = [Int](repeating: 0, count: count + 1)
        if let intervention {
            for r in 0..<count {
                let size = editedRows(r) * c.dHead
                headOffsets[r + 1] = headOffsets[r] + size
                if case .replace(let outputs) = intervention.action {
                    precondition(outputs.count == count, "one replacement per window")
                    guard outputs[r].count == size else { throw EncoderError.replacementSize(row: r, expected: size, given: outputs[r].count) }
                }
            }
        }
        let recorded = FloatBuffer(count: intervention.map { if case .record = $0.action { return headOffsets[count] } else { return 0 } } ?? 0)
        let logits = FloatBuffer(count: count * c.nOutputs)
        // The maps go to one buffer the encoder keeps (grown when needed, used under `lock` only) and are
        // copied out per window: a fresh buffer of tens of MB per call fragmented the heap of a long scan.
        // Every map is written whole by the softmax of its head, so the buffer is not zeroed.
        lock.lock()
        defer { lock.unlock() }
        attentionScratch.reserve(attentionOffsets[count], zeroed: false)
        let attention = attentionScratch
        let hidden = FloatBuffer(count: hiddenOffsets[count])
        let batches = (count + batchSize - 1) / batchSize
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: pool.threadCount * batchSize * c.maxLen)
        let valid = UnsafeMutablePointer<Int>.allocate(capacity: pool.threadCount * batchSize)
        let sources = UnsafeMutablePointer<Int>.allocate(capacity: pool.threadCount * batchSize)
        defer { ids.deallocate(); valid.deallocate(); sources.deallocate() }
        tokenRows.withUnsafeBufferPointer { rowsPointer in
            let rows = rowsPointer
            pool.run(count: batches) { [self] worker, batch in
                let first = batch * batchSize, windows = min(batchSize, count - first)
                var tokens = 0
                for b in 0..<windows { tokens = max(tokens, lengths[first + b]) }
                let ws = workspaces[worker]
                ws.reserve(windows: windows, tokens: tokens, config: c)
                let batchIDs = ids + worker * batchSize * c.maxLen
                let batchValid = valid + worker * batchSize
                for b in 0..<windows {
                    let n = lengths[first + b]
                    batchValid[b] = n
                    rows[first + b].withUnsafeBufferPointer { (batchIDs + b * tokens).update(from: $0.baseAddress!, count: n) }
                    (batchIDs + b * tokens + n).update(repeating: 0, count: tokens - n)
                }
                var batchSources: UnsafeMutablePointer<Int>? = nil
                if let variantOf {
                    batchSources = sources + worker * batchSize
                    for b in 0..<windows {
                        let s = variantOf[first + b] ?? -1
                        batchSources![b] = s >= first && s < first + b ? s - first : -1
                    }
                }
                let attentionBase = attention.pointer
                let sink: ((Int) -> AttentionSink)?
                if keepAttention {
                    sink = { layer in
                        AttentionSink(wants: { b in attentionOffsets[first + b + 1] > attentionOffsets[first + b] },
                                      destination: { b, head in
                                          let n = batchValid[b]
                                          return attentionBase + attentionOffsets[first + b] + layout.slot(layer: layer, position: head) * n * n
                                      },
                                      visit: nil)
                    }
                } else if let visitHead {
                    sink = { layer in
                        AttentionSink(wants: { b in attentionRows?[first + b] ?? true },
                                      destination: { _, _ in nil },
                                      visit: { b, position, map in
                                          let n = batchValid[b]
                                          visitHead(HeadMapView(window: first + b, layer: layer, head: layout.headsByLayer[layer][position],
                                                                slot: layout.slot(layer: layer, position: position), tokens: n,
                                                                probabilities: UnsafeBufferPointer(start: map, count: n * n)))
                                      })
                    }
                } else {
                    sink = nil
                }
                runBatch(ws: ws, ids: batchIDs, windows: windows, tokens: tokens, validTokens: batchValid,
                         variantOf: batchSources, logits: logits.pointer + first * c.nOutputs,
                         sink: sink,
                         keepHidden: keepHidden,
                         headEdit: intervention.map { iv in
                             HeadEdit(head: editedPosition) { b, columns, rowCount, stride in
                                 let r = first + b, dh = c.dHead
                                 switch iv.action {
                                 case .zero:
                                     for row in 0..<rowCount { (columns + row * stride).update(repeating: 0, count: dh) }
                                 case .record:
                                     let out = recorded.pointer + headOffsets[r]
                                     for row in 0..<rowCount { (out + row * dh).update(from: columns + row * stride, count: dh) }
                                 case .replace(let outputs):
                                     outputs[r].withUnsafeBufferPointer { source in
                                         for row in 0..<rowCount { (columns + row * stride).update(from: source.baseAddress! + row * dh, count: dh) }
                                     }
                                 }
                             }
                         },
                         editedLayer: intervention?.layer)
                if keepHidden {
                    for b in 0..<windows {
                        (hidden.pointer + hiddenOffsets[first + b]).update(from: ws.normed.pointer + b * tokens * c.dModel,
                                                                            count: batchValid[b] * c.dModel)
                    }
                }
                if let copyOut {
                    for b in 0..<windows where attentionOffsets[first + b + 1] > attentionOffsets[first + b] {
                        let r = first + b
                        copyOut(r, AttentionMapsView(tokens: lengths[r], layout: layout,
                                                     probabilities: UnsafeBufferPointer(start: attentionBase + attentionOffsets[r],
                                                                                        count: attentionOffsets[r + 1] - attentionOffsets[r])))
                    }
                }
            }
        }
        var output = EncoderOutput(logits: logits.array(count: count * c.nOutputs), nOutputs: c.nOutputs)
        if keepAttention, let visit {
            for r in 0..<count where attentionOffsets[r + 1] > attentionOffsets[r] {
                try visit(r, AttentionMapsView(tokens: lengths[r], layout: layout,
                                               probabilities: UnsafeBufferPointer(start: attention.pointer + attentionOffsets[r],
                                                                                  count: attentionOffsets[r + 1] - attentionOffsets[r])))
            }
        } else if keepAttention && copyOut == nil {
            output.attention = (0..<count).map { r in
                AttentionMaps(tokens: lengths[r], layout: layout,
                                probabilities: Array(UnsafeBufferPointer(start: attention.pointer + attentionOffsets[r],
                                                                         count: attentionOffsets[r + 1] - attentionOffsets[r])))
            }
        }
        if let intervention, case .record = intervention.action {
            output.headOutputs = (0..<count).map { r in
                Array(UnsafeBufferPointer(start: recorded.pointer + headOffsets[r], count: headOffsets[r + 1] - headOffsets[r]))
            }
        }
        if keepHidden {
            output.hidden = (0..<count).map { r in
                Array(UnsafeBufferPointer(start: hidden.pointer + hiddenOffsets[r], count: hiddenOffsets[r + 1] - hiddenOffsets[r]))
            }
        }
        return output
    }

    /// One batch through every layer. ids [B, T]; logits [B, n_outputs]; final hidden states left in `ws.normed`.
    private func runBatch(ws: EncoderWorkspace, ids: UnsafePointer<Int32>, windows: Int, tokens: Int, validTokens: UnsafePointer<Int>,
                          variantOf: UnsafePointer<Int>? = nil, logits: UnsafeMutablePointer<Float>,
                          sink: ((Int) -> AttentionSink)?, keepHidden: Bool,
                          headEdit: HeadEdit?, editedLayer: Int?) {
        let c = config, rows = windows * tokens
        let x = ws.residual.pointer
        let bf16 = precision == .bf16 ? ws.bf16 : nil
        embeddingForward(x: x, ids: ids, rows: rows, tokens: tokens, weights: weights, d: c.dModel)
        if c.convWidth > 0 {
            convStemForward(x: x, windows: windows, tokens: tokens, validTokens: validTokens, ids: ids, variantOf: variantOf,
                            padded: ws.padded.pointer,
                            out: ws.hidden.pointer, weights: weights, d: c.dModel, width: c.convWidth, bf16: bf16)
        }
        // Scores (and attention maps) need only the last layer's [CLS] rows; the final hidden states need all.
        let clsOnlyLast = !keepHidden
        for (l, layer) in weights.layers.enumerated() {
            if clsOnlyLast && l == weights.layers.count - 1 {
                lastLayerClsForward(x: x, h: ws.normed.pointer, qkv: ws.qkv.pointer, context: ws.context.pointer,
                                    hidden: ws.hidden.pointer, scores: ws.scores.pointer, windows: windows, tokens: tokens,
                                    validTokens: validTokens, layer: layer, config: c,
                                    sink: sink?(l), headEdit: editedLayer == l ? headEdit : nil, bf16: bf16)
                break
            }
            attentionBlockForward(x: x, h: ws.normed.pointer, qkv: ws.qkv.pointer, context: ws.context.pointer,
                                  scores: ws.scores.pointer, windows: windows, tokens: tokens, validTokens: validTokens,
                                  layer: layer, config: c,
                                  sink: sink?(l), headEdit: editedLayer == l ? headEdit : nil, bf16: bf16)
            feedForwardBlockForward(x: x, h: ws.normed.pointer, hidden: ws.hidden.pointer, windows: windows, tokens: tokens,
                                    validTokens: validTokens, layer: layer, config: c, bf16: bf16)
        }
        headForward(x: x, h: ws.normed.pointer, logits: logits, windows: windows, tokens: tokens, allRows: keepHidden,
                    weights: weights, config: c)
    }
}

extension Encoder {
    /// Tokenizes `windows` (bases) with `tokenizer` and returns the rows ready for `forward`, reusing buffers.
    public static func tokenRows<T: Tokenizer>(_ windows: [[UInt8]], tokenizer: T) -> [[Int32]] {
        var ids: [Int32] = []
        var spans: [TokenSpan] = []
        return windows.map { bases in
            bases.withUnsafeBufferPointer { tokenizer.encode($0, ids: &ids, spans: &spans) }
            return ids
        }
    }
}

