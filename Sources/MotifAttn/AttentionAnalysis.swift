import Dispatch
import Foundation
import MotifAttnAnalysis
import MotifAttnIO
import MotifAttnCore
import MotifAttnModel
import MotifAttnTokenizers

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
    let config: ModelConfig
    /// The instance scanner, shared by the threads that scan a batch.
    private let scanner: InstanceScanner
    /// Database scanner for the sites re-embedded in shuffled background (`instances(in:)`).
    private let reembeddingScanner: MotifScanner
    let discovery: HeadMotifDiscovery
    let diagnostics = HeadDiagnosticsAccumulator()
    let coAttention: CoAttentionAccumulator
    /// Sampled bound windows per pair, for the epistasis test (nil with the mutual-best test).
    let pairSamples: PairWindowSamples?
    var topWindows: [(probability: Double, map: ReportContent.WindowMap, attention: WindowAttention)] = []
    private let motifNames: [String: String]
    /// Look-alike classes of `instanceMotifs` the co-attention pairs.
    public let classes: MotifClasses
    /// Look-alike classes of the database motifs.
    private let databaseClasses: MotifClasses
    /// Token ids and full-model first logit of bound windows waiting for the head ablation.
    private var pendingAblation: [(ids: [Int32], logit: Float)] = []
    /// Bound and background windows kept for activation patching (`options.patchPairs` of each).
    private lazy var patchingSample = PatchingSample(capacity: options.patchPairs)

    /// Prepares an analysis with `encoder` (its model's tokenizer) and the motifs in `options`; `message`
    /// hears of slow preparation (measuring look-alike classes of a database without a matching classes file).
    /// `discovered`: the head motifs of a first pass over the same windows, scanned for instances when
    /// `options.instances` asks for them (`InstanceSource`); ignored otherwise.
    public init(encoder: Encoder, options: AnalysisOptions, discovered: [HeadMotif] = [], message: ((String) -> Void)? = nil) throws {
        self.encoder = encoder
        self.options = options
        discovery = HeadMotifDiscovery(settings: options.headMotifs)
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
        scanner = InstanceScanner(database: options.instances == .discovered ? [] : database.motifs, databaseThreshold: options.instanceThreshold,
                                  discovered: Array(instanceSet.motifs[instanceSet.discoveredStart...]),
                                  discoveredThreshold: Self.discoveredThreshold(options))
        scanner.preparationThreads = max(1, options.threads)
        reembeddingScanner = MotifScanner(motifs: database.motifs, threshold: options.instanceThreshold)
        coAttention = CoAttentionAccumulator(motifs: instanceMotifs, layout: config.headLayout, settings: options.coAttention)
        pairSamples = options.pairSpecificity == .epistasis
            ? PairWindowSamples(motifCount: instanceMotifs.count, capacity: max(options.epistasisWindows, options.epistasisFollowUpWindows),
                                order: options.epistasisSample) : nil
    }

    /// Instance threshold of discovered motifs: width-aware (`HeadMotifSettings.discoveredInstanceRecall` of a
    /// short motif's own sites pass, never looser than `instanceMaxPValue`).
    static func discoveredThreshold(_ options: AnalysisOptions) -> InstanceThreshold {
        InstanceThreshold(pValue: options.instancePValue, recall: options.headMotifs.discoveredInstanceRecall,
                          ceiling: max(options.instancePValue, options.instanceMaxPValue))
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
        // The encoder and the motif scan each use every thread, one after the other: run side by side they
        // took longer, since each step of the encoder waits for its slowest thread.
        // Each window's maps are copied out on the encoder's threads as its batch finishes, each to its own slot.
        var copied = [AttentionMaps?](repeating: nil, count: windows.count)
        let output = try copied.withUnsafeMutableBufferPointer { buffer in
            let slots = buffer
            return try encoder.forward(tokenRows: tokenized.map(\.ids), keepAttention: true,
                                       copyingAttention: { r, view in slots[r] = self.mapStorage.copy(view) })
        }
        let maps = copied.map { maps -> AttentionMaps in
            guard let maps else { preconditionFailure("the encoder hands over every window's maps") }
            return maps
        }
        defer { mapStorage.giveBack(maps) }
        let instances = scanInstances(windows)
        let logits = windows.indices.map { Array(output.logits(window: $0)) }
        try accumulate(windows, labels: labels, tokenized: tokenized, logits: logits, maps: maps, instances: instances)
        return logits
    }

    /// Storage of the attention maps of the batch being added, reused from batch to batch (freed by `results()`).
    private let mapStorage = ReusableMapStorage()

    /// Adds windows that have already been through the encoder with their attention kept (the scan's scoring
    /// pass keeps the maps of the windows it picks for the analysis, so they need no second forward pass).
    /// `logits[i]` and `attention[i]` are window `i`'s, from `Encoder.forward`.
    public func add(_ windows: [Window], labels: [WindowLabel], logits: [[Float]], attention: [AttentionMaps]) throws {
        precondition(windows.count == labels.count && windows.count == logits.count && windows.count == attention.count)
        guard !windows.isEmpty else { return }
        let tokenized = windows.map { tokenizer.encode($0.bases) }
        for (i, maps) in attention.enumerated() {
            precondition(maps.tokens == tokenized[i].ids.count && maps.probabilities.count == maps.layout.count * maps.tokens * maps.tokens,
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
                            layout: maps[i].layout, attention: maps[i].probabilities)
        }
        // The accumulators are independent: each runs on its own thread and takes the windows in input order, so
        // the results are the same for any thread count. The longest (co-attention) starts first.
        // Samples ordered by co-attention take each window's pair scores from the co-attention, in its task.
        let samplesByAttention = options.epistasisSample == .attended
        DispatchQueue.concurrentPerform(iterations: 4) { task in
            switch task {
            case 0:
                for (i, (window, found)) in zip(attended, classInstances).enumerated() {
                    let scores = coAttention.add(window, instances: found)
                    if samplesByAttention, labels[i] == .bound {
                        pairSamples?.add(windows[i], logit: logits[i][0], instances: found, coAttention: scores)
                    }
                }
            case 1: for window in attended { discovery.add(window) }
            case 2: for window in attended { diagnostics.add(window) }
            default:
                guard let pairSamples, !samplesByAttention else { return }
                for i in windows.indices where labels[i] == .bound {
                    pairSamples.add(windows[i], logit: logits[i][0], instances: classInstances[i])
                }
            }
        }
        for i in windows.indices where labels[i] == .bound {
            keepForReport(attended[i], probability: logistic(logits[i][0]), instances: instances[i])
        }
        if options.patchPairs > 0 {
            for i in windows.indices { patchingSample.add(windows[i], ids: tokenized[i].ids, bound: labels[i] == .bound) }
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
    func ablatePending() throws {
        guard !pendingAblation.isEmpty else { return }
        let rows = pendingAblation.map(\.ids)
        for (layer, heads) in encoder.headLayout.headsByLayer.enumerated() {
            for head in heads {
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

    /// Motif instances of every window, scanned on `options.threads` threads with one shared scanner (its GC
    /// levels prepared for the batch first, so that no thread waits for another to build one).
    private func scanInstances(_ windows: [Window]) -> [[MotifInstance]] {
        scanner.prepareLevels(of: windows.map(\.bases))
        return parallelMap(count: windows.count, threads: max(1, options.threads)) { scanner.scan(windows[$0].bases) }
    }

    func keepForReport(_ window: WindowAttention, probability: Double, instances: [MotifInstance]) {
        let map = ReportContent.WindowMap(label: window.window.label, probability: probability, layer: 0, head: 0,
                                          tokenSpans: window.tokenSpans, attention: [],
                                          instances: instances.map { .init(name: motifNames[$0.motifID] ?? $0.motifID, start: $0.start, end: $0.end) })
        keepForReport((probability, map, window))
    }

    /// Keeps the `reportWindows` most probable bound windows; ties go to the smaller label (genome order
    /// within a contig), so the choice does not depend on the order windows arrive in.
    func keepForReport(_ entry: (probability: Double, map: ReportContent.WindowMap, attention: WindowAttention)) {
        guard options.reportWindows > 0 else { return }
        topWindows.append(entry)
        topWindows.sort { a, b in
            if a.probability != b.probability { return a.probability > b.probability }
            let x = a.attention.window, y = b.attention.window
            return (x.sourceName, x.start, x.strand.rawValue) < (y.sourceName, y.start, y.strand.rawValue)
        }
        if topWindows.count > options.reportWindows { topWindows.removeLast() }
    }

    /// Tests everything accumulated; head motifs are matched against the database.
    public func results() throws -> AnalysisResults {
        // The maps of the last batch are not needed any more.
        mapStorage.release()
        try ablatePending()
        // Head motifs (with their database matches) and the co-attention tests with their knock-out passes are
        // independent: side by side (the head motifs leave a thread idle at times, which the encoder then uses).
        var headMotifs: [HeadMotif] = [], matches: [MotifMatch] = [], tested: [Interaction] = []
        var pairsTested = 0
        var testFailure: Error?
        // One comparison with the database serves the head motifs and, after, the look-alike echoes.
        let comparator = MotifComparator(targets: database.motifs)
        DispatchQueue.concurrentPerform(iterations: 2) { task in
            if task == 0 {
                // Database classes: a head's motifs matching look-alikes of one factor are reported once.
                let factor = databaseClasses.representative
                headMotifs = discovery.motifs(maxQValue: options.maxQValue, comparator: comparator,
                                              sameFactor: { factor[$0] }, threads: max(1, options.threads))
                matches = headMotifs.flatMap(\.matches)
            } else {
                tested = coAttention.testedRows()
                guard let pairSamples else { return }
                do {
                    pairsTested = try pairSamples.testEpistasis(updating: &tested, motifs: instanceMotifs, reportableQ: options.interactionMaxQValue,
                                                  maxPairs: options.epistasisPairs, morePairs: options.epistasisMorePairs,
                                                  family: options.epistasisFamily,
                                                  minimumWindows: options.coAttention.minimumBound, scale: options.epistasisScale,
                                                  minimumJointShare: options.epistasisMinimumJointShare,
                                                  firstLook: options.epistasisWindows, followUp: options.epistasisFollowUpWindows,
                                                  followUpP: options.epistasisFollowUpP, seed: options.epistasisSeed,
                                                  firstLogits: firstLogits)
                } catch {
                    testFailure = error
                }
            }
        }
        if let testFailure { throw testFailure }
        // Ranked in place: a run tests tens of thousands of rows, and each copy of them is tens of megabytes.
        CoAttentionAccumulator.rank(&tested, family: pairSamples != nil ? options.epistasisFamily : .allRows)
        var interactions = Array(tested.lazy.filter { $0.qValue <= self.options.interactionMaxQValue }.prefix(options.maxInteractionRows))
        // The members of each row's classes, for the rows written only (a run tests tens of thousands).
        let index = Dictionary(instanceMotifs.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        func members(_ id: String) -> [String] { (index[id].flatMap { classes.members[$0] } ?? []).map { instanceMotifs[$0].id } }
        // A class is named by the family its members share, its representative and its size (`MotifClasses.label`).
        for i in interactions.indices {
            interactions[i].membersA = members(interactions[i].motifA)
            interactions[i].membersB = members(interactions[i].motifB)
            interactions[i].nameA = MotifClasses.label(representative: interactions[i].nameA, members: interactions[i].membersA,
                                                       annotations: annotations)
            interactions[i].nameB = MotifClasses.label(representative: interactions[i].nameB, members: interactions[i].membersB,
                                                       annotations: annotations)
        }
        // A pair that repeats a stronger one through a look-alike of one motif is marked as its echo: two motifs are
        // look-alikes when either matches a member of the other's class (the head motifs' database comparison, q ≤ --max-q),
        // or when at least `echoSiteShare` of the later pair's sites of the one are also sites of the other's class
        // (`LookAlikeEchoes.siteShare`).
        if !interactions.isEmpty {
            var matchesOf: [String: Set<String>] = [:]
            func matches(_ id: String) -> Set<String> {
                if let known = matchesOf[id] { return known }
                let found = index[id].map { Set(comparator.compare(instanceMotifs[$0]).filter { $0.qValue <= options.maxQValue }.map(\.targetID)) } ?? []
                matchesOf[id] = found
                return found
            }
            func classOf(_ id: String) -> Set<String> { Set(members(id) + [id]) }
            // `mark` can ask the same question twice for one pair; each scan of the sites is made once.
            var sharedByQuestion: [String: Bool] = [:]
            func sharesSites(_ motif: String, _ root: String, _ pair: (a: String, b: String)) -> Bool {
                guard options.echoSiteShare > 0, let pairSamples, let m = index[motif], let r = index[root],
                      let a = index[pair.a], let b = index[pair.b] else { return false }
                let question = [motif, root, pair.a, pair.b].joined(separator: "\t")
                if let known = sharedByQuestion[question] { return known }
                let share = LookAlikeEchoes.siteShare(of: m, inPair: a, b, calledBy: r, samples: pairSamples,
                                                      windows: options.epistasisWindows) { bases, site in
                    classes.relabel(scanner.scan(bases, overlapping: site), motifs: instanceMotifs)
                }
                let shared = (share ?? 0) >= options.echoSiteShare
                sharedByQuestion[question] = shared
                return shared
            }
            LookAlikeEchoes.mark(&interactions) { motif, root, pair in
                !matches(motif).isDisjoint(with: classOf(root)) || !matches(root).isDisjoint(with: classOf(motif))
                    || sharesSites(motif, root, pair)
            }
        }
        // Heat maps show the head where the best interaction is strongest (else the first head of layer 0).
        let layout = config.headLayout
        let shownHead = interactions.first?.bestHead ?? interactions.first?.head ?? HeadIndex(layer: 0, head: layout.headsByLayer.first?.first ?? 0)
        let windows = topWindows.map { entry -> ReportContent.WindowMap in
            var map = entry.map
            map.layer = shownHead.layer
            map.head = shownHead.head
            let n = entry.attention.tokens, size = n * n
            let start = (layout.slot(layer: shownHead.layer, head: shownHead.head) ?? 0) * size
            map.attention = Array(entry.attention.attention[start..<(start + size)])
            return map
        }
        var heads = diagnostics.diagnostics()
        if options.patchPairs > 0 {
            let effects = try HeadPatching.measure(encoder: encoder, pairs: patchingSample.pairs())
            for i in heads.indices { heads[i].patch = effects[heads[i].head] }
        }
        var results = AnalysisResults(headMotifs: headMotifs, matches: matches, interactions: interactions, interactionsTested: tested.count,
                                      heads: heads, boundWindows: boundWindows, backgroundWindows: backgroundWindows, reportWindows: windows)
        results.pairsTestedForEpistasis = pairsTested
        return results
    }

    /// First logits of `windows` through the encoder, in batches of 512 on the encoder's threads.
    private func firstLogits(_ windows: [[UInt8]]) throws -> [Float] {
        var logits: [Float] = []
        logits.reserveCapacity(windows.count)
        let batch = 512
        for start in stride(from: 0, to: windows.count, by: batch) {
            let rows = windows[start..<min(windows.count, start + batch)].map { tokenizer.encode($0).ids }
            let output = try encoder.forward(tokenRows: rows, keepAttention: false)
            for w in 0..<rows.count { logits.append(output.logits(window: w).first!) }
        }
        return logits
    }
}
