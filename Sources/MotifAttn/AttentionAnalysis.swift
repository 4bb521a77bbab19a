import Dispatch
import Foundation
import MotifAttnAnalysis
import MotifAttnIO
import MotifAttnCore
import MotifAttnModel
import MotifAttnTokenizers

/// Settings of the attention analysis (per-head motifs, co-attention pairs, head diagnostics).
public struct AnalysisOptions: Sendable {
    /// Motif database in MEME format (default: the bundled JASPAR CORE vertebrates).
    public var motifsPath: String
    /// JASPAR-style TSV with names and TF families (optional).
    public var annotationsPath: String?
    /// Largest q-value of a reported head motif.
    public var maxQValue: Double = 0.05
    /// Most motifs reported per head.
    public var maxMotifsPerHead = HeadMotifDiscovery.defaultMaxMotifsPerHead
    /// Largest p-value of a motif instance (FIMO's 1e-4), for motifs long enough to reach it with most of their sites.
    public var instancePValue = 1e-4
    /// Fraction of a short motif's own sites its instance threshold admits (`InstanceThreshold.recall`; 0, the default:
    /// `instancePValue` for every motif, as FIMO).
    public var instanceRecall = 0.0
    /// Loosest instance threshold a short motif gets (`InstanceThreshold.ceiling`).
    public var instanceMaxPValue = 1e-3
    /// Settings of the co-attention statistics.
    public var coAttention = CoAttentionSettings()
    /// Threads for scanning motif instances.
    public var threads = 1
    /// Top-scoring bound windows kept for the report's heat maps.
    public var reportWindows = 6
    /// Fraction of bound windows whose logits are recomputed with each head ablated (head importance);
    /// windows are chosen by a hash of their position, so shards choose the same ones. 0 turns it off.
    public var ablationFraction = 0.1
    /// Keep only the best-matching motif of overlapping instances (`MotifInstance.bestPerSite`).
    public var oneMotifPerSite = true
    /// Look-alike motif classes the co-attention pairs (`MotifClasses`).
    public var motifClasses: MotifClassesChoice = .automatic
    /// Which motifs' instances the co-attention pairs (`InstanceSource`).
    public var instances: InstanceSource = .database
    /// The second test of a co-attention pair, "is it specific?" (`PairSpecificity`).
    public var pairSpecificity: PairSpecificity = .epistasis
    /// Bound windows per pair sampled for the epistasis test (`PairWindowSamples`).
    public var epistasisWindows = 80
    /// Pairs tested for epistasis: the first this many by co-attention elevation; other pairs are not reported.
    public var epistasisPairs = 60
    /// Rows of `interactions.tsv` with a larger q-value are left out (1 writes every tested row).
    public var interactionMaxQValue = 0.05
    /// Most rows written to `interactions.tsv` (the most significant ones).
    public var maxInteractionRows = 5000

    public init(motifsPath: String, annotationsPath: String? = nil) {
        self.motifsPath = motifsPath
        self.annotationsPath = annotationsPath
    }

    /// The classes setting as recorded in `run.json` and partial-scan fingerprints (`MotifClassesChoice.label`).
    public var motifClassesLabel: String { motifClasses.label }

    /// The per-motif instance threshold these options describe.
    public var instanceThreshold: InstanceThreshold {
        InstanceThreshold(pValue: instancePValue, recall: instanceRecall, ceiling: instanceMaxPValue)
    }
}

/// Which motifs the co-attention finds instances of (`--instances`).
///
/// Discovered motifs are the head motifs of the same run, so `discovered` and `both` need them before the
/// co-attention starts: `analyze` then reads its input twice (`AnalyzePipeline`), the first time for the
/// head motifs only. Discovered motifs are short and come from a few hundred sites; their instance
/// threshold is the width-aware one of the head-motif rescans (`InstanceThreshold` with recall 0.5).
/// A discovered motif joins the look-alike class of its best database match when that match has
/// q ≤ `AnalysisOptions.maxQValue`, so its sites count with the database motifs of that TF.
public enum InstanceSource: String, Sendable, CaseIterable {
    /// Instances of the database motifs (FIMO-style scan), the default.
    case database
    /// Instances of the head motifs discovered in the run.
    case discovered
    /// Both: database and discovered motifs.
    case both

    /// Whether the discovered head motifs are scanned, so the run needs them before the co-attention.
    public var needsDiscoveredMotifs: Bool { self != .database }
}

/// How a co-attention pair is tested for specificity, the second of its two tests (the first: is its
/// co-attention elevated?). The row's p-value is the larger of the two (intersection–union).
public enum PairSpecificity: String, Sendable, CaseIterable {
    /// The model needs both sites: knocking them out together costs less than the sum of knocking out
    /// each (`EpistasisTest`, a Wilcoxon signed-rank test over the pair's sampled bound windows). Only the first
    /// `AnalysisOptions.epistasisPairs` pairs by elevation are tested; the others are not reported.
    case epistasis
    /// The two sites are each other's strongest co-attention partner in more bound windows than chance
    /// (binomial test against the rate of all instance pairs).
    case mutualBest = "mutual-best"
}

/// Which look-alike classes of database motifs the co-attention pairs.
public enum MotifClassesChoice: Sendable, Equatable {
    /// Every motif is its own class.
    case none
    /// Classes measured from the database at the analysis's instance thresholds (`MotifClasses.measure`), or
    /// read from `DATABASE.classes.tsv` next to the database when that file was made for the same database
    /// and settings (the bundled JASPAR has one).
    case automatic
    /// Classes read from a file written by `motifattn classes`.
    case file(String)

    /// The choice as written on the command line and in fingerprints: `auto`, `none` or the file's path.
    public init(label: String) {
        switch label {
        case "auto": self = .automatic
        case "none": self = .none
        default: self = .file(label)
        }
    }

    /// `auto`, `none` or the file's path (`init(label:)` reads it back).
    public var label: String {
        switch self {
        case .none: return "none"
        case .automatic: return "auto"
        case .file(let path): return path
        }
    }
}

/// What the analysis found: the contents of `head_motifs.tsv`, `motifs.meme`, `motif_matches.tsv`,
/// `interactions.tsv` and `heads.tsv`.
public struct AnalysisResults: Sendable {
    public var headMotifs: [HeadMotif]
    public var matches: [MotifMatch]
    public var interactions: [Interaction]
    /// Rows tested (pairs × heads, combined rows included) before `interactions` was cut to the significant ones.
    public var interactionsTested: Int
    public var heads: [HeadDiagnostic]
    public var boundWindows: Int
    public var backgroundWindows: Int
    /// Top-scoring bound windows with their attention and motif instances, for the report.
    public var reportWindows: [ReportContent.WindowMap]

    /// Writes the five result files into `folder` (which must exist).
    public func write(to folder: String, provenance: Provenance) throws {
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        try ResultTables.writeHeadMotifs(headMotifs, to: path("head_motifs.tsv"), provenance: provenance)
        try ResultTables.writeHeadMotifsMEME(headMotifs, to: path("motifs.meme"))
        try ResultTables.writeMatches(matches, to: path("motif_matches.tsv"), provenance: provenance)
        try ResultTables.writeInteractions(interactions, to: path("interactions.tsv"), provenance: provenance)
        try ResultTables.writeHeads(heads, to: path("heads.tsv"), provenance: provenance)
    }
}

/// Reads attention window by window into bounded running statistics, then tests them.
///
/// Windows are run through the encoder with attention kept, in batches; each batch's maps feed the
/// motif discovery, head diagnostics and co-attention accumulators and are then dropped, so memory
/// does not grow with the number of windows. Motif instances are found by PWM scanning of the window's
/// bases (both strands, p ≤ 1e-4 against the window's composition) on several threads; the accumulators
/// take windows in input order, so results do not depend on the thread count.
public final class AttentionAnalysis {
    /// The motif database matched against head motifs (and scanned for instances unless `options.instances` is `discovered`).
    public let database: MotifDatabase
    /// The motifs whose instances the co-attention pairs: the database's, the discovered head motifs, or both
    /// (`InstanceSource`); database motifs first, so their indices are the database's.
    public let instanceMotifs: [Motif]
    /// Names and families of the database motifs, when given.
    public let annotations: MotifAnnotations?
    public let options: AnalysisOptions
    private let encoder: Encoder
    private let tokenizer: KmerTokenizer
    private let config: ModelConfig
    /// One instance scanner per thread.
    private let scanners: [InstanceScanner]
    /// Database scanner for the sites re-embedded in shuffled background (`instances(in:)`).
    private let reembeddingScanner: MotifScanner
    private let discovery = HeadMotifDiscovery()
    private let diagnostics = HeadDiagnosticsAccumulator()
    private let coAttention: CoAttentionAccumulator
    /// Sampled bound windows per pair, for the epistasis test (nil with the mutual-best test).
    private let pairSamples: PairWindowSamples?
    private var topWindows: [(probability: Double, map: ReportContent.WindowMap, attention: WindowAttention)] = []
    private let motifNames: [String: String]
    /// Look-alike classes of `instanceMotifs` the co-attention pairs.
    public let classes: MotifClasses
    /// Look-alike classes of the database motifs.
    private let databaseClasses: MotifClasses
    /// Token ids and full-model first logit of bound windows waiting for the head ablation.
    private var pendingAblation: [(ids: [Int32], logit: Float)] = []

    /// Prepares an analysis with `encoder` (its model's tokenizer) and the motifs in `options`; `message`
    /// hears of slow preparation (measuring look-alike classes of a database without a matching classes file).
    /// `discovered`: the head motifs of a first pass over the same windows, scanned for instances when
    /// `options.instances` asks for them (`InstanceSource`); ignored otherwise.
    public init(encoder: Encoder, options: AnalysisOptions, discovered: [HeadMotif] = [], message: ((String) -> Void)? = nil) throws {
        self.encoder = encoder
        self.options = options
        config = encoder.config
        tokenizer = try config.makeTokenizer()
        var database = try MEMEFormat.read(path: options.motifsPath)
        let annotations = try options.annotationsPath.map { try MotifAnnotations.readJASPAR(path: $0) }
        if let annotations {
            for i in database.motifs.indices where database.motifs[i].name.isEmpty {
                database.motifs[i].name = annotations.byID[database.motifs[i].id]?.name ?? ""
            }
        }
        self.database = database
        self.annotations = annotations
        let lookAlikes = try Self.motifClasses(database: database, options: options, message: message)
        databaseClasses = lookAlikes
        let instanceSet = InstanceMotifSet(database: database.motifs, databaseClasses: lookAlikes,
                                           discovered: options.instances.needsDiscoveredMotifs ? discovered : [],
                                           includeDatabase: options.instances != .discovered, maxMatchQValue: options.maxQValue)
        instanceMotifs = instanceSet.motifs
        classes = instanceSet.classes
        motifNames = Dictionary((database.motifs + instanceMotifs).map { ($0.id, $0.displayName) }, uniquingKeysWith: { a, _ in a })
        scanners = (0..<max(1, options.threads)).map { _ in
            InstanceScanner(database: options.instances == .discovered ? [] : database.motifs, databaseThreshold: options.instanceThreshold,
                            discovered: Array(instanceSet.motifs[instanceSet.discoveredStart...]),
                            discoveredThreshold: Self.discoveredThreshold(options))
        }
        reembeddingScanner = MotifScanner(motifs: database.motifs, threshold: options.instanceThreshold)
        coAttention = CoAttentionAccumulator(motifs: instanceMotifs, layers: config.nLayers, heads: config.nHeads, settings: options.coAttention)
        pairSamples = options.pairSpecificity == .epistasis
            ? PairWindowSamples(motifCount: instanceMotifs.count, capacity: options.epistasisWindows) : nil
    }

    /// Instance threshold of discovered motifs: width-aware, as the head-motif rescans (half a short motif's
    /// own sites pass, never looser than `instanceMaxPValue`).
    static func discoveredThreshold(_ options: AnalysisOptions) -> InstanceThreshold {
        InstanceThreshold(pValue: options.instancePValue, recall: 0.5, ceiling: max(options.instancePValue, options.instanceMaxPValue))
    }

    /// The look-alike classes `options` ask for (`MotifClassesChoice`).
    static func motifClasses(database: MotifDatabase, options: AnalysisOptions, message: ((String) -> Void)? = nil) throws -> MotifClasses {
        let motifs = database.motifs
        switch options.motifClasses {
        case .none:
            return .singletons(count: motifs.count)
        case .file(let path):
            return try MotifClasses.read(path: path, motifs: motifs)
        case .automatic:
            let companion = MotifClasses.companionPath(ofDatabase: options.motifsPath)
            if FileManager.default.fileExists(atPath: companion),
               let classes = try MotifClasses.read(path: companion, motifs: motifs, requiring: try MotifClasses.fingerprint(
                   databasePath: options.motifsPath, threshold: options.instanceThreshold)) {
                return classes
            }
            message?("measuring the look-alike classes of \(motifs.count) motifs (no \((companion as NSString).lastPathComponent) "
                     + "made for this database and these thresholds; `motifattn classes --out` writes one)")
            return MotifClasses.measure(motifs, threshold: options.instanceThreshold, threads: options.threads)
        }
    }

    /// Bound windows added so far.
    public var boundWindows: Int { discovery.boundWindows }
    /// Background windows added so far.
    public var backgroundWindows: Int { discovery.backgroundWindows }

    /// Adds a batch of windows with their labels; returns the model's logits of each window (`[window][output]`).
    @discardableResult
    public func add(_ windows: [Window], labels: [WindowLabel]) throws -> [[Float]] {
        precondition(windows.count == labels.count)
        guard !windows.isEmpty else { return [] }
        let tokenized = windows.map { tokenizer.encode($0.bases) }
        // The encoder and the motif scan are independent: they run side by side, which fills the gaps
        // each leaves on the cores (results do not depend on it).
        var encoded: Result<EncoderOutput, Error>?
        var instances: [[MotifInstance]] = []
        DispatchQueue.concurrentPerform(iterations: 2) { task in
            if task == 0 {
                encoded = Result { try encoder.forward(tokenRows: tokenized.map(\.ids), keepAttention: true) }
            } else {
                instances = scanInstances(windows)
            }
        }
        let output = try encoded!.get()
        let logits = windows.indices.map { Array(output.logits(window: $0)) }
        guard let maps = output.attention else { return logits }
        try accumulate(windows, labels: labels, tokenized: tokenized, logits: logits, maps: maps, instances: instances)
        return logits
    }

    /// Adds windows that have already been through the encoder with their attention kept (the scan's scoring
    /// pass keeps the maps of the windows it picks for the analysis, so they need no second forward pass).
    /// `logits[i]` and `attention[i]` are window `i`'s, from `Encoder.forward`.
    public func add(_ windows: [Window], labels: [WindowLabel], logits: [[Float]], attention: [AttentionMaps]) throws {
        precondition(windows.count == labels.count && windows.count == logits.count && windows.count == attention.count)
        guard !windows.isEmpty else { return }
        let tokenized = windows.map { tokenizer.encode($0.bases) }
        for (i, maps) in attention.enumerated() {
            precondition(maps.tokens == tokenized[i].ids.count && maps.probabilities.count == maps.layers * maps.heads * maps.tokens * maps.tokens,
                         "attention maps do not belong to the window")
        }
        try accumulate(windows, labels: labels, tokenized: tokenized, logits: logits, maps: attention, instances: scanInstances(windows))
    }

    /// Feeds windows with their attention and motif instances to the accumulators, keeps report
    /// candidates, and queues bound windows for the head ablation.
    private func accumulate(_ windows: [Window], labels: [WindowLabel], tokenized: [TokenizedWindow], logits: [[Float]],
                            maps: [AttentionMaps], instances: [[MotifInstance]]) throws {
        var instances = instances
        if options.oneMotifPerSite { instances = instances.map(MotifInstance.bestPerSite) }
        let classInstances = instances.map { classes.relabel($0, motifs: instanceMotifs) }
        let attended = windows.indices.map { i in
            WindowAttention(window: windows[i], label: labels[i], tokenSpans: tokenized[i].spans.map { Int($0.start)..<Int($0.end) },
                            layers: maps[i].layers, heads: maps[i].heads, attention: maps[i].probabilities)
        }
        // The three accumulators are independent: each runs on its own thread and takes the windows in
        // input order, so the results are the same for any thread count.
        DispatchQueue.concurrentPerform(iterations: 4) { task in
            switch task {
            case 0: for window in attended { discovery.add(window) }
            case 1: for window in attended { diagnostics.add(window) }
            case 2: for (window, found) in zip(attended, classInstances) { coAttention.add(window, instances: found) }
            default:
                guard let pairSamples else { return }
                for i in windows.indices where labels[i] == .bound {
                    pairSamples.add(windows[i], logit: logits[i][0], instances: classInstances[i])
                }
            }
        }
        for i in windows.indices where labels[i] == .bound {
            keepForReport(attended[i], probability: logistic(logits[i][0]), instances: instances[i])
        }
        for i in windows.indices where labels[i] == .bound && chosenForAblation(windows[i]) {
            pendingAblation.append((tokenized[i].ids, logits[i][0]))
        }
        if pendingAblation.count >= Self.ablationBatch { try ablatePending() }
    }

    /// Bound windows chosen for ablation are collected until this many are waiting, so the ablated forward
    /// passes run in full batches on every thread (a handful of rows per batch left all but one core idle).
    private static let ablationBatch = 128

    /// Head importance: the waiting bound windows scored again with each head zeroed in turn; the change of
    /// the first logit (all heads minus ablated) goes to the head diagnostics. Each head's changes are added
    /// in input order, so when the windows wait does not change the sums.
    private func ablatePending() throws {
        guard !pendingAblation.isEmpty else { return }
        let rows = pendingAblation.map(\.ids)
        for layer in 0..<config.nLayers {
            for head in 0..<config.nHeads {
                let ablated = try encoder.forward(tokenRows: rows, keepAttention: false, ablating: (layer, head))
                for (k, entry) in pendingAblation.enumerated() {
                    diagnostics.addImportance(HeadIndex(layer: layer, head: head), change: Double(entry.logit - ablated.logits(window: k).first!))
                }
            }
        }
        pendingAblation.removeAll()
    }

    /// Whether a bound window is one of the `ablationFraction` whose heads are ablated (a hash of its position).
    private func chosenForAblation(_ window: Window) -> Bool {
        guard options.ablationFraction > 0 else { return false }
        let hash = StableHash.fnv1a(window.sourceName)
        var generator = SeededGenerator(seed: hash ^ UInt64(bitPattern: Int64(window.start)) &* 0x9E37_79B9_7F4A_7C15
                                        ^ (window.strand == .minus ? 0xA5A5 : 0) ^ 0x4142_4C41_5445)
        return generator.uniformDouble() < options.ablationFraction
    }

    /// Database motif instances in `bases` (the sites re-embedded in shuffled background; the same in both
    /// passes of a run with discovered instances, so both passes shuffle alike).
    public func instances(in bases: [UInt8]) -> [MotifInstance] { reembeddingScanner.scan(bases) }

    /// Motif instances of every window, scanned in parallel (one scanner per thread, windows in fixed chunks).
    private func scanInstances(_ windows: [Window]) -> [[MotifInstance]] {
        var results = [[MotifInstance]](repeating: [], count: windows.count)
        let workers = scanners.count
        let chunk = (windows.count + workers - 1) / workers
        results.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let start = w * chunk, end = min(windows.count, start + chunk)
                guard start < end else { return }
                for i in start..<end { (base + i).pointee = scanners[w].scan(windows[i].bases) }
            }
        }
        return results
    }

    private func keepForReport(_ window: WindowAttention, probability: Double, instances: [MotifInstance]) {
        let map = ReportContent.WindowMap(label: window.window.label, probability: probability, layer: 0, head: 0,
                                          tokenSpans: window.tokenSpans, attention: [],
                                          instances: instances.map { .init(name: motifNames[$0.motifID] ?? $0.motifID, start: $0.start, end: $0.end) })
        keepForReport((probability, map, window))
    }

    /// Keeps the `reportWindows` most probable bound windows; ties go to the smaller label (genome order
    /// within a contig), so the choice does not depend on the order windows arrive in.
    private func keepForReport(_ entry: (probability: Double, map: ReportContent.WindowMap, attention: WindowAttention)) {
        guard options.reportWindows > 0 else { return }
        topWindows.append(entry)
        topWindows.sort { a, b in
            if a.probability != b.probability { return a.probability > b.probability }
            let x = a.attention.window, y = b.attention.window
            return (x.sourceName, x.start, x.strand.rawValue) < (y.sourceName, y.start, y.strand.rawValue)
        }
        if topWindows.count > options.reportWindows { topWindows.removeLast() }
    }

    /// Writes everything accumulated so far (the `scan --partial` state): motif discovery, head
    /// diagnostics, co-attention and the report's candidate windows.
    public func encodeState(to writer: inout StateWriter) throws {
        try ablatePending()
        discovery.encode(to: &writer)
        diagnostics.encode(to: &writer)
        coAttention.encode(to: &writer)
        pairSamples?.encode(to: &writer)
        writer.int(topWindows.count)
        for entry in topWindows {
            let w = entry.attention.window
            writer.double(entry.probability)
            writer.string(w.sourceName); writer.int(w.start); writer.int(w.end); writer.string(w.strand.rawValue)
            writer.data(w.bases); writer.string(w.name ?? "")
            writer.int(entry.attention.tokenSpans.count)
            for span in entry.attention.tokenSpans { writer.int(span.lowerBound); writer.int(span.upperBound) }
            writer.int(entry.attention.layers); writer.int(entry.attention.heads)
            writer.floats(entry.attention.attention)
            writer.int(entry.map.instances.count)
            for instance in entry.map.instances { writer.string(instance.name); writer.int(instance.start); writer.int(instance.end) }
        }
    }

    /// Adds a state written by `encodeState(to:)` (another shard of the same run).
    public func mergeState(from reader: inout StateReader) throws {
        try discovery.merge(from: &reader)
        try diagnostics.merge(from: &reader)
        try coAttention.merge(from: &reader)
        try pairSamples?.merge(from: &reader)
        for _ in 0..<(try reader.count()) {
            let probability = try reader.double()
            let sourceName = try reader.string(), start = try reader.int(), end = try reader.int()
            guard let strand = Strand(rawValue: try reader.string()) else { throw PartialStateError.truncated(path: reader.path) }
            let bases = try reader.data(), name = try reader.string()
            var spans: [Range<Int>] = []
            for _ in 0..<(try reader.count()) {
                let lower = try reader.int(), upper = try reader.int()
                guard lower <= upper else { throw PartialStateError.truncated(path: reader.path) }
                spans.append(lower..<upper)
            }
            // results() cuts one head's map out of these: they must be the model's layers and heads.
            let layers = try reader.count(limit: 1 << 16), heads = try reader.count(limit: 1 << 16)
            let attention = try reader.floats()
            let (perHead, overflow) = spans.count.multipliedReportingOverflow(by: spans.count)
            guard layers == config.nLayers, heads == config.nHeads, spans.count <= config.maxLen, !overflow,
                  attention.count == layers * heads * perHead else { throw PartialStateError.truncated(path: reader.path) }
            var instances: [ReportContent.Instance] = []
            for _ in 0..<(try reader.count()) {
                let name = try reader.string(), start = try reader.int(), end = try reader.int()
                guard start <= end else { throw PartialStateError.truncated(path: reader.path) }  // the report draws start..<end
                instances.append(.init(name: name, start: start, end: end))
            }
            let window = Window(sourceName: sourceName, start: start, end: end, strand: strand, bases: bases, name: name.isEmpty ? nil : name)
            let attended = WindowAttention(window: window, label: .bound, tokenSpans: spans, layers: layers, heads: heads, attention: attention)
            let map = ReportContent.WindowMap(label: window.label, probability: probability, layer: 0, head: 0, tokenSpans: spans,
                                              attention: [], instances: instances)
            keepForReport((probability, map, attended))
        }
    }

    /// Tests everything accumulated; head motifs are matched against the database.
    public func results() throws -> AnalysisResults {
        try ablatePending()
        // Head motifs (with their database matches) and the co-attention tests are independent: side by side.
        var headMotifs: [HeadMotif] = [], matches: [MotifMatch] = [], tested: [Interaction] = []
        DispatchQueue.concurrentPerform(iterations: 2) { task in
            if task == 0 {
                let comparator = MotifComparator(targets: database.motifs)
                // Database classes: a head's motifs matching look-alikes of one factor are reported once.
                let factor = databaseClasses.representative
                headMotifs = discovery.motifs(maxQValue: options.maxQValue, maxMotifsPerHead: options.maxMotifsPerHead, comparator: comparator,
                                              sameFactor: { factor[$0] })
                matches = headMotifs.flatMap(\.matches)
            } else {
                tested = coAttention.testedRows()
            }
        }
        if let pairSamples { tested = try testEpistasis(tested, samples: pairSamples) }
        tested = CoAttentionAccumulator.ranked(tested)
        var interactions = Array(tested.lazy.filter { $0.qValue <= self.options.interactionMaxQValue }.prefix(options.maxInteractionRows))
        // The members of each row's classes, for the rows written only (a run tests tens of thousands).
        let index = Dictionary(instanceMotifs.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        func members(_ id: String) -> [String] { (index[id].flatMap { classes.members[$0] } ?? []).map { instanceMotifs[$0].id } }
        for i in interactions.indices {
            interactions[i].membersA = members(interactions[i].motifA)
            interactions[i].membersB = members(interactions[i].motifB)
        }
        // Heat maps show the head where the best interaction is strongest (else layer 0 head 0).
        let shownHead = interactions.first?.bestHead ?? interactions.first?.head ?? HeadIndex(layer: 0, head: 0)
        let windows = topWindows.map { entry -> ReportContent.WindowMap in
            var map = entry.map
            map.layer = shownHead.layer
            map.head = shownHead.head
            let n = entry.attention.tokens, size = n * n
            let start = (shownHead.layer * entry.attention.heads + shownHead.head) * size
            map.attention = Array(entry.attention.attention[start..<(start + size)])
            return map
        }
        return AnalysisResults(headMotifs: headMotifs, matches: matches, interactions: interactions, interactionsTested: tested.count, heads: diagnostics.diagnostics(),
                               boundWindows: boundWindows, backgroundWindows: backgroundWindows, reportWindows: windows)
    }

    /// The epistasis test (`EpistasisTest`) of the first `epistasisPairs` pairs by co-attention elevation
    /// (smallest elevation p-value of any of the pair's rows, then largest effect); each row's p-value becomes
    /// the larger of its elevation p-value and its pair's epistasis p-value, and rows of pairs not tested get 1.
    /// The knocked-out windows are scored in batches on the encoder's threads; every random base comes
    /// from a seed made of the window's label hash and the pair, so the result does not depend on threads.
    private func testEpistasis(_ rows: [Interaction], samples: PairWindowSamples) throws -> [Interaction] {
        let index = Dictionary(instanceMotifs.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        func pairKey(_ row: Interaction) -> Int? {
            guard let a = index[row.motifA], let b = index[row.motifB] else { return nil }
            return min(a, b) * instanceMotifs.count + max(a, b)
        }
        var strongest: [Int: (p: Double, effect: Double)] = [:]
        for row in rows {
            guard let key = pairKey(row) else { continue }
            let effect = row.effect.isNaN ? -1 : row.effect
            if let seen = strongest[key], (seen.p, -seen.effect) <= (row.elevationPValue, -effect) { continue }
            strongest[key] = (row.elevationPValue, effect)
        }
        let minimum = options.coAttention.minimumBound
        let candidates = strongest.sorted { ($0.value.p, -$0.value.effect, $0.key) < ($1.value.p, -$1.value.effect, $1.key) }
            .map(\.key)
            .filter { samples.entries($0 / instanceMotifs.count, $0 % instanceMotifs.count).count >= minimum }
            .prefix(options.epistasisPairs)
        // Three knocked-out copies per sampled window: site A, site B, both.
        var variants: [[Int32]] = []
        var plan: [(key: Int, logit: Float)] = []
        for key in candidates {
            for entry in samples.entries(key / instanceMotifs.count, key % instanceMotifs.count) {
                let window = samples.window(entry.window)
                let seed = StableHash.mix(window.priority ^ StableHash.mix(UInt64(key)))
                for (v, sites) in [entry.sitesA, entry.sitesB, entry.sitesA + entry.sitesB].enumerated() {
                    let bases = EpistasisTest.knockedOut(window.bases, sites: sites, seed: seed &+ UInt64(v))
                    variants.append(tokenizer.encode(bases).ids)
                }
                plan.append((key, window.logit))
            }
        }
        var logits: [Float] = []
        logits.reserveCapacity(variants.count)
        let batch = 512
        for start in stride(from: 0, to: variants.count, by: batch) {
            let output = try encoder.forward(tokenRows: Array(variants[start..<min(variants.count, start + batch)]), keepAttention: false)
            for w in 0..<min(batch, variants.count - start) { logits.append(output.logits(window: w).first!) }
        }
        var interactions: [Int: [Double]] = [:]
        for (k, entry) in plan.enumerated() {
            let withoutA = logits[3 * k], withoutB = logits[3 * k + 1], withoutBoth = logits[3 * k + 2]
            interactions[entry.key, default: []].append(Double(entry.logit) - Double(withoutA) - Double(withoutB) + Double(withoutBoth))
        }
        let tests = interactions.mapValues { EpistasisTest(interactions: $0) }
        return rows.map { row in
            var row = row
            if let key = pairKey(row), let test = tests[key] {
                row.epistasis = test
                row.pValue = max(row.elevationPValue, test.pValue)
            } else {
                row.pValue = 1
            }
            return row
        }
    }

    /// The report page's content for `results`.
    public func reportContent(_ results: AnalysisResults, title: String, summary: [(String, String)]) -> ReportContent {
        let motifs = results.headMotifs.prefix(40).map { m -> ReportContent.HeadMotif in
            var target: [[Double]]?
            if let match = m.bestMatch {
                let motif = database.motifs[match.targetIndex]
                target = (match.orientation == .minus ? motif.reverseComplement : motif).probabilities
            }
            return ReportContent.HeadMotif(id: m.motif.id, layer: m.head.layer, head: m.head.head, consensus: m.motif.consensus,
                                           sites: m.sites, qValue: m.qValue, matrix: m.motif.probabilities,
                                           matchID: m.bestMatch?.targetID, matchName: m.bestMatch?.targetName,
                                           matchQValue: m.bestMatch?.qValue, matchMatrix: target, matchOffset: m.bestMatch?.offset ?? 0)
        }
        let interactionRows = results.interactions.prefix(30).map { i in
            // A class of look-alikes shows as its representative's name and the class size: "ELK4 (+51)".
            func name(_ own: String, _ members: [String]) -> String { members.count > 1 ? "\(own) (+\(members.count - 1))" : own }
            return [i.motifA, name(i.nameA, i.membersA), i.motifB, name(i.nameB, i.membersB), i.headLabel, "\(i.boundCount)", String(format: "%.3f", i.meanBound),
             String(format: "%.3f", i.meanBackground), String(format: "%.3f", i.effect),
             i.epistasis.map { String(format: "%.2f", $0.mean) } ?? "NA", String(format: "%.2e", i.qValue),
             String(format: "%.0f", i.medianDistance), i.orientation]
        }
        let headRows = results.heads.map { h in
            ["\(h.head.layer)", "\(h.head.head)", String(format: "%.2f", h.meanEntropy), String(format: "%.2f", h.redundancy),
             h.collapsed ? "yes" : "no", h.prune ? "yes" : "no", h.importance.map { String(format: "%.4f", $0) } ?? "NA"]
        }
        return ReportContent(title: title, summary: summary, headMotifs: Array(motifs),
                             interactionColumns: ["motif_a", "name_a", "motif_b", "name_b", "head", "n_bound", "mean_bound",
                                                  "mean_background", "effect", "epistasis", "q_value", "median_distance", "orientation"],
                             interactionRows: interactionRows,
                             headColumns: ["layer", "head", "entropy_bits", "redundancy", "collapsed", "prune", "importance"],
                             headRows: headRows, windows: results.reportWindows)
    }
}
