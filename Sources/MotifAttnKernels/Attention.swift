/// Fused multi-head self-attention of one window and one head: scores, key mask, softmax and the product with V.
///
/// Shapes (row-major): `qkv` holds the window's rows `[T, 3·dModel]` with Q, K, V stacked along
/// columns as PyTorch's `in_proj` (head `h` uses columns `h·dHead ..< (h+1)·dHead` of each third).
/// Only the first `validTokens` rows are real tokens; [PAD] keys are left out and [PAD] query rows
/// get a zero context. `scores` is `[T, T]` scratch (row stride `T`) that stays in cache; when it
/// is the caller's attention output it holds the probabilities afterwards (pad rows and columns 0).
/// `context` is the window's `[T, dModel]` context; this head fills its column block `head·dHead ..< (head+1)·dHead`.
/// With `queries`, only the first `queries` query rows are computed (e.g. 1 for the [CLS] row alone, when
/// nothing else of the last layer is needed); the other rows of `scores` and `context` are left untouched.
public func attentionHeadForward(qkv: UnsafePointer<Float>, tokens: Int, validTokens n: Int,
                                 dModel: Int, dHead: Int, head: Int,
                                 scores: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>,
                                 queries: Int? = nil) {
    let ld = 3 * dModel
    let q = qkv + head * dHead
    let v = q + 2 * dModel
    let context = context + head * dHead
    let m = min(queries ?? n, n)
    if m > 0 {
        attentionProbabilities(qkv: qkv, queries: m, keys: n, rowStride: tokens, dModel: dModel, dHead: dHead, head: head,
                               probabilities: scores)
        matrixProduct(.asStored, .asStored, m: m, n: dHead, k: n,
                      a: scores, lda: tokens, b: v, ldb: ld, beta: 0, c: context, ldc: dModel)
    }
    guard queries == nil else { return }
    for r in n..<tokens {
        (scores + r * tokens).update(repeating: 0, count: tokens)
        (context + r * dModel).update(repeating: 0, count: dHead)
    }
    // backward: dP = dCtx·Vᵀ, dV = Pᵀ·dCtx, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = s·dS·K, dK = s·dSᵀ·Q.
}

/// One head's attention probabilities, softmax(Q·Kᵀ/√d_head) of the first `queries` query rows over the
/// first `keys` keys, into `probabilities` (row stride `rowStride` ≥ `keys`; columns from `keys` on are set
/// to 0). qkv as in `attentionHeadForward`. The first half of `attentionHeadForward`, and on its own the
/// maps of a window whose context is not needed.
public func attentionProbabilities(qkv: UnsafePointer<Float>, queries m: Int, keys n: Int, rowStride: Int,
                                   dModel: Int, dHead: Int, head: Int, probabilities: UnsafeMutablePointer<Float>) {
    guard m > 0 && n > 0 else { return }
    let ld = 3 * dModel
    let q = qkv + head * dHead
    matrixProduct(.asStored, .transposed, m: m, n: n, k: dHead, alpha: 1 / Float(dHead).squareRoot(),
                  a: q, lda: ld, b: q + dModel, ldb: ld, beta: 0, c: probabilities, ldc: rowStride)
    softmaxRows(probabilities, rows: m, columns: rowStride, validColumns: n, ld: rowStride)
}

/// Plain-loop twin of `attentionHeadForward` (Double accumulation, explicit -inf mask on [PAD] keys).
public func attentionHeadForwardReference(qkv: UnsafePointer<Float>, tokens: Int, validTokens n: Int,
                                          dModel: Int, dHead: Int, head: Int,
                                          scores: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>) {
    let ld = 3 * dModel
    let scale = 1 / Double(dHead).squareRoot()
    let context = context + head * dHead
    for i in 0..<tokens {
        guard i < n else {
            for j in 0..<tokens { scores[i * tokens + j] = 0 }
            for c in 0..<dHead { context[i * dModel + c] = 0 }
            continue
        }
        var row = [Double](repeating: -.infinity, count: tokens)
        for j in 0..<n {
            var dot = 0.0
            for c in 0..<dHead {
                dot += Double(qkv[i * ld + head * dHead + c]) * Double(qkv[j * ld + dModel + head * dHead + c])
            }
            row[j] = dot * scale
        }
        let m = row.max()!
        let e = row.map { $0 == -.infinity ? 0 : Foundation.exp($0 - m) }
        let sum = e.reduce(0, +)
        for j in 0..<tokens { scores[i * tokens + j] = Float(e[j] / sum) }
        for c in 0..<dHead {
            var acc = 0.0
            for j in 0..<n { acc += e[j] / sum * Double(qkv[j * ld + 2 * dModel + head * dHead + c]) }
            context[i * dModel + c] = Float(acc)
        }
    }
}

import Foundation
