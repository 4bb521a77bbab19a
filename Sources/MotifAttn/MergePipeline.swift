import Foundation
import MotifAttnAnalysis
import MotifAttnIO
import MotifAttnCore
import MotifAttnModel

/// The format of `scan --partial` outputs.
public enum PartialScan {
    /// First string of `partial.state`.
    static let magic = "motifattn-partial-scan-3"
    /// Prefix of the head-motif settings in fingerprints and `run.json` parameters.
    static let headMotifPrefix = "head_motifs."
    /// The state file's name in a part's folder.
    public static let stateFile = "partial.state"

    /// Everything that must agree between parts for their merge to equal one scan: the version, the model,
    /// motif database and regions (SHA-256) and every setting that changes which windows are analysed or how.
    static func fingerprint(_ s: ScanSettings) throws -> String {
        func hash(_ path: String?) throws -> String { try path.map { try SHA256.hex(ofFileAt: $0) } ?? "-" }
        let o = s.windowOptions, a = s.analysis
        let fields: [String] = [
            motifattnVersion, try hash(s.modelPath), try hash(a.motifsPath), try hash(a.annotationsPath), try hash(s.regionsPath),
            "window=\(o.window)", "stride=\(o.stride)", "strand=\(o.strand.rawValue)", "max_n=\(o.maxN)",
            "max_bound=\(s.maxBound)", "max_background=\(s.maxBackground)", "background=\(s.background.rawValue)", "seed=\(s.seed)",
            "instance_p=\(a.instancePValue)", "instance_recall=\(a.instanceRecall)", "instance_max_p=\(a.instanceMaxPValue)", "motif_classes=\(a.motifClassesLabel)", "max_q=\(a.maxQValue)", "max_motifs_per_head=\(a.maxMotifsPerHead)", "co_attention=\(a.coAttention.score.rawValue)",
            "specificity=\(a.pairSpecificity.rawValue)", "epistasis_windows=\(a.epistasisWindows)", "epistasis_pairs=\(a.epistasisPairs)",
            "one_motif_per_site=\(a.oneMotifPerSite)", "max_interaction_q=\(a.interactionMaxQValue)",
            "max_interaction_rows=\(a.maxInteractionRows)", "motifs=\(a.motifsPath)", "annotations=\(a.annotationsPath ?? "-")",
        ] + a.headMotifs.values.map { "\(headMotifPrefix)\($0.name)=\($0.value)" }
        return fields.joined(separator: "|")
    }
}

/// `motifattn merge`: finishes a sharded scan from its parts, into the same files as one `scan`.
///
/// Scores are concatenated in genome order (sequences in the genome's index order, shards by start);
/// the analysis states are added up and tested once, so p- and q-values are those of all windows.
public final class MergePipeline {
    /// Folders written by `scan --partial`.
    public let parts: [String]
    /// Output folder.
    public let outputFolder: String
    /// Threads (for loading; results do not depend on it).
    public var threads = 1
    private var record: RunRecord

    /// A merge of `parts` into `outputFolder`.
    public init(parts: [String], outputFolder: String, record: RunRecord) {
        self.parts = parts
        self.outputFolder = outputFolder
        self.record = record
    }

    private struct Part {
        var folder: String
        var reader: StateReader
        var fingerprint: String
        var genome: String
        var model: String
        var contig: String
        var start: Int
        var scored: Int, skipped: Int, bound: Int, background: Int
    }

    /// Reads the parts, writes every output; returns the provenance record.
    @discardableResult
    public func run() throws -> RunRecord {
        guard !parts.isEmpty else { throw ScanError.noParts }
        var loaded = try parts.map(readHeader)
        let first = loaded[0]
        for part in loaded.dropFirst() where part.fingerprint != first.fingerprint {
            throw PartialStateError.mismatch(path: part.folder, detail: "made with another model, motif database, regions or settings")
        }
        let contigOrder = Dictionary(try GenomeIndex.contigs(of: first.genome).enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        loaded.sort { (contigOrder[$0.contig] ?? Int.max, $0.start, $0.folder) < (contigOrder[$1.contig] ?? Int.max, $1.start, $1.folder) }
        try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        try record.addInput(role: "genome", path: first.genome)
        try record.addInput(role: "model", path: first.model)
        // Partial scans always have regions (`ScanError.partialNeedsRegions`).
        record.cautions = TrainingDataCheck.cautions(modelPath: first.model, genome: first.genome,
                                                     genomeSHA256: record.inputs.first { $0.role == "genome" }?.sha256 ?? "",
                                                     hasRegions: true, boundFraction: 0)
        for caution in record.cautions { ProgressMeter(command: "merge", unit: "parts").caution(caution) }
        let provenance = Provenance(version: motifattnVersion, command: record.commandLine.joined(separator: " "))
        let settings = Self.settings(fromFingerprint: first.fingerprint)

        // Scores: concatenated in genome order; the bedgraph is made from them as a scan makes it.
        var windows = 0
        var track = ScoreTrack()
        let bedGraph = try BedGraphWriter(path: path("scores.bedgraph"), stride: settings.stride)
        let scores = try OutputFile(path: path("scores.tsv"))
        try scores.write(provenance.line + "\nchrom\tstart\tend\tstrand\tlogit\tprobability\n")
        try record.time("scores") {
            for part in loaded {
                let file = (part.folder as NSString).appendingPathComponent("scores.tsv")
                // Line by line: a part's scores can be as large as its shard of the genome.
                let reader = try TextLineReader(path: file)
                var text = "", sawHeader = false
                while let line = try reader.next() {
                    if line.hasPrefix("##") || line.isEmpty { continue }
                    if !sawHeader { sawHeader = true; continue }
                    let row = line.split(separator: "\t", omittingEmptySubsequences: false)
                    guard row.count == 6, let start = Int(row[1]), let end = Int(row[2]), let logit = Float(row[4]) else {
                        throw PartialStateError.truncated(path: file)
                    }
                    text += line + "\n"
                    windows += 1
                    try bedGraph.add(contig: String(row[0]), start: start, end: end, logit: logit)
                    track.add(sequence: String(row[0]), start: start, logit: logit, bound: false)
                    if text.utf8.count > 1 << 16 { try scores.write(text); text = "" }
                }
                try scores.write(text)
            }
        }

        // Analysis: the states added up, then tested once.
        let model = try AttentionModel(contentsOf: first.model)
        var options = AnalysisOptions(motifsPath: settings.motifs, annotationsPath: settings.annotations)
        options.instancePValue = settings.instanceP
        options.instanceRecall = settings.instanceRecall
        options.instanceMaxPValue = settings.instanceMaxP
        options.motifClasses = settings.motifClasses
        options.maxQValue = settings.maxQ
        options.coAttention.score = settings.coAttention
        options.oneMotifPerSite = settings.oneMotifPerSite
        options.pairSpecificity = settings.specificity
        options.headMotifs = settings.headMotifs
        options.interactionMaxQValue = settings.maxInteractionQ
        options.maxInteractionRows = settings.maxInteractionRows
        options.epistasisWindows = settings.epistasisWindows
        options.epistasisPairs = settings.epistasisPairs
        let analysis = try AttentionAnalysis(encoder: Encoder(model: model, threads: threads, batchSize: 16), options: options)
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
        record.counts["windows_scored"] = loaded.reduce(0) { $0 + $1.scored }
        record.counts["windows_skipped_for_n"] = loaded.reduce(0) { $0 + $1.skipped }
        record.counts["bound_windows"] = loaded.reduce(0) { $0 + $1.bound }
        record.counts["background_windows"] = loaded.reduce(0) { $0 + $1.background }
        for (key, value) in settings.parameters { record.parameters[key] = value }
        try AnalysisReport.write(results, analysis: analysis, record: &record, folder: outputFolder, track: track,
                                 trackNote: "bound windows are not marked in a merged scan (the parts' regions are known by digest only)",
                                 title: "motifattn scan of \((first.genome as NSString).lastPathComponent) (\(loaded.count) parts)",
                                 summary: [("genome", first.genome), ("model", BundledData.displayPath(first.model)), ("parts", "\(loaded.count)"),
                                           ("windows scored", "\(windows)")])
        return record
    }

    private func path(_ name: String) -> String { (outputFolder as NSString).appendingPathComponent(name) }

    private func readHeader(_ folder: String) throws -> Part {
        let file = (folder as NSString).appendingPathComponent(PartialScan.stateFile)
        guard let data = FileManager.default.contents(atPath: file) else { throw PartialStateError.notAPartialState(path: file) }
        var reader = StateReader(bytes: Array(data), path: file)
        guard (try? reader.string()) == PartialScan.magic else { throw PartialStateError.notAPartialState(path: file) }
        let fingerprint = try reader.string(), genome = try reader.string(), model = try reader.string()
        let contig = try reader.string(), start = try reader.int()
        let scored = try reader.count(limit: Int.max), skipped = try reader.count(limit: Int.max)
        let bound = try reader.count(limit: Int.max), background = try reader.count(limit: Int.max)
        return Part(folder: folder, reader: reader, fingerprint: fingerprint, genome: genome, model: model, contig: contig, start: start,
                    scored: scored, skipped: skipped, bound: bound, background: background)
    }

    /// The settings a merge needs back from the fingerprint.
    private struct Settings {
        var stride = 100, motifs = "", annotations: String?, instanceP = 1e-4, maxQ = 0.05
        var instanceRecall = 0.0, instanceMaxP = 1e-3
        var motifClasses = MotifClassesChoice.automatic
        var coAttention = CoAttentionScore.excess, oneMotifPerSite = true
        var specificity = PairSpecificity.epistasis, epistasisWindows = 80, epistasisPairs = AnalysisOptions(motifsPath: "").epistasisPairs
        var headMotifs = HeadMotifSettings()
        var maxInteractionQ = AnalysisOptions(motifsPath: "").interactionMaxQValue
        var maxInteractionRows = AnalysisOptions(motifsPath: "").maxInteractionRows
        var parameters: [String: String] = [:]
    }

    private static func settings(fromFingerprint fingerprint: String) -> Settings {
        var settings = Settings()
        for field in fingerprint.split(separator: "|", omittingEmptySubsequences: false) {
            guard let equals = field.firstIndex(of: "=") else { continue }
            let key = String(field[..<equals]), value = String(field[field.index(after: equals)...])
            settings.parameters[key] = value
            switch key {
            case "stride": settings.stride = Int(value) ?? 100
            case "motifs": settings.motifs = value
            case "annotations": settings.annotations = value == "-" ? nil : value
            case "instance_p": settings.instanceP = Double(value) ?? 1e-4
            case "instance_recall": settings.instanceRecall = Double(value) ?? 0
            case "instance_max_p": settings.instanceMaxP = Double(value) ?? 1e-3
            case "motif_classes": settings.motifClasses = MotifClassesChoice(label: value)
            case "max_q": settings.maxQ = Double(value) ?? 0.05
            case "co_attention": settings.coAttention = CoAttentionScore(rawValue: value) ?? .excess
            case "one_motif_per_site": settings.oneMotifPerSite = value == "true"
            case "max_motifs_per_head": settings.headMotifs.maxMotifsPerHead = Int(value) ?? settings.headMotifs.maxMotifsPerHead
            case "specificity": settings.specificity = PairSpecificity(rawValue: value) ?? .epistasis
            case "epistasis_windows": settings.epistasisWindows = Int(value) ?? 80
            case "epistasis_pairs": settings.epistasisPairs = Int(value) ?? settings.epistasisPairs
            case "max_interaction_q": settings.maxInteractionQ = Double(value) ?? settings.maxInteractionQ
            case "max_interaction_rows": settings.maxInteractionRows = Int(value) ?? settings.maxInteractionRows
            default:
                if key.hasPrefix(PartialScan.headMotifPrefix) {
                    try? settings.headMotifs.set(String(key.dropFirst(PartialScan.headMotifPrefix.count)), to: value)
                }
            }
        }
        settings.parameters["motifs"] = nil
        settings.parameters["annotations"] = nil
        return settings
    }
}
