/// A small, fast random number generator whose stream depends only on its seed.
///
/// xoshiro256** seeded through SplitMix64. Unlike the standard library's
/// `random(in:using:)`, `uniform(below:)` and `uniformFloat()` are defined here,
/// so a given seed yields the same numbers on every platform and Swift version:
/// `--seed` makes training, shuffling and sampling reproducible.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Creates a generator from a 64-bit seed (any value, zero included).
    public init(seed: UInt64) {
        var mix = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(&mix), splitMix(&mix), splitMix(&mix), splitMix(&mix))
    }

    /// The four state words, to save the stream's position (a training checkpoint) and compare it.
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    /// A generator continuing the stream whose position `stateWords` recorded (four words).
    public init(stateWords words: [UInt64]) {
        precondition(words.count == 4, "a SeededGenerator state has four words")
        state = (words[0], words[1], words[2], words[3])
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-and-reject; `bound` > 0).
    public mutating func uniform(below bound: Int) -> Int {
        precondition(bound > 0, "uniform(below:) needs a positive bound")
        let n = UInt64(bound)
        var product = next().multipliedFullWidth(by: n)
        if product.low < n {
            let threshold = (0 &- n) % n
            while product.low < threshold { product = next().multipliedFullWidth(by: n) }
        }
        return Int(product.high)
    }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A base (`A`, `C`, `G` or `T`) drawn with `probabilities` of `A C G T` (summing to 1; `T` takes any
    /// rounding remainder), from one `uniformDouble()`.
    public mutating func base(drawnFrom probabilities: [Double]) -> UInt8 {
        var u = uniformDouble()
        for (b, letter) in zip(0..<3, "ACG".utf8) {
            u -= probabilities[b]
            if u < 0 { return letter }
        }
        return UInt8(ascii: "T")
    }

    /// A uniform `Float` in [0, 1) with 24 random bits.
    public mutating func uniformFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// A standard normal deviate (Box–Muller; deterministic for a seed).
    public mutating func normal() -> Double {
        var u1 = uniformDouble()
        while u1 <= 0 { u1 = uniformDouble() }
        let u2 = uniformDouble()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// Shuffles `values` in place (Fisher–Yates with `uniform(below:)`).
    public mutating func shuffle<T>(_ values: inout [T]) {
        var i = values.count
        while i > 1 {
            let j = uniform(below: i)
            i -= 1
            values.swapAt(i, j)
        }
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

#if canImport(Glibc)
import Glibc
private func _log(_ x: Double) -> Double { Glibc.log(x) }
private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
private func _log(_ x: Double) -> Double { Darwin.log(x) }
private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
