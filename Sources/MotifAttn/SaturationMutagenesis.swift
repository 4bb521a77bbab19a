import Foundation
import MotifAttnCore
import MotifAttnIO

/// In-silico saturation mutagenesis of one region: every base changed to each of the other three, scored as
/// `variants` scores an SNV (a window of the model's length centred on the base, both strands averaged).
public struct SaturationMutagenesis: Sendable {
    /// Longest region `--ism` takes, in bases: 2 kb is 16,000 windows through the encoder.
    public static let maxLength = 2_000

    /// The region (0-based, half-open).
    public var contig: String
    /// First base (0-based).
    public var start: Int
    /// The reference bases of the region (upper case).
    public var reference: [UInt8]
    /// `deltaLogit[i][b]`: logit of the window with base `start + i` set to `b` (A, C, G, T) minus the reference
    /// window's logit; 0 for the reference base; `nil` where the reference base is not A, C, G or T.
    public var deltaLogit: [[Float]?]
    /// The reference window's logit at each base (mean of both strands).
    public var referenceLogit: [Float?]

    /// Mean of the three changes at base `i`, negated: how much the reference base supports the score
    /// (positive: changing it lowers the score). The height of the reference letter in the report's logo.
    public func importance(_ i: Int) -> Double? {
        guard let row = deltaLogit[i] else { return nil }
        return -Double(row.reduce(0, +)) / 3
    }

    /// The matrix as a BED-style table: `chrom start end ref A C G T importance`.
    public func tableLines() -> [String] {
        var lines = ["chrom\tstart\tend\tref\tA\tC\tG\tT\tref_logit\timportance"]
        for i in reference.indices {
            let position = start + i
            var fields = [contig, "\(position)", "\(position + 1)", String(UnicodeScalar(reference[i]))]
            if let row = deltaLogit[i], let logit = referenceLogit[i] {
                fields += row.map { String(format: "%.6f", $0) } + [String(format: "%.6f", logit), String(format: "%.6f", importance(i)!)]
            } else {
                fields += Array(repeating: ".", count: 6)
            }
            lines.append(fields.joined(separator: "\t"))
        }
        return lines
    }
}

/// A region `--ism` cannot mutate: too long, off the contig, or on a contig the genome lacks.
public struct SaturationMutagenesisError: Error, CustomStringConvertible, Equatable {
    /// The region as given.
    public var region: String
    /// Why.
    public var reason: String
    public var description: String { "--ism \(region): \(reason)" }
}

extension VariantEffectsPipeline {
    /// Mutates every base of `region` to the three others and scores each change as an SNV (both strands, the
    /// window centred on the base). Windows go to the encoder in fixed batches without attention maps, so the
    /// result does not depend on the thread count; each base's reference window is scored once for its three changes.
    public func saturationMutagenesis(region: Region, genome: ReferenceSequence,
                                      progress: (Int) -> Void = { _ in }) throws -> SaturationMutagenesis {
        guard let length = genome.length(of: region.contig) else {
            throw SaturationMutagenesisError(region: region.origin, reason: "contig '\(region.contig)' is not in the genome \(settings.genomePath)")
        }
        let end = region.end ?? length
        guard end > region.start else { throw SaturationMutagenesisError(region: region.origin, reason: "the region is empty") }
        guard end - region.start <= SaturationMutagenesis.maxLength else {
            throw SaturationMutagenesisError(region: region.origin,
                                             reason: "\(end - region.start) bases; saturation mutagenesis takes at most \(SaturationMutagenesis.maxLength)")
        }
        let left = (window - 1) / 2
        guard region.start - left >= 0, end - 1 - left + window <= length else {
            throw SaturationMutagenesisError(region: region.origin,
                                             reason: "a \(window)-base window centred on each base would run off \(region.contig) (length \(length)); keep \(left) bases from its ends")
        }
        // Every window is cut from one read of the region and its flanks.
        let span = try genome.bases(contig: region.contig, start: region.start - left, end: end - 1 - left + window)
        let reference = span[left..<(left + end - region.start)].map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }
        var result = SaturationMutagenesis(contig: region.contig, start: region.start, reference: reference,
                                           deltaLogit: Array(repeating: nil, count: reference.count),
                                           referenceLogit: Array(repeating: nil, count: reference.count))
        // Per base: the reference window and then the three changed ones, each on both strands; a changed
        // window is computed as a variant of the reference window (`Encoder.forward(variantOf:)`). Eight
        // windows a base keep a base's windows in one of the encoder's batches of 32.
        let basesPerBatch = 16
        var first = 0
        while first < reference.count {
            let batch = first..<min(first + basesPerBatch, reference.count)
            var windows: [Window] = []
            var variantOf: [Int?] = []
            var included: [Int] = []
            for i in batch where Nucleotides.code(reference[i]) != nil {
                let position = region.start + i
                let bases = Array(span[(i)..<(i + window)])
                let referenceCode = Int(Nucleotides.code(reference[i])!)
                included.append(i)
                let referenceWindow = windows.count
                for code in [referenceCode] + (0..<4).filter({ $0 != referenceCode }) {
                    var changed = bases
                    changed[left] = Nucleotides.letters[code]
                    windows.append(Window(sourceName: region.contig, start: position, end: position + 1, strand: .plus, bases: changed))
                    windows.append(Window(sourceName: region.contig, start: position, end: position + 1, strand: .minus,
                                          bases: Nucleotides.reverseComplement(changed)))
                    variantOf += code == referenceCode ? [nil, nil] : [referenceWindow, referenceWindow + 1]
                }
            }
            let scored = try scorer.score(windows, source: settings.genomePath, variantOf: variantOf)
            for (k, i) in included.enumerated() {
                let referenceCode = Int(Nucleotides.code(reference[i])!)
                // Windows of base k: the reference letter's first, then the other letters in A C G T order.
                let order = [referenceCode] + (0..<4).filter { $0 != referenceCode }
                var logits = [Float](repeating: 0, count: 4)
                for (slot, code) in order.enumerated() {
                    logits[code] = (scored[8 * k + 2 * slot].logits[0] + scored[8 * k + 2 * slot + 1].logits[0]) / 2
                }
                result.referenceLogit[i] = logits[referenceCode]
                result.deltaLogit[i] = logits.map { $0 - logits[referenceCode] }
            }
            progress(windows.count)
            first = batch.upperBound
        }
        return result
    }
}
