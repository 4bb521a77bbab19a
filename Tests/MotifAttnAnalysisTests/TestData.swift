import Foundation
import MotifAttnAnalysis

/// Shared inputs of the analysis tests: the bundled JASPAR files, loaded once.
enum TestData {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var jasparMEMEPath: String { root.appendingPathComponent("Reference/jaspar/jaspar_core_vertebrates.meme").path }
    static var jasparTSVPath: String { root.appendingPathComponent("Reference/jaspar/jaspar_core_vertebrates.tsv").path }
    nonisolated(unsafe) static let jaspar: MotifDatabase = try! MEMEFormat.read(path: jasparMEMEPath)
    nonisolated(unsafe) static let annotations: MotifAnnotations = try! MotifAnnotations.readJASPAR(path: jasparTSVPath)

    /// A small deterministic generator (SplitMix64) so tests do not depend on the system's.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Random bases drawn uniformly from `ACGT`.
    static func randomBases(_ count: Int, using generator: inout Generator) -> [UInt8] {
        let letters = Array("ACGT".utf8)
        return (0..<count).map { _ in letters[Int(generator.next() % 4)] }
    }

    /// A site drawn from a motif's probabilities, position by position.
    static func sampledSite(_ motif: Motif, using generator: inout Generator) -> [UInt8] {
        let letters = Array("ACGT".utf8)
        return motif.probabilities.map { column in
            var u = Double(generator.next() >> 11) / Double(1 << 53) * column.reduce(0, +)
            for b in 0..<3 { u -= column[b]; if u < 0 { return letters[b] } }
            return letters[3]
        }
    }

    /// Probability that a site's integer score under `matrix` is at least each reachable score, by enumerating
    /// all 4^w sites, base `b` at column `j` drawn with `probability(j, b)` (independent of the dynamic programme).
    static func enumeratedTail(_ matrix: ScoringMatrix, probability: (Int, Int) -> Double) -> [Int: Double] {
        let width = matrix.integerScores.count
        var probabilityOfScore: [Int: Double] = [:]
        for code in 0..<(1 << (2 * width)) {
            var score = 0, p = 1.0
            for j in 0..<width {
                let base = (code >> (2 * j)) & 3
                score += matrix.integerScores[j][base]
                p *= probability(j, base)
            }
            probabilityOfScore[score, default: 0] += p
        }
        var tail: [Int: Double] = [:]
        for s in probabilityOfScore.keys { tail[s] = probabilityOfScore.filter { $0.key >= s }.values.reduce(0, +) }
        return tail
    }

    /// The most likely sequence of a motif (its strongest base at every position).
    static func strongestSite(_ motif: Motif) -> [UInt8] {
        let letters = Array("ACGT".utf8)
        return motif.probabilities.map { column in letters[column.indices.max { column[$0] < column[$1] }!] }
    }
}
