import Foundation
import MotifAttnAnalysis
import MotifAttnCore
import MotifAttnIO
import MotifAttnModel
import MotifAttnTokenizers

/// Errors of `motifattn variants` that concern the data.
public enum VariantEffectError: Error, CustomStringConvertible, Equatable {
    /// The REF allele differs from the genome at its position.
    case refMismatch(path: String, location: String, contig: String, position: Int, ref: String, genome: String, genomePath: String)
    /// A record on a contig the genome does not have.
    case unknownContig(path: String, location: String, contig: String, genomePath: String)

    public var description: String {
        switch self {
        case let .refMismatch(path, location, contig, position, ref, genome, genomePath):
            return "\(path): \(location): REF \(ref) at \(contig):\(position + 1) does not match the genome (\(genomePath) has \(genome)); is the VCF on another assembly? --skip-mismatch skips such records"
        case let .unknownContig(path, location, contig, genomePath):
            return "\(path): \(location): contig '\(contig)' is not in the genome \(genomePath); is the VCF on another assembly or naming (chr1 against 1)?"
        }
    }
}

/// What `motifattn variants` reads and how it scores.
public struct VariantEffectSettings: Sendable {
    /// Longest indel scored, in bases (`--max-indel`): longer alleles are skipped and counted.
    public static let defaultMaxIndel = 50
    /// Window length when the model does not record the one it was trained on.
    public static let defaultWindow = WindowOptions().window

    /// The model (safetensors).
    public var modelPath: String
    /// The genome FASTA (plain or bgzip; indexed when needed).
    public var genomePath: String
    /// The VCF or BCF (`-` for standard input); `nil` with `ismRegion` alone.
    public var vcfPath: String?
    /// Only variants in these regions (needs an indexed VCF/BCF).
    public var regions: [Region] = []
    /// The output folder.
    public var outputFolder: String
    /// Encoder threads.
    public var threads: Int = 1
    /// Skip (and count) records whose REF differs from the genome, instead of stopping.
    public var skipMismatch = false
    /// Longest indel scored (bases added or removed beyond the anchor base).
    public var maxIndel = VariantEffectSettings.defaultMaxIndel
    /// Window length; `nil` takes the model's training window (its metadata), else `defaultWindow`.
    public var window: Int?
    /// Motif database (MEME); `nil` for the bundled JASPAR.
    public var motifsPath: String?
    /// Which p-value a site must reach to count as a motif instance.
    public var instanceThreshold = InstanceThreshold()
    /// A finished scan's output folder (`--scan`): its head motifs and reported pairs are checked too.
    public var scanFolder: String?
    /// A region of at most `SaturationMutagenesis.maxLength` bases to mutate base by base (`--ism`).
    public var ismRegion: Region?

    /// Settings for one run; the rest keep their defaults.
    public init(modelPath: String, genomePath: String, vcfPath: String?, outputFolder: String) {
        self.modelPath = modelPath
        self.genomePath = genomePath
        self.vcfPath = vcfPath
        self.outputFolder = outputFolder
    }
}

/// A database motif instance a variant breaks or creates.
public struct MotifChange: Sendable, Hashable {
    /// The motif's identifier (`MA0139.2`).
    public var motifID: String
    /// The motif's name (`CTCF`).
    public var name: String
    /// The TF family, when the database's annotations give one.
    public var family: String?
    /// PWM log-odds score (bits) of the site with the ALT allele minus with the REF allele.
    public var scoreChange: Double
}

/// The model's response to one ALT allele of one record.
public struct VariantEffect: Sendable {
    /// The record.
    public var record: VariantRecord
    /// Which ALT (0-based) of the record.
    public var altIndex: Int
    /// Logit of the REF window, the mean of both strands.
    public var refLogit: Float
    /// Logit of the ALT window, the mean of both strands.
    public var altLogit: Float
    /// The motif instance (p ≤ threshold with REF, not with ALT) with the best REF p-value that overlaps the variant.
    public var motifBroken: MotifChange?
    /// The motif instance (p ≤ threshold with ALT, not with REF) with the best ALT p-value that overlaps the variant.
    public var motifCreated: MotifChange?
    /// The head whose attention on the allele's bases changes most, and the change (ALT − REF, received
    /// attention summed over the allele's bases, mean of both strands).
    public var headAttentionChange: (head: HeadIndex, change: Double)?
    /// With `--scan`: the scan's head-motif instance the ALT breaks (its `motifID` is the head motif's, `L0H1_2`).
    public var headMotifBroken: MotifChange?
    /// With `--scan`: the head-motif instance the ALT creates.
    public var headMotifCreated: MotifChange?
    /// With `--scan`: the reported pair whose site the allele touches, when a partner site is in the window.
    public var pair: PairSiteEffect?

    /// The ALT allele.
    public var alt: String { record.alts[altIndex] }
    /// ALT logit − REF logit.
    public var deltaLogit: Float { altLogit - refLogit }
    /// ALT probability − REF probability.
    public var deltaProbability: Double { logistic(altLogit) - logistic(refLogit) }
}

/// Alleles not scored, by reason.
public struct VariantSkipCounts: Sendable, Equatable {
    /// Symbolic or structural alleles (`<DEL>`, breakends, `*`, `.`), or with bases other than A, C, G, T, N.
    public var symbolic = 0
    /// Indels longer than the limit.
    public var longIndel = 0
    /// Alleles of records whose REF differs from the genome (with `skipMismatch`).
    public var refMismatch = 0
    /// Alleles whose window would run past a contig end.
    public var nearContigEnd = 0

    /// All skipped alleles.
    public var total: Int { symbolic + longIndel + refMismatch + nearContigEnd }
}

/// The windows of one allele pair: REF and ALT, each centred on its allele, with the allele's bases in window coordinates.
public struct AllelePairWindows: Sendable {
    /// The REF window's bases (plus strand).
    public var ref: [UInt8]
    /// The ALT window's bases (plus strand).
    public var alt: [UInt8]
    /// The REF allele's bases in the REF window (0-based, half-open).
    public var refAllele: Range<Int>
    /// The ALT allele's bases in the ALT window (0-based, half-open).
    public var altAllele: Range<Int>
}

/// `motifattn variants`: the model's score change for each SNV and short indel of a VCF, with the database
/// motif instances it breaks or creates and the head whose attention on it changes most.
public final class VariantEffectsPipeline {
    /// Variants sent to the encoder at a time (4 windows each). Fixed, so the results do not depend on the thread
    /// count; small, because every window's attention maps are kept until the batch is summarised.
    public static let variantsPerBatch = 16

    /// The settings of the run.
    public let settings: VariantEffectSettings
    /// The window length used.
    public let window: Int

    private let model: AttentionModel
    let scorer: WindowScorer
    private let scanner: MotifScanner
    private let families: [String: String]
    /// The scan checked against (`--scan`), with scanners for its head motifs and its pairs' database motifs.
    private let findings: ScanFindings?
    private let headMotifScanner: MotifScanner?
    /// The widest motif of the database and of the head motifs: how far from an allele an overlapping site can start.
    private let longestMotif: Int
    private let longestHeadMotif: Int
    private let pairMotifScanner: MotifScanner?

    /// Loads the model and the motif database.
    public init(settings: VariantEffectSettings) throws {
        self.settings = settings
        model = try AttentionModel(contentsOf: settings.modelPath)
        window = try settings.window ?? Self.trainingWindow(modelPath: settings.modelPath) ?? VariantEffectSettings.defaultWindow
        scorer = try WindowScorer(model: model, threads: settings.threads)
        let motifsPath = try settings.motifsPath ?? BundledData.path(of: BundledData.motifsFile)
        scanner = MotifScanner(motifs: try MEMEFormat.read(path: motifsPath).motifs, threshold: settings.instanceThreshold)
        if settings.motifsPath == nil, let annotations = try? MotifAnnotations.readJASPAR(path: try BundledData.path(of: BundledData.annotationsFile)) {
            families = annotations.byID.compactMapValues { $0.tfFamily.isEmpty ? nil : $0.tfFamily }
        } else {
            families = [:]
        }
        if let folder = settings.scanFolder {
            let findings = try ScanFindings.read(folder: folder)
            self.findings = findings
            headMotifScanner = MotifScanner(motifs: findings.headMotifs, threshold: settings.instanceThreshold)
            let wanted = findings.pairMotifIDs
            let known = Set(scanner.motifs.map(\.id))
            if let missing = wanted.sorted().first(where: { !known.contains($0) }) {
                throw ScanFindingsError(path: folder + "/interactions.tsv", line: nil,
                                        reason: "motif \(missing) of a reported pair is not in the motif database \(motifsPath); give variants the --motifs the scan used")
            }
            pairMotifScanner = MotifScanner(motifs: scanner.motifs.filter { wanted.contains($0.id) }, threshold: settings.instanceThreshold)
        } else {
            findings = nil; headMotifScanner = nil; pairMotifScanner = nil
        }
        longestMotif = scanner.motifs.map(\.width).max() ?? 1
        longestHeadMotif = headMotifScanner?.motifs.map(\.width).max() ?? 1
    }

    /// The window a model was trained on, from its `motifattn_training` metadata; `nil` when it does not say.
    public static func trainingWindow(modelPath: String) throws -> Int? {
        let metadata = try Safetensors.read(path: modelPath).metadata
        guard let json = metadata["motifattn_training"],
              let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let parameters = object["parameters"] as? [String: Any],
              let text = parameters["window"] as? String else { return nil }
        return Int(text)
    }

    /// Whether an ALT allele is one the model can score: bases only (A, C, G, T, N).
    static func isSequence(_ allele: String) -> Bool {
        !allele.isEmpty && allele.utf8.allSatisfy { "ACGTN".utf8.contains($0) }
    }

    /// Checks every record against the genome, then lists the alleles to score; skipped ones are counted.
    ///
    /// Errors (a contig the genome lacks; a REF mismatch unless `skipMismatch`) come before any scoring.
    public func alleles(of records: [VariantRecord], genome: ReferenceSequence, skipped: inout VariantSkipCounts) throws
        -> [(record: VariantRecord, altIndex: Int, windows: AllelePairWindows)] {
        var result: [(record: VariantRecord, altIndex: Int, windows: AllelePairWindows)] = []
        for record in records {
            guard let length = genome.length(of: record.contig) else {
                throw VariantEffectError.unknownContig(path: settings.vcfPath ?? "-", location: record.location, contig: record.contig,
                                                       genomePath: settings.genomePath)
            }
            let refEnd = record.position + record.ref.utf8.count
            let genomeRef = refEnd <= length ? try genome.bases(contig: record.contig, start: record.position, end: refEnd) : []
            let matches = genomeRef.count == record.ref.utf8.count
                && zip(genomeRef, record.ref.utf8).allSatisfy { $0 == $1 || $1 == UInt8(ascii: "N") }
            if !matches {
                if settings.skipMismatch {
                    skipped.refMismatch += record.alts.count
                    continue
                }
                throw VariantEffectError.refMismatch(path: settings.vcfPath ?? "-", location: record.location, contig: record.contig,
                                                     position: record.position, ref: record.ref,
                                                     genome: genomeRef.isEmpty ? "no bases there" : String(decoding: genomeRef, as: UTF8.self),
                                                     genomePath: settings.genomePath)
            }
            for (a, alt) in record.alts.enumerated() {
                guard Self.isSequence(alt), Self.isSequence(record.ref) else { skipped.symbolic += 1; continue }
                guard max(alt.utf8.count, record.ref.utf8.count) <= settings.maxIndel + 1 else { skipped.longIndel += 1; continue }
                guard let windows = try Self.cut(record: record, alt: alt, window: window, contigLength: length, genome: genome) else {
                    skipped.nearContigEnd += 1
                    continue
                }
                result.append((record, a, windows))
            }
        }
        return result
    }

    /// The REF and ALT windows of an allele, each `window` bases with its allele in the middle (left flank
    /// `(window − allele length) / 2`, rounded down), flanks from the genome; `nil` when a flank runs off the contig.
    static func cut(record: VariantRecord, alt: String, window: Int, contigLength: Int, genome: ReferenceSequence) throws -> AllelePairWindows? {
        let refBases = Array(record.ref.utf8), altBases = Array(alt.utf8)
        let refLeft = (window - refBases.count) / 2, altLeft = (window - altBases.count) / 2
        let altRight = window - altBases.count - altLeft
        let start = record.position - max(refLeft, altLeft)
        let refEnd = record.position + refBases.count
        let end = max(record.position - refLeft + window, refEnd + altRight)
        guard start >= 0, end <= contigLength else { return nil }
        let refWindow = try genome.bases(contig: record.contig, start: record.position - refLeft, end: record.position - refLeft + window)
        let left = try genome.bases(contig: record.contig, start: record.position - altLeft, end: record.position)
        let right = try genome.bases(contig: record.contig, start: refEnd, end: refEnd + altRight)
        return AllelePairWindows(ref: refWindow, alt: left + altBases + right,
                                 refAllele: refLeft..<(refLeft + refBases.count), altAllele: altLeft..<(altLeft + altBases.count))
    }

    /// Scores the alleles in batches of `variantsPerBatch` (REF and ALT, both strands) and finds the motif and
    /// attention changes; `progress` is called with the windows scored after each batch. The attention maps are
    /// summarised as the encoder hands them over (`Encoder.forward(visitingAttention:)`), never copied.
    public func effects(of alleles: [(record: VariantRecord, altIndex: Int, windows: AllelePairWindows)],
                        progress: (Int) -> Void = { _ in }) throws -> [VariantEffect] {
        var effects: [VariantEffect] = []
        effects.reserveCapacity(alleles.count)
        var first = 0
        while first < alleles.count {
            let batch = Array(alleles[first..<min(first + Self.variantsPerBatch, alleles.count)])
            var windows: [Window] = []
            var questions: [MapQuestions] = []
            let plans = batch.map { pairPlans(windows: $0.windows) }
            for (item, plan) in zip(batch, plans) {
                let r = item.record, w = item.windows
                for (bases, allele, isAlt) in [(w.ref, w.refAllele, false), (w.alt, w.altAllele, true)] {
                    let sitePairs = plan.map { (head: $0.pair.bestHead, ranges: isAlt ? $0.altSitePairs : $0.refSitePairs) }
                    windows.append(Window(sourceName: r.contig, start: r.position, end: r.position + 1, strand: .plus, bases: bases))
                    questions.append(MapQuestions(allele: allele, sitePairs: sitePairs))
                    windows.append(Window(sourceName: r.contig, start: r.position, end: r.position + 1, strand: .minus,
                                          bases: Nucleotides.reverseComplement(bases)))
                    questions.append(MapQuestions(allele: allele, sitePairs: sitePairs))
                }
            }
            var answers = [MapAnswers?](repeating: nil, count: windows.count)
            let logits = try scorer.score(windows, source: settings.vcfPath ?? settings.genomePath) { i, maps in
                answers[i] = answer(questions[i], window: windows[i], maps: maps)
            }
            for (i, item) in batch.enumerated() {
                let a = answers[(4 * i)..<(4 * i + 4)].compactMap { $0 }
                let w = item.windows
                var effect = VariantEffect(record: item.record, altIndex: item.altIndex,
                                           refLogit: (logits[4 * i][0] + logits[4 * i + 1][0]) / 2,
                                           altLogit: (logits[4 * i + 2][0] + logits[4 * i + 3][0]) / 2)
                if a.count == 4 {
                    effect.headAttentionChange = attentionChange(a)
                    effect.pair = pairEffect(plans[i], answers: a)
                }
                (effect.motifBroken, effect.motifCreated) = motifChanges(w, scanner: scanner)
                if let headMotifScanner {
                    (effect.headMotifBroken, effect.headMotifCreated) = motifChanges(w, scanner: headMotifScanner)
                }
                effects.append(effect)
            }
            progress(windows.count)
            first += batch.count
        }
        return effects
    }

    /// What one window's maps are asked: the attention the allele receives, and the co-attention of site pairs.
    struct MapQuestions {
        /// The allele's bases (plus-strand window coordinates).
        var allele: Range<Int>
        /// Per candidate pair: the head to read (every head when `nil`) and its site pairs (plus-strand coordinates).
        var sitePairs: [(head: HeadIndex?, ranges: [(Range<Int>, Range<Int>)])]
    }

    /// The answers: received attention per head (layout order), and per candidate pair the largest co-attention.
    struct MapAnswers {
        var received: [Double]
        var coAttention: [Double]
    }

    private func answer(_ q: MapQuestions, window: Window, maps: AttentionMapsView) -> MapAnswers {
        let spans = scorer.tokenizer.encode(window.bases).spans.map { Int($0.start)..<Int($0.end) }
        let n = window.bases.count, flip = window.strand == .minus
        func onStrand(_ r: Range<Int>) -> Range<Int> { flip ? (n - r.upperBound)..<(n - r.lowerBound) : r }
        let received = receivedAttention(maps, spans: spans, bases: onStrand(q.allele))
        let pairs = q.sitePairs.map { candidate in
            candidate.ranges.reduce(0.0) { best, pair in
                max(best, coAttention(maps, spans: spans, head: candidate.head, onStrand(pair.0), onStrand(pair.1)))
            }
        }
        return MapAnswers(received: received, coAttention: pairs)
    }

    /// Attention the allele's bases receive, per head, ALT − REF (mean of both strands); the head with the largest |change|.
    /// `a`: the answers of REF +, REF −, ALT +, ALT −.
    private func attentionChange(_ a: [MapAnswers]) -> (head: HeadIndex, change: Double)? {
        var best: (head: HeadIndex, change: Double)?
        let heads = model.config.headLayout.allHeads
        for index in a[0].received.indices {
            let change = (a[2].received[index] + a[3].received[index] - a[0].received[index] - a[1].received[index]) / 2
            if best == nil || abs(change) > abs(best!.change) {
                best = (HeadIndex(layer: heads[index].layer, head: heads[index].head), change)
            }
        }
        return best
    }

    /// Per head (layout order), the attention `bases` (window coordinates of this strand) receive: the attention
    /// profile of the analysis (`WindowAttention.profile`: each token's attention, averaged over queries, spread
    /// evenly over its bases) summed over the bases, computed for the tokens covering them only.
    func receivedAttention(_ maps: AttentionMapsView, spans: [Range<Int>], bases: Range<Int>) -> [Double] {
        // (token, share of its received attention that falls on the bases)
        var tokens: [(Int, Double)] = []
        for (t, span) in spans.enumerated() where !span.isEmpty {
            let covered = min(span.upperBound, bases.upperBound) - max(span.lowerBound, bases.lowerBound)
            if covered > 0 { tokens.append((t, Double(covered) / Double(span.count))) }
        }
        let count = maps.tokens
        let p = maps.probabilities.baseAddress!
        return (0..<maps.layout.count).map { slot in
            let map = p + slot * count * count
            var total = 0.0
            for (t, share) in tokens {
                var column = 0.0
                for query in 0..<count { column += Double(map[query * count + t]) }
                total += share * column / Double(count)
            }
            return total
        }
    }

    /// A reported pair whose site the allele overlaps (`--scan`), planned from the bases before scoring: the site
    /// pairs to read in the REF window and the same sites in the ALT window, and whether the ALT breaks the site.
    struct PairPlan {
        var pair: ScanFindings.ReportedPair
        var siteMotif: String
        var siteBroken: Bool
        var refSitePairs: [(Range<Int>, Range<Int>)]
        var altSitePairs: [(Range<Int>, Range<Int>)]
    }

    /// For each reported pair and side: the REF window's instances of that side's class that overlap the REF
    /// allele, and the instances of the other side's class that do not; the ALT sites are the same bases, moved
    /// with the bases around an indel.
    private func pairPlans(windows w: AllelePairWindows) -> [PairPlan] {
        guard let findings, let pairMotifScanner, !findings.pairs.isEmpty else { return [] }
        let refSites = pairMotifScanner.scan(w.ref, composition: w.ref)
        let altSites = pairMotifScanner.scan(w.alt, composition: w.alt)
        // REF window bases to ALT window bases: left of the allele by the left shift, right of it by the right one.
        let leftShift = w.altAllele.lowerBound - w.refAllele.lowerBound, rightShift = w.altAllele.upperBound - w.refAllele.upperBound
        func toAlt(_ r: Range<Int>) -> Range<Int> {
            let lower = r.lowerBound < w.refAllele.upperBound ? r.lowerBound + leftShift : r.lowerBound + rightShift
            let upper = r.upperBound > w.refAllele.lowerBound ? r.upperBound + rightShift : r.upperBound + leftShift
            return lower..<max(lower + 1, upper)
        }
        var plans: [PairPlan] = []
        for pair in findings.pairs {
            for (side, partner) in [(pair.membersA, pair.membersB), (pair.membersB, pair.membersA)] {
                let hit = refSites.filter { side.contains($0.motifID) && $0.start < w.refAllele.upperBound && $0.end > w.refAllele.lowerBound }
                let partners = refSites.filter { partner.contains($0.motifID) && ($0.end <= w.refAllele.lowerBound || $0.start >= w.refAllele.upperBound) }
                var refPairs: [(Range<Int>, Range<Int>)] = []
                for h in hit { for p in partners where p.end <= h.start || p.start >= h.end { refPairs.append((h.start..<h.end, p.start..<p.end)) } }
                guard !refPairs.isEmpty else { continue }
                let survives = altSites.contains { side.contains($0.motifID) && $0.start < w.altAllele.upperBound && $0.end > w.altAllele.lowerBound }
                let site = hit.min { ($0.pValue, $0.motifID) < ($1.pValue, $1.motifID) }!
                plans.append(PairPlan(pair: pair, siteMotif: site.motifID, siteBroken: !survives, refSitePairs: refPairs,
                                      altSitePairs: refPairs.map { (toAlt($0.0), toAlt($0.1)) }))
            }
        }
        return plans
    }

    /// Of the planned pairs, one whose site the ALT breaks comes first, then the largest |co-attention change|.
    /// The co-attention of a site pair is the largest attention weight between a token covering one site and a
    /// token covering the other, in either direction, at the pair's best head (as the scan scores co-attention),
    /// maximised over the site pairs and averaged over both strands.
    private func pairEffect(_ plans: [PairPlan], answers a: [MapAnswers]) -> PairSiteEffect? {
        var best: PairSiteEffect?
        for (k, plan) in plans.enumerated() {
            let effect = PairSiteEffect(pair: plan.pair.label, siteMotif: plan.siteMotif, siteBroken: plan.siteBroken, head: plan.pair.bestHead,
                                        refCoAttention: (a[0].coAttention[k] + a[1].coAttention[k]) / 2,
                                        altCoAttention: (a[2].coAttention[k] + a[3].coAttention[k]) / 2)
            if let current = best {
                if (effect.siteBroken ? 1 : 0, abs(effect.change)) > (current.siteBroken ? 1 : 0, abs(current.change)) { best = effect }
            } else {
                best = effect
            }
        }
        return best
    }

    /// Largest attention weight between a token covering `a` and one covering `b` (window coordinates of this
    /// strand), in either direction, at `head` (every head when `nil`).
    func coAttention(_ maps: AttentionMapsView, spans: [Range<Int>], head: HeadIndex?, _ a: Range<Int>, _ b: Range<Int>) -> Double {
        let tokensA = spans.indices.filter { !spans[$0].isEmpty && spans[$0].overlaps(a) }
        let tokensB = spans.indices.filter { !spans[$0].isEmpty && spans[$0].overlaps(b) }
        let heads = head.map { [$0] } ?? maps.layout.allHeads.map { HeadIndex(layer: $0.layer, head: $0.head) }
        let count = maps.tokens
        var best = 0.0
        for h in heads where h.layer < maps.layout.layers && maps.layout.slot(layer: h.layer, head: h.head) != nil {
            let map = maps.map(layer: h.layer, head: h.head)
            for i in tokensA {
                for j in tokensB {
                    best = max(best, Double(map[i * count + j]), Double(map[j * count + i]))
                }
            }
        }
        return best
    }

    /// The best-scoring instance overlapping the allele that the ALT breaks, and the one it creates.
    private func motifChanges(_ w: AllelePairWindows, scanner: MotifScanner) -> (broken: MotifChange?, created: MotifChange?) {
        let refHits = hits(in: w.ref, overlapping: w.refAllele, scanner: scanner)
        let altHits = hits(in: w.alt, overlapping: w.altAllele, scanner: scanner)
        // An instance's counterpart in the other window: the same motif and strand at the same offset from the allele's start.
        let shift = w.altAllele.lowerBound - w.refAllele.lowerBound
        let refKeys = Set(refHits.map { "\($0.motifIndex)\($0.strand.rawValue)\($0.start + shift)" })
        let altKeys = Set(altHits.map { "\($0.motifIndex)\($0.strand.rawValue)\($0.start)" })
        let broken = refHits.filter { !altKeys.contains("\($0.motifIndex)\($0.strand.rawValue)\($0.start + shift)") }
            .min { ($0.pValue, -$0.score, $0.motifIndex) < ($1.pValue, -$1.score, $1.motifIndex) }
        let created = altHits.filter { !refKeys.contains("\($0.motifIndex)\($0.strand.rawValue)\($0.start)") }
            .min { ($0.pValue, -$0.score, $0.motifIndex) < ($1.pValue, -$1.score, $1.motifIndex) }
        return (broken.map { change(of: $0, from: w.ref, to: w.alt, shift: shift, sign: 1, scanner: scanner) },
                created.map { change(of: $0, from: w.alt, to: w.ref, shift: -shift, sign: -1, scanner: scanner) })
    }

    /// Instances overlapping `allele`: only the stretch that can hold them is scanned, against the whole window's
    /// composition, so the p-values are those of a scan of the window.
    private func hits(in bases: [UInt8], overlapping allele: Range<Int>, scanner: MotifScanner) -> [MotifInstance] {
        let reach = (scanner === headMotifScanner ? longestHeadMotif : longestMotif) - 1
        let lower = max(0, allele.lowerBound - reach), upper = min(bases.count, allele.upperBound + reach)
        return scanner.scan(Array(bases[lower..<upper]), composition: bases).compactMap { hit in
            var hit = hit
            hit.start += lower
            hit.end += lower
            return hit.start < allele.upperBound && hit.end > allele.lowerBound ? hit : nil
        }
    }

    /// The motif change of `instance` (found in `bases`): the ALT score minus the REF score of the site.
    private func change(of instance: MotifInstance, from bases: [UInt8], to other: [UInt8], shift: Int, sign: Double,
                        scanner: MotifScanner) -> MotifChange {
        let motif = scanner.motifs[instance.motifIndex]
        let matrix = scanner.scoringMatrix(motifIndex: instance.motifIndex, for: other)
        let start = instance.start + shift, width = motif.width
        var otherScore = 0.0
        var inside = start >= 0 && start + width <= other.count
        if inside {
            for j in 0..<width {
                guard let base = Nucleotides.code(other[start + j]) else { inside = false; break }
                otherScore += instance.strand == .plus ? matrix.logOdds[j][Int(base)] : matrix.logOdds[width - 1 - j][3 - Int(base)]
            }
        }
        // A site pushed out of the window, or onto N, counts as the lowest score the matrix allows.
        if !inside { otherScore = matrix.logOdds.reduce(0) { $0 + $1.min()! } }
        return MotifChange(motifID: motif.id, name: motif.displayName, family: families[motif.id],
                           scoreChange: sign * (otherScore - instance.score))
    }
}

/// What a variant does to a pair reported by a scan: the allele overlaps a site of one side of the pair, and a
/// site of the other side is elsewhere in the window.
public struct PairSiteEffect: Sendable, Equatable {
    /// The pair (`MA0482.3/MA1633.2`, the scan's representatives).
    public var pair: String
    /// The database motif of the site the allele overlaps (a member of one side's class).
    public var siteMotif: String
    /// The ALT leaves no instance of that side's class over the allele: the variant breaks one member of the pair.
    public var siteBroken: Bool
    /// The head the co-attention is read from (the scan's `best_head` of the pair).
    public var head: HeadIndex?
    /// Co-attention of the allele's site and the partner site, REF window (mean of both strands).
    public var refCoAttention: Double
    /// The same in the ALT window.
    public var altCoAttention: Double
    /// ALT − REF.
    public var change: Double { altCoAttention - refCoAttention }
}

/// What one `motifattn variants` run read, scored and skipped.
public struct VariantRunSummary: Sendable {
    /// VCF records read.
    public var records = 0
    /// ALT alleles scored.
    public var scored = 0
    /// ALT alleles skipped, by reason.
    public var skipped = VariantSkipCounts()
    /// Windows through the encoder (REF and ALT, both strands).
    public var windows = 0
    /// Seconds spent scoring (encoder, motif scan and attention summaries).
    public var scoringSeconds = 0.0

    /// One line for standard error: what was scored and what was skipped, by reason.
    public var line: String {
        "\(scored) alleles of \(records) records scored (\(windows) windows); skipped \(skipped.total): "
            + "\(skipped.symbolic) symbolic or structural, \(skipped.longIndel) longer indels, "
            + "\(skipped.refMismatch) REF mismatches, \(skipped.nearContigEnd) too near a contig end"
    }
}

extension VariantEffectsPipeline {
    /// The INFO field `--scan` adds to `variants.vcf.gz`.
    public static let pairInfoField = VCFInfoField(
        id: "MA_PAIR", isFloat: false,
        description: "motifattn: pair reported by the scan (A/B) whose site the ALT overlaps while a partner site is in the window; prefixed by - when the ALT breaks the site")

    /// The INFO fields added to `variants.vcf.gz` (and `pairInfoField` with `--scan`).
    public static let infoFields = [
        VCFInfoField(id: "MA_DLOGIT", isFloat: true, description: "motifattn: model logit ALT minus REF (mean of both strands)"),
        VCFInfoField(id: "MA_DPROB", isFloat: true, description: "motifattn: model probability ALT minus REF"),
        VCFInfoField(id: "MA_MOTIF", isFloat: false,
                     description: "motifattn: database motif instance broken (-ID_name) and/or created (+ID_name) by the ALT, joined by &"),
    ]

    /// Reads the VCF, checks it against the genome, scores every allele, runs the saturation mutagenesis of
    /// `--ism`, and writes `variants.tsv`, `variants.vcf.gz` (+ index), `ism.tsv`, `report.html` and `run.json` into
    /// the output folder (each when it applies). Everything is computed before the first file is written, so a failed
    /// check or region writes nothing.
    public func run(progress: ProgressMeter) throws -> VariantRunSummary {
        var summary = VariantRunSummary()
        var record = RunRecord(command: "variants")
        let genome = try ReferenceSequence(path: settings.genomePath)
        let vcf = try settings.vcfPath.map { try VariantFile(path: $0, regions: settings.regions) }
        let records = try record.time("read") { try vcf?.readAll() ?? [] }
        summary.records = records.count
        let alleles = try record.time("check") { try self.alleles(of: records, genome: genome, skipped: &summary.skipped) }
        let ismBases = settings.ismRegion.map { ($0.end ?? Int.max) - $0.start } ?? 0
        progress.total = 4 * alleles.count + 8 * min(ismBases, SaturationMutagenesis.maxLength + 1)
        let started = Date()
        var effects = try record.time("score") { try self.effects(of: alleles) { progress.advance(by: $0) } }
        let ism = try settings.ismRegion.map { region in
            try record.time("ism") { try self.saturationMutagenesis(region: region, genome: genome) { progress.advance(by: $0) } }
        }
        summary.scoringSeconds = Date().timeIntervalSince(started)
        summary.scored = effects.count
        summary.windows = 4 * effects.count + (ism?.deltaLogit.compactMap { $0 }.count ?? 0) * 8

        let contigRank = Dictionary((vcf?.contigOrder ?? []).enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        effects.sort {
            let a = abs($0.deltaLogit), b = abs($1.deltaLogit)
            if a != b { return a > b }
            return (contigRank[$0.record.contig] ?? Int.max, $0.record.position, $0.record.serial, $0.altIndex)
                < (contigRank[$1.record.contig] ?? Int.max, $1.record.position, $1.record.serial, $1.altIndex)
        }
        try FileManager.default.createDirectory(atPath: settings.outputFolder, withIntermediateDirectories: true)
        let folder = settings.outputFolder
        var bySerial: [Int: [VariantEffect]] = [:]
        for effect in effects { bySerial[effect.record.serial, default: []].append(effect) }
        let provenance = Provenance.thisProcess
        let pending = try vcf.map { vcf in
            try record.time("write") {
                try vcf.writeAnnotated(to: folder + "/variants.vcf.gz", fields: Self.infoFields + (findings == nil ? [] : [Self.pairInfoField]),
                                       extraHeaderLines: ["##motifattnVersion=\(motifattnVersion)",
                                                          "##motifattnCommand=\(provenance.command.replacingOccurrences(of: "\n", with: " "))"]) { serial in
                    guard let found = bySerial[serial] else { return nil }
                    let alts = records[serial].alts.count
                    var dlogit = [Float?](repeating: nil, count: alts), dprob = [Float?](repeating: nil, count: alts)
                    var motif = [String?](repeating: nil, count: alts), pair = [String?](repeating: nil, count: alts)
                    for e in found {
                        dlogit[e.altIndex] = e.deltaLogit
                        dprob[e.altIndex] = Float(e.deltaProbability)
                        motif[e.altIndex] = Self.vcfMotifValue(e)
                        pair[e.altIndex] = e.pair.map { ($0.siteBroken ? "-" : "") + $0.pair } ?? "."
                    }
                    var values: [String: VCFInfoValues] = ["MA_DLOGIT": .floats(dlogit), "MA_DPROB": .floats(dprob), "MA_MOTIF": .strings(motif)]
                    if findings != nil { values["MA_PAIR"] = .strings(pair) }
                    return values
                }
            }
        }
        try record.time("write") {
            if vcf != nil {
                let table = try OutputFile(path: folder + "/variants.tsv")
                try table.write(provenance.line + "\n")
                try table.write(Self.tableHeader.joined(separator: "\t") + "\n")
                for effect in effects { try table.write(Self.tableRow(effect).joined(separator: "\t") + "\n") }
                try table.commit()
            }
            if let ism {
                let table = try OutputFile(path: folder + "/ism.tsv")
                try table.write(provenance.line + "\n")
                for line in ism.tableLines() { try table.write(line + "\n") }
                try table.commit()
            }
            let report = try OutputFile(path: folder + "/report.html")
            try report.write(VariantReport.render(effects: effects, ism: ism, summary: summary, scanFolder: settings.scanFolder,
                                                  command: provenance.command))
            try report.commit()
        }
        try record.addInput(role: "model", path: settings.modelPath)
        try record.addInput(role: "genome", path: settings.genomePath)
        if let path = settings.vcfPath { try record.addInput(role: "variants", path: path) }
        if let motifs = settings.motifsPath { try record.addInput(role: "motifs", path: motifs) }
        if let scan = settings.scanFolder {
            try record.addInput(role: "scan_interactions", path: scan + "/interactions.tsv")
            try record.addInput(role: "scan_head_motifs", path: scan + "/motifs.meme")
        }
        record.parameters = ["window": "\(window)", "max_indel": "\(settings.maxIndel)", "skip_mismatch": "\(settings.skipMismatch)",
                             "threads": "\(settings.threads)", "regions": settings.regions.map(\.origin).joined(separator: ", "),
                             "instance_p": "\(settings.instanceThreshold.pValue)", "ism": settings.ismRegion?.origin ?? ""]
        record.counts = ["records": summary.records, "alleles_scored": summary.scored, "windows_scored": summary.windows,
                         "skipped_symbolic": summary.skipped.symbolic, "skipped_long_indel": summary.skipped.longIndel,
                         "skipped_ref_mismatch": summary.skipped.refMismatch, "skipped_near_contig_end": summary.skipped.nearContigEnd]
        if findings != nil {
            record.counts["alleles_on_pair_sites"] = effects.filter { $0.pair != nil }.count
            record.counts["alleles_breaking_pair_sites"] = effects.filter { $0.pair?.siteBroken == true }.count
        }
        if let ism { record.counts["ism_bases"] = ism.deltaLogit.compactMap { $0 }.count }
        try record.write(to: folder + "/run.json")
        try pending?.commit()
        return summary
    }

    /// The columns of `variants.tsv`.
    public static let tableHeader = [
        "chrom", "pos", "id", "ref", "alt", "ref_logit", "alt_logit", "delta_logit", "ref_probability", "alt_probability",
        "delta_probability", "motif_broken", "motif_broken_family", "motif_broken_score_change", "motif_created",
        "motif_created_family", "motif_created_score_change", "head_attention_change", "head_attention_delta",
        "head_motif_broken", "head_motif_created", "pair", "pair_site_motif", "pair_site_broken", "pair_head",
        "pair_coattention_ref", "pair_coattention_alt", "pair_coattention_change",
    ]

    static func tableRow(_ e: VariantEffect) -> [String] {
        func motif(_ m: MotifChange?) -> [String] {
            guard let m else { return [".", ".", "."] }
            return ["\(m.name) \(m.motifID)", m.family ?? ".", String(format: "%.3f", m.scoreChange)]
        }
        let r = e.record
        return [r.contig, "\(r.position + 1)", r.id, r.ref, e.alt,
                String(format: "%.6f", e.refLogit), String(format: "%.6f", e.altLogit), String(format: "%.6f", e.deltaLogit),
                String(format: "%.6f", logistic(e.refLogit)), String(format: "%.6f", logistic(e.altLogit)),
                String(format: "%.6f", e.deltaProbability)]
            + motif(e.motifBroken) + motif(e.motifCreated)
            + (e.headAttentionChange.map { ["\($0.head)", String(format: "%.6f", $0.change)] } ?? [".", "."])
            + [e.headMotifBroken.map { "\($0.motifID) (\(String(format: "%.3f", $0.scoreChange)))" } ?? ".",
               e.headMotifCreated.map { "\($0.motifID) (\(String(format: "%+.3f", $0.scoreChange)))" } ?? "."]
            + (e.pair.map { p in
                [p.pair, p.siteMotif, p.siteBroken ? "yes" : "no", p.head.map { "\($0)" } ?? "all",
                 String(format: "%.6f", p.refCoAttention), String(format: "%.6f", p.altCoAttention), String(format: "%.6f", p.change)]
            } ?? Array(repeating: ".", count: 7))
    }

    /// `-ID_name` (broken) and `+ID_name` (created), joined by `&`; `.` for neither.
    static func vcfMotifValue(_ e: VariantEffect) -> String? {
        func clean(_ m: MotifChange) -> String {
            String("\(m.motifID)_\(m.name)".map { " ,;=|&".contains($0) ? "_" : $0 })
        }
        let parts = [e.motifBroken.map { "-" + clean($0) }, e.motifCreated.map { "+" + clean($0) }].compactMap { $0 }
        return parts.isEmpty ? "." : parts.joined(separator: "&")
    }
}
