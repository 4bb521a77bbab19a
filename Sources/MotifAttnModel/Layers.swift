import MotifAttnKernels

// The layers of the v1 encoder, llm.c-style: each forward works on activation buffers planned
// once per batch (see `EncoderWorkspace`) and says its shapes; the matching backward
// goes right after each forward, reading the activations the forward left behind.
//
// Notation: B windows per batch, T tokens per row (padded), R = B·T rows, d = d_model,
// H heads of the layer, dh = d_model / n_heads of the unpruned model, a = H·dh the layer's attention width
// (d unless the model is pruned), F = d_ff, V = vocabulary, W = conv width, p = W / 2.

/// The weights of one encoder layer, as pointers into buffers the encoder owns.
struct LayerWeights {
    /// Heads of this layer (H), and its attention width a = H·dh.
    var heads, width: Int
    var inProjWeight, inProjBias, outProjWeight, outProjBias: FloatBuffer      // [3a, d] [3a] [d, a] [d]
    var norm1Weight, norm1Bias, norm2Weight, norm2Bias: FloatBuffer            // [d] each
    var linear1Weight, linear1Bias, linear2Weight, linear2Bias: FloatBuffer    // [F, d] [F] [d, F] [d]
    /// The product weights packed for bf16 (`EncoderWeights.packForBF16()`); nil runs the layer in fp32.
    var packed: PackedLayerWeights? = nil
}

/// A layer's product weights rounded to bfloat16 and packed; in-projection split into its Q rows and
/// its K, V rows so that either part can be computed alone (the last layer needs Q of [CLS] rows only).
struct PackedLayerWeights {
    var inProjQ, inProjKV, outProj, linear1, linear2: BF16PackedWeight

    init(_ w: LayerWeights, dModel d: Int, feedForward f: Int) {
        let a = w.width
        inProjQ = BF16PackedWeight(weight: w.inProjWeight.pointer, outputs: a, inputs: d)
        inProjKV = BF16PackedWeight(weight: w.inProjWeight.pointer + a * d, outputs: 2 * a, inputs: d)
        outProj = BF16PackedWeight(weight: w.outProjWeight.pointer, outputs: d, inputs: a)
        linear1 = BF16PackedWeight(weight: w.linear1Weight.pointer, outputs: f, inputs: d)
        linear2 = BF16PackedWeight(weight: w.linear2Weight.pointer, outputs: d, inputs: f)
    }
}

/// All weights of a model in owned, aligned buffers.
struct EncoderWeights {
    var tokenEmbedding, positionEmbedding: FloatBuffer   // [V, d] [maxLen, d]
    var stemByTap: FloatBuffer?, stemBias: FloatBuffer?  // [W, d, d] regrouped from PyTorch [d, d, W]; [d]
    /// The stem's taps packed for bf16 (`packForBF16()`); nil runs the stem in fp32.
    var stemTaps: [BF16PackedWeight]? = nil
    var layers: [LayerWeights]
    var finalNormWeight, finalNormBias: FloatBuffer       // [d]
    var headWeight, headBias: FloatBuffer                 // [n_outputs, d] [n_outputs]

    init(model: AttentionModel) {
        let t = model.tensors
        func buffer(_ name: String) -> FloatBuffer { FloatBuffer(t[name]!.values) }
        let c = model.config
        tokenEmbedding = buffer("tok_emb.weight")
        positionEmbedding = buffer("pos_emb.weight")
        if c.convWidth > 0 {
            let w = t["stem.weight"]!.values, d = c.dModel, width = c.convWidth
            var byTap = [Float](repeating: 0, count: w.count)
            for o in 0..<d { for i in 0..<d { for j in 0..<width { byTap[(j * d + o) * d + i] = w[(o * d + i) * width + j] } } }
            stemByTap = FloatBuffer(byTap)
            stemBias = buffer("stem.bias")
        }
        layers = (0..<c.nLayers).map { l in
            let p = "encoder.layers.\(l)."
            return LayerWeights(
                heads: c.headCount(layer: l), width: c.attentionWidth(layer: l),
                inProjWeight: buffer(p + "self_attn.in_proj_weight"), inProjBias: buffer(p + "self_attn.in_proj_bias"),
                outProjWeight: buffer(p + "self_attn.out_proj.weight"), outProjBias: buffer(p + "self_attn.out_proj.bias"),
                norm1Weight: buffer(p + "norm1.weight"), norm1Bias: buffer(p + "norm1.bias"),
                norm2Weight: buffer(p + "norm2.weight"), norm2Bias: buffer(p + "norm2.bias"),
                linear1Weight: buffer(p + "linear1.weight"), linear1Bias: buffer(p + "linear1.bias"),
                linear2Weight: buffer(p + "linear2.weight"), linear2Bias: buffer(p + "linear2.bias"))
        }
        finalNormWeight = buffer("encoder.norm.weight")
        finalNormBias = buffer("encoder.norm.bias")
        headWeight = buffer("head.weight")
        headBias = buffer("head.bias")
    }

    /// Packs the weights of every layer product and of the stem for bf16; the embeddings, LayerNorms and
    /// the head stay fp32.
    mutating func packForBF16(config c: ModelConfig) {
        for l in layers.indices { layers[l].packed = PackedLayerWeights(layers[l], dModel: c.dModel, feedForward: c.dFF) }
        if let stemByTap {
            let d = c.dModel
            stemTaps = (0..<c.convWidth).map { BF16PackedWeight(weight: stemByTap.pointer + $0 * d * d, outputs: d, inputs: d) }
        }
    }
}

/// `output[r, first + j]`-style product of a layer: `output[r·ldc + j] += Σ_i input[r·lda + i] · W[first + j, i]` for
/// `j < outputs`, with W the fp32 weight [*, inputs] (sgemm) or, when given, its packed bf16 form holding
/// exactly rows first..<first+outputs (with `scratch` for the rounded inputs).
@inline(__always)
func addLayerProduct(rows: Int, input: UnsafePointer<Float>, lda: Int, inputs: Int, weight: UnsafePointer<Float>, first: Int = 0,
                     packed: BF16PackedWeight?, outputs: Int, output: UnsafeMutablePointer<Float>, ldc: Int,
                     scratch: BF16Activations?) {
    if let packed, let scratch {
        addBF16Product(rows: rows, input: input, stride: lda, weight: packed, outputs: outputs, output: output,
                       outputStride: ldc, scratch: scratch)
    } else {
        matrixProduct(.asStored, .transposed, m: rows, n: outputs, k: inputs, a: input, lda: lda, b: weight + first * inputs,
                      ldb: inputs, beta: 1, c: output, ldc: ldc)
    }
}

/// `linearForward` of a layer's weight, in bf16 when `packed` and `scratch` are given.
@inline(__always)
func layerLinearForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        packed: BF16PackedWeight?, bias: UnsafePointer<Float>, rows: Int, inDim: Int, outDim: Int,
                        accumulate: Bool = false, scratch: BF16Activations?) {
    guard let packed, let scratch else {
        linearForward(output: output, input: input, weight: weight, bias: bias, rows: rows, inDim: inDim, outDim: outDim,
                      accumulate: accumulate)
        return
    }
    for r in 0..<rows {
        let o = output + r * outDim
        if accumulate { for j in 0..<outDim { o[j] += bias[j] } } else { o.update(from: bias, count: outDim) }
    }
    addBF16Product(rows: rows, input: input, stride: inDim, weight: packed, outputs: outDim, output: output,
                   outputStride: outDim, scratch: scratch)
}

/// Activation memory of one worker, sized once for the largest batch and reused for every batch.
final class EncoderWorkspace {
    let residual = FloatBuffer(count: 1)   // x   [R, d]
    let normed = FloatBuffer(count: 1)     // h   [R, d]  (LayerNorm output; final hidden states at the end)
    let qkv = FloatBuffer(count: 1)        //     [R, 3a]  (sized for a = d, the widest layer)
    let context = FloatBuffer(count: 1)    //     [R, a]
    let hidden = FloatBuffer(count: 1)     //     [R, F]  (also the conv stem's [B·(T+p), d] output)
    let padded = FloatBuffer(count: 1)     //     [B·(T+p) + 2p, d]
    let scores = FloatBuffer(count: 1)     //     [T, T] one head's attention, in cache
    let bf16 = BF16Activations()           //     the rounded inputs of a bf16 product (grows on use)

    /// Grows the buffers for `windows` rows of `tokens` tokens (no-op once large enough).
    func reserve(windows: Int, tokens: Int, config c: ModelConfig) {
        let rows = windows * tokens
        let p = c.convWidth / 2
        residual.reserve(rows * c.dModel)
        normed.reserve(rows * c.dModel)
        qkv.reserve(rows * 3 * c.dModel)
        context.reserve(rows * c.dModel)
        hidden.reserve(max(rows * c.dFF, windows * (tokens + p) * c.dModel))
        if c.convWidth > 0 { padded.reserve((windows * (tokens + p) + 2 * p) * c.dModel) }
        scores.reserve(tokens * tokens)
    }
}

/// x[b, t] = tok_emb[ids[b, t]] + pos_emb[t].  ids [B, T] (pad = 0 beyond each row), x [R, d].
func embeddingForward(x: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, rows: Int, tokens: Int,
                      weights: EncoderWeights, d: Int) {
    let tok = weights.tokenEmbedding.pointer, pos = weights.positionEmbedding.pointer
    for r in 0..<rows {
        let e = tok + Int(ids[r]) * d, q = pos + (r % tokens) * d, o = x + r * d
        for j in 0..<d { o[j] = e[j] + q[j] }
    }
}
// embeddingBackward: dTok[ids[r]] += dx[r], dPos[r % T] += dx[r].

/// x += GELU(Conv1d(x with [PAD] rows zeroed)), same padding along tokens.
/// x [B·T, d]; scratch `padded` [B·(T+p) + 2p, d], `out` [B·(T+p), d]; validTokens[b] = real tokens of row b.
///
/// `variantOf[b] = s` (s < b, else −1) says window b is window s with a few neighbouring tokens changed (a
/// variant's ALT window and its REF window): only the rows whose receptive field covers a changed token are
/// convolved, the others are copied from window s. Windows are laid out as segments of `padded`, each followed
/// by p zero rows; a whole window's segment is its T rows, a variant's is its changed rows with p rows of context
/// each side. Without `variantOf` the layout is B segments of T rows.
func convStemForward(x: UnsafeMutablePointer<Float>, windows: Int, tokens: Int, validTokens: UnsafePointer<Int>,
                     ids: UnsafePointer<Int32>, variantOf: UnsafePointer<Int>?,
                     padded: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                     weights: EncoderWeights, d: Int, width: Int, bf16: BF16Activations? = nil) {
    let p = width / 2
    // Per window: the rows it convolves (input rows inStart..<inStart+inCount of the window) and, for a variant,
    // the output rows that differ from its source's.
    var inStart = [Int](repeating: 0, count: windows), inCount = [Int](repeating: tokens, count: windows)
    var changed = [Range<Int>?](repeating: nil, count: windows)
    if let variantOf {
        for b in 0..<windows {
            let s = variantOf[b], n = validTokens[b]
            guard s >= 0, s < b, validTokens[s] == n else { continue }
            let row = ids + b * tokens, sourceRow = ids + s * tokens
            var lo = 0
            while lo < n && row[lo] == sourceRow[lo] { lo += 1 }
            var hi = n
            while hi > lo && row[hi - 1] == sourceRow[hi - 1] { hi -= 1 }
            let outRows = lo == hi ? 0..<0 : max(0, lo - p)..<min(n, hi + p)
            let inRows = outRows.isEmpty ? 0..<0 : max(0, outRows.lowerBound - p)..<min(n, outRows.upperBound + p)
            guard 2 * inRows.count <= n else { continue }
            changed[b] = outRows
            inStart[b] = inRows.lowerBound
            inCount[b] = inRows.count
        }
    }
    var segmentStart = [Int](repeating: 0, count: windows + 1)   // first output row of each segment
    for b in 0..<windows { segmentStart[b + 1] = segmentStart[b] + (inCount[b] == 0 ? 0 : inCount[b] + p) }
    let outRows = segmentStart[windows]
    padded.update(repeating: 0, count: (outRows + 2 * p) * d)
    for b in 0..<windows where inCount[b] > 0 {
        let copied = changed[b] == nil ? validTokens[b] : inCount[b]
        (padded + (p + segmentStart[b]) * d).update(from: x + (b * tokens + inStart[b]) * d, count: copied * d)
    }
    // Segment by segment, as every product of the encoder (`forEachWindow`): a whole window's n real rows, or a
    // variant's changed rows with their context.
    for b in 0..<windows where inCount[b] > 0 {
        let outputs = changed[b] == nil ? validTokens[b] : inCount[b]
        let segmentOut = out + segmentStart[b] * d, segmentIn = padded + segmentStart[b] * d
        if let taps = weights.stemTaps, let bf16 {
            convolveTokensBF16(output: segmentOut, padded: segmentIn, taps: taps, bias: weights.stemBias!.pointer, rows: outputs, dim: d,
                               scratch: bf16)
        } else {
            convolveTokens(output: segmentOut, padded: segmentIn, weightByTap: weights.stemByTap!.pointer, bias: weights.stemBias!.pointer,
                           rows: outputs, dim: d, width: width)
        }
        geluInPlace(segmentOut, count: outputs * d)
    }
    for b in 0..<windows {
        let window = x + b * tokens * d
        guard let rows = changed[b] else {
            addInPlace(window, out + segmentStart[b] * d, count: validTokens[b] * d)
            continue
        }
        let source = x + variantOf![b] * tokens * d
        if rows.lowerBound > 0 { window.update(from: source, count: rows.lowerBound * d) }
        if rows.upperBound < tokens {
            (window + rows.upperBound * d).update(from: source + rows.upperBound * d, count: (tokens - rows.upperBound) * d)
        }
        if !rows.isEmpty {
            addInPlace(window + rows.lowerBound * d, out + (segmentStart[b] + rows.lowerBound - inStart[b]) * d, count: rows.count * d)
        }
    }
}
// convStemBackward: dConv = dx ⊙ GELU'(pre), then `convolveTokens` backward; pad rows get no gradient.

/// Where one layer's attention maps go while the layer runs. Heads are counted by their position in the
/// layer (0..<H).
struct AttentionSink {
    /// Whether window b's maps are wanted.
    let wants: (_ window: Int) -> Bool
    /// The caller's `[n_b, n_b]` output for window b's map of a head, or nil to compute it in the
    /// workspace's `scores` scratch (where `visit` reads it while it is in cache).
    let destination: (_ window: Int, _ head: Int) -> UnsafeMutablePointer<Float>?
    /// Called with each wanted map (`[n_b, n_b]`, row = query) as soon as it is computed.
    let visit: ((_ window: Int, _ head: Int, _ map: UnsafePointer<Float>) -> Void)?
}

/// Pre-norm self-attention block: x += out_proj(MHA(LN1(x))).
/// x, h [R, d]; context [R, a]; qkv [R, 3a]; scores [T, T] scratch; the maps of the windows `sink` wants go
/// where it says; heads are counted by their position in the layer (0..<H), as is `headEdit.head`.
func attentionBlockForward(x: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
                           context: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                           windows: Int, tokens: Int, validTokens: UnsafePointer<Int>,
                           layer w: LayerWeights, config c: ModelConfig,
                           sink: AttentionSink?, headEdit: HeadEdit? = nil, bf16: BF16Activations? = nil) {
    let d = c.dModel, rows = windows * tokens, dh = c.dHead, a = w.width
    layerNorm(output: h, input: x, weight: w.norm1Weight.pointer, bias: w.norm1Bias.pointer, rows: rows, dim: d, eps: Float(c.layerNormEps))
    forEachWindow(windows: windows, tokens: tokens, validTokens: validTokens) { first, n in
        let out = qkv + first * 3 * a, input = h + first * d
        if let packed = w.packed, let bf16 {
            for r in 0..<n { (out + r * 3 * a).update(from: w.inProjBias.pointer, count: 3 * a) }
            let rounded = bf16.convert(rows: n, inputs: d, from: input, stride: d)
            addBF16Product(rows: n, converted: rounded, weight: packed.inProjQ, first: 0, outputs: a, output: out, outputStride: 3 * a)
            addBF16Product(rows: n, converted: rounded, weight: packed.inProjKV, first: 0, outputs: 2 * a, output: out + a,
                           outputStride: 3 * a)
        } else {
            linearForward(output: out, input: input, weight: w.inProjWeight.pointer, bias: w.inProjBias.pointer, rows: n, inDim: d,
                          outDim: 3 * a)
        }
    }
    for b in 0..<windows {
        let n = validTokens[b]
        let wanted = sink?.wants(b) ?? false
        // The kernels read Q, K, V at column offsets 0, a, 2a of rows 3a wide: `dModel` is the layer's width a.
        for head in 0..<w.heads {
            let target = wanted ? sink!.destination(b, head) ?? scores : scores
            attentionHeadForward(qkv: qkv + b * tokens * 3 * a, tokens: n, validTokens: n, dModel: a, dHead: dh, head: head,
                                 scores: target, context: context + b * tokens * a)
            if wanted { sink!.visit?(b, head, target) }
        }
        if n < tokens { (context + (b * tokens + n) * a).update(repeating: 0, count: (tokens - n) * a) }
        if let headEdit { headEdit.apply(b, context + b * tokens * a + headEdit.head * dh, n, a) }
    }
    forEachWindow(windows: windows, tokens: tokens, validTokens: validTokens) { first, n in
        layerLinearForward(output: x + first * d, input: context + first * a, weight: w.outProjWeight.pointer, packed: w.packed?.outProj,
                           bias: w.outProjBias.pointer, rows: n, inDim: a, outDim: d, accumulate: true, scratch: bf16)
    }
}

/// Calls `body(firstRow, rows)` for the real (unpadded) token rows of each window of a batch: the encoder's
/// products run window by window, so that a window's numbers never depend on the other windows of its batch.
/// OpenBLAS rounds a row differently depending on the product's row count and the row's place in it (which
/// kernels and small-matrix paths it picks differ by CPU), so a window computed in a batch of other windows,
/// as at a shard's edge, would otherwise differ in the last digits. Padded rows are not computed; nothing reads them.
@inline(__always)
func forEachWindow(windows: Int, tokens: Int, validTokens: UnsafePointer<Int>, _ body: (_ firstRow: Int, _ rows: Int) -> Void) {
    for b in 0..<windows where validTokens[b] > 0 { body(b * tokens, validTokens[b]) }
}
// attentionBlockBackward: out_proj backward → per-head attention backward (needs P: recompute or keep) →
// in_proj backward → LayerNorm backward, adding into dx.

/// An edit of one head's output in one layer: `apply(window, columns, rows, rowStride)` gets the head's
/// dHead columns of the attention context (before out_proj) for `rows` rows of a window of the batch.
struct HeadEdit {
    let head: Int
    let apply: (_ window: Int, _ columns: UnsafeMutablePointer<Float>, _ rows: Int, _ rowStride: Int) -> Void
}

/// Pre-norm feed-forward block: x += linear2(GELU(linear1(LN2(x)))), window by window (`forEachWindow`).
/// x, h [R, d]; hidden [R, F].
func feedForwardBlockForward(x: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>,
                             windows: Int, tokens: Int, validTokens: UnsafePointer<Int>, layer w: LayerWeights, config c: ModelConfig,
                             bf16: BF16Activations? = nil) {
    let d = c.dModel, f = c.dFF
    layerNorm(output: h, input: x, weight: w.norm2Weight.pointer, bias: w.norm2Bias.pointer, rows: windows * tokens, dim: d,
              eps: Float(c.layerNormEps))
    forEachWindow(windows: windows, tokens: tokens, validTokens: validTokens) { first, n in
        layerLinearForward(output: hidden + first * f, input: h + first * d, weight: w.linear1Weight.pointer, packed: w.packed?.linear1,
                           bias: w.linear1Bias.pointer, rows: n, inDim: d, outDim: f, scratch: bf16)
        geluInPlace(hidden + first * f, count: n * f)
        layerLinearForward(output: x + first * d, input: hidden + first * f, weight: w.linear2Weight.pointer, packed: w.packed?.linear2,
                           bias: w.linear2Bias.pointer, rows: n, inDim: f, outDim: d, accumulate: true, scratch: bf16)
    }
}
// feedForwardBlockBackward: linear2 backward → GELU' (keep pre-activation) → linear1 backward → LayerNorm backward.

/// The last layer for the [CLS] rows only: x[b·T] += attention block and feed-forward block, as in the full layer.
///
/// Scoring reads only the final [CLS] vectors, and in the last layer nothing else depends on the other rows'
/// outputs: keys and values still come from every row, but the query, attention row, out_proj, LayerNorm 2 and
/// feed-forward run on one row per window. Products run window by window (`forEachWindow`).
/// x, h [R, d]; context [R, a]; qkv [R, 3a] (K, V columns filled for all rows, Q for [CLS] rows); hidden [B, F]; scores [T, T].
///
/// A window for which `attentionOut(b, head)` gives a target also gets its full attention maps, [n_b, n_b] per head:
/// Q of its other rows is computed as well (the [CLS] row's Q, and so the logit, is the same as without maps).
func lastLayerClsForward(x: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
                         context: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                         windows: Int, tokens: Int, validTokens: UnsafePointer<Int>, layer w: LayerWeights, config c: ModelConfig,
                         sink: AttentionSink? = nil, headEdit: HeadEdit? = nil, bf16: BF16Activations? = nil) {
    let d = c.dModel, rows = windows * tokens, f = c.dFF, eps = Float(c.layerNormEps), a = w.width
    let packed = bf16 == nil ? nil : w.packed
    let clsStride = tokens * d, contextStride = tokens * a
    layerNorm(output: h, input: x, weight: w.norm1Weight.pointer, bias: w.norm1Bias.pointer, rows: rows, dim: d, eps: eps)
    // K and V of every real row: columns a..<3a of qkv, weight rows a..<3a of in_proj (window by window, `forEachWindow`).
    let kvBias = w.inProjBias.pointer + a
    forEachWindow(windows: windows, tokens: tokens, validTokens: validTokens) { first, n in
        for r in first..<first + n { (qkv + r * 3 * a + a).update(from: kvBias, count: 2 * a) }
        addLayerProduct(rows: n, input: h + first * d, lda: d, inputs: d, weight: w.inProjWeight.pointer, first: a, packed: packed?.inProjKV,
                        outputs: 2 * a, output: qkv + first * 3 * a + a, ldc: 3 * a, scratch: bf16)
    }
    // Q of the [CLS] rows only, one window at a time as every product of the encoder.
    for b in 0..<windows {
        (qkv + b * tokens * 3 * a).update(from: w.inProjBias.pointer, count: a)
        addLayerProduct(rows: 1, input: h + b * clsStride, lda: d, inputs: d, weight: w.inProjWeight.pointer, packed: packed?.inProjQ,
                        outputs: a, output: qkv + b * tokens * 3 * a, ldc: 3 * a, scratch: bf16)
    }
    // Windows whose maps are wanted: Q of their other rows, and the maps (the [CLS] path below needs only `scores`).
    if let sink {
        for b in 0..<windows where sink.wants(b) {
            let n = validTokens[b], first = qkv + b * tokens * 3 * a
            if n > 1 {
                for r in 1..<n { (first + r * 3 * a).update(from: w.inProjBias.pointer, count: a) }
                addLayerProduct(rows: n - 1, input: h + (b * tokens + 1) * d, lda: d, inputs: d, weight: w.inProjWeight.pointer,
                                packed: packed?.inProjQ, outputs: a, output: first + 3 * a, ldc: 3 * a, scratch: bf16)
            }
            for head in 0..<w.heads {
                let target = sink.destination(b, head) ?? scores
                attentionProbabilities(qkv: first, queries: n, keys: n, rowStride: n, dModel: a, dHead: c.dHead, head: head,
                                       probabilities: target)
                sink.visit?(b, head, target)
            }
        }
    }
    for b in 0..<windows {
        let n = validTokens[b]
        for head in 0..<w.heads {
            attentionHeadForward(qkv: qkv + b * tokens * 3 * a, tokens: n, validTokens: n, dModel: a, dHead: c.dHead, head: head,
                                 scores: scores, context: context + b * contextStride, queries: 1)
        }
        if let headEdit { headEdit.apply(b, context + b * contextStride + headEdit.head * c.dHead, 1, a) }
    }
    for b in 0..<windows {
        let cls = x + b * clsStride
        addInPlace(cls, w.outProjBias.pointer, count: d)
        addLayerProduct(rows: 1, input: context + b * contextStride, lda: a, inputs: a, weight: w.outProjWeight.pointer,
                        packed: packed?.outProj, outputs: d, output: cls, ldc: d, scratch: bf16)
        layerNorm(output: h + b * clsStride, input: cls, weight: w.norm2Weight.pointer, bias: w.norm2Bias.pointer, rows: 1, dim: d, eps: eps)
        let hiddenRow = hidden + b * f
        hiddenRow.update(from: w.linear1Bias.pointer, count: f)
        addInPlace(cls, w.linear2Bias.pointer, count: d)
        addLayerProduct(rows: 1, input: h + b * clsStride, lda: d, inputs: d, weight: w.linear1Weight.pointer, packed: packed?.linear1,
                        outputs: f, output: hiddenRow, ldc: f, scratch: bf16)
        geluInPlace(hiddenRow, count: f)
        addLayerProduct(rows: 1, input: hiddenRow, lda: f, inputs: f, weight: w.linear2Weight.pointer, packed: packed?.linear2,
                        outputs: d, output: cls, ldc: d, scratch: bf16)
    }
}

/// Final LayerNorm (every row with `allRows`, else the [CLS] rows only) and the head on each [CLS] row: logits[b] = head(LN(x)[b·T]).  x, h [R, d]; logits [B, n_outputs].
func headForward(x: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>,
                 windows: Int, tokens: Int, allRows: Bool, weights: EncoderWeights, config c: ModelConfig) {
    let d = c.dModel
    if allRows {
        layerNorm(output: h, input: x, weight: weights.finalNormWeight.pointer, bias: weights.finalNormBias.pointer,
                  rows: windows * tokens, dim: d, eps: Float(c.layerNormEps))
    } else {
        for b in 0..<windows {
            layerNorm(output: h + b * tokens * d, input: x + b * tokens * d, weight: weights.finalNormWeight.pointer,
                      bias: weights.finalNormBias.pointer, rows: 1, dim: d, eps: Float(c.layerNormEps))
        }
    }
    for b in 0..<windows {
        let cls = h + b * tokens * d
        for o in 0..<c.nOutputs {
            let wrow = weights.headWeight.pointer + o * d
            var acc: Float = weights.headBias.pointer[o]
            for j in 0..<d { acc += cls[j] * wrow[j] }
            logits[b * c.nOutputs + o] = acc
        }
    }
}
// headBackward: dHeadW += dlogitsᵀ·cls, dcls = dlogits·W → final LayerNorm backward on the [CLS] rows.
