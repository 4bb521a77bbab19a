import Foundation
import MotifAttnKernels

/// An orthonormal set of directions in parameter space that fine-tuning updates are kept out of
/// (orthogonal gradient descent): each step's gradient loses its components along them before
/// clipping and AdamW.
///
/// The directions are the gradients of old-task sequences' logits at the starting model (Farajtabar et
/// al. 2020), orthonormalised: to first order, a step orthogonal to them leaves those logits unchanged.
/// The basis is not updated as the model moves, so the protection weakens over many steps; the
/// measured old-task AUROC says how much is kept.
public struct GradientProjection: Sendable {
    /// Orthonormal directions, each as long as the parameter vector.
    public private(set) var directions: [[Float]]

    /// Orthonormalises `gradients` in order (Gram–Schmidt, twice for stability, in Double), dropping a
    /// gradient whose remainder is shorter than `tolerance` times its own length (nearly dependent).
    public init(gradients: [[Float]], tolerance: Double = 1e-3) {
        var kept: [[Double]] = []
        for gradient in gradients {
            var v = gradient.map(Double.init)
            let length = Self.norm(v)
            guard length > 0 else { continue }
            for _ in 0..<2 {
                for u in kept {
                    var dot = 0.0
                    for i in v.indices { dot += v[i] * u[i] }
                    for i in v.indices { v[i] -= dot * u[i] }
                }
            }
            let remainder = Self.norm(v)
            guard remainder > tolerance * length else { continue }
            kept.append(v.map { $0 / remainder })
        }
        directions = kept.map { $0.map(Float.init) }
    }

    private static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// g ← g − Σ_k (g·u_k) u_k.
    public func removeComponents(from g: UnsafeMutableBufferPointer<Float>) {
        for u in directions {
            precondition(u.count == g.count, "a direction of \(u.count) parameters for a gradient of \(g.count)")
            var dot = 0.0
            for i in 0..<g.count { dot += Double(g[i]) * Double(u[i]) }
            let d = Float(dot)
            for i in 0..<g.count { g[i] -= d * u[i] }
        }
    }
}

/// How far fine-tuning moved each head's attention on the old task's sequences.
public struct HeadForgetting: Sendable, Equatable {
    /// Layer and head, from 0.
    public var layer: Int
    public var head: Int
    /// The forgetting index: the mean over sequences and non-[PAD] query positions of
    /// KL(before ‖ after) of the head's attention row, in nats (0: attends exactly as before).
    public var meanKL: Double
}

/// Measures per-head forgetting between two parameter sets of one architecture.
public enum ForgettingIndex {
    /// The forgetting index of every head (layer-major) from `before` to `after` on `examples`.
    /// The result does not depend on `threads`: shards are summed in order.
    public static func measure(architecture: TrainingArchitecture, before: ParameterStore, after: ParameterStore,
                               examples: [TrainingExample], threads: Int = 1, shardSize: Int = 8) -> [HeadForgetting] {
        let L = architecture.nLayers, H = architecture.nHeads
        guard !examples.isEmpty else {
            return (0..<L).flatMap { l in (0..<H).map { HeadForgetting(layer: l, head: $0, meanKL: 0) } }
        }
        let tokens = examples.map(\.tokenIDs.count).max()!
        let shardCount = (examples.count + shardSize - 1) / shardSize
        let workers = max(1, min(threads, shardCount))
        useSingleThreadedBLAS()
        let pairs = (0..<workers).map { _ -> (TrainingWorkspace, TrainingWorkspace) in
            let a = TrainingWorkspace(architecture: architecture, batchCapacity: shardSize, tokenCapacity: tokens)
            let b = TrainingWorkspace(architecture: architecture, batchCapacity: shardSize, tokenCapacity: tokens)
            a.computesEveryQueryInLastLayer = true
            b.computesEveryQueryInLastLayer = true
            return (a, b)
        }
        // Per shard: KL sums per head, then the number of query rows (the same for every head).
        var sums = [[Double]](repeating: [], count: shardCount)
        var rows = [Int](repeating: 0, count: shardCount)
        func measureShard(_ s: Int, _ pair: (TrainingWorkspace, TrainingWorkspace), _ out: UnsafeMutablePointer<[Double]>,
                          _ rowOut: UnsafeMutablePointer<Int>) {
            let range = (s * shardSize)..<min(examples.count, (s + 1) * shardSize)
            let batch = examples[range].map(\.tokenIDs)
            pair.0.load(rows: batch)
            pair.1.load(rows: batch)
            before.values.withUnsafeBufferPointer { pair.0.forward(parameters: $0.baseAddress!) }
            after.values.withUnsafeBufferPointer { pair.1.forward(parameters: $0.baseAddress!) }
            let T = pair.0.tokens
            var kl = [Double](repeating: 0, count: L * H)
            let queryRows = batch.reduce(0) { $0 + $1.count }
            for l in 0..<L {
                let p = pair.0.attentionProbabilities(layer: l), q = pair.1.attentionProbabilities(layer: l)
                for (b, ids) in batch.enumerated() {
                    for h in 0..<H {
                        var total = 0.0
                        for i in 0..<ids.count {
                            let base = ((b * H + h) * T + i) * T
                            for j in 0..<T {
                                let pj = Double(p[base + j])
                                if pj > 0 { total += pj * log(pj / max(Double(q[base + j]), 1e-30)) }
                            }
                        }
                        kl[l * H + h] += total
                    }
                }
            }
            out.pointee = kl
            rowOut.pointee = queryRows
        }
        sums.withUnsafeMutableBufferPointer { out in
            rows.withUnsafeMutableBufferPointer { rowOut in
                DispatchQueue.concurrentPerform(iterations: workers) { t in
                    for s in stride(from: t, to: shardCount, by: workers) {
                        measureShard(s, pairs[t], out.baseAddress! + s, rowOut.baseAddress! + s)
                    }
                }
            }
        }
        var total = [Double](repeating: 0, count: L * H)
        for shard in sums { for i in total.indices { total[i] += shard[i] } }
        let queryRows = Double(max(1, rows.reduce(0, +)))
        return (0..<L).flatMap { l in (0..<H).map { h in HeadForgetting(layer: l, head: h, meanKL: total[l * H + h] / queryRows) } }
    }
}
