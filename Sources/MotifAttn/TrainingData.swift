import Foundation
import MotifAttnIO
import MotifAttnCore
import MotifAttnModel
import MotifAttnTokenizers

/// Errors while assembling training examples.
public enum TrainingDataError: Error, CustomStringConvertible {
    case noExamples(source: String)
    case oneClassOnly(source: String, label: Float)
    case tooLong(path: String, record: String, tokens: Int, maxLen: Int)
    case labelCount(path: String, line: Int, record: String, found: Int, expected: Int)
    case badLabel(path: String, line: Int, reason: String)
    case noValidation(reason: String)

    public var description: String {
        switch self {
        case let .noExamples(source): return "\(source): no training sequences"
        case let .oneClassOnly(source, label): return "\(source): every sequence has label \(Int(label)); training needs both bound (1) and background (0) sequences"
        case let .tooLong(path, record, tokens, maxLen):
            return "\(path): record '\(record)' gives \(tokens) tokens, more than the model's max_len \(maxLen); cut it into windows first (motifattn windows)"
        case let .labelCount(path, line, record, found, expected):
            return "\(path): line \(line): record '\(record)' has \(found) labels, expected \(expected) like the first record"
        case let .badLabel(path, line, reason): return "\(path): line \(line): \(reason)"
        case let .noValidation(reason): return "cannot hold out validation sequences: \(reason)"
        }
    }
}

/// Where background (label 0) sequences come from when training on a genome and its peaks.
public enum NegativeSource: Sendable, Equatable {
    /// A dinucleotide shuffle of each bound window (Altschul–Erickson: 2-mer counts kept exactly).
    case shuffle
    /// Genome windows outside every peak, matched to the bound windows' GC distribution.
    case genomic
    /// Sequences of a FASTA file, all taken as background.
    case file(String)

    /// Parses `shuffle`, `genomic` or a file path.
    public init(argument: String) {
        switch argument {
        case "shuffle": self = .shuffle
        case "genomic": self = .genomic
        default: self = .file(argument)
        }
    }
}

/// A labelled sequence before tokenization: where it comes from, its bases and its labels.
public struct LabelledSequence: Sendable {
    /// Name (FASTA record) or genome label (`chr:start-end(+)`).
    public var name: String
    /// Chromosome, when the sequence comes from a genome (used by `--valid-chroms`).
    public var chromosome: String?
    /// 0-based start on the chromosome, when the sequence comes from a genome (used by held-out blocks).
    public var start: Int? = nil
    /// Upper-case bases.
    public var bases: [UInt8]
    /// One 0/1 label per model output.
    public var labels: [Float]
}

/// Builds training and validation sets from labelled FASTA files or from a genome and its peaks.
public enum TrainingData {
    /// Writes `sequences` as a labelled FASTA that `readLabelledFASTA` reads back (`>name label=1`, the bases on
    /// one line), atomically: the file appears whole or not at all.
    public static func writeLabelledFASTA(_ sequences: [LabelledSequence], path: String) throws {
        var text = ""
        text.reserveCapacity(sequences.reduce(0) { $0 + $1.name.utf8.count + $1.bases.count + 12 + 2 * $1.labels.count })
        for sequence in sequences {
            text += ">\(sequence.name) \(SequenceLabels.field(sequence.labels))\n"
            text += String(decoding: sequence.bases, as: UTF8.self)
            text += "\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Every record of a labelled FASTA (`>id label=1` or `label=1,0,1`).
    public static func readLabelledFASTA(path: String, threads: Int = 1) throws -> [LabelledSequence] {
        let reader = try FastaRecordReader(path: path, threads: threads)
        var sequences: [LabelledSequence] = []
        var expected: Int?
        while let record = try reader.next() {
            let labels: [Float]
            do { labels = try SequenceLabels.parse(description: record.description, record: record.name) } catch {
                throw TrainingDataError.badLabel(path: path, line: reader.headerLine, reason: "\(error)")
            }
            if let expected, labels.count != expected {
                throw TrainingDataError.labelCount(path: path, line: reader.headerLine, record: record.name, found: labels.count, expected: expected)
            }
            expected = expected ?? labels.count
            sequences.append(LabelledSequence(name: record.name, chromosome: nil, bases: record.bases.map(upperCase), labels: labels))
        }
        guard !sequences.isEmpty else { throw TrainingDataError.noExamples(source: path) }
        return sequences
    }

    /// Every record of a FASTA as background (label 0 for each of `outputs` outputs).
    public static func readBackgroundFASTA(path: String, outputs: Int, threads: Int = 1) throws -> [LabelledSequence] {
        let reader = try FastaRecordReader(path: path, threads: threads)
        var sequences: [LabelledSequence] = []
        while let record = try reader.next() {
            sequences.append(LabelledSequence(name: record.name, chromosome: nil, bases: record.bases.map(upperCase),
                                              labels: [Float](repeating: 0, count: outputs)))
        }
        guard !sequences.isEmpty else { throw TrainingDataError.noExamples(source: path) }
        return sequences
    }

    /// Bound windows centred on the peaks (on the summit when the BED is a narrowPeak with column 10
    /// set, else on the middle), `window` bases long, and background windows from `negatives`.
    public static func fromPeaks(genome: String, peaks: [Region], window: Int, negatives: NegativeSource,
                                 seed: UInt64, threads: Int = 1, warning: @escaping (String) -> Void) throws -> [LabelledSequence] {
        let centred = peaks.map { peak -> Region in
            let end = peak.end ?? peak.start + 1
            let centre = peak.summit.map { peak.start + $0 } ?? (peak.start + end) / 2
            let start = max(0, centre - window / 2)
            return Region(contig: peak.contig, start: start, end: start + window, origin: peak.origin)
        }
        let options = WindowOptions(window: window, stride: window, strand: .plus, maxN: 0.1, threads: threads)
        let reader = try WindowReader(path: genome, regions: centred, options: options, warningHandler: warning)
        var bound: [LabelledSequence] = []
        while let w = try reader.next() {
            bound.append(LabelledSequence(name: w.label, chromosome: w.sourceName, start: w.start, bases: w.bases, labels: [1]))
        }
        guard !bound.isEmpty else { throw TrainingDataError.noExamples(source: genome) }
        var generator = SeededGenerator(seed: seed ^ 0x4E45_4741_5449_5645)
        switch negatives {
        case .shuffle:
            let shuffled = bound.map { s in
                LabelledSequence(name: s.name + "_shuffled", chromosome: s.chromosome, start: s.start,
                                 bases: DinucleotideShuffle.shuffle(s.bases, using: &generator), labels: [0])
            }
            return bound + shuffled
        case .file(let path):
            return bound + (try readBackgroundFASTA(path: path, outputs: 1, threads: threads))
        case .genomic:
            let sampler = try genomicBackground(genome: genome, peaks: peaks, bound: bound, window: window, seed: seed, threads: threads)
            if !sampler.shortfalls.isEmpty {
                let missing = sampler.shortfalls.reduce(0) { $0 + $1.wanted - $1.available }
                warning("\(genome): \(missing) background windows short of a full GC match (too few windows outside peaks at some GC levels)")
            }
            return bound + sampler.chosen.map {
                LabelledSequence(name: $0.label, chromosome: $0.sourceName, start: $0.start, bases: $0.bases, labels: [0])
            }
        }
    }

    /// Streams the genome's windows outside the peaks into a GC-matched sampler.
    private static func genomicBackground(genome: String, peaks: [Region], bound: [LabelledSequence], window: Int,
                                          seed: UInt64, threads: Int) throws -> GCMatchedSampler {
        var sampler = GCMatchedSampler(boundGCFractions: bound.compactMap { GCMatchedSampler.gcFraction(of: $0.bases) },
                                       ratio: 1, seed: seed ^ 0x4743_4D41_5443_4821)
        let peakIndex = RegionIndex(peaks)
        let options = WindowOptions(window: window, stride: window / 2, strand: .plus, maxN: 0.1, threads: threads)
        let reader = try WindowReader(path: genome, options: options)
        while let w = try reader.next() {
            if !peakIndex.overlaps(contig: w.sourceName, start: w.start, end: w.end) { sampler.offer(w) }
        }
        return sampler
    }

    /// Splits sequences into training and validation: by chromosome when `validationChromosomes`
    /// is not empty; else, for sequences from a genome when `blockBases` > 0, by held-out contiguous blocks
    /// (`heldOutBlocks`; blocks are halved, down to 10 kb, until there are three held-out blocks' worth; a genome
    /// too small even then falls back to the random split, with a `warning`); else a seeded random
    /// `validationFraction`.
    public static func split(_ sequences: [LabelledSequence], validationChromosomes: [String], validationFraction: Double,
                             blockBases: Int = 0, seed: UInt64,
                             warning: (String) -> Void = { _ in }) throws -> (training: [LabelledSequence], validation: [LabelledSequence]) {
        if !validationChromosomes.isEmpty {
            let held = Set(validationChromosomes)
            let validation = sequences.filter { $0.chromosome.map(held.contains) ?? false }
            let training = sequences.filter { !($0.chromosome.map(held.contains) ?? false) }
            guard !validation.isEmpty else {
                throw TrainingDataError.noValidation(reason: "no sequence lies on \(validationChromosomes.joined(separator: ","))")
            }
            return (training, validation)
        }
        guard validationFraction > 0 else { return (sequences, []) }
        if blockBases > 0, !sequences.isEmpty, sequences.allSatisfy({ $0.chromosome != nil && $0.start != nil }) {
            let every = max(2, Int((1 / validationFraction).rounded()))
            var size = blockBases
            func blockCount(_ size: Int) -> Int { Set(sequences.map { "\($0.chromosome!)\t\($0.start! / size)" }).count }
            while blockCount(size) < 3 * every && size / 2 >= 10_000 { size /= 2 }
            if blockCount(size) >= 3 * every {
                let held = heldOutBlocks(sequences, blockBases: size, fraction: validationFraction, seed: seed)
                return (sequences.indices.filter { !held[$0] }.map { sequences[$0] }, sequences.indices.filter { held[$0] }.map { sequences[$0] })
            }
            warning("the sequences lie in too few genome blocks to hold whole blocks out; validating on a random \(validationFraction) of them")
        }
        var order = Array(sequences.indices)
        var generator = SeededGenerator(seed: seed ^ 0x5641_4C49_4421)
        generator.shuffle(&order)
        let count = Int((Double(sequences.count) * validationFraction).rounded())
        let held = Set(order.prefix(count))
        return (sequences.indices.filter { !held.contains($0) }.map { sequences[$0] },
                order.prefix(count).sorted().map { sequences[$0] })
    }

    /// Which sequences lie in held-out blocks: each chromosome is cut into `blockBases`-base blocks from its
    /// start, and every m-th block of the genome (m = round(1 / fraction), counted over the blocks that hold
    /// sequences, in chromosome-name and position order, from an offset drawn from `seed`) is held out. A
    /// sequence belongs to the block of its start. Held-out blocks are contiguous stretches of the genome, so
    /// windows overlapping one peak, or a peak and its shuffled copy, never fall on both sides.
    static func heldOutBlocks(_ sequences: [LabelledSequence], blockBases: Int, fraction: Double, seed: UInt64) -> [Bool] {
        struct Block: Hashable, Comparable {
            var chromosome: String; var index: Int
            static func < (a: Block, b: Block) -> Bool { (a.chromosome, a.index) < (b.chromosome, b.index) }
        }
        let blockOf = sequences.map { Block(chromosome: $0.chromosome!, index: $0.start! / blockBases) }
        let blocks = Set(blockOf).sorted()
        let every = max(2, Int((1 / fraction).rounded()))
        var generator = SeededGenerator(seed: seed ^ 0x424C_4F43_4B53)
        let offset = generator.uniform(below: every)
        let held = Set(blocks.enumerated().filter { $0.offset % every == offset }.map(\.element))
        return blockOf.map(held.contains)
    }

    /// Token rows for the trainer (with the reverse complement's when `withReverseComplements`, for
    /// augmentation); a sequence longer than `maxLen` tokens is an error naming it.
    public static func examples(_ sequences: [LabelledSequence], tokenizer: some Tokenizer, maxLen: Int, source: String,
                                withReverseComplements: Bool = false) throws -> [TrainingExample] {
        try sequences.map { s in
            let tokens = tokenizer.encode(s.bases)
            guard tokens.ids.count <= maxLen else {
                throw TrainingDataError.tooLong(path: source, record: s.name, tokens: tokens.ids.count, maxLen: maxLen)
            }
            let reverse = withReverseComplements ? tokenizer.encode(Nucleotides.reverseComplement(s.bases)).ids : nil
            return TrainingExample(tokenIDs: tokens.ids, labels: s.labels, reverseTokenIDs: reverse)
        }
    }

    /// Checks that the first output has both classes.
    public static func checkBothClasses(_ sequences: [LabelledSequence], source: String) throws {
        guard let first = sequences.first?.labels.first else { throw TrainingDataError.noExamples(source: source) }
        if sequences.allSatisfy({ $0.labels.first == first }) { throw TrainingDataError.oneClassOnly(source: source, label: first) }
    }

    private static func upperCase(_ b: UInt8) -> UInt8 { (b >= 97 && b <= 122) ? b - 32 : b }
}

/// Sorted intervals per contig for fast overlap queries (peaks against windows).
public struct RegionIndex: Sendable {
    private var byContig: [String: [(start: Int, end: Int)]] = [:]
    private var maxLength: [String: Int] = [:]

    /// An index of `regions` (regions with no end count as one base).
    public init(_ regions: [Region]) {
        for r in regions { byContig[r.contig, default: []].append((r.start, r.end ?? r.start + 1)) }
        for (contig, list) in byContig {
            byContig[contig] = list.sorted { $0.start < $1.start }
            maxLength[contig] = list.map { $0.end - $0.start }.max() ?? 0
        }
    }

    /// Whether any region overlaps `start..<end` on `contig`.
    public func overlaps(contig: String, start: Int, end: Int) -> Bool {
        guard let list = byContig[contig], let longest = maxLength[contig] else { return false }
        // First region starting at or after `start - longest`: earlier ones end before `start`.
        var low = 0, high = list.count
        let from = start - longest
        while low < high {
            let mid = (low + high) / 2
            if list[mid].start < from { low = mid + 1 } else { high = mid }
        }
        var i = low
        while i < list.count && list[i].start < end {
            if list[i].end > start { return true }
            i += 1
        }
        return false
    }
}
