import Dispatch
import Foundation
import MotifAttnCore
import MotifAttnKernels
import MotifAttnModel
import MotifAttnTokenizers

/// Measures scoring speed (windows per second through tokenizer and encoder) and the OpenBLAS rate it is held against.
public enum EncoderThroughput {
    /// One timed scoring run.
    public struct Measurement: Sendable {
        /// Worker threads used.
        public var threads: Int
        /// Windows scored.
        public var windows: Int
        /// Wall time of tokenizing and scoring them, in seconds.
        public var seconds: Double
        /// Sum of all logits (consumed so the work cannot be dropped; equal across thread counts).
        public var logitSum: Double
        /// Windows per second.
        public var windowsPerSecond: Double { Double(windows) / seconds }
    }

    /// `count` random windows of `length` bases (uniform A, C, G, T).
    public static func randomWindows(count: Int, length: Int, seed: UInt64 = 1) -> [[UInt8]] {
        var generator = SeededGenerator(seed: seed)
        let letters = Array("ACGT".utf8)
        return (0..<count).map { _ in (0..<length).map { _ in letters[generator.uniform(below: 4)] } }
    }

    /// Floating-point operations of the full forward pass on one window of `tokens` tokens
    /// (every matrix product counted as 2·m·n·k, attention over all rows; elementwise work left out).
    /// A pruned layer's attention is narrower (its heads × d_head instead of d_model).
    public static func flopsPerWindow(config c: ModelConfig, tokens t: Int) -> Double {
        let d = Double(c.dModel), f = Double(c.dFF), tt = Double(t)
        let stem = 2 * tt * d * d * Double(c.convWidth)
        let layers = (0..<c.nLayers).reduce(0.0) { total, l in
            let a = Double(c.attentionWidth(layer: l))
            return total + 2 * tt * d * (3 * a) + 2 * (2 * tt * tt * a) + 2 * tt * a * d + 2 * (2 * tt * d * f)
        }
        return stem + layers + 2 * d * Double(c.nOutputs)
    }

    /// Times tokenizing and scoring `windows` with `encoder` (after one untimed warm-up batch).
    public static func measure<T: Tokenizer>(encoder: Encoder, tokenizer: T, windows: [[UInt8]]) throws -> Measurement {
        _ = try encoder.score(tokenRows: Encoder.tokenRows(Array(windows.prefix(encoder.batchSize)), tokenizer: tokenizer))
        let start = DispatchTime.now().uptimeNanoseconds
        let logits = try encoder.score(tokenRows: Encoder.tokenRows(windows, tokenizer: tokenizer))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let logitSum = logits.reduce(0.0) { $0 + $1.reduce(0.0) { $0 + Double($1) } }
        return Measurement(threads: encoder.threadCount, windows: windows.count, seconds: seconds, logitSum: logitSum)
    }

    /// The kernels OpenBLAS picked for this CPU ("Prescott" is its SSE3 fallback for CPU models it does not know).
    public static var openBLASKernels: String { MotifAttnKernels.openBLASKernels }

    /// The OpenBLAS `sgemm` rate in GFLOP/s at the model's own projection shapes
    /// (`batchSize · tokens` rows times each weight matrix: conv taps, QKV, out, linear1, linear2),
    /// one single-threaded product per thread at a time, as the encoder runs them; about `seconds` of work.
    public static func sgemmRate(config c: ModelConfig, tokens: Int, batchSize: Int, threads: Int, seconds: Double = 1) -> Double {
        useSingleThreadedBLAS()
        let rows = batchSize * tokens, d = c.dModel, f = c.dFF
        var shapes: [(n: Int, k: Int)] = [(3 * d, d), (d, d), (f, d), (d, f)]
        if c.convWidth > 0 { shapes.append((d, d)) }
        let widest = max(3 * d, f)
        let pool = ThreadPool(threads: threads)
        let inputs = (0..<pool.threadCount).map { _ in FloatBuffer(count: rows * widest) }
        let outputs = (0..<pool.threadCount).map { _ in FloatBuffer(count: rows * widest) }
        let weights = FloatBuffer(count: widest * widest)
        var generator = SeededGenerator(seed: 7)
        for i in 0..<(widest * widest) { weights.pointer[i] = generator.uniformFloat() - 0.5 }
        for buffer in inputs { for i in 0..<(rows * widest) { buffer.pointer[i] = generator.uniformFloat() - 0.5 } }
        let flopsPerRound = shapes.reduce(0.0) { $0 + 2 * Double(rows) * Double($1.n) * Double($1.k) }
        let round: (Int, Int) -> Void = { worker, _ in
            for s in shapes {
                matrixProduct(.asStored, .transposed, m: rows, n: s.n, k: s.k, a: inputs[worker].pointer, lda: s.k,
                              b: weights.pointer, ldb: s.k, beta: 0, c: outputs[worker].pointer, ldc: s.n)
            }
        }
        pool.run(count: pool.threadCount, round)  // warm-up
        var rounds = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            pool.run(count: pool.threadCount, round)
            rounds += pool.threadCount
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        precondition(outputs.allSatisfy { $0.pointer[0].isFinite })
        return flopsPerRound * Double(rounds) / elapsed / 1e9
    }
}
