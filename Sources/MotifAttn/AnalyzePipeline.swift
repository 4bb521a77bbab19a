import Foundation
import MotifAttnAnalysis
import MotifAttnIO
import MotifAttnCore
import MotifAttnModel

/// Errors of `motifattn analyze`.
public enum AnalyzeError: Error, CustomStringConvertible {
    /// The labelled FASTA holds no bound (label 1) record.
    case noBound(path: String)
    /// The labelled FASTA holds no background (label 0) record and no shuffled background was asked for.
    case noBackground(path: String)
    /// Discovered instances need a second read of the input, which standard input cannot give.
    case cannotReread(detail: String)
    /// A record's header has no usable `label=` field.
    case badLabel(path: String, record: Int, detail: String)

    public var description: String {
        switch self {
        case .cannotReread(let detail): return detail
        case .noBound(let path): return "\(path): no record has label=1 (bound); the analysis needs bound windows"
        case .badLabel(let path, let record, let detail): return "\(path), record \(record): \(detail)"
        case .noBackground(let path):
            return "\(path): no record has label=0 (background); add background records or use --background shuffle"
        }
    }
}

/// `motifattn analyze` on a labelled FASTA: the attention analysis of records labelled bound (1) and background (0).
///
/// Each record is one window (it must fit the model's `max_len`), read and analysed in batches in file
/// order; its first label decides bound or background. With `.shuffle` background, the label-0 records are
/// ignored and each bound record's dinucleotide-shuffled copy (motif instances re-embedded) is the background.
public final class AnalyzePipeline {
    /// Labelled FASTA (`label=1` bound, `label=0` background), as simulate.py writes it.
    public let input: String
    /// Model file.
    public let modelPath: String
    /// Analysis settings.
    public let options: AnalysisOptions
    /// Background choice.
    public let background: BackgroundChoice
    /// Output folder.
    public let outputFolder: String
    /// Threads, seed and progress.
    public var threads = 1, seed: UInt64 = 1, quiet = false
    private var record: RunRecord

    /// An analysis of `input` with `modelPath`, written into `outputFolder`.
    public init(input: String, modelPath: String, options: AnalysisOptions, background: BackgroundChoice,
                outputFolder: String, record: RunRecord) {
        self.input = input
        self.modelPath = modelPath
        self.options = options
        self.background = background
        self.outputFolder = outputFolder
        self.record = record
    }

    /// Reads, encodes and analyses every record, then writes the result files, `report.html` and `run.json`.
    @discardableResult
    public func run() throws -> RunRecord {
        try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        try record.addInput(role: "sequences", path: input)
        try record.addInput(role: "model", path: modelPath)
        try record.addInput(role: "motifs", path: options.motifsPath)
        let model = try record.time("load") { try AttentionModel(contentsOf: modelPath) }
        let provenance = Provenance(version: motifattnVersion, command: record.commandLine.joined(separator: " "))
        var analysisOptions = options
        analysisOptions.threads = threads
        analysisOptions.epistasisSeed = seed
        let encoder = Encoder(model: model, threads: threads, batchSize: 16)
        // Discovered instances (`--instances discovered|both`) need the head motifs before the co-attention:
        // a first pass over the input finds them (no co-attention, no ablation), the second pass does the rest.
        var discovered: [HeadMotif] = []
        if options.instances.needsDiscoveredMotifs {
            guard input != "-" else {
                throw AnalyzeError.cannotReread(detail: "--instances \(options.instances.rawValue) reads the sequences twice: give a file, not standard input")
            }
            var firstPass = analysisOptions
            firstPass.instances = .discovered
            firstPass.ablationFraction = 0
            firstPass.patchPairs = 0
            firstPass.reportWindows = 0
            let progress = ProgressMeter(command: "analyze", unit: "windows read for the head motifs (pass 1 of 2)", quiet: quiet)
            let finder = try AttentionAnalysis(encoder: encoder, options: firstPass, message: { progress.message($0) })
            try record.time("discover") {
                try analyse(into: finder, progress: progress)
                discovered = try finder.results().headMotifs
            }
            progress.finish()
            record.counts["discovered_instance_motifs"] = discovered.count
        }
        let progress = ProgressMeter(command: "analyze", unit: options.instances.needsDiscoveredMotifs ? "windows analysed (pass 2 of 2)" : "windows analysed", quiet: quiet)
        let analysis = try AttentionAnalysis(encoder: encoder, options: analysisOptions, discovered: discovered, message: { progress.message($0) })
        try record.time("analyse") { try analyse(into: analysis, progress: progress) }
        progress.finish()
        guard analysis.boundWindows > 0 else { throw AnalyzeError.noBound(path: input) }
        guard analysis.backgroundWindows > 0 else { throw AnalyzeError.noBackground(path: input) }
        let results = try record.time("test") { try analysis.results() }
        try results.write(to: outputFolder, provenance: provenance)
        record.parameters["background"] = background.rawValue
        record.parameters["seed"] = "\(seed)"
        record.parameters["threads"] = "\(threads)"
        try AnalysisReport.write(results, analysis: analysis, record: &record, folder: outputFolder,
                                 title: "motifattn analyze of \((input as NSString).lastPathComponent)",
                                 summary: [("sequences", input), ("model", BundledData.displayPath(modelPath))])
        return record
    }

    /// Reads every record of the input in batches into `analysis` (with their shuffled copies for `.shuffle`
    /// background, drawn from the run's seed, so every pass draws the same ones).
    private func analyse(into analysis: AttentionAnalysis, progress: ProgressMeter) throws {
        let reader = try FastaRecordReader(path: input, threads: threads)
        var generator = SeededGenerator(seed: seed ^ 0x5348_5546_464C_4521)
        var batch: [(Window, WindowLabel)] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            var windows = batch.map(\.0), labels = batch.map(\.1)
            if background == .shuffle {
                let shuffled = windows.map { ShuffledBackground.make(from: $0, instances: analysis.instances(in: $0.bases), using: &generator) }
                windows += shuffled
                labels += Array(repeating: .background, count: shuffled.count)
            }
            try analysis.add(windows, labels: labels)
            progress.advance(by: windows.count)
            batch.removeAll(keepingCapacity: true)
        }
        while let next = try reader.next() {
            let labels: [Float]
            do { labels = try SequenceLabels.parse(description: next.description, record: next.name) } catch {
                throw AnalyzeError.badLabel(path: input, record: reader.recordCount, detail: "\(error)")
            }
            let bound = (labels.first ?? 0) >= 0.5
            if background == .shuffle && !bound { continue }
            batch.append((next.window, bound ? .bound : .background))
            if batch.count == 64 { try flush() }
        }
        try flush()
    }
}

/// The last steps shared by `scan` and `analyze`: `report.html`, the analysis parameters and counts, `run.json`.
enum AnalysisReport {
    static func write(_ results: AnalysisResults, analysis: AttentionAnalysis, record: inout RunRecord, folder: String,
                      track: ScoreTrack? = nil, trackNote: String = "", title: String, summary: [(String, String)]) throws {
        let options = analysis.options
        let lines = summary + [
            ("bound / background windows analysed", "\(results.boundWindows) / \(results.backgroundWindows)"),
            ("head motifs", "\(results.headMotifs.count)"),
            ("motif pair × head rows tested / significant", "\(results.interactionsTested) / \(results.interactions.count)"),
        ]
        let report = try OutputFile(path: (folder as NSString).appendingPathComponent("report.html"))
        var content = analysis.reportContent(results, title: title, summary: lines, cautions: record.cautions)
        content.track = track
        content.trackNote = trackNote
        try report.write(HTMLReport.render(content))
        try report.commit()
        // One logo per head motif, beside motifs.meme, for slides.
        let logos = (folder as NSString).appendingPathComponent("logos")
        try FileManager.default.createDirectory(atPath: logos, withIntermediateDirectories: true)
        for motif in results.headMotifs {
            let file = try OutputFile(path: (logos as NSString).appendingPathComponent("\(motif.motif.id).svg"))
            try file.write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + HTMLReport.logo(motif.motif.probabilities))
            try file.commit()
        }
        for (name, value) in options.values { record.parameters[name] = value }
        record.counts["motif_classes"] = analysis.classes.count
        record.counts["bound_windows_analysed"] = results.boundWindows
        record.counts["background_windows_analysed"] = results.backgroundWindows
        record.counts["head_motifs"] = results.headMotifs.count
        record.counts["interaction_rows"] = results.interactions.count
        record.counts["interaction_rows_tested"] = results.interactionsTested
        record.counts["epistasis_pairs_tested"] = results.pairsTestedForEpistasis
        try record.write(to: (folder as NSString).appendingPathComponent("run.json"))
    }
}
