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
    /// attention summed over the allele's bases, read on the plus-strand windows).
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
    /// count; a multiple of 8, so the encoder's batches of 32 windows hold the same variants whatever the count.
    public static let variantsPerBatch = 256

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
    private let pairMotifScanner: MotifScanner?

    /// Loads the model and the motif database.
    public init(settings: VariantEffectSettings) throws {
        self.settings = settings
        model = try AttentionModel(contentsOf: settings.modelPath)
        window = try settings.window ?? Self.trainingWindow(modelPath: settings.modelPath) ?? VariantEffectSettings.defaultWindow
        scorer = try WindowScorer(model: model, threads: settings.threads)
        let motifsPath = try settings.motifsPath ?? BundledData.path(of: BundledData.motifsFile)
        scanner = MotifScanner(motifs: try MEMEFormat.read(path: motifsPath).motifs, threshold: settings.instanceThreshold)
        scanner.preparationThreads = settings.threads
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
        for other in [headMotifScanner, pairMotifScanner] { other?.preparationThreads = settings.threads }
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
    /// attention changes; `progress` is called with the windows scored after each batch. Each head's map is
    /// summarised as soon as the encoder computes it (`Encoder.forward(visitingHeadMaps:)`), never stored.
    public func effects(of alleles: [(record: VariantRecord, altIndex: Int, windows: AllelePairWindows)],
                        progress: (Int) -> Void = { _ in }) throws -> [VariantEffect] {
        var effects: [VariantEffect] = []
        effects.reserveCapacity(alleles.count)
        let layout = model.config.headLayout
        var first = 0
        while first < alleles.count {
            let batch = Array(alleles[first..<min(first + Self.variantsPerBatch, alleles.count)])
            // Per allele: its pair plans, then REF +, REF −, ALT +, ALT − with what their maps are asked.
            pairMotifScanner?.prepareLevels(of: batch.flatMap { [$0.windows.ref, $0.windows.alt] })
            let prepared = parallelMap(count: batch.count, threads: settings.threads) { i in
                let r = batch[i].record, w = batch[i].windows
                let plan = pairPlans(windows: w)
                var windows: [(Window, MapQuestions?)] = []
                for (bases, allele, isAlt) in [(w.ref, w.refAllele, false), (w.alt, w.altAllele, true)] {
                    let sitePairs = plan.map { (head: $0.pair.bestHead, ranges: isAlt ? $0.altSitePairs : $0.refSitePairs) }
                    let plus = Window(sourceName: r.contig, start: r.position, end: r.position + 1, strand: .plus, bases: bases)
                    windows.append((plus, mapQuestions(window: plus, allele: allele, sitePairs: sitePairs, layout: layout)))
                    windows.append((Window(sourceName: r.contig, start: r.position, end: r.position + 1, strand: .minus,
                                           bases: Nucleotides.reverseComplement(bases)), nil))
                }
                return (plan: plan, windows: windows)
            }
            let plans = prepared.map(\.plan)
            let windows = prepared.flatMap { $0.windows.map(\.0) }
            let questions = prepared.flatMap { $0.windows.map(\.1) }
            let reader = MapSummaries(questions: questions, slots: layout.count)
            defer { reader.deallocate() }
            // Each ALT window is its REF window with the allele changed: the encoder recomputes only what that changes.
            let variantOf = windows.indices.map { $0 % 4 >= 2 ? $0 - 2 : nil }
            let logits = try scorer.score(windows, source: settings.vcfPath ?? settings.genomePath, attentionOf: questions.map { $0 != nil },
                                          variantOf: variantOf, visitingHeadMaps: reader.visit)
            let answers = reader.answers()
            let scanned = batch.flatMap { [$0.windows.ref, $0.windows.alt] }
            scanner.prepareLevels(of: scanned)
            headMotifScanner?.prepareLevels(of: scanned)
            let motifs = parallelMap(count: batch.count, threads: settings.threads) { i in
                (database: motifChanges(batch[i].windows, scanner: scanner),
                 headMotifs: headMotifScanner.map { motifChanges(batch[i].windows, scanner: $0) })
            }
            for (i, item) in batch.enumerated() {
                let refAnswers = answers[4 * i]!, altAnswers = answers[4 * i + 2]!
                var effect = VariantEffect(record: item.record, altIndex: item.altIndex,
                                           refLogit: (logits[4 * i][0] + logits[4 * i + 1][0]) / 2,
                                           altLogit: (logits[4 * i + 2][0] + logits[4 * i + 3][0]) / 2)
                effect.headAttentionChange = attentionChange(ref: refAnswers, alt: altAnswers)
                effect.pair = pairEffect(plans[i], ref: refAnswers, alt: altAnswers)
                (effect.motifBroken, effect.motifCreated) = motifs[i].database
                if let headMotifs = motifs[i].headMotifs {
                    (effect.headMotifBroken, effect.headMotifCreated) = headMotifs
                }
                effects.append(effect)
            }
            progress(windows.count)
            first += batch.count
        }
        return effects
    }

    /// What one window's maps are asked, in token numbers of that window (its own strand).
    struct MapQuestions {
        /// The tokens covering the allele's bases, each with the share of its received attention that falls on them.
        var alleleTokens: [(token: Int, share: Double)]
        /// Per candidate pair: the head slot to read (every slot when `nil`; none when the scan names a head this
        /// model lacks) and, per site pair, the tokens covering one site and those covering the other.
        var pairs: [(slots: HeadSlots, tokenPairs: [(a: [Int], b: [Int])])]
    }

    enum HeadSlots {
        case all, one(Int), none
        func contains(_ slot: Int) -> Bool {
            switch self {
            case .all: return true
            case .one(let s): return s == slot
            case .none: return false
            }
        }
    }

    /// The answers: received attention per head (layout order), and per candidate pair the largest co-attention.
    struct MapAnswers {
        var received: [Double]
        var coAttention: [Double]
    }

    /// The questions of a window, from its tokens' base spans: `allele` and the site pairs are plus-strand
    /// window coordinates, turned to this window's strand.
    private func mapQuestions(window: Window, allele: Range<Int>, sitePairs: [(head: HeadIndex?, ranges: [(Range<Int>, Range<Int>)])],
                              layout: HeadLayout) -> MapQuestions {
        let spans = scorer.tokenizer.encode(window.bases).spans.map { Int($0.start)..<Int($0.end) }
        let n = window.bases.count, flip = window.strand == .minus
        func onStrand(_ r: Range<Int>) -> Range<Int> { flip ? (n - r.upperBound)..<(n - r.lowerBound) : r }
        func covering(_ r: Range<Int>) -> [Int] { spans.indices.filter { !spans[$0].isEmpty && spans[$0].overlaps(r) } }
        let bases = onStrand(allele)
        var alleleTokens: [(token: Int, share: Double)] = []
        for (t, span) in spans.enumerated() where !span.isEmpty {
            let covered = min(span.upperBound, bases.upperBound) - max(span.lowerBound, bases.lowerBound)
            if covered > 0 { alleleTokens.append((t, Double(covered) / Double(span.count))) }
        }
        let pairs = sitePairs.map { candidate -> (slots: HeadSlots, tokenPairs: [(a: [Int], b: [Int])]) in
            let slots: HeadSlots
            if let head = candidate.head {
                slots = head.layer < layout.layers ? layout.slot(layer: head.layer, head: head.head).map { .one($0) } ?? .none : .none
            } else {
                slots = .all
            }
            return (slots, candidate.ranges.map { (covering(onStrand($0.0)), covering(onStrand($0.1))) })
        }
        return MapQuestions(alleleTokens: alleleTokens, pairs: pairs)
    }

    /// The answers of a batch's windows, written by `visit` from the encoder's threads: each call writes only the
    /// cells of its own window and head, so calls for different windows or heads never touch the same memory.
    final class MapSummaries: @unchecked Sendable {
        /// Per window; `nil` for a window whose maps are not read.
        let questions: [MapQuestions?]
        let slots: Int
        /// `[window][slot]`.
        let received: UnsafeMutableBufferPointer<Double>
        /// `[pairOffset[window] + candidate][slot]`.
        let coAttention: UnsafeMutableBufferPointer<Double>
        let pairOffset: [Int]

        init(questions: [MapQuestions?], slots: Int) {
            self.questions = questions
            self.slots = slots
            var offsets = [0]
            for q in questions { offsets.append(offsets.last! + (q?.pairs.count ?? 0)) }
            pairOffset = offsets
            received = .allocate(capacity: questions.count * slots)
            received.initialize(repeating: 0)
            coAttention = .allocate(capacity: max(1, offsets.last! * slots))
            coAttention.initialize(repeating: 0)
        }

        func deallocate() { received.deallocate(); coAttention.deallocate() }

        /// Summarises one head's map of one window (`Encoder.forward(visitingHeadMaps:)`).
        func visit(_ map: HeadMapView) {
            guard let q = questions[map.window] else { return }
            let n = map.tokens, p = map.probabilities.baseAddress!
            // The analysis's attention profile (each token's attention averaged over queries, spread over its
            // bases), summed over the allele's bases: only the columns of the tokens covering them.
            var total = 0.0
            for (t, share) in q.alleleTokens {
                var column = 0.0
                for query in 0..<n { column += Double(p[query * n + t]) }
                total += share * column / Double(n)
            }
            received[map.window * slots + map.slot] = total
            for (k, pair) in q.pairs.enumerated() where pair.slots.contains(map.slot) {
                var best = 0.0
                for (tokensA, tokensB) in pair.tokenPairs {
                    for i in tokensA { for j in tokensB { best = max(best, Double(p[i * n + j]), Double(p[j * n + i])) } }
                }
                coAttention[(pairOffset[map.window] + k) * slots + map.slot] = best
            }
        }

        /// Each window's answers once the batch is scored: per candidate pair, the largest co-attention over its heads.
        func answers() -> [MapAnswers?] {
            questions.indices.map { w in
                guard questions[w] != nil else { return nil }
                return MapAnswers(received: Array(received[(w * slots)..<((w + 1) * slots)]),
                           coAttention: (pairOffset[w]..<pairOffset[w + 1]).map { c in
                               coAttention[(c * slots)..<((c + 1) * slots)].max() ?? 0
                           })
            }
        }
    }

    /// Attention the allele's bases receive, per head, ALT − REF (plus-strand windows); the head with the largest |change|.
    private func attentionChange(ref: MapAnswers, alt: MapAnswers) -> (head: HeadIndex, change: Double)? {
        var best: (head: HeadIndex, change: Double)?
        let heads = model.config.headLayout.allHeads
        for index in ref.received.indices {
            let change = alt.received[index] - ref.received[index]
            if best == nil || abs(change) > abs(best!.change) {
                best = (HeadIndex(layer: heads[index].layer, head: heads[index].head), change)
            }
        }
        return best
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
    /// maximised over the site pairs, in the plus-strand windows.
    private func pairEffect(_ plans: [PairPlan], ref: MapAnswers, alt: MapAnswers) -> PairSiteEffect? {
        var best: PairSiteEffect?
        for (k, plan) in plans.enumerated() {
            let effect = PairSiteEffect(pair: plan.pair.label, siteMotif: plan.siteMotif, siteBroken: plan.siteBroken, head: plan.pair.bestHead,
                                        refCoAttention: ref.coAttention[k], altCoAttention: alt.coAttention[k])
            if let current = best {
                if (effect.siteBroken ? 1 : 0, abs(effect.change)) > (current.siteBroken ? 1 : 0, abs(current.change)) { best = effect }
            } else {
                best = effect
            }
        }
        return best
    }

    /// The best-scoring instance overlapping the allele that the ALT breaks, and the one it creates.
    private func motifChanges(_ w: AllelePairWindows, scanner: MotifScanner) -> (broken: MotifChange?, created: MotifChange?) {
        let refHits = scanner.scan(w.ref, overlapping: w.refAllele)
        let altHits = scanner.scan(w.alt, overlapping: w.altAllele)
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

    /// The motif change of `instance` (found in `bases`): the ALT score minus the REF score of the site.
    private func change(of instance: MotifInstance, from bases: [UInt8], to other: [UInt8], shift: Int, sign: Double,
                        scanner: MotifScanner) -> MotifChange {
        let motif = scanner.motifs[instance.motifIndex]
        let logOdds = scanner.logOdds(motifIndex: instance.motifIndex, for: other)
        let start = instance.start + shift, width = motif.width
        var otherScore = 0.0
        var inside = start >= 0 && start + width <= other.count
        if inside {
            for j in 0..<width {
                guard let base = Nucleotides.code(other[start + j]) else { inside = false; break }
                otherScore += instance.strand == .plus ? logOdds[j * 4 + Int(base)] : logOdds[(width - 1 - j) * 4 + 3 - Int(base)]
            }
        }
        // A site pushed out of the window, or onto N, counts as the lowest score the matrix allows.
        if !inside { otherScore = (0..<width).reduce(0) { total, j in total + logOdds[(j * 4)..<(j * 4 + 4)].min()! } }
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
    /// Co-attention of the allele's site and the partner site, REF window (read on the plus-strand window).
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
