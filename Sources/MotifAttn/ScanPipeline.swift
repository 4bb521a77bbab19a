import Foundation
import MotifAttnAnalysis
import MotifAttnIO
import MotifAttnModel
import MotifAttnTokenizers

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
    /// Background: genomic windows or shuffled bound windows.
    public var background = BackgroundChoice.genomic
    /// Threads.
    public var threads = 1
    /// Seed for sampling and shuffling.
    public var seed: UInt64 = 1
    /// Output folder.
    public var outputFolder: String
    /// No progress on standard error.
    public var quiet = false

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
/// Pass 1 streams the genome, scores every window (no attention kept) and writes `scores.tsv` and
/// `scores.bedgraph`. Bound windows are those overlapping `--regions`, or without regions the top
/// `boundFraction` by logit; background windows are the rest (or the bottom half), both capped by
/// deterministic sampling. Pass 2 reads only those windows again through faidx and runs the encoder
/// with attention kept, batch by batch, into the analysis accumulators.
public final class ScanPipeline {
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
        try FileManager.default.createDirectory(atPath: s.outputFolder, withIntermediateDirectories: true)
        try record.addInput(role: "genome", path: s.genome)
        try record.addInput(role: "model", path: s.modelPath)
        try record.addInput(role: "motifs", path: s.analysis.motifsPath)
        if let regions = s.regionsPath { try record.addInput(role: "regions", path: regions) }
        let model = try record.time("load") { try MotifAttnModel(contentsOf: s.modelPath) }
        let provenance = Provenance(version: motifattnVersion, command: record.commandLine.joined(separator: " "))
        let regions = try s.regionsPath.map { try BEDReader.read(path: $0) } ?? []
        let regionIndex = RegionIndex(regions)

        // Pass 1: score every window.
        let scorer = try WindowScorer(model: model, threads: s.threads)
        var contigs: [String] = []
        var contigIndex: [String: Int32] = [:]
        var locations: [ScoredLocation] = []
        let progress = ProgressMeter(command: "scan", unit: "windows", quiet: s.quiet)
        let scores = try OutputFile(path: path("scores.tsv"))
        try scores.write(provenance.line + "\n" + "chrom\tstart\tend\tstrand\tlogit\tprobability\n")
        let reader = try WindowReader(path: s.genome, options: s.windowOptions, warningHandler: { progress.message($0) })
        try record.time("score") {
            try scorer.scoreAll(source: s.genome, next: reader.next) { batch in
                var text = ""
                for scored in batch {
                    let w = scored.window
                    let z = scored.logits[0]
                    text += "\(w.sourceName)\t\(w.start)\t\(w.end)\t\(w.strand.rawValue)\t\(String(format: "%.6f", z))\t\(String(format: "%.6f", logistic(z)))\n"
                    let index: Int32
                    if let known = contigIndex[w.sourceName] { index = known } else {
                        index = Int32(contigs.count); contigIndex[w.sourceName] = index; contigs.append(w.sourceName)
                    }
                    let bound = !regions.isEmpty && regionIndex.overlaps(contig: w.sourceName, start: w.start, end: w.end)
                    locations.append(ScoredLocation(contig: index, start: w.start, end: w.end, minus: w.strand == .minus, logit: z, bound: bound))
                }
                try scores.write(text)
                progress.advance(by: batch.count)
            }
        }
        try scores.commit()
        progress.finish()
        record.counts["windows_scored"] = locations.count
        record.counts["windows_skipped_for_n"] = reader.windowsSkipped
        try writeBedGraph(locations, contigs: contigs, provenance: provenance)

        // Choose bound and background windows.
        let (bound, background) = chooseWindows(locations, haveRegions: !regions.isEmpty)
        record.counts["bound_windows"] = bound.count
        record.counts["background_windows"] = s.background == .shuffle ? bound.count : background.count
        progress.message("analysing \(bound.count) bound and \(s.background == .shuffle ? bound.count : background.count) background windows")

        // Pass 2: attention of the chosen windows.
        let encoder = Encoder(model: model, threads: s.threads, batchSize: 16)
        var analysisOptions = s.analysis
        analysisOptions.threads = s.threads
        let analysis = try AttentionAnalysis(encoder: encoder, options: analysisOptions)
        let analysed = ProgressMeter(command: "scan", unit: "windows analysed", total: bound.count * 2 + (s.background == .genomic ? background.count - bound.count : 0), quiet: s.quiet)
        try record.time("analyse") {
            var generator = SeededGenerator(seed: s.seed ^ 0x5348_5546_464C_4521)
            let chosen = s.background == .genomic ? (bound + background) : bound
            let batchSize = 64
            var batch: [(Window, WindowLabel)] = []
            func flush() throws {
                guard !batch.isEmpty else { return }
                var windows = batch.map(\.0), labels = batch.map(\.1)
                if s.background == .shuffle {
                    let shuffled = windows.map { ShuffledBackground.make(from: $0, instances: analysis.instances(in: $0.bases), using: &generator) }
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
        let results = try record.time("test") { analysis.results() }
        try results.write(to: s.outputFolder, provenance: provenance)

        // Report and provenance.
        record.parameters["window"] = "\(s.windowOptions.window)"
        record.parameters["stride"] = "\(s.windowOptions.stride)"
        record.parameters["strand"] = s.windowOptions.strand.rawValue
        record.parameters["max_n"] = "\(s.windowOptions.maxN)"
        record.parameters["bound_fraction"] = "\(s.boundFraction)"
        record.parameters["max_bound"] = "\(s.maxBound)"
        record.parameters["max_background"] = "\(s.maxBackground)"
        record.parameters["background"] = s.background.rawValue
        record.parameters["seed"] = "\(s.seed)"
        record.parameters["threads"] = "\(s.threads)"
        try AnalysisReport.write(results, analysis: analysis, record: &record, folder: s.outputFolder,
                                 title: "motifattn scan of \((s.genome as NSString).lastPathComponent)",
                                 summary: [("genome", s.genome), ("model", s.modelPath),
                                           ("regions", s.regionsPath ?? "none: top \(s.boundFraction * 100)% of windows by score are bound"),
                                           ("windows scored", "\(locations.count)")])
        return record
    }

    private func path(_ name: String) -> String { (settings.outputFolder as NSString).appendingPathComponent(name) }

    /// Bound and background windows to analyse, each capped by deterministic sampling.
    func chooseWindows(_ locations: [ScoredLocation], haveRegions: Bool) -> (bound: [ScoredLocation], background: [ScoredLocation]) {
        var bound: [ScoredLocation], background: [ScoredLocation]
        if haveRegions {
            bound = locations.filter(\.bound)
            background = locations.filter { !$0.bound }
        } else {
            // Rank by logit, ties by genome order (the input order).
            let order = locations.indices.sorted { (locations[$0].logit, -$0) > (locations[$1].logit, -$1) }
            let top = max(1, Int((Double(locations.count) * settings.boundFraction).rounded()))
            bound = order.prefix(top).map { var l = locations[$0]; l.bound = true; return l }
            background = order.suffix(locations.count / 2).map { locations[$0] }
        }
        return (sample(bound, to: settings.maxBound, salt: 1), sample(background, to: settings.maxBackground, salt: 2))
    }

    /// At most `limit` locations, chosen by a seeded shuffle and returned in their original order.
    private func sample(_ locations: [ScoredLocation], to limit: Int, salt: UInt64) -> [ScoredLocation] {
        guard locations.count > limit else { return locations }
        var order = Array(locations.indices)
        var generator = SeededGenerator(seed: settings.seed &+ salt)
        generator.shuffle(&order)
        return order.prefix(limit).sorted().map { locations[$0] }
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
                    minus.bases = reverseComplement(window.bases)
                    minus.strand = .minus
                    try body(minus, location)
                } else {
                    try body(window, location)
                }
            }
        }
    }

    /// `scores.bedgraph`: probability per stride-wide step around each window's centre (the higher strand where both are scored).
    private func writeBedGraph(_ locations: [ScoredLocation], contigs: [String], provenance: Provenance) throws {
        let out = try OutputFile(path: path("scores.bedgraph"))
        try out.write("track type=bedGraph name=motifattn description=\"motifattn bound probability\" visibility=full\n")
        let stride = settings.windowOptions.stride
        var i = 0
        var lastEnd: [Int32: Int] = [:]
        var text = ""
        while i < locations.count {
            var j = i
            var best = locations[i].logit
            while j + 1 < locations.count && locations[j + 1].contig == locations[i].contig && locations[j + 1].start == locations[i].start {
                j += 1
                best = max(best, locations[j].logit)
            }
            let l = locations[i]
            let centre = (l.start + l.end) / 2
            let start = max(lastEnd[l.contig] ?? 0, centre - stride / 2)
            let end = max(start, centre - stride / 2 + stride)
            if end > start {
                text += "\(contigs[Int(l.contig)])\t\(start)\t\(end)\t\(String(format: "%.6f", logistic(best)))\n"
                lastEnd[l.contig] = end
            }
            if text.utf8.count > 1 << 16 { try out.write(text); text = "" }
            i = j + 1
        }
        try out.write(text)
        try out.commit()
    }
}
