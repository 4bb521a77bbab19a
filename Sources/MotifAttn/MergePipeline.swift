import Foundation
import MotifAttnAnalysis
import MotifAttnIO
import MotifAttnCore
import MotifAttnModel

/// The format of `scan --partial` outputs.
public enum PartialScan {
    /// First string of `partial.state`.
    static let magic = "motifattn-partial-scan-4"
    /// The state file's name in a part's folder.
    public static let stateFile = "partial.state"

    /// What a part holds: a first phase's scores (a scan without regions, before the threshold), or scores
    /// and the analysis of the part's chosen windows (ready for `merge`).
    enum Phase: String {
        case scores, analysis
    }

    /// Everything that must agree between parts for their merge to equal one scan: the version, the model,
    /// motif database and regions (SHA-256) and every setting that changes which windows are analysed or how.
    static func fingerprint(_ s: ScanSettings) throws -> String {
        func hash(_ path: String?) throws -> String { try path.map { try SHA256.hex(ofFileAt: $0) } ?? "-" }
        let o = s.windowOptions, a = s.analysis
        let fields: [String] = [
            motifattnVersion, try hash(s.modelPath), try hash(a.motifsPath), try hash(a.annotationsPath), try hash(s.regionsPath),
            "window=\(o.window)", "stride=\(o.stride)", "strand=\(o.strand.rawValue)", "max_n=\(o.maxN)",
            "has_regions=\(s.regionsPath != nil)", "bound_fraction=\(s.boundFraction)",
            "max_bound=\(s.maxBound)", "max_background=\(s.maxBackground)", "background_per_bound=\(s.backgroundPerBound)",
            "background=\(s.background.rawValue)", "seed=\(s.seed)",
            "motifs=\(a.motifsPath)", "annotations=\(a.annotationsPath ?? "-")", "precision=\(s.precision.rawValue)",
        ] + a.values.map { "\($0.name)=\($0.value)" }
        return fields.joined(separator: "|")
    }

    /// The head of a part's `partial.state`; the phase's payload (score histogram or analysis state) follows.
    struct Header {
        var folder: String
        var phase: Phase
        var fingerprint: String
        var genome: String
        var model: String
        /// The shard: its sequence ("" for a whole-genome part), 0-based start and end (nil: the sequence's end).
        var contig: String
        var start: Int
        var end: Int?
        var scored = 0, skipped = 0, bound = 0, background = 0
        /// Phase 2 without regions: the cut-offs the part was analysed with (`ScoreCutoffs.summary`); "" otherwise.
        var cutoffs = ""

        /// The shard as given to `--shard` (1-based), or "the whole genome".
        var shardLabel: String {
            contig.isEmpty ? "the whole genome" : "\(contig):\(start + 1)-\(end.map(String.init) ?? "")"
        }

        func write(to writer: inout StateWriter) {
            writer.string(PartialScan.magic)
            writer.string(phase.rawValue)
            writer.string(fingerprint)
            writer.string(genome)
            writer.string(model)
            writer.string(contig)
            writer.int(start)
            writer.int(end ?? -1)
            for count in [scored, skipped, bound, background] { writer.int(count) }
            writer.string(cutoffs)
        }

        /// Reads the header of `folder/partial.state`; the reader is left at the payload.
        static func read(folder: String) throws -> (Header, StateReader) {
            let file = (folder as NSString).appendingPathComponent(PartialScan.stateFile)
            guard let data = FileManager.default.contents(atPath: file) else { throw PartialStateError.notAPartialState(path: file) }
            var reader = StateReader(bytes: Array(data), path: file)
            guard (try? reader.string()) == PartialScan.magic else { throw PartialStateError.notAPartialState(path: file) }
            guard let phase = Phase(rawValue: try reader.string()) else { throw PartialStateError.truncated(path: file) }
            let fingerprint = try reader.string(), genome = try reader.string(), model = try reader.string()
            let contig = try reader.string(), start = try reader.count(limit: Int.max), end = try reader.int()
            var header = Header(folder: folder, phase: phase, fingerprint: fingerprint, genome: genome, model: model,
                                contig: contig, start: start, end: end < 0 ? nil : end)
            header.scored = try reader.count(limit: Int.max)
            header.skipped = try reader.count(limit: Int.max)
            header.bound = try reader.count(limit: Int.max)
            header.background = try reader.count(limit: Int.max)
            header.cutoffs = try reader.string()
            return (header, reader)
        }
    }

    /// Checks that the parts' shards tile every sequence of the genome once: no overlap, no gap, no
    /// sequence left out (a whole-genome part must be the only part). Each error names a part.
    static func checkTiling(_ parts: [Header], genome: String, contigs: [(name: String, length: Int)]) throws {
        if let whole = parts.first(where: { $0.contig.isEmpty }), parts.count > 1 {
            let other = parts.first { $0.folder != whole.folder }!
            throw ScanError.shardsOverlap(part: other.folder, shard: other.shardLabel, other: whole.folder, otherShard: whole.shardLabel)
        }
        if parts.count == 1 && parts[0].contig.isEmpty { return }
        let order = Dictionary(contigs.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        for part in parts where order[part.contig] == nil {
            throw ScanError.unknownShardContig(shard: "\(part.folder) (\(part.shardLabel))", genome: genome)
        }
        let byContig = Dictionary(grouping: parts, by: \.contig)
        for (name, length) in contigs {
            let shards = (byContig[name] ?? []).sorted { ($0.start, $0.folder) < ($1.start, $1.folder) }
            var covered = 0
            var previous: Header?
            for part in shards {
                if part.start < covered, let previous {
                    throw ScanError.shardsOverlap(part: part.folder, shard: part.shardLabel, other: previous.folder, otherShard: previous.shardLabel)
                }
                if part.start > covered {
                    throw ScanError.shardGap(part: part.folder, missing: "\(name):\(covered + 1)-\(part.start)")
                }
                covered = max(covered, min(length, part.end ?? length))
                previous = part
            }
            if covered < length {
                throw ScanError.shardGap(part: previous?.folder ?? genome, missing: "\(name):\(covered + 1)-\(length)")
            }
        }
    }
}

/// What `motifattn merge` makes of its parts.
public enum MergePhase: String, Sendable, CaseIterable {
    /// From the first phase's parts of a scan without regions (scores and their histograms): the
    /// cut-offs of bound and background windows of the whole genome, in `threshold.tsv`.
    case threshold
    /// From parts with their analysis (a scan with regions, or the second phase without): the files of one scan.
    case final
}

/// `motifattn merge`: finishes a sharded scan from its parts, into the same files as one `scan`.
///
/// Scores are concatenated in genome order (sequences in the genome's index order, shards by start);
/// the analysis states are added up and tested once, so p- and q-values are those of all windows.
/// With `phase = .threshold` it instead ranks the scores of all parts and writes the cut-offs
/// (`threshold.tsv`) that the second phase of a scan without regions needs.
public final class MergePipeline {
    /// Folders written by `scan --partial`.
    public let parts: [String]
    /// Output folder.
    public let outputFolder: String
    /// Threads (for loading and compressing; results do not depend on it).
    public var threads = 1
    /// Which step of a sharded scan this merge is.
    public var phase = MergePhase.final
    private var record: RunRecord

    /// A merge of `parts` into `outputFolder`.
    public init(parts: [String], outputFolder: String, record: RunRecord) {
        self.parts = parts
        self.outputFolder = outputFolder
        self.record = record
    }

    private struct Part {
        var header: PartialScan.Header
        var reader: StateReader
        var folder: String { header.folder }
    }

    /// Reads the parts, writes every output; returns the provenance record.
    @discardableResult
    public func run() throws -> RunRecord {
        guard !parts.isEmpty else { throw ScanError.noParts }
        var loaded = try parts.map { folder -> Part in
            let (header, reader) = try PartialScan.Header.read(folder: folder)
            return Part(header: header, reader: reader)
        }
        let wanted: PartialScan.Phase = phase == .threshold ? .scores : .analysis
        for part in loaded where part.header.phase != wanted {
            throw ScanError.wrongPhase(part: part.folder, holds: part.header.phase.rawValue, step: phase.rawValue)
        }
        let first = loaded[0].header
        for part in loaded.dropFirst() where part.header.fingerprint != first.fingerprint {
            throw PartialStateError.mismatch(path: part.folder, detail: "made with another model, motif database, regions or settings")
        }
        for part in loaded.dropFirst() where part.header.cutoffs != first.cutoffs {
            throw PartialStateError.mismatch(path: part.folder, detail: "analysed with another threshold.tsv (cut-offs \(part.header.cutoffs), not \(first.cutoffs))")
        }
        let genomeContigs = try GenomeIndex.contigs(of: first.genome)
        try PartialScan.checkTiling(loaded.map(\.header), genome: first.genome, contigs: genomeContigs.map { ($0.name, $0.length) })
        let contigOrder = Dictionary(genomeContigs.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        loaded.sort { (contigOrder[$0.header.contig] ?? -1, $0.header.start, $0.folder) < (contigOrder[$1.header.contig] ?? -1, $1.header.start, $1.folder) }
        let settings = try Self.settings(fromFingerprint: first.fingerprint, part: first.folder)
        guard ProductPrecision.isSupported(settings.precision) else {
            throw PartialStateError.mismatch(path: loaded[0].folder, detail:
                                                "its parts were scanned with --precision \(settings.precision.rawValue), which this CPU cannot run (no AVX512_BF16)")
        }
        let provenance = Provenance(version: motifattnVersion, command: record.commandLine.joined(separator: " "))
        try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        if phase == .threshold {
            try writeThreshold(&loaded, settings: settings, contigOrder: contigOrder, fingerprint: first.fingerprint, provenance: provenance)
            return record
        }
        try record.addInput(role: "genome", path: first.genome)
        try record.addInput(role: "model", path: first.model)
        record.cautions = TrainingDataCheck.cautions(modelPath: first.model, genome: first.genome,
                                                     genomeSHA256: record.inputs.first { $0.role == "genome" }?.sha256 ?? "",
                                                     hasRegions: settings.hasRegions, boundFraction: settings.boundFraction)
        for caution in record.cautions { ProgressMeter(command: "merge", unit: "parts").caution(caution) }

        // Scores: concatenated in genome order, bgzip-compressed and indexed; the bedgraph is made from them as a scan makes it.
        var windows = 0
        var track = ScoreTrack()
        let bedGraph = try BedGraphWriter(path: path("scores.bedgraph"), stride: settings.stride)
        let scores = try IndexedTableWriter(path: path(ScanPipeline.scoresFile), headerLines: 2, threads: threads)
        try scores.write(provenance.line + "\nchrom\tstart\tend\tstrand\tlogit\tprobability\n")
        try record.time("scores") {
            for part in loaded {
                try Self.readScores(of: part.folder) { line, row in
                    guard let start = Int(row[1]), let end = Int(row[2]), let logit = Float(row[4]) else { return false }
                    try scores.write(line + "\n")
                    windows += 1
                    try bedGraph.add(contig: String(row[0]), start: start, end: end, logit: logit)
                    track.add(sequence: String(row[0]), start: start, logit: logit, bound: false)
                    return true
                }
            }
        }

        // The parts' bound windows, marked on the track as a single scan marks them.
        for part in loaded {
            let file = (part.folder as NSString).appendingPathComponent(ScanPipeline.boundWindowsFile)
            guard FileManager.default.fileExists(atPath: file) else { continue }
            let reader = try TextLineReader(path: file)
            while let line = try reader.next() {
                if line.isEmpty { continue }
                let row = line.split(separator: "\t")
                guard row.count == 4, let start = Int(row[1]) else { throw PartialStateError.truncated(path: file) }
                track.markBound(sequence: String(row[0]), start: start)
            }
        }

        // Analysis: the states added up, then tested once.
        let model = try AttentionModel(contentsOf: first.model)
        var options = settings.analysis
        options.motifsPath = settings.motifs
        options.annotationsPath = settings.annotations
        options.epistasisSeed = settings.seed
        let analysis = try AttentionAnalysis(encoder: Encoder(model: model, threads: threads, batchSize: 16, precision: settings.precision),
                                             options: options)
        for index in loaded.indices {
            try analysis.mergeState(from: &loaded[index].reader)
            guard loaded[index].reader.atEnd else { throw PartialStateError.truncated(path: loaded[index].folder) }
        }
        let results = try record.time("test") { try analysis.results() }
        try results.write(to: outputFolder, provenance: provenance)
        // The scores appear with the tables, as in a single scan: an interrupted merge leaves neither.
        try scores.commit()
        try bedGraph.commit()
        record.counts["parts"] = loaded.count
        record.counts["windows_scored"] = loaded.reduce(0) { $0 + $1.header.scored }
        record.counts["windows_skipped_for_n"] = loaded.reduce(0) { $0 + $1.header.skipped }
        record.counts["bound_windows"] = loaded.reduce(0) { $0 + $1.header.bound }
        record.counts["background_windows"] = loaded.reduce(0) { $0 + $1.header.background }
        for (key, value) in settings.parameters { record.parameters[key] = value }
        try AnalysisReport.write(results, analysis: analysis, record: &record, folder: outputFolder, track: track,
                                 trackNote: settings.hasRegions ? "marked: bins holding windows that overlap the regions"
                                                                : "marked: bins holding the windows chosen as bound (the top scores)",
                                 title: "motifattn scan of \((first.genome as NSString).lastPathComponent) (\(loaded.count) parts)",
                                 summary: [("genome", first.genome), ("model", BundledData.displayPath(first.model)), ("parts", "\(loaded.count)"),
                                           ("windows scored", "\(windows)")])
        return record
    }

    private func path(_ name: String) -> String { (outputFolder as NSString).appendingPathComponent(name) }

    /// Calls `body` with each row of a part's `scores.tsv` (the line and its fields); `body` returns false
    /// for a malformed row, which is an error naming the file.
    static func readScores(of folder: String, body: (String, [Substring]) throws -> Bool) throws {
        try readScores(path: (folder as NSString).appendingPathComponent("scores.tsv"), body: body)
    }

    /// Reads a score table (plain, gzip or bgzip) row by row, as `readScores(of:body:)`.
    static func readScores(path file: String, body: (String, [Substring]) throws -> Bool) throws {
        // Line by line: a part's scores can be as large as its shard of the genome.
        let reader = try TextLineReader(path: file)
        var sawHeader = false
        while let line = try reader.next() {
            if line.hasPrefix("##") || line.isEmpty { continue }
            if !sawHeader { sawHeader = true; continue }
            let row = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard row.count == 6, try body(line, row) else { throw PartialStateError.truncated(path: file) }
        }
    }

    /// `merge --phase threshold`: the histograms added up locate the bucket of each cut-off; the parts' rows
    /// in those buckets (read again) are ranked to find the cut-off windows exactly; `threshold.tsv` gets them.
    private func writeThreshold(_ loaded: inout [Part], settings: Settings, contigOrder: [String: Int], fingerprint: String,
                                provenance: Provenance) throws {
        var histogram = ScoreHistogram()
        for index in loaded.indices {
            let before = histogram.total
            try histogram.merge(from: &loaded[index].reader)
            guard loaded[index].reader.atEnd, histogram.total - before == loaded[index].header.scored else {
                throw PartialStateError.truncated(path: loaded[index].reader.path)
            }
        }
        let cutoffs = try record.time("threshold") {
            try ScoreCutoffs.of(histogram: histogram, boundFraction: settings.boundFraction) { buckets in
                var found: [(contig: String, window: RankedWindow)] = []
                for part in loaded {
                    var rows = 0
                    try Self.readScores(of: part.folder) { _, row in
                        guard let start = Int(row[1]), let logit = Float(row[4]), row[3] == "+" || row[3] == "-",
                              let contig = contigOrder[String(row[0])] else { return false }
                        rows += 1
                        let key = ScoreKey.of(logit)
                        if buckets.contains(ScoreHistogram.bucket(key)) {
                            found.append((String(row[0]), RankedWindow(key: key, contig: contig, start: start, minus: row[3] == "-")))
                        }
                        return true
                    }
                    guard rows == part.header.scored else {
                        throw ScanError.partMismatch(part: part.folder, detail: "scores.tsv has \(rows) rows, partial.state counts \(part.header.scored)")
                    }
                }
                return found
            }
        }
        let out = try OutputFile(path: path(ScoreCutoffs.fileName))
        try out.write(cutoffs.text(fingerprint: fingerprint, provenance: provenance))
        try out.commit()
        record.counts["parts"] = loaded.count
        record.counts["windows_scored"] = histogram.total
    }

    /// The settings a merge needs back from the fingerprint.
    private struct Settings {
        var stride = 100, motifs = "", annotations: String?
        var analysis = AnalysisOptions(motifsPath: "")
        var hasRegions = true, boundFraction = 0.01, seed: UInt64 = 1
        var precision = ProductPrecision.fp32
        var parameters: [String: String] = [:]
    }

    /// The settings recorded in `part`'s fingerprint (the same in every part: checked before).
    private static func settings(fromFingerprint fingerprint: String, part: String) throws -> Settings {
        var settings = Settings()
        let analysisNames = Set(AnalysisOptions.names)
        for field in fingerprint.split(separator: "|", omittingEmptySubsequences: false) {
            guard let equals = field.firstIndex(of: "=") else { continue }
            let key = String(field[..<equals]), value = String(field[field.index(after: equals)...])
            settings.parameters[key] = value
            switch key {
            case "stride": settings.stride = Int(value) ?? 100
            case "has_regions": settings.hasRegions = value == "true"
            case "bound_fraction": settings.boundFraction = Double(value) ?? 0.01
            case "seed": settings.seed = UInt64(value) ?? 1
            case "motifs": settings.motifs = value
            case "annotations": settings.annotations = value == "-" ? nil : value
            case "precision": settings.precision = ProductPrecision(rawValue: value) ?? .fp32
            case _ where analysisNames.contains(key):
                do {
                    try settings.analysis.set(key, to: value)
                } catch {
                    throw ScanError.partMismatch(part: part, detail: "its recorded \(error)")
                }
            default: break
            }
        }
        settings.parameters["motifs"] = nil
        settings.parameters["annotations"] = nil
        settings.parameters["has_regions"] = nil
        return settings
    }
}
