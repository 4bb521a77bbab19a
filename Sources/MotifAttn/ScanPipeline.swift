import Foundation
import MotifAttnAnalysis
import MotifAttnIO
import MotifAttnCore
import MotifAttnModel
import MotifAttnTokenizers

/// Errors of sharded scans.
public enum ScanError: Error, CustomStringConvertible {
    /// A shard must start where the whole-genome tiling starts a window.
    case shardNotAligned(shard: String, stride: Int)
    /// The shard names a sequence the genome does not have.
    case unknownShardContig(shard: String, genome: String)
    /// A shard must end where the tiling starts a window, or at the end of its sequence.
    case shardEndNotAligned(shard: String, stride: Int)
    /// Two parts cover the same windows.
    case shardsOverlap(part: String, shard: String, other: String, otherShard: String)
    /// No part covers some windows of the genome.
    case shardGap(part: String, missing: String)
    /// A part of another phase than this step takes.
    case wrongPhase(part: String, holds: String, step: String)
    /// A part (or a first phase's part given to the second phase) that does not belong to this run.
    case partMismatch(part: String, detail: String)
    /// `threshold.tsv` cannot be read.
    case cannotReadThreshold(path: String)
    /// `threshold.tsv` is not one `merge --phase threshold` wrote (or names sequences the genome lacks).
    case badThreshold(path: String)
    /// `merge` was given no parts.
    case noParts
    /// The scan pairs database motif instances only (`--instances discovered|both` is `analyze`'s, on a labelled FASTA).
    case discoveredInstancesUnsupported

    public var description: String {
        switch self {
        case .discoveredInstancesUnsupported:
            return "the genome scan pairs database motif instances only; --instances discovered|both works with analyze on a labelled FASTA"
        case .shardNotAligned(let shard, let stride): return "\(shard): a shard must start at a multiple of --stride (\(stride)) bases (0-based)"
        case .unknownShardContig(let shard, let genome): return "\(shard): \(genome) has no such sequence"
        case .shardEndNotAligned(let shard, let stride):
            return "\(shard): a shard must end at a multiple of --stride (\(stride)) bases or at the end of its sequence"
        case let .shardsOverlap(part, shard, other, otherShard): return "\(part): shard \(shard) overlaps part \(other) (\(otherShard))"
        case let .shardGap(part, missing): return "\(part): the parts leave a gap: no part covers \(missing)"
        case let .wrongPhase(part, holds, step):
            let what = holds == "scores" ? "a first-phase part (scores only; `merge --phase threshold` and the second phase come next)"
                                         : "a part with its analysis (for `merge`)"
            return "\(part): \(what), not a part for the \(step) step"
        case let .partMismatch(part, detail): return "\(part): \(detail)"
        case .cannotReadThreshold(let path): return "\(path): cannot read the threshold file"
        case .badThreshold(let path): return "\(path): not a threshold file of this genome (written by `motifattn merge --phase threshold`)"
        case .noParts: return "no partial results given"
        }
    }
}

/// How background windows are chosen for the analysis.
public enum BackgroundChoice: String, Sendable, CaseIterable {
    /// Genome windows that are not bound (outside the regions, or in the bottom half of scores).
    case genomic
    /// Dinucleotide-shuffled bound windows with their motif instances re-embedded (SATORI's option).
    case shuffle
}

/// Everything `motifattn scan` needs.
public struct ScanSettings: Sendable {
    /// Genome FASTA (plain or bgzip; indexed by faidx for the second pass).
    public var genome: String
    /// Bound regions (BED); without them the top `boundFraction` of windows by score are bound.
    public var regionsPath: String?
    /// Model file.
    public var modelPath: String
    /// Windowing.
    public var windowOptions: WindowOptions
    /// Analysis settings (motif database, thresholds, threads).
    public var analysis: AnalysisOptions
    /// Fraction of windows called bound when no regions are given.
    public var boundFraction = 0.01
    /// Most bound windows analysed (sampled deterministically beyond).
    public var maxBound = 5_000
    /// Most background windows analysed (sampled deterministically beyond).
    public var maxBackground = 5_000
    /// Most background windows analysed per bound window analysed: the background sample is capped at this
    /// many times the bound one as well as at `maxBackground`. The statistics compare the two sets, and the
    /// variance of a two-sample comparison goes as 1/n_bound + 1/n_background: at twice the bound windows the
    /// background adds a third of it, and more background buys little, while the analysis costs time in
    /// proportion to both. It bites where bound windows are few (a small genome without regions).
    public var backgroundPerBound = 2.0
    /// Background: genomic windows or shuffled bound windows.
    public var background = BackgroundChoice.genomic
    /// Threads.
    public var threads = 1
    /// Number format of the encoder's matrix products, for scoring and for the analysis.
    public var precision = ProductPrecision.fp32
    /// Seed for sampling and shuffling.
    public var seed: UInt64 = 1
    /// Output folder.
    public var outputFolder: String
    /// No progress on standard error.
    public var quiet = false
    /// Write mergeable statistics (`scores.tsv` and `partial.state`) instead of final results (`motifattn merge` finishes).
    public var partial = false
    /// Only windows starting in this part of the genome (its start a multiple of the stride), for sharded runs.
    public var shard: Region?
    /// The second phase of a sharded scan without regions: the cut-offs (`threshold.tsv` of `merge --phase threshold`).
    public var thresholdPath: String?
    /// The second phase: this shard's first-phase part (its `scores.tsv` and `partial.state`), analysed instead of scoring again.
    public var scoredPart: String?

    /// The chance that a bound and a background window is analysed, when `bound` and `background` windows
    /// could be: about `maxBound` bound windows at most, and about `maxBackground` background ones at most
    /// and at most `backgroundPerBound` times the bound windows analysed.
    func analysisRates(bound: Int, background: Int) -> (bound: Double, background: Double) {
        let boundAnalysed = min(Double(maxBound), Double(bound))
        let backgroundCap = min(Double(maxBackground), backgroundPerBound * boundAnalysed)
        return (min(1, Double(maxBound) / Double(max(1, bound))), min(1, backgroundCap / Double(max(1, background))))
    }

    /// How `scan` tiles a genome unless told otherwise: 200-base windows every 100 bases, both strands,
    /// windows with over 10 % N skipped.
    public static let defaultWindowOptions = WindowOptions(window: 200, stride: 100, strand: .both, maxN: 0.1)

    public init(genome: String, regionsPath: String?, modelPath: String, windowOptions: WindowOptions,
                analysis: AnalysisOptions, outputFolder: String) {
        self.genome = genome
        self.regionsPath = regionsPath
        self.modelPath = modelPath
        self.windowOptions = windowOptions
        self.analysis = analysis
        self.outputFolder = outputFolder
    }
}

/// A window kept between the two passes: where it is and its score (a few bytes each).
struct ScoredLocation {
    var contig: Int32
    var start: Int
    var end: Int
    var minus: Bool
    var logit: Float
    var bound: Bool
}

/// `motifattn scan`: score every window of a genome, then analyse the attention of bound and background windows.
///
/// Pass 1 streams the genome, scores every window and writes `scores.tsv.gz` (bgzip, tabix-indexed) and
/// `scores.bedgraph`. Bound windows are those overlapping `--regions`, or without regions the top
/// `boundFraction` by logit (ties by genome position: `RankedWindow`); background windows are the rest
/// (or the bottom half), both capped by a position-keyed coin.
///
/// Sharded (`partial`): with regions a shard does both passes and writes `scores.tsv` and `partial.state`;
/// without regions a shard's first run only scores (a `scores` part with a histogram of its logits), and
/// its second run (`thresholdPath`, `scoredPart`) analyses the windows the genome's cut-offs choose.
///
/// With regions and genomic background the windows to analyse are known before they are scored (a
/// position-keyed coin), so pass 1 keeps their attention maps and feeds them to the analysis as it goes:
/// one streaming pass. Otherwise (no regions: the bound windows are known only once every window is
/// scored; shuffled background) pass 2 reads the chosen windows again through faidx and runs the
/// encoder with attention kept, batch by batch, into the analysis accumulators.
public final class ScanPipeline {
    /// The file name of a scan's (or merge's) score table: bgzip-compressed, with a tabix index beside it.
    public static let scoresFile = "scores.tsv.gz"
    /// An analysed part's bound windows (`chrom start end strand`), read by `merge` for the report's track.
    public static let boundWindowsFile = "bound.bed"
    public let settings: ScanSettings
    private var record: RunRecord

    public init(settings: ScanSettings, record: RunRecord) {
        self.settings = settings
        self.record = record
    }

    /// Runs both passes and writes every output into the output folder; returns the provenance record.
    @discardableResult
    public func run() throws -> RunRecord {
        let s = settings
        if s.analysis.instances.needsDiscoveredMotifs { throw ScanError.discoveredInstancesUnsupported }
        if let thresholdPath = s.thresholdPath, let scoredPart = s.scoredPart {
            return try runSecondPhase(thresholdPath: thresholdPath, scoredPart: scoredPart)
        }
        // A shard of a scan without regions only scores (the first phase): the bound windows follow from all shards' scores.
        let firstPhase = s.partial && s.regionsPath == nil
        let shardRegion = try shardRegion()
        try FileManager.default.createDirectory(atPath: s.outputFolder, withIntermediateDirectories: true)
        try record.addInput(role: "genome", path: s.genome)
        try record.addInput(role: "model", path: s.modelPath)
        try record.addInput(role: "motifs", path: s.analysis.motifsPath)
        if let regions = s.regionsPath { try record.addInput(role: "regions", path: regions) }
        let model = try record.time("load") { try AttentionModel(contentsOf: s.modelPath) }
        let provenance = Provenance(version: motifattnVersion, command: record.commandLine.joined(separator: " "))
        let progress = ProgressMeter(command: "scan", unit: "windows", quiet: s.quiet)
        progress.total = expectedWindows()
        if !s.partial {
            let genomeSHA256 = record.inputs.first { $0.role == "genome" }?.sha256 ?? ""
            record.cautions = TrainingDataCheck.cautions(modelPath: s.modelPath, genome: s.genome, genomeSHA256: genomeSHA256,
                                                         hasRegions: s.regionsPath != nil, boundFraction: s.boundFraction)
            for caution in record.cautions { progress.caution(caution) }
        }
        let regions = try s.regionsPath.map { try BEDReader.read(path: $0) } ?? []
        let regionIndex = RegionIndex(regions)

        // Pass 1: score every window.
        let scorer = try WindowScorer(model: model, threads: s.threads)
        var contigs: [String] = []
        var contigIndex: [String: Int32] = [:]
        // With regions, windows are chosen for the analysis as they are scored (a position-keyed coin with
        // rates from whole-genome counts), so memory holds only the chosen ones; without regions each logit
        // is only counted into a histogram, from which the cut-offs follow once the genome is scored (in a
        // single scan here, in a sharded one by `merge --phase threshold`), so memory stays flat in the genome's size.
        var histogram = ScoreHistogram()
        var chosen: (bound: [ScoredLocation], background: [ScoredLocation]) = ([], [])
        let rates = try regions.isEmpty ? nil : samplingRates(regions: regionIndex)
        var windowsScored = 0
        var track = ScoreTrack()
        let bedGraph = s.partial ? nil : try BedGraphWriter(path: path("scores.bedgraph"), stride: s.windowOptions.stride)
        let scores = try ScoresOutput(folder: s.outputFolder, partial: s.partial, threads: s.threads)
        try scores.write(provenance.line + "\n" + "chrom\tstart\tend\tstrand\tlogit\tprobability\n")
        let reader = try WindowReader(path: s.genome, regions: shardRegion.map { [$0] } ?? [], options: s.windowOptions,
                                      warningHandler: { progress.message($0) })
        let shardEnd = s.shard?.end ?? Int.max
        let nextWindow = { () throws -> Window? in
            // A shard's reader runs a little past the shard; windows starting beyond it belong to the next shard.
            while let window = try reader.next() { if window.start < shardEnd { return window } }
            return nil
        }
        // One pass (see the type's documentation): the analysis takes the picked windows' maps from the scoring.
        var analysisOptions = s.analysis
        analysisOptions.threads = s.threads
        analysisOptions.epistasisSeed = s.seed
        let encoder = Encoder(model: model, threads: s.threads, batchSize: 16, precision: s.precision)
        let analysis = try AttentionAnalysis(encoder: encoder, options: analysisOptions, message: { progress.message($0) })
        let onePass = rates != nil && s.background == .genomic
        let picksForAnalysis: ((Window) -> Bool)? = onePass ? { [self] w in
            let bound = regionIndex.overlaps(contig: w.sourceName, start: w.start, end: w.end)
            let location = ScoredLocation(contig: 0, start: w.start, end: w.end, minus: w.strand == .minus, logit: 0, bound: bound)
            return chosenForAnalysis(location, contig: w.sourceName, rates: rates!)
        } : nil
        var picked: [(window: Window, label: WindowLabel, logits: [Float], maps: AttentionMaps)] = []
        // A part's bound windows (with regions), for the merged report's track: `bound.bed`.
        var boundLines = ""
        var analysisSeconds = 0.0
        func analysePicked() throws {
            guard !picked.isEmpty else { return }
            let start = Date()
            try analysis.add(picked.map(\.window), labels: picked.map(\.label), logits: picked.map(\.logits), attention: picked.map(\.maps))
            let used = picked.map(\.maps)
            picked.removeAll(keepingCapacity: true)
            scorer.recycle(used)
            analysisSeconds += Date().timeIntervalSince(start)
        }
        try record.time("score") {
            try scorer.scoreAll(source: s.genome, next: nextWindow, keepsAttention: picksForAnalysis) { batch in
                var text = ""
                for scored in batch {
                    let w = scored.window
                    let written = String(format: "%.6f", scored.logits[0])
                    // Later steps use the logit as written, so a merge of shards (which reads scores.tsv) sees the same numbers.
                    let z = Float(written)!
                    text += "\(w.sourceName)\t\(w.start)\t\(w.end)\t\(w.strand.rawValue)\t\(written)\t\(String(format: "%.6f", logistic(scored.logits[0])))\n"
                    let index: Int32
                    if let known = contigIndex[w.sourceName] { index = known } else {
                        index = Int32(contigs.count); contigIndex[w.sourceName] = index; contigs.append(w.sourceName)
                    }
                    let bound = !regions.isEmpty && regionIndex.overlaps(contig: w.sourceName, start: w.start, end: w.end)
                    let location = ScoredLocation(contig: index, start: w.start, end: w.end, minus: w.strand == .minus, logit: z, bound: bound)
                    windowsScored += 1
                    try bedGraph?.add(contig: w.sourceName, start: w.start, end: w.end, logit: z)
                    if !s.partial { track.add(sequence: w.sourceName, start: w.start, logit: z, bound: bound) }
                    if s.partial && bound { boundLines += "\(w.sourceName)\t\(w.start)\t\(w.end)\t\(w.strand.rawValue)\n" }
                    if let rates {
                        // In one pass the scorer has drawn the coin already: the picked windows carry their maps.
                        if onePass ? scored.attention != nil : chosenForAnalysis(location, contig: w.sourceName, rates: rates) {
                            if bound { chosen.bound.append(location) } else { chosen.background.append(location) }
                        }
                    } else {
                        histogram.add(z)
                    }
                    if let maps = scored.attention { picked.append((w, bound ? .bound : .background, scored.logits, maps)) }
                }
                try scores.write(text)
                if picked.count >= 64 { try analysePicked() }
                progress.advance(by: batch.count)
            }
            try analysePicked()
        }
        record.secondsPerStage["score", default: 0] -= analysisSeconds
        record.secondsPerStage["analyse", default: 0] += analysisSeconds
        // scores.tsv and scores.bedgraph stay temporary files until the whole scan has succeeded, so an
        // interrupted or failed scan leaves no final file behind.
        progress.finish()
        record.counts["windows_scored"] = windowsScored
        record.counts["windows_skipped_for_n"] = reader.windowsSkipped
        if firstPhase {
            var writer = StateWriter()
            try partHeader(phase: .scores).write(to: &writer)
            histogram.encode(to: &writer)
            try writeState(writer)
            try scores.commit()
            return record
        }

        // Choose bound and background windows.
        if rates == nil {
            // Without regions: bound windows are the top `boundFraction` by logit, background the bottom half
            // (ties by genome position: `RankedWindow`), each kept for the analysis by the position-keyed coin at
            // rate min(1, cap / count), as a sharded scan keeps them. (With regions windows are chosen while
            // scoring: see `samplingRates`.) Every window ranked bound is marked on the track, not only those the
            // coin keeps, as a merged scan marks them from its parts' bound.bed.
            chosen = try record.time("choose") {
                try choose(scoreTable: scores.closeForReading(), histogram: histogram, contigIndex: contigIndex, track: &track)
            }
        }
        let (bound, background) = chosen
        record.counts["bound_windows"] = bound.count
        record.counts["background_windows"] = s.background == .shuffle ? bound.count : background.count
        if !onePass {
            progress.message("analysing \(bound.count) bound and \(s.background == .shuffle ? bound.count : background.count) background windows")
            try analyseAgain(bound: bound, background: background, contigs: contigs, analysis: analysis)
        }
        if s.partial {
            try writeBoundWindows(boundLines)
            try writePartialState(analysis: analysis)
            try scores.commit()
            return record
        }
        let results = try record.time("test") { try analysis.results() }
        try results.write(to: s.outputFolder, provenance: provenance)
        try scores.commit()
        try bedGraph?.commit()

        // Report and provenance.
        record.parameters["window"] = "\(s.windowOptions.window)"
        record.parameters["stride"] = "\(s.windowOptions.stride)"
        record.parameters["strand"] = s.windowOptions.strand.rawValue
        record.parameters["max_n"] = "\(s.windowOptions.maxN)"
        record.parameters["bound_fraction"] = "\(s.boundFraction)"
        record.parameters["max_bound"] = "\(s.maxBound)"
        record.parameters["max_background"] = "\(s.maxBackground)"
        record.parameters["background_per_bound"] = "\(s.backgroundPerBound)"
        record.parameters["background"] = s.background.rawValue
        record.parameters["seed"] = "\(s.seed)"
        record.parameters["threads"] = "\(s.threads)"
        record.parameters["precision"] = s.precision.rawValue
        try AnalysisReport.write(results, analysis: analysis, record: &record, folder: s.outputFolder, track: track,
                                 trackNote: s.regionsPath == nil ? "marked: bins holding the windows chosen as bound (the top scores)"
                                                                 : "marked: bins holding windows that overlap the regions",
                                 title: "motifattn scan of \((s.genome as NSString).lastPathComponent)",
                                 summary: [("genome", s.genome), ("model", BundledData.displayPath(s.modelPath)),
                                           ("regions", s.regionsPath ?? "none: top \(s.boundFraction * 100)% of windows by score are bound"),
                                           ("windows scored", "\(windowsScored)")])
        return record
    }

    /// The windows pass 1 will read, for the progress bar's ETA, when the genome's `.fai` is already there
    /// (it is not built for this) and the whole genome is scanned; windows skipped for N make the count fall short.
    private func expectedWindows() -> Int? {
        let s = settings
        guard s.shard == nil, FileManager.default.fileExists(atPath: s.genome + ".fai"),
              let contigs = try? GenomeIndex.contigs(of: s.genome) else { return nil }
        let strands = s.windowOptions.strand == .both ? 2 : 1
        return contigs.reduce(0) { total, contig in
            total + strands * GenomeIndex.windowRanges(length: contig.length, window: s.windowOptions.window,
                                                       stride: s.windowOptions.stride).count
        }
    }

    /// Pass 2 (no regions, or shuffled background): the chosen windows read again through faidx and run
    /// through the encoder with attention kept, in genome order, 64 at a time.
    private func analyseAgain(bound: [ScoredLocation], background: [ScoredLocation], contigs: [String],
                              analysis: AttentionAnalysis) throws {
        let s = settings
        let analysed = ProgressMeter(command: "scan", unit: "windows analysed",
                                     total: bound.count * 2 + (s.background == .genomic ? background.count - bound.count : 0), quiet: s.quiet)
        try record.time("analyse") {
            let chosen = s.background == .genomic ? (bound + background) : bound
            let batchSize = 64
            var batch: [(Window, WindowLabel)] = []
            func flush() throws {
                guard !batch.isEmpty else { return }
                var windows = batch.map(\.0), labels = batch.map(\.1)
                if s.background == .shuffle {
                    // Each window's shuffle is seeded by its position, so shards shuffle it as one run does.
                    let shuffled = windows.map { window -> Window in
                        var generator = SeededGenerator(seed: s.seed ^ 0x5348_5546_464C_4521 ^ Self.positionKey(window))
                        return ShuffledBackground.make(from: window, instances: analysis.instances(in: window.bases), using: &generator)
                    }
                    windows += shuffled
                    labels += Array(repeating: .background, count: shuffled.count)
                }
                try analysis.add(windows, labels: labels)
                analysed.advance(by: windows.count)
                batch.removeAll(keepingCapacity: true)
            }
            try readAgain(chosen.sorted { ($0.contig, $0.start, $0.minus ? 1 : 0) < ($1.contig, $1.start, $1.minus ? 1 : 0) },
                          contigs: contigs) { window, location in
                batch.append((window, location.bound ? .bound : .background))
                if batch.count == batchSize { try flush() }
            }
            try flush()
        }
        analysed.finish()
    }

    private func path(_ name: String) -> String { (settings.outputFolder as NSString).appendingPathComponent(name) }

    /// A scored window's place in the ranking (`contig` indexes sequences in genome order).
    static func ranked(_ l: ScoredLocation) -> RankedWindow {
        RankedWindow(key: ScoreKey.of(l.logit), contig: Int(l.contig), start: l.start, minus: l.minus)
    }

    /// The windows a single scan without regions analyses, from its score table (the temporary file, read
    /// twice) and the histogram of its logits: the cut-offs as `merge --phase threshold` finds them (the
    /// rows of the one or two buckets holding a cut-off, ranked), then every window ranked bound or background
    /// that the coin keeps. Windows ranked bound are marked on `track`. Memory: the histogram and the kept
    /// windows, whatever the genome's size.
    private func choose(scoreTable: String, histogram: ScoreHistogram, contigIndex: [String: Int32],
                        track: inout ScoreTrack) throws -> (bound: [ScoredLocation], background: [ScoredLocation]) {
        func forEachWindow(_ body: (ScoredLocation, String) -> Void) throws {
            try MergePipeline.readScores(path: scoreTable) { _, row in
                let name = String(row[0])
                guard let contig = contigIndex[name], let start = Int(row[1]), let end = Int(row[2]),
                      row[3] == "+" || row[3] == "-", let logit = Float(row[4]) else { return false }
                body(ScoredLocation(contig: contig, start: start, end: end, minus: row[3] == "-", logit: logit, bound: false), name)
                return true
            }
        }
        let cutoffs = try ScoreCutoffs.of(histogram: histogram, boundFraction: settings.boundFraction) { buckets in
            var found: [(contig: String, window: RankedWindow)] = []
            try forEachWindow { location, name in
                let rank = Self.ranked(location)
                if buckets.contains(ScoreHistogram.bucket(rank.key)) { found.append((name, rank)) }
            }
            return found
        }
        let rates = settings.analysisRates(bound: cutoffs.boundCount, background: cutoffs.backgroundCount)
        var bound: [ScoredLocation] = [], background: [ScoredLocation] = []
        try forEachWindow { location, name in
            let rank = Self.ranked(location)
            if cutoffs.isBound(rank) { track.markBound(sequence: name, start: location.start) }
            guard let picked = pick(location, rank: rank, contig: name, cutoffs: cutoffs, rates: rates) else { return }
            if picked.bound { bound.append(picked) } else { background.append(picked) }
        }
        return (bound, background)
    }

    /// A window ranked bound (returned with `bound` set) or background that the coin keeps; nil otherwise.
    private func pick(_ location: ScoredLocation, rank: RankedWindow, contig: String, cutoffs: ScoreCutoffs,
                      rates: (bound: Double, background: Double)) -> ScoredLocation? {
        if cutoffs.isBound(rank) {
            guard keep(location, contig: contig, rate: rates.bound, salt: 1) else { return nil }
            var l = location
            l.bound = true
            return l
        }
        if cutoffs.isBackground(rank), keep(location, contig: contig, rate: rates.background, salt: 2) { return location }
        return nil
    }

    /// The second phase of a sharded scan without regions: this shard's scores (from its first-phase part)
    /// and the genome's cut-offs (`threshold.tsv`) choose the windows, which are read again and analysed,
    /// as a single scan's second pass analyses them. Writes the part's `scores.tsv` (a copy) and `partial.state`.
    private func runSecondPhase(thresholdPath: String, scoredPart: String) throws -> RunRecord {
        let s = settings
        // Every check before anything is written.
        let genomeContigs = try GenomeIndex.contigs(of: s.genome)
        let contigIndex = Dictionary(genomeContigs.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        _ = try shardRegion()
        let fingerprint = try PartialScan.fingerprint(s)
        let (cutoffs, thresholdFingerprint) = try ScoreCutoffs.read(path: thresholdPath, contigIndex: contigIndex)
        guard thresholdFingerprint == fingerprint else {
            throw ScanError.partMismatch(part: thresholdPath, detail: "made for another model, motif database or settings than this scan")
        }
        let (scored, _) = try PartialScan.Header.read(folder: scoredPart)
        guard scored.phase == .scores else { throw ScanError.wrongPhase(part: scoredPart, holds: scored.phase.rawValue, step: "second-phase scan") }
        guard scored.fingerprint == fingerprint else {
            throw ScanError.partMismatch(part: scoredPart, detail: "scored with another model, motif database or settings than this scan")
        }
        var expected = scored
        expected.contig = s.shard?.contig ?? ""
        expected.start = s.shard?.start ?? 0
        expected.end = s.shard?.end
        guard (scored.contig, scored.start, scored.end) == (expected.contig, expected.start, expected.end) else {
            throw ScanError.partMismatch(part: scoredPart, detail: "holds shard \(scored.shardLabel), not \(expected.shardLabel)")
        }

        try FileManager.default.createDirectory(atPath: s.outputFolder, withIntermediateDirectories: true)
        try record.addInput(role: "genome", path: s.genome)
        try record.addInput(role: "model", path: s.modelPath)
        try record.addInput(role: "motifs", path: s.analysis.motifsPath)
        let model = try record.time("load") { try AttentionModel(contentsOf: s.modelPath) }
        let progress = ProgressMeter(command: "scan", unit: "windows", quiet: s.quiet)
        var analysisOptions = s.analysis
        analysisOptions.threads = s.threads
        analysisOptions.epistasisSeed = s.seed
        let analysis = try AttentionAnalysis(encoder: Encoder(model: model, threads: s.threads, batchSize: 16, precision: s.precision),
                                             options: analysisOptions,
                                             message: { progress.message($0) })
        let rates = s.analysisRates(bound: cutoffs.boundCount, background: cutoffs.backgroundCount)
        let scores = try ScoresOutput(folder: s.outputFolder, partial: true, threads: s.threads)
        let provenance = Provenance(version: motifattnVersion, command: record.commandLine.joined(separator: " "))
        try scores.write(provenance.line + "\n" + "chrom\tstart\tend\tstrand\tlogit\tprobability\n")
        var contigs: [String] = [], localIndex: [String: Int32] = [:]
        var bound: [ScoredLocation] = [], background: [ScoredLocation] = []
        var rows = 0
        var boundLines = ""
        try record.time("choose") {
            try MergePipeline.readScores(of: scoredPart) { line, row in
                let name = String(row[0])
                guard let start = Int(row[1]), let end = Int(row[2]), row[3] == "+" || row[3] == "-", let logit = Float(row[4]),
                      let genomeIndex = contigIndex[name] else { return false }
                try scores.write(line + "\n")
                rows += 1
                let local: Int32
                if let known = localIndex[name] { local = known } else {
                    local = Int32(contigs.count); localIndex[name] = local; contigs.append(name)
                }
                let location = ScoredLocation(contig: local, start: start, end: end, minus: row[3] == "-", logit: logit, bound: false)
                let rank = RankedWindow(key: ScoreKey.of(logit), contig: genomeIndex, start: start, minus: location.minus)
                if cutoffs.isBound(rank) { boundLines += "\(name)\t\(start)\t\(end)\t\(row[3])\n" }
                if let picked = pick(location, rank: rank, contig: name, cutoffs: cutoffs, rates: rates) {
                    if picked.bound { bound.append(picked) } else { background.append(picked) }
                }
                return true
            }
        }
        guard rows == scored.scored else {
            throw ScanError.partMismatch(part: scoredPart, detail: "scores.tsv has \(rows) rows, partial.state counts \(scored.scored)")
        }
        record.counts["windows_scored"] = scored.scored
        record.counts["windows_skipped_for_n"] = scored.skipped
        record.counts["bound_windows"] = bound.count
        record.counts["background_windows"] = s.background == .shuffle ? bound.count : background.count
        try analyseAgain(bound: bound, background: background, contigs: contigs, analysis: analysis)
        try writeBoundWindows(boundLines)
        try writePartialState(analysis: analysis, cutoffs: cutoffs)
        try scores.commit()
        return record
    }

    /// With regions, each window is kept for the analysis with probability min(1, cap / expected count),
    /// decided by a hash of the seed, its contig, start and strand; the expected counts come from tiling
    /// every sequence of the genome's index. So a window's fate does not depend on which shard scans it,
    /// and a sharded run (`--partial`, `merge`) analyses exactly the windows of a single run.
    private func samplingRates(regions: RegionIndex) throws -> (bound: Double, background: Double) {
        let expected = try expectedCounts(regions: regions)
        return settings.analysisRates(bound: expected.bound, background: expected.background)
    }

    /// Windows a whole-genome scan would tile (both strands when asked), overlapping the regions or not.
    private func expectedCounts(regions: RegionIndex) throws -> (bound: Int, background: Int) {
        let options = settings.windowOptions
        var bound = 0, total = 0
        for (name, length) in try GenomeIndex.contigs(of: settings.genome) {
            for range in GenomeIndex.windowRanges(length: length, window: options.window, stride: options.stride) {
                total += 1
                if regions.overlaps(contig: name, start: range.lowerBound, end: range.upperBound) { bound += 1 }
            }
        }
        let strands = options.strand == .both ? 2 : 1
        return (bound * strands, (total - bound) * strands)
    }

    /// Whether a window (with regions) is analysed: the bound or background coin, at that class's rate.
    private func chosenForAnalysis(_ location: ScoredLocation, contig: String, rates: (bound: Double, background: Double)) -> Bool {
        location.bound ? keep(location, contig: contig, rate: rates.bound, salt: 1)
                       : keep(location, contig: contig, rate: rates.background, salt: 2)
    }

    /// The seeded, position-keyed coin of a window.
    private func keep(_ location: ScoredLocation, contig: String, rate: Double, salt: UInt64) -> Bool {
        guard rate < 1 else { return true }
        let hash = StableHash.fnv1a(contig)
        var generator = SeededGenerator(seed: hash ^ UInt64(bitPattern: Int64(location.start)) &* 0x9E37_79B9_7F4A_7C15
                                        ^ (location.minus ? 0x5555 : 0) ^ settings.seed &* 0xD1B5_4A32_D192_ED03 ^ salt)
        return generator.uniformDouble() < rate
    }

    /// A hash of a window's sequence name, start and strand.
    static func positionKey(_ window: Window) -> UInt64 {
        let hash = StableHash.fnv1a(window.sourceName)
        return hash ^ UInt64(bitPattern: Int64(window.start)) &* 0x9E37_79B9_7F4A_7C15 ^ (window.strand == .minus ? 0x5555 : 0)
    }

    /// The region a shard's reader covers: from the shard start to one window past the last start in it.
    private func shardRegion() throws -> Region? {
        guard let shard = settings.shard else { return nil }
        let options = settings.windowOptions
        guard shard.start % options.stride == 0 else {
            throw ScanError.shardNotAligned(shard: shard.origin, stride: options.stride)
        }
        guard let length = try GenomeIndex.contigs(of: settings.genome).first(where: { $0.name == shard.contig })?.length else {
            throw ScanError.unknownShardContig(shard: shard.origin, genome: settings.genome)
        }
        if let end = shard.end, end < length, end % options.stride != 0 {
            throw ScanError.shardEndNotAligned(shard: shard.origin, stride: options.stride)
        }
        let end = min(length, (shard.end ?? length) - options.stride + options.window)
        return Region(contig: shard.contig, start: shard.start, end: max(shard.start + 1, end), origin: shard.origin)
    }

    /// The head of this shard's `partial.state`, with the counts recorded so far.
    private func partHeader(phase: PartialScan.Phase, cutoffs: ScoreCutoffs? = nil) throws -> PartialScan.Header {
        var header = PartialScan.Header(folder: settings.outputFolder, phase: phase, fingerprint: try PartialScan.fingerprint(settings),
                                        genome: settings.genome, model: settings.modelPath, contig: settings.shard?.contig ?? "",
                                        start: settings.shard?.start ?? 0, end: settings.shard?.end)
        header.scored = record.counts["windows_scored"] ?? 0
        header.skipped = record.counts["windows_skipped_for_n"] ?? 0
        header.bound = record.counts["bound_windows"] ?? 0
        header.background = record.counts["background_windows"] ?? 0
        header.cutoffs = cutoffs?.summary ?? ""
        return header
    }

    /// Writes `partial.state` and `run.json`.
    private func writeState(_ writer: StateWriter) throws {
        let out = try OutputFile(path: path(PartialScan.stateFile))
        try out.write(bytes: writer.bytes)
        try out.commit()
        try record.write(to: path("run.json"))
    }

    /// `partial.state`: what `motifattn merge` needs to finish this shard together with the others.
    /// Every bound window of an analysed part (`chrom start end strand`, BED-style), so that `merge` marks them on
    /// the report's score track as a single scan does. All of them, not only those sampled for the analysis.
    private func writeBoundWindows(_ lines: String) throws {
        let file = try OutputFile(path: (settings.outputFolder as NSString).appendingPathComponent(ScanPipeline.boundWindowsFile))
        try file.write(lines)
        try file.commit()
    }

    private func writePartialState(analysis: AttentionAnalysis, cutoffs: ScoreCutoffs? = nil) throws {
        var writer = StateWriter()
        try partHeader(phase: .analysis, cutoffs: cutoffs).write(to: &writer)
        try analysis.encodeState(to: &writer)
        try writeState(writer)
    }

    /// Reads `locations` again from the genome (through faidx), reverse-complementing minus-strand ones.
    private func readAgain(_ locations: [ScoredLocation], contigs: [String], body: (Window, ScoredLocation) throws -> Void) throws {
        guard !locations.isEmpty else { return }
        var plusOnly: [ScoredLocation] = []
        var seen = Set<[Int]>()
        for l in locations where seen.insert([Int(l.contig), l.start, l.end]).inserted { plusOnly.append(l) }
        let regions = plusOnly.map { Region(contig: contigs[Int($0.contig)], start: $0.start, end: $0.end, origin: "window") }
        var options = settings.windowOptions
        options.strand = .plus
        options.maxN = 1
        var byKey: [[Int]: [ScoredLocation]] = [:]
        for l in locations { byKey[[Int(l.contig), l.start, l.end], default: []].append(l) }
        let reader = try WindowReader(path: settings.genome, regions: regions, options: options)
        for region in plusOnly {
            // Each region yields exactly one window: it is one window long (or a kept tail).
            guard let window = try reader.next() else { break }
            precondition(window.start == region.start && window.sourceName == contigs[Int(region.contig)], "second pass out of step with the first")
            for location in byKey[[Int(region.contig), region.start, region.end]] ?? [] {
                if location.minus {
                    var minus = window
                    minus.bases = Nucleotides.reverseComplement(window.bases)
                    minus.strand = .minus
                    try body(minus, location)
                } else {
                    try body(window, location)
                }
            }
        }
    }
}

/// The scores table of a scan: plain `scores.tsv` in a part of a sharded scan (`merge` and the second
/// phase read it), `scores.tsv.gz` with its tabix index otherwise.
final class ScoresOutput {
    private let plain: OutputFile?
    private let indexed: IndexedTableWriter?

    init(folder: String, partial: Bool, threads: Int) throws {
        let name = partial ? "scores.tsv" : ScanPipeline.scoresFile
        let path = (folder as NSString).appendingPathComponent(name)
        plain = partial ? try OutputFile(path: path) : nil
        indexed = partial ? nil : try IndexedTableWriter(path: path, headerLines: 2, threads: threads)
    }

    func write(_ text: String) throws {
        if let plain { try plain.write(text) } else { try indexed!.write(text) }
    }

    func commit() throws {
        if let plain { try plain.commit() } else { try indexed!.commit() }
    }

    /// The whole table, closed and indexed but not yet in place: its temporary path, readable until `commit()`.
    /// The indexed table only (a single scan's).
    func closeForReading() throws -> String {
        guard let indexed else { preconditionFailure("a part's plain scores are not read back") }
        return try indexed.closeForReading()
    }
}

/// Writes `scores.bedgraph` row by row: one stride-wide step around each window's centre with its
/// probability (the higher strand where both strands are scored), steps never overlapping.
final class BedGraphWriter {
    private let out: OutputFile
    private let stride: Int
    private var pending: (contig: String, start: Int, end: Int, logit: Float)?
    private var lastEnd: [String: Int] = [:]
    private var text = ""

    init(path: String, stride: Int) throws {
        out = try OutputFile(path: path)
        self.stride = stride
        try out.write("track type=bedGraph name=motifattn description=\"motifattn bound probability\" visibility=full\n")
    }

    /// Adds a window's logit; windows must come in genome order, both strands of a window together.
    func add(contig: String, start: Int, end: Int, logit: Float) throws {
        if let p = pending, p.contig == contig, p.start == start {
            pending!.logit = max(p.logit, logit)
            return
        }
        try emit()
        pending = (contig, start, end, logit)
    }

    private func emit() throws {
        guard let p = pending else { return }
        let centre = (p.start + p.end) / 2
        let start = max(lastEnd[p.contig] ?? 0, centre - stride / 2)
        let end = max(start, centre - stride / 2 + stride)
        if end > start {
            text += "\(p.contig)\t\(start)\t\(end)\t\(String(format: "%.6f", logistic(p.logit)))\n"
            lastEnd[p.contig] = end
        }
        if text.utf8.count > 1 << 16 { try out.write(text); text = "" }
        pending = nil
    }

    /// Writes what is pending and renames the file into place.
    func commit() throws {
        try emit()
        try out.write(text)
        try out.commit()
    }
}
