import Foundation
import MotifAttnCore
import MotifAttnKernels

/// Activation and gradient buffers for training the encoder on up to `batchCapacity` rows of
/// up to `tokenCapacity` tokens, planned once and reused for every batch that fits.
///
/// One workspace belongs to one thread. A step is `load` → `forward` → `loss` → `backward`;
/// the forward keeps every activation the backward needs (llm.c style).
public final class TrainingWorkspace {
    /// The encoder's shape.
    public let architecture: TrainingArchitecture
    /// Most token rows one batch may hold.
    public let batchCapacity: Int
    /// Most tokens one row may hold.
    public let tokenCapacity: Int
    /// Rows in the loaded batch.
    public private(set) var batch = 0
    /// Tokens per row in the loaded batch (rows are right-padded with [PAD] to this length).
    public private(set) var tokens = 0
    /// Whether the last layer computes every query position. Only [CLS] reaches the logits, so by
    /// default the last layer attends from [CLS] alone and runs its feed-forward block on [CLS] rows
    /// (same logits and gradients, less work); set it to read the last layer's full attention maps.
    public var computesEveryQueryInLastLayer = false
    /// Weight λ of the head-diversity penalty added to the loss: λ × the mean, over layers and sequences,
    /// of the penalty that ``headDiversityKind`` names (0: off).
    public var headDiversityWeight: Float = 0
    /// Which head-diversity penalty ``headDiversityWeight`` weighs.
    public var headDiversityKind: HeadDiversityKind = .cosine
    /// Dropout rate of the residual branches during a training step (0: none). Each layer's attention output
    /// (after `out_proj`) and feed-forward output (after `linear2`) lose this fraction of their elements,
    /// the rest scaled by 1 / (1 − rate), before they are added to the residual stream, as in PyTorch's
    /// `TransformerEncoderLayer` (`dropout1`, `dropout2`). It applies only to batches loaded with dropout keys
    /// (`load(rows:dropoutKeys:)`); any other forward is the model's own, as at inference.
    public var dropoutRate: Float = 0
    /// The mean, over layers and sequences, of the chosen head-diversity penalty in the last `loss`
    /// (when λ > 0): pairwise cosine similarity, or pairwise key overlap for `.product`.
    public private(set) var headSimilarity: Double = 0

    private struct LayerOffsets {
        var inWeight = 0, inBias = 0, outWeight = 0, outBias = 0
        var w1 = 0, b1 = 0, w2 = 0, b2 = 0
        var norm1Weight = 0, norm1Bias = 0, norm2Weight = 0, norm2Bias = 0
    }

    private struct LayerActivations {
        var input, norm1, mean1, rstd1, qkv, probabilities, attention, residual, norm2, mean2, rstd2, hidden, activated: UnsafeMutablePointer<Float>
    }

    private let tokOffset: Int, posOffset: Int, stemWeightOffset: Int, stemBiasOffset: Int
    private let finalNormWeight: Int, finalNormBias: Int, headWeight: Int, headBias: Int
    private let layerOffsets: [LayerOffsets]

    private var allocations: [UnsafeMutableRawPointer] = []
    private let ids: UnsafeMutablePointer<Int32>
    private let isPad: UnsafeMutablePointer<Bool>
    private let embedded, columns, stemPre, stemOut: UnsafeMutablePointer<Float>
    private let stemColumnsWeight, dStemColumnsWeight: UnsafeMutablePointer<Float>
    private let layers: [LayerActivations]
    private let encoded, clsInput, clsNormed, clsMean, clsRstd, logitBuffer, labelBuffer, dLogits, dCLS: UnsafeMutablePointer<Float>
    private var dX, dXSpare: UnsafeMutablePointer<Float>
    private let diversityCoefficients: UnsafeMutablePointer<Float>
    /// dR/dP of the `.product` penalty, [layers, batch, heads, T, T], and its scratch; planned on first use.
    private var overlapGradient: UnsafeMutablePointer<Float>?
    private var overlapScratch: UnsafeMutablePointer<Float>?
    private let dNorm, dQKV, dAttention, dHidden, dColumns, dStemPre, attentionScratch: UnsafeMutablePointer<Float>
    /// One key per loaded row that seeds its dropout masks; nil: the loaded batch runs without dropout.
    private var dropoutKeys: [UInt64]?
    /// Dropout multipliers (0 or 1 / (1 − rate)), [layers, 2 branches, B·T, d], and the masked gradient
    /// of a branch; planned on first use.
    private var dropoutMasks: UnsafeMutablePointer<Float>?
    private var dBranch: UnsafeMutablePointer<Float>?

    /// Plans all buffers for batches of up to `batchCapacity` rows of up to `tokenCapacity` tokens.
    public init(architecture: TrainingArchitecture, batchCapacity: Int, tokenCapacity: Int) {
        precondition(architecture.problem() == nil, architecture.problem() ?? "")
        precondition(tokenCapacity <= architecture.maxLen, "rows longer than max_len")
        self.architecture = architecture
        self.batchCapacity = batchCapacity
        self.tokenCapacity = tokenCapacity
        let store = ParameterStore(architecture: architecture)
        tokOffset = store.offset(of: "tok_emb.weight")
        posOffset = store.offset(of: "pos_emb.weight")
        stemWeightOffset = architecture.convWidth > 0 ? store.offset(of: "stem.weight") : 0
        stemBiasOffset = architecture.convWidth > 0 ? store.offset(of: "stem.bias") : 0
        finalNormWeight = store.offset(of: "encoder.norm.weight")
        finalNormBias = store.offset(of: "encoder.norm.bias")
        headWeight = store.offset(of: "head.weight")
        headBias = store.offset(of: "head.bias")
        layerOffsets = (0..<architecture.nLayers).map { i in
            let p = "encoder.layers.\(i)."
            return LayerOffsets(
                inWeight: store.offset(of: p + "self_attn.in_proj_weight"), inBias: store.offset(of: p + "self_attn.in_proj_bias"),
                outWeight: store.offset(of: p + "self_attn.out_proj.weight"), outBias: store.offset(of: p + "self_attn.out_proj.bias"),
                w1: store.offset(of: p + "linear1.weight"), b1: store.offset(of: p + "linear1.bias"),
                w2: store.offset(of: p + "linear2.weight"), b2: store.offset(of: p + "linear2.bias"),
                norm1Weight: store.offset(of: p + "norm1.weight"), norm1Bias: store.offset(of: p + "norm1.bias"),
                norm2Weight: store.offset(of: p + "norm2.weight"), norm2Bias: store.offset(of: p + "norm2.bias"))
        }

        var allocated: [UnsafeMutableRawPointer] = []
        func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            p.initialize(repeating: 0, count: max(1, count))
            allocated.append(UnsafeMutableRawPointer(p))
            return p
        }
        let n = batchCapacity * tokenCapacity, d = architecture.dModel, ff = architecture.dFF
        let w = architecture.convWidth, h = architecture.nHeads, o = architecture.nOutputs
        let idBuffer = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, n))
        idBuffer.initialize(repeating: 0, count: max(1, n))
        allocated.append(UnsafeMutableRawPointer(idBuffer))
        let padBuffer = UnsafeMutablePointer<Bool>.allocate(capacity: max(1, n))
        padBuffer.initialize(repeating: false, count: max(1, n))
        allocated.append(UnsafeMutableRawPointer(padBuffer))
        ids = idBuffer
        isPad = padBuffer
        embedded = floats(n * d)
        columns = floats(w > 0 ? n * w * d : 0)
        stemPre = floats(w > 0 ? n * d : 0)
        stemOut = floats(w > 0 ? n * d : 0)
        stemColumnsWeight = floats(d * w * d)
        dStemColumnsWeight = floats(d * w * d)
        layers = (0..<architecture.nLayers).map { _ in
            LayerActivations(input: floats(n * d), norm1: floats(n * d), mean1: floats(n), rstd1: floats(n),
                             qkv: floats(n * 3 * d), probabilities: floats(batchCapacity * h * tokenCapacity * tokenCapacity),
                             attention: floats(n * d), residual: floats(n * d), norm2: floats(n * d),
                             mean2: floats(n), rstd2: floats(n), hidden: floats(n * ff), activated: floats(n * ff))
        }
        encoded = floats(n * d)
        clsInput = floats(batchCapacity * d)
        clsNormed = floats(batchCapacity * d)
        clsMean = floats(batchCapacity)
        clsRstd = floats(batchCapacity)
        logitBuffer = floats(batchCapacity * o)
        labelBuffer = floats(batchCapacity * o)
        dLogits = floats(batchCapacity * o)
        dCLS = floats(batchCapacity * d)
        diversityCoefficients = floats(architecture.nLayers * batchCapacity * h * h)
        dX = floats(n * d)
        dXSpare = floats(n * d)
        dNorm = floats(n * d)
        dQKV = floats(n * 3 * d)
        dAttention = floats(n * d)
        dHidden = floats(n * ff)
        dColumns = floats(w > 0 ? n * w * d : 0)
        dStemPre = floats(w > 0 ? n * d : 0)
        attentionScratch = floats(tokenCapacity * tokenCapacity)
        allocations = allocated
    }

    deinit {
        for p in allocations { p.deallocate() }
        overlapGradient?.deallocate()
        overlapScratch?.deallocate()
        dropoutMasks?.deallocate()
        dBranch?.deallocate()
    }

    /// Whether the loaded batch runs with dropout.
    private var dropsOut: Bool { dropoutRate > 0 && dropoutKeys != nil }

    /// The dropout multipliers of `branch` (0: attention, 1: feed-forward) in `layer`, [B·T, d] (the first
    /// B·q rows in use), drawn for the loaded batch when `forward` begins.
    private func dropoutMask(layer: Int, branch: Int) -> UnsafeMutablePointer<Float> {
        dropoutMasks! + (layer * 2 + branch) * batchCapacity * tokenCapacity * architecture.dModel
    }

    /// Draws the loaded batch's dropout multipliers from its rows' keys: row b's elements of a layer's branch
    /// come from a generator seeded by the key, the layer and the branch, so they do not depend on the batch
    /// or on which thread runs it.
    private func drawDropoutMasks() {
        let a = architecture, d = a.dModel, planned = a.nLayers * 2 * batchCapacity * tokenCapacity * d
        if dropoutMasks == nil {
            dropoutMasks = .allocate(capacity: max(1, planned))
            dropoutMasks!.initialize(repeating: 0, count: max(1, planned))
            dBranch = .allocate(capacity: max(1, batchCapacity * tokenCapacity * d))
            dBranch!.initialize(repeating: 0, count: max(1, batchCapacity * tokenCapacity * d))
        }
        // Keep an element when 24 random bits reach the threshold: P(drop) = rate up to 2⁻²⁴.
        let threshold = UInt64((Double(dropoutRate) * Double(1 << 24)).rounded())
        let kept = 1 / (1 - dropoutRate)
        for l in 0..<a.nLayers {
            let q = queries(inLayer: l)
            for branch in 0..<2 {
                let mask = dropoutMask(layer: l, branch: branch)
                for (b, key) in dropoutKeys!.enumerated() {
                    var generator = SeededGenerator(seed: StableHash.mix(key ^ UInt64(l * 2 + branch) &* 0x9E37_79B9_7F4A_7C15))
                    let row = mask + b * q * d
                    for i in 0..<(q * d) { row[i] = generator.next() >> 40 >= threshold ? kept : 0 }
                }
            }
        }
    }

    /// The `.product` penalty's buffers, allocated the first time they are needed.
    private func overlapBuffers() -> (gradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        if let overlapGradient, let overlapScratch { return (overlapGradient, overlapScratch) }
        let a = architecture, square = tokenCapacity * tokenCapacity
        let gradient = UnsafeMutablePointer<Float>.allocate(capacity: a.nLayers * batchCapacity * a.nHeads * square)
        gradient.initialize(repeating: 0, count: a.nLayers * batchCapacity * a.nHeads * square)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: (2 * a.nHeads + 2) * square)
        scratch.initialize(repeating: 0, count: (2 * a.nHeads + 2) * square)
        overlapGradient = gradient
        overlapScratch = scratch
        return (gradient, scratch)
    }

    /// Loads token rows (each starting with [CLS]); shorter rows are right-padded with [PAD] = 0.
    /// With `dropoutKeys` (one per row) and a ``dropoutRate`` above 0, the next `forward` and `backward` run
    /// with dropout masks drawn from the keys (a training step); without, the batch runs as at inference.
    public func load(rows: [[Int32]], dropoutKeys: [UInt64]? = nil) {
        precondition(!rows.isEmpty && rows.count <= batchCapacity, "batch of \(rows.count) rows exceeds the planned \(batchCapacity)")
        precondition(dropoutKeys == nil || dropoutKeys!.count == rows.count, "one dropout key per row")
        self.dropoutKeys = dropoutKeys
        let length = rows.map(\.count).max()!
        precondition(length <= tokenCapacity, "a row of \(length) tokens exceeds the planned \(tokenCapacity)")
        batch = rows.count
        tokens = length
        let vocabulary = Int32(architecture.vocabularySize)
        for (b, row) in rows.enumerated() {
            for t in 0..<length {
                let id: Int32 = t < row.count ? row[t] : 0
                precondition(id >= 0 && id < vocabulary, "token id \(id) outside the vocabulary")
                ids[b * length + t] = id
                isPad[b * length + t] = id == 0
            }
        }
    }

    /// Logits of the loaded batch after `forward`, row by row ([batch, nOutputs]).
    public var logits: [Float] { Array(UnsafeBufferPointer(start: logitBuffer, count: batch * architecture.nOutputs)) }

    /// Query positions computed in `layer`: all tokens, or 1 ([CLS]) in the last layer unless asked otherwise.
    private func queries(inLayer layer: Int) -> Int {
        layer == architecture.nLayers - 1 && !computesEveryQueryInLastLayer && headDiversityWeight == 0 ? 1 : tokens
    }

    /// Attention probabilities of `layer` after `forward`, [batch, heads, queries, tokens], where queries
    /// is `tokens` except in the last layer when ``computesEveryQueryInLastLayer`` is false (then 1: [CLS]).
    public func attentionProbabilities(layer: Int) -> [Float] {
        let count = batch * architecture.nHeads * queries(inLayer: layer) * tokens
        return Array(UnsafeBufferPointer(start: layers[layer].probabilities, count: count))
    }

    /// Mean over layers and loaded sequences of the mean pairwise cosine similarity between the heads'
    /// attention maps (non-[PAD] query rows), after a `forward` that computed every query position.
    public func meanHeadSimilarity() -> Double {
        precondition(layers.isEmpty || queries(inLayer: layers.count - 1) == tokens,
                     "set computesEveryQueryInLastLayer before forward to measure head similarity")
        let heads = architecture.nHeads
        var scratch = [Float](repeating: 0, count: heads * heads)
        var total = 0.0
        for act in layers {
            for b in 0..<batch {
                total += TrainingOps.headDiversity(probabilities: act.probabilities + b * heads * tokens * tokens,
                                                   isPad: isPad + b * tokens, heads: heads, tokens: tokens,
                                                   weight: 0, coefficients: &scratch)
            }
        }
        return layers.isEmpty ? 0 : total / Double(layers.count * batch)
    }

    /// Runs the encoder on the loaded batch with `parameters` (a ``ParameterStore``'s values), keeping activations.
    public func forward(parameters: UnsafePointer<Float>) {
        let a = architecture, d = a.dModel, n = batch * tokens, ff = a.dFF
        if dropsOut { drawDropoutMasks() }
        TrainingOps.embeddingForward(out: embedded, ids: ids, batch: batch, tokens: tokens, d: d,
                                     tokenTable: parameters + tokOffset, positionTable: parameters + posOffset)
        var x = UnsafePointer(embedded)
        if a.convWidth > 0 {
            // x + GELU(Conv1d(x with [PAD] rows zeroed)); the conv is one product over all tokens.
            let w = a.convWidth
            TrainingOps.convWeightToColumns(parameters + stemWeightOffset, stemColumnsWeight, d: d, width: w)
            TrainingOps.im2col(columns: columns, input: embedded, isPad: isPad, batch: batch, tokens: tokens, d: d, width: w)
            TrainingOps.linearForward(out: stemPre, input: columns, weight: stemColumnsWeight, bias: parameters + stemBiasOffset,
                                      rows: n, inWidth: w * d, outWidth: d)
            TrainingOps.geluForward(out: stemOut, input: stemPre, count: n * d)
            for i in 0..<(n * d) { stemOut[i] += embedded[i] }
            x = UnsafePointer(stemOut)
        }
        var xQueries = tokens
        for (l, act) in layers.enumerated() {
            // Rows past the attention are the first `q` positions of each sequence: [B·q, d].
            let off = layerOffsets[l], q = queries(inLayer: l), nq = batch * q
            precondition(xQueries == tokens, "only the last layer may drop query positions")
            act.input.update(from: x, count: n * d)
            TrainingOps.layerNormForward(out: act.norm1, mean: act.mean1, rstd: act.rstd1, input: act.input,
                                         gamma: parameters + off.norm1Weight, beta: parameters + off.norm1Bias,
                                         rows: n, d: d, eps: a.layerNormEps)
            TrainingOps.linearForward(out: act.qkv, input: act.norm1, weight: parameters + off.inWeight,
                                      bias: parameters + off.inBias, rows: n, inWidth: d, outWidth: 3 * d)
            TrainingOps.attentionForward(out: act.attention, probabilities: act.probabilities, qkv: act.qkv, isPad: isPad,
                                         batch: batch, tokens: tokens, queries: q, d: d, heads: a.nHeads)
            // residual = input + out_proj(attention)
            TrainingOps.linearForward(out: act.residual, input: act.attention, weight: parameters + off.outWeight,
                                      bias: parameters + off.outBias, rows: nq, inWidth: d, outWidth: d)
            if dropsOut {
                let mask = dropoutMask(layer: l, branch: 0)
                for i in 0..<(nq * d) { act.residual[i] *= mask[i] }
            }
            for b in 0..<batch {
                let r = act.residual + b * q * d, input = act.input + b * tokens * d
                for i in 0..<(q * d) { r[i] += input[i] }
            }
            TrainingOps.layerNormForward(out: act.norm2, mean: act.mean2, rstd: act.rstd2, input: act.residual,
                                         gamma: parameters + off.norm2Weight, beta: parameters + off.norm2Bias,
                                         rows: nq, d: d, eps: a.layerNormEps)
            TrainingOps.linearForward(out: act.hidden, input: act.norm2, weight: parameters + off.w1,
                                      bias: parameters + off.b1, rows: nq, inWidth: d, outWidth: ff)
            TrainingOps.geluForward(out: act.activated, input: act.hidden, count: nq * ff)
            // output = residual + linear2(GELU(linear1(norm2)))
            TrainingOps.linearForward(out: encoded, input: act.activated, weight: parameters + off.w2,
                                      bias: parameters + off.b2, rows: nq, inWidth: ff, outWidth: d)
            if dropsOut {
                let mask = dropoutMask(layer: l, branch: 1)
                for i in 0..<(nq * d) { encoded[i] *= mask[i] }
            }
            for i in 0..<(nq * d) { encoded[i] += act.residual[i] }
            x = UnsafePointer(encoded)
            xQueries = q
        }
        // Only the [CLS] rows reach the loss: final LayerNorm and the head on them alone.
        for b in 0..<batch { (clsInput + b * d).update(from: x + b * xQueries * d, count: d) }
        TrainingOps.layerNormForward(out: clsNormed, mean: clsMean, rstd: clsRstd, input: clsInput,
                                     gamma: parameters + finalNormWeight, beta: parameters + finalNormBias,
                                     rows: batch, d: d, eps: a.layerNormEps)
        TrainingOps.linearForward(out: logitBuffer, input: clsNormed, weight: parameters + headWeight,
                                  bias: parameters + headBias, rows: batch, inWidth: d, outWidth: a.nOutputs)
    }

    /// Mean binary cross-entropy of the loaded batch against `labels` ([batch, nOutputs], 0 or 1),
    /// divided by `normaliser` (the element count of the whole batch this shard belongs to),
    /// plus the head-diversity penalty when ``headDiversityWeight`` > 0; also seeds the backward pass.
    public func loss(labels: [Float], normaliser: Float) -> Double {
        let count = batch * architecture.nOutputs
        precondition(labels.count == count, "expected \(count) labels")
        labelBuffer.update(from: labels, count: count)
        var total = TrainingOps.binaryCrossEntropy(logits: logitBuffer, labels: labelBuffer, dLogits: dLogits,
                                                   count: count, normaliser: normaliser)
        if headDiversityWeight > 0 && !layers.isEmpty {
            // Each sequence and layer weighs λ / (layers · sequences in the whole batch).
            let heads = architecture.nHeads, sequences = normaliser / Float(architecture.nOutputs)
            let weight = headDiversityWeight / (Float(layers.count) * sequences)
            var similarity = 0.0
            let overlap = headDiversityKind == .product ? overlapBuffers() : nil
            for (l, act) in layers.enumerated() {
                for b in 0..<batch {
                    let maps = act.probabilities + b * heads * tokens * tokens
                    let s: Double
                    switch headDiversityKind {
                    case .cosine:
                        s = TrainingOps.headDiversity(
                            probabilities: maps, isPad: isPad + b * tokens, heads: heads, tokens: tokens, weight: weight,
                            coefficients: diversityCoefficients + (l * batch + b) * heads * heads)
                    case .product:
                        s = TrainingOps.headOverlap(
                            probabilities: maps, isPad: isPad + b * tokens, heads: heads, tokens: tokens, weight: weight,
                            gradient: overlap!.gradient + (l * batch + b) * heads * tokens * tokens, scratch: overlap!.scratch)
                    }
                    total += Double(weight) * s
                    similarity += s
                }
            }
            headSimilarity = similarity / Double(layers.count * batch)
        }
        return total
    }

    /// The gradient reaching a residual branch's output from the residual stream's `dOut`: `dOut` itself
    /// without dropout, else `dOut` times the branch's dropout multipliers.
    private func branchGradient(_ dOut: UnsafeMutablePointer<Float>, layer: Int, branch: Int, count: Int) -> UnsafePointer<Float> {
        guard dropsOut else { return UnsafePointer(dOut) }
        let mask = dropoutMask(layer: layer, branch: branch), masked = dBranch!
        for i in 0..<count { masked[i] = dOut[i] * mask[i] }
        return UnsafePointer(masked)
    }

    /// Adds the gradient of the last `loss` with respect to every parameter to `gradients`
    /// (same layout as `parameters`).
    public func backward(parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        let a = architecture, d = a.dModel, n = batch * tokens, ff = a.dFF, T = tokens
        // Head and final LayerNorm on the [CLS] rows.
        TrainingOps.linearBackward(dInput: dCLS, accumulateInput: false, dWeight: gradients + headWeight,
                                   dBias: gradients + headBias, dOut: dLogits, input: clsNormed,
                                   weight: parameters + headWeight, rows: batch, inWidth: d, outWidth: a.nOutputs)
        // dX holds d(loss)/d(layer output) in the output's row layout [B·q, d].
        let lastQueries = layers.isEmpty ? tokens : queries(inLayer: layers.count - 1)
        dX.update(repeating: 0, count: batch * lastQueries * d)
        for b in 0..<batch {
            TrainingOps.layerNormBackward(dInput: dX + b * lastQueries * d, dGamma: gradients + finalNormWeight,
                                          dBeta: gradients + finalNormBias, dOut: dCLS + b * d, input: clsInput + b * d,
                                          mean: clsMean + b, rstd: clsRstd + b, gamma: parameters + finalNormWeight,
                                          rows: 1, d: d)
        }
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let act = layers[l], off = layerOffsets[l], q = queries(inLayer: l), nq = batch * q
            // output = residual + dropout(linear2(GELU(linear1(norm2(residual)))))
            TrainingOps.linearBackward(dInput: dHidden, accumulateInput: false, dWeight: gradients + off.w2,
                                       dBias: gradients + off.b2, dOut: branchGradient(dX, layer: l, branch: 1, count: nq * d),
                                       input: act.activated,
                                       weight: parameters + off.w2, rows: nq, inWidth: ff, outWidth: d)
            TrainingOps.geluBackward(gradient: dHidden, input: act.hidden, count: nq * ff)
            TrainingOps.linearBackward(dInput: dNorm, accumulateInput: false, dWeight: gradients + off.w1,
                                       dBias: gradients + off.b1, dOut: dHidden, input: act.norm2,
                                       weight: parameters + off.w1, rows: nq, inWidth: d, outWidth: ff)
            TrainingOps.layerNormBackward(dInput: dX, dGamma: gradients + off.norm2Weight, dBeta: gradients + off.norm2Bias,
                                          dOut: dNorm, input: act.residual, mean: act.mean2, rstd: act.rstd2,
                                          gamma: parameters + off.norm2Weight, rows: nq, d: d)
            // residual = input + dropout(out_proj(attention(in_proj(norm1(input)))))
            TrainingOps.linearBackward(dInput: dAttention, accumulateInput: false, dWeight: gradients + off.outWeight,
                                       dBias: gradients + off.outBias, dOut: branchGradient(dX, layer: l, branch: 0, count: nq * d),
                                       input: act.attention,
                                       weight: parameters + off.outWeight, rows: nq, inWidth: d, outWidth: d)
            TrainingOps.attentionBackward(dQKV: dQKV, scratch: attentionScratch, dOut: dAttention,
                                          probabilities: act.probabilities, qkv: act.qkv,
                                          batch: batch, tokens: T, queries: q, d: d, heads: a.nHeads,
                                          diversity: headDiversityWeight > 0 && headDiversityKind == .cosine
                                              ? UnsafePointer(diversityCoefficients + l * batch * a.nHeads * a.nHeads) : nil,
                                          isPad: isPad,
                                          probabilityGradient: headDiversityWeight > 0 && headDiversityKind == .product
                                              ? UnsafePointer(overlapGradient! + l * batch * a.nHeads * T * T) : nil)
            TrainingOps.linearBackward(dInput: dNorm, accumulateInput: false, dWeight: gradients + off.inWeight,
                                       dBias: gradients + off.inBias, dOut: dQKV, input: act.norm1,
                                       weight: parameters + off.inWeight, rows: n, inWidth: d, outWidth: 3 * d)
            if q < T {
                // Spread the residual gradient of the kept rows back over all T positions.
                dXSpare.update(repeating: 0, count: n * d)
                for b in 0..<batch { (dXSpare + b * T * d).update(from: dX + b * q * d, count: q * d) }
                swap(&dX, &dXSpare)
            }
            TrainingOps.layerNormBackward(dInput: dX, dGamma: gradients + off.norm1Weight, dBeta: gradients + off.norm1Bias,
                                          dOut: dNorm, input: act.input, mean: act.mean1, rstd: act.rstd1,
                                          gamma: parameters + off.norm1Weight, rows: n, d: d)
        }
        if a.convWidth > 0 {
            // x1 = x0 + GELU(conv(mask(x0))): dX passes through the residual and through the conv.
            let w = a.convWidth
            dStemPre.update(from: dX, count: n * d)
            TrainingOps.geluBackward(gradient: dStemPre, input: stemPre, count: n * d)
            dStemColumnsWeight.update(repeating: 0, count: d * w * d)
            TrainingOps.linearBackward(dInput: dColumns, accumulateInput: false, dWeight: dStemColumnsWeight,
                                       dBias: gradients + stemBiasOffset, dOut: dStemPre, input: columns,
                                       weight: stemColumnsWeight, rows: n, inWidth: w * d, outWidth: d)
            TrainingOps.convColumnsToWeightGradient(dStemColumnsWeight, gradients + stemWeightOffset, d: d, width: w)
            TrainingOps.col2im(dInput: dX, dColumns: dColumns, isPad: isPad, batch: batch, tokens: T, d: d, width: w)
        }
        TrainingOps.embeddingBackward(dOut: dX, ids: ids, batch: batch, tokens: T, d: d,
                                      dTokenTable: gradients + tokOffset, dPositionTable: gradients + posOffset)
    }
}
