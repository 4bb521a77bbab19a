import Foundation
import MotifAttnKernels

/// The operations of the encoder, each forward next to its backward (llm.c style).
///
/// All tensors are row-major Float buffers; shapes are written as `[rows, columns]` with
/// `N = batch · tokens` rows when every token of a batch is stacked. Backward functions
/// *accumulate* (`+=`) into parameter gradients, so one buffer can collect a whole batch;
/// gradients with respect to activations are written or accumulated as each comment says.
enum TrainingOps {
    typealias Pointer = UnsafeMutablePointer<Float>
    typealias ReadPointer = UnsafePointer<Float>

    // MARK: Embedding: out[b,t,:] = tok[ids[b,t],:] + pos[t,:]

    /// ids [B·T], tok [V, d], pos [maxLen, d] → out [B·T, d].
    static func embeddingForward(out: Pointer, ids: UnsafePointer<Int32>, batch: Int, tokens: Int, d: Int,
                                 tokenTable: ReadPointer, positionTable: ReadPointer) {
        for b in 0..<batch {
            for t in 0..<tokens {
                let row = b * tokens + t
                let tok = tokenTable + Int(ids[row]) * d, pos = positionTable + t * d, o = out + row * d
                for c in 0..<d { o[c] = tok[c] + pos[c] }
            }
        }
    }

    /// dOut [B·T, d] → dTok [V, d] += scatter, dPos [maxLen, d] += sum over the batch.
    static func embeddingBackward(dOut: ReadPointer, ids: UnsafePointer<Int32>, batch: Int, tokens: Int, d: Int,
                                  dTokenTable: Pointer, dPositionTable: Pointer) {
        for b in 0..<batch {
            for t in 0..<tokens {
                let row = b * tokens + t
                let g = dOut + row * d, tok = dTokenTable + Int(ids[row]) * d, pos = dPositionTable + t * d
                for c in 0..<d { tok[c] += g[c]; pos[c] += g[c] }
            }
        }
    }

    // MARK: Conv1d stem over tokens, same padding, [PAD] rows zeroed first (via im2col)

    /// PyTorch weight W [dOut, dIn, w] → rearranged R [dOut, w·dIn] with R[o, j·dIn + i] = W[o, i, j].
    static func convWeightToColumns(_ weight: ReadPointer, _ rearranged: Pointer, d: Int, width: Int) {
        for o in 0..<d { for i in 0..<d { for j in 0..<width { rearranged[o * width * d + j * d + i] = weight[(o * d + i) * width + j] } } }
    }

    /// dR [dOut, w·dIn] → dW [dOut, dIn, w] += (the inverse rearrangement).
    static func convColumnsToWeightGradient(_ dRearranged: ReadPointer, _ dWeight: Pointer, d: Int, width: Int) {
        for o in 0..<d { for i in 0..<d { for j in 0..<width { dWeight[(o * d + i) * width + j] += dRearranged[o * width * d + j * d + i] } } }
    }

    /// x [B·T, d] (rows with isPad set read as zero) → columns [B·T, w·d],
    /// columns[(b,t), j·d + i] = x[b, t + j − w/2, i] (zero outside the row).
    static func im2col(columns: Pointer, input: ReadPointer, isPad: UnsafePointer<Bool>, batch: Int, tokens: Int, d: Int, width: Int) {
        let half = width / 2
        for b in 0..<batch {
            for t in 0..<tokens {
                let out = columns + (b * tokens + t) * width * d
                for j in 0..<width {
                    let source = t + j - half
                    let dst = out + j * d
                    if source < 0 || source >= tokens || isPad[b * tokens + source] {
                        dst.update(repeating: 0, count: d)
                    } else {
                        dst.update(from: input + (b * tokens + source) * d, count: d)
                    }
                }
            }
        }
    }

    /// dColumns [B·T, w·d] → dInput [B·T, d] += (gather back; [PAD] rows receive nothing).
    static func col2im(dInput: Pointer, dColumns: ReadPointer, isPad: UnsafePointer<Bool>, batch: Int, tokens: Int, d: Int, width: Int) {
        let half = width / 2
        for b in 0..<batch {
            for t in 0..<tokens {
                let g = dColumns + (b * tokens + t) * width * d
                for j in 0..<width {
                    let source = t + j - half
                    if source < 0 || source >= tokens || isPad[b * tokens + source] { continue }
                    let dst = dInput + (b * tokens + source) * d, src = g + j * d
                    for c in 0..<d { dst[c] += src[c] }
                }
            }
        }
    }

    // MARK: Linear: out [N, m] = in [N, n] · Wᵀ + b, W [m, n]

    static func linearForward(out: Pointer, input: ReadPointer, weight: ReadPointer, bias: ReadPointer?,
                              rows: Int, inWidth: Int, outWidth: Int) {
        if let bias {
            for r in 0..<rows { (out + r * outWidth).update(from: bias, count: outWidth) }
        }
        matrixProduct(.asStored, .transposed, m: rows, n: outWidth, k: inWidth,
                      a: input, lda: inWidth, b: weight, ldb: inWidth, beta: bias == nil ? 0 : 1, c: out, ldc: outWidth)
    }

    /// dOut [N, m] → dWeight [m, n] += dOutᵀ·in, dBias [m] += Σ rows, dInput [N, n] = (or += when accumulating) dOut·W.
    static func linearBackward(dInput: Pointer?, accumulateInput: Bool, dWeight: Pointer, dBias: Pointer?,
                               dOut: ReadPointer, input: ReadPointer, weight: ReadPointer,
                               rows: Int, inWidth: Int, outWidth: Int) {
        matrixProduct(.transposed, .asStored, m: outWidth, n: inWidth, k: rows,
                      a: dOut, lda: outWidth, b: input, ldb: inWidth, beta: 1, c: dWeight, ldc: inWidth)
        if let dBias {
            for r in 0..<rows {
                let g = dOut + r * outWidth
                for c in 0..<outWidth { dBias[c] += g[c] }
            }
        }
        if let dInput {
            matrixProduct(.asStored, .asStored, m: rows, n: inWidth, k: outWidth,
                          a: dOut, lda: outWidth, b: weight, ldb: inWidth, beta: accumulateInput ? 1 : 0, c: dInput, ldc: inWidth)
        }
    }

    // MARK: GELU (exact): y = x·Φ(x) = ½x(1 + erf(x/√2))

    static func geluForward(out: Pointer, input: ReadPointer, count: Int) {
        MotifAttnKernels.geluForward(out: out, input: input, count: count)
    }

    /// In place: gradient [n] ← gradient ⊙ (Φ(x) + x·φ(x)).
    static func geluBackward(gradient: Pointer, input: ReadPointer, count: Int) {
        MotifAttnKernels.geluBackward(gradient: gradient, input: input, count: count)
    }

    // MARK: LayerNorm over the last axis: y = (x − μ)/√(σ² + ε) · γ + β

    /// in [N, d] → out [N, d], mean [N], rstd [N] (kept for the backward).
    static func layerNormForward(out: Pointer, mean: Pointer, rstd: Pointer, input: ReadPointer,
                                 gamma: ReadPointer, beta: ReadPointer, rows: Int, d: Int, eps: Float) {
        for r in 0..<rows {
            let x = input + r * d, y = out + r * d
            var sum: Float = 0
            for c in 0..<d { sum += x[c] }
            let mu = sum / Float(d)
            var variance: Float = 0
            for c in 0..<d { let v = x[c] - mu; variance += v * v }
            let s = 1 / (variance / Float(d) + eps).squareRoot()
            for c in 0..<d { y[c] = (x[c] - mu) * s * gamma[c] + beta[c] }
            mean[r] = mu
            rstd[r] = s
        }
    }

    /// dOut [N, d] → dInput [N, d] += rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂)) with ĝ = dOut⊙γ; dγ += Σ dOut⊙x̂, dβ += Σ dOut.
    static func layerNormBackward(dInput: Pointer, dGamma: Pointer, dBeta: Pointer, dOut: ReadPointer,
                                  input: ReadPointer, mean: ReadPointer, rstd: ReadPointer, gamma: ReadPointer,
                                  rows: Int, d: Int) {
        for r in 0..<rows {
            let x = input + r * d, g = dOut + r * d, dx = dInput + r * d
            let mu = mean[r], s = rstd[r]
            var meanG: Float = 0, meanGX: Float = 0
            for c in 0..<d {
                let xhat = (x[c] - mu) * s
                let gh = g[c] * gamma[c]
                meanG += gh
                meanGX += gh * xhat
                dGamma[c] += g[c] * xhat
                dBeta[c] += g[c]
            }
            meanG /= Float(d)
            meanGX /= Float(d)
            for c in 0..<d {
                let xhat = (x[c] - mu) * s
                dx[c] += s * (g[c] * gamma[c] - meanG - xhat * meanGX)
            }
        }
    }

    // MARK: Multi-head scaled dot-product attention with [PAD] keys masked

    /// qkv [B·T, 3d] (Q | K | V, head h in columns h·dh..<(h+1)·dh of each) →
    /// probabilities [B, H, Tq, T] (kept), out [B·Tq, d] = softmax(QKᵀ/√dh, [PAD] keys → 0) · V per head,
    /// for the first Tq = `queries` query positions of each row (all T, or 1 when only [CLS] is needed).
    static func attentionForward(out: Pointer, probabilities: Pointer, qkv: ReadPointer, isPad: UnsafePointer<Bool>,
                                 batch: Int, tokens: Int, queries: Int, d: Int, heads: Int) {
        let dh = d / heads, T = tokens, Q = queries, stride = 3 * d
        let scale = 1 / Float(dh).squareRoot()
        // keep[j] = 1 for real keys and 0 for [PAD] keys; lowered[j] = 0 or −∞ likewise.
        let keep = UnsafeMutablePointer<Float>.allocate(capacity: 2 * T)
        defer { keep.deallocate() }
        let lowered = keep + T
        for b in 0..<batch {
            for j in 0..<T { keep[j] = isPad[b * T + j] ? 0 : 1; lowered[j] = isPad[b * T + j] ? -.infinity : 0 }
            for h in 0..<heads {
                let q = qkv + b * T * stride + h * dh, k = q + d, v = q + 2 * d
                let p = probabilities + (b * heads + h) * Q * T
                matrixProduct(.asStored, .transposed, m: Q, n: T, k: dh, alpha: scale,
                              a: q, lda: stride, b: k, ldb: stride, c: p, ldc: T)
                for i in 0..<Q { maskedSoftmax(p + i * T, keep: keep, lowered: lowered, count: T) }
                matrixProduct(.asStored, .asStored, m: Q, n: dh, k: T,
                              a: p, lda: T, b: v, ldb: stride, c: out + b * Q * d + h * dh, ldc: d)
            }
        }
    }

    /// dOut [B·Tq, d] → dQKV [B·T, 3d] (written; Q rows past Tq are zero), using the kept probabilities
    /// and a [Tq, T] scratch. dP = dO·Vᵀ, dV = Pᵀ·dO, dS = P ⊙ (dP − Σⱼ dP⊙P), dQ = dS·K/√dh, dK = dSᵀ·Q/√dh.
    /// With `diversity` ([B, H, H] coefficients from ``headDiversity``), dP_h also receives
    /// Σ_h' A[h, h']·P_h' at non-[PAD] query rows: the gradient of the cosine head-diversity penalty.
    /// With `probabilityGradient` ([B, H, Q, T], e.g. from ``headOverlap``), dP receives it as well.
    static func attentionBackward(dQKV: Pointer, scratch: Pointer, dOut: ReadPointer, probabilities: ReadPointer,
                                  qkv: ReadPointer, batch: Int, tokens: Int, queries: Int, d: Int, heads: Int,
                                  diversity: ReadPointer? = nil, isPad: UnsafePointer<Bool>? = nil,
                                  probabilityGradient: ReadPointer? = nil) {
        let dh = d / heads, T = tokens, Q = queries, stride = 3 * d
        let scale = 1 / Float(dh).squareRoot()
        for b in 0..<batch {
            for t in Q..<T { (dQKV + (b * T + t) * stride).update(repeating: 0, count: d) }
            for h in 0..<heads {
                let q = qkv + b * T * stride + h * dh, k = q + d, v = q + 2 * d
                let dq = dQKV + b * T * stride + h * dh, dk = dq + d, dv = dq + 2 * d
                let p = probabilities + (b * heads + h) * Q * T
                let dO = dOut + b * Q * d + h * dh
                matrixProduct(.asStored, .transposed, m: Q, n: T, k: dh,
                              a: dO, lda: d, b: v, ldb: stride, c: scratch, ldc: T)
                matrixProduct(.transposed, .asStored, m: T, n: dh, k: Q, a: p, lda: T, b: dO, ldb: d, c: dv, ldc: stride)
                if let diversity, let isPad {
                    for other in 0..<heads {
                        let a = diversity[(b * heads + h) * heads + other]
                        let po = probabilities + (b * heads + other) * Q * T
                        for i in 0..<Q where !isPad[b * T + i] {
                            let g = scratch + i * T, pr = po + i * T
                            for j in 0..<T { g[j] += a * pr[j] }
                        }
                    }
                }
                if let probabilityGradient {
                    addInPlace(scratch, probabilityGradient + (b * heads + h) * Q * T, count: Q * T)
                }
                for i in 0..<Q { softmaxBackward(UnsafePointer(p + i * T), scratch + i * T, count: T) }
                matrixProduct(.asStored, .asStored, m: Q, n: dh, k: T, alpha: scale,
                              a: scratch, lda: T, b: k, ldb: stride, c: dq, ldc: stride)
                matrixProduct(.transposed, .asStored, m: T, n: dh, k: Q, alpha: scale,
                              a: scratch, lda: T, b: q, ldb: stride, c: dk, ldc: stride)
            }
        }
    }

    // MARK: Head-diversity penalty: mean pairwise cosine similarity between the heads' attention maps

    /// For one sequence's maps P [H, T, T] (query rows at [PAD] excluded): returns the mean over head
    /// pairs of cos(P_h, P_h') and writes coefficients A [H, H] with
    /// dR/dP_h = Σ_h' A[h, h']·P_h' for R = `weight` · mean cosine:
    /// A[h, h'] = w/(‖P_h‖‖P_h'‖) for h' ≠ h, A[h, h] = −w·Σ_{h'≠h} c_hh'/‖P_h‖², w = weight / pairs.
    static func headDiversity(probabilities: ReadPointer, isPad: UnsafePointer<Bool>, heads: Int, tokens: Int,
                              weight: Float, coefficients: Pointer) -> Double {
        let T = tokens, size = T * T
        var gram = [Double](repeating: 0, count: heads * heads)
        for h in 0..<heads {
            for other in h..<heads {
                var total = 0.0
                for i in 0..<T where !isPad[i] {
                    let a = probabilities + h * size + i * T, b = probabilities + other * size + i * T
                    var rowSum: Float = 0
                    for j in 0..<T { rowSum += a[j] * b[j] }
                    total += Double(rowSum)
                }
                gram[h * heads + other] = total
                gram[other * heads + h] = total
            }
        }
        let pairs = heads * (heads - 1) / 2
        guard pairs > 0 else {
            coefficients.update(repeating: 0, count: heads * heads)
            return 0
        }
        let w = Double(weight) / Double(pairs)
        var cosineSum = 0.0
        for h in 0..<heads {
            let nh = gram[h * heads + h].squareRoot()
            var diagonal = 0.0
            for other in 0..<heads where other != h {
                let no = gram[other * heads + other].squareRoot()
                let cosine = gram[h * heads + other] / (nh * no)
                if other > h { cosineSum += cosine }
                coefficients[h * heads + other] = Float(w / (nh * no))
                diagonal -= w * cosine / (nh * nh)
            }
            coefficients[h * heads + h] = Float(diagonal)
        }
        return cosineSum / Double(pairs)
    }

    // MARK: Head-overlap penalty: how often two heads' queries land on the same keys

    /// For one sequence's maps P [H, T, T] restricted to its n non-[PAD] query rows (A_h, [n, T]):
    /// returns the mean over head pairs of ‖A_h A_h'ᵀ‖²_F / n² (entry (i, i') of A_h A_h'ᵀ is the chance that
    /// head h at query i and head h' at query i' pick the same key, so this is the mean of its square over
    /// query pairs: 0 for heads reading disjoint keys, 1 for two heads that put all their weight on one
    /// shared key, 1/T² for two uniform heads) and writes
    /// `gradient` [H, T, T] = dR/dP for R = `weight` × that mean (zero at [PAD] query rows).
    ///
    /// With G_h = A_hᵀA_h ([T, T]), ‖A_h A_h'ᵀ‖²_F = ⟨G_h, G_h'⟩, so the penalty costs H products of
    /// [T, n]·[n, T] and its gradient dR/dA_h = 2w/n² · A_h Σ_{h'≠h} G_h' another H, w = weight / pairs.
    /// `scratch` holds at least (2H + 2)·T·T floats.
    static func headOverlap(probabilities: ReadPointer, isPad: UnsafePointer<Bool>, heads: Int, tokens: Int,
                            weight: Float, gradient: Pointer, scratch: Pointer) -> Double {
        let T = tokens, size = T * T
        gradient.update(repeating: 0, count: heads * size)
        let rows = (0..<T).filter { !isPad[$0] }
        let n = rows.count, pairs = heads * (heads - 1) / 2
        guard n > 0, pairs > 0 else { return 0 }
        let packed = scratch, grams = scratch + heads * n * T
        let total = grams + heads * size, sum = total + size
        for h in 0..<heads {
            for (r, i) in rows.enumerated() {
                (packed + (h * n + r) * T).update(from: probabilities + h * size + i * T, count: T)
            }
            matrixProduct(.transposed, .asStored, m: T, n: T, k: n, a: packed + h * n * T, lda: T,
                          b: packed + h * n * T, ldb: T, c: grams + h * size, ldc: T)
        }
        total.update(repeating: 0, count: size)
        for h in 0..<heads { addInPlace(total, UnsafePointer(grams + h * size), count: size) }
        var overlap = 0.0
        for h in 0..<heads {
            for other in (h + 1)..<heads {
                let a = grams + h * size, b = grams + other * size
                var dot = 0.0
                for j in 0..<size { dot += Double(a[j]) * Double(b[j]) }
                overlap += dot
            }
        }
        let squared = Double(n) * Double(n)
        let coefficient = Float(2 * Double(weight) / Double(pairs) / squared)
        for h in 0..<heads {
            // Σ_{h'≠h} G_h' = ΣG − G_h.
            for j in 0..<size { sum[j] = total[j] - grams[h * size + j] }
            let rowGradient = packed + h * n * T   // A_h is not needed after this product: reuse its rows
            let product = grams + h * size          // nor is G_h: hold A_h·S_h there ([n, T])
            matrixProduct(.asStored, .asStored, m: n, n: T, k: T, alpha: coefficient,
                          a: rowGradient, lda: T, b: sum, ldb: T, c: product, ldc: T)
            for (r, i) in rows.enumerated() {
                (gradient + h * size + i * T).update(from: product + r * T, count: T)
            }
        }
        return overlap / Double(pairs) / squared
    }

    /// One attention row in place: scores → softmax over keys with keep = 1, exactly 0 where keep = 0.
    /// `lowered` is 0 for real keys and −∞ for [PAD] keys (the C kernel `maskedSoftmaxRow`).
    @inline(__always)
    static func maskedSoftmax(_ row: Pointer, keep: ReadPointer, lowered: ReadPointer, count: Int) {
        maskedSoftmaxRow(row, keep: keep, lowered: lowered, count: count)
    }

    /// Softmax backward of one row in place: g ← p ⊙ (g − Σ p⊙g).
    @inline(__always)
    static func softmaxBackward(_ p: ReadPointer, _ g: Pointer, count: Int) {
        var s = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
        var j = 0
        while j + 8 <= count {
            s.0 += p[j] * g[j]; s.1 += p[j + 1] * g[j + 1]; s.2 += p[j + 2] * g[j + 2]; s.3 += p[j + 3] * g[j + 3]
            s.4 += p[j + 4] * g[j + 4]; s.5 += p[j + 5] * g[j + 5]; s.6 += p[j + 6] * g[j + 6]; s.7 += p[j + 7] * g[j + 7]
            j += 8
        }
        while j < count { s.0 += p[j] * g[j]; j += 1 }
        let dot = ((s.0 + s.1) + (s.2 + s.3)) + ((s.4 + s.5) + (s.6 + s.7))
        for j in 0..<count { g[j] = p[j] * (g[j] - dot) }
    }

    // MARK: Mean binary cross-entropy with logits

    /// logits, labels [B, o] → Σ (max(z,0) − z·y + log(1 + e^−|z|)) / normaliser, and
    /// dLogits [B, o] = (σ(z) − y) / normaliser. `normaliser` is the element count of the whole batch,
    /// so per-shard gradients sum to the batch mean.
    static func binaryCrossEntropy(logits: ReadPointer, labels: ReadPointer, dLogits: Pointer, count: Int,
                                   normaliser: Float) -> Double {
        var total: Double = 0
        for i in 0..<count {
            let z = Double(logits[i]), y = Double(labels[i])
            total += max(z, 0) - z * y + log1p(exp(-abs(z)))
            let sigmoid = z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
            dLogits[i] = Float((sigmoid - y) / Double(normaliser))
        }
        return total / Double(normaliser)
    }
}
