import MotifAttnCore

/// Does the model use a motif pair jointly? The pair's sites knocked out one at a time and together,
/// in the pair's sampled bound windows (`PairWindowSamples`).
///
/// Per window, with `L` the model's first logit and `L_A`, `L_B`, `L_AB` the logits with site A, site B
/// or both replaced by random bases (`knockedOut`), the interaction is `L − L_A − L_B + L_AB`: how much
/// more the two sites are worth together than the sum of their separate worth. A model that needs both
/// sites (an AND of the two TFs) gives about `L − L_without` > 0; a site that adds evidence on its own,
/// whatever the other does, gives about 0. The test is a one-sided Wilcoxon signed-rank test over the
/// windows (`Statistics.wilcoxonSignedRankGreater`): it uses the sizes of the interactions through their
/// ranks, so a window where only one site of the pair was truly planted (interaction about 0) weighs
/// little, and one extreme window cannot dominate it.
public struct EpistasisTest: Sendable, Equatable {
    /// Windows tested.
    public var windows: Int
    /// Mean interaction, on the scale it was measured (`EpistasisScale`).
    public var mean: Double
    /// Fraction of windows with a positive interaction.
    public var positiveFraction: Double
    /// The interaction's share of the pair's joint worth: mean interaction ÷ mean `L − L_AB` (what the two sites
    /// are worth together). About 1 when the model needs both sites (an AND), about 0 when it adds them; nan
    /// without windows, or when the two sites are worth nothing together on average.
    public var jointShare: Double = .nan
    /// One-sided Wilcoxon signed-rank p-value (interactions tend to be positive); for a pair that could be
    /// looked at twice (`PairWindowSamples.testEpistasis`), twice the smaller of the two looks' p-values.
    public var pValue: Double
    /// Looks taken at the pair: 1, or 2 when the first look's windows were followed by more (`windows`,
    /// `mean` and `positiveFraction` are then those of all the windows of the second look).
    public var looks = 1
    /// Benjamini–Hochberg q-value of `pValue` over the pairs tested in the run (`EpistasisFamily.testedPairs`);
    /// nan until `PairWindowSamples.testEpistasis` sets it.
    public var qValue: Double = .nan

    /// The test of per-window interactions `L − L_A − L_B + L_AB`. With `jointWorth` (per window `L − L_AB`, in
    /// the same order) and `minimumJointShare` s > 0, the test asks whether the interactions exceed s × the joint
    /// worth: the signed-rank test of `interaction − s × worth` (`mean` and `positiveFraction` stay those of the
    /// interactions).
    public init(interactions: [Double], jointWorth: [Double] = [], minimumJointShare: Double = 0) {
        precondition(jointWorth.isEmpty || jointWorth.count == interactions.count, "one joint worth per interaction")
        windows = interactions.count
        mean = interactions.isEmpty ? .nan : interactions.reduce(0, +) / Double(interactions.count)
        let positive = interactions.filter { $0 > 0 }.count
        positiveFraction = interactions.isEmpty ? .nan : Double(positive) / Double(interactions.count)
        if !jointWorth.isEmpty {
            let worth = jointWorth.reduce(0, +) / Double(jointWorth.count)
            jointShare = worth > 0 ? mean / worth : .nan
        }
        let tested = minimumJointShare > 0 && !jointWorth.isEmpty
            ? zip(interactions, jointWorth).map { $0 - minimumJointShare * $1 } : interactions
        pValue = Statistics.wilcoxonSignedRankGreater(tested).p
    }

    /// `bases` with every base of `sites` replaced by a random base drawn with the window's own A/C/G/T
    /// frequencies (uniform when it has none), from `seed` (the same seed gives the same bases).
    public static func knockedOut(_ bases: [UInt8], sites: [Range<Int>], seed: UInt64) -> [UInt8] {
        var counts = [Double](repeating: 0, count: 4)
        for base in bases { if let code = Nucleotides.code(base) { counts[Int(code)] += 1 } }
        let total = counts.reduce(0, +)
        let frequencies = total > 0 ? counts.map { $0 / total } : [0.25, 0.25, 0.25, 0.25]
        var generator = SeededGenerator(seed: seed)
        var result = bases
        for site in sites {
            for i in site where i >= 0 && i < result.count { result[i] = generator.base(drawnFrom: frequencies) }
        }
        return result
    }
}

extension PairWindowSamples {
    /// The epistasis test (`EpistasisTest`) of every pair that could be reported: the pairs with a row whose
    /// elevation p-value alone has a Benjamini–Hochberg q ≤ `reportableQ` over all `rows` (a row's final p-value
    /// is the larger of its elevation and epistasis p-values, and BH q-values never fall when p-values rise, so
    /// no other row can reach q ≤ `reportableQ`), with at least `minimumWindows` sampled windows. With
    /// `maxPairs` > 0, the first that many of them, strongest elevation first (smallest elevation p-value of any
    /// of the pair's rows, then largest effect), and with `morePairs` > 0 further groups while they yield. Each
    /// row's p-value becomes the larger of its elevation p-value and its pair's epistasis p-value; rows of pairs
    /// not tested get 1. Each test's `qValue` is Benjamini–Hochberg
    /// over the pairs tested (in pair order, so it does not depend on the order of `rows`).
    ///
    /// - Parameters:
    ///   - rows: the tested co-attention rows.
    ///   - motifs: the instance motifs the rows' ids name (row motif ids are looked up in it; `self` was
    ///     filled with indices into it).
    ///   - reportableQ: the q-value a row's elevation p-value must reach for its pair to be tested.
    ///   - maxPairs: with a value > 0, the pairs tested first, strongest elevation first (0: every candidate).
    ///   - morePairs: with a value > 0, after the first `maxPairs` the next candidates are tested this many at a
    ///     time while the last group tested (for the first group, its last `morePairs` pairs) holds a pair with a row
    ///     that would be reported: q ≤ `reportableQ` in `family`, over the pairs tested so far.
    ///   - family: the q-value family of the ranking that follows (`CoAttentionAccumulator.rank(_:family:)`), for
    ///     `morePairs`' question.
    ///   - minimumWindows: the fewest sampled windows a pair needs to be tested.
    ///   - scale: the scale of the interaction: logits or the probability of the first output.
    ///   - minimumJointShare: the share of the two sites' joint worth the interaction must exceed (0: the interaction
    ///     must exceed 0; `EpistasisTest.init(interactions:jointWorth:minimumJointShare:)`).
    ///   - firstLook: windows of the first look (the first ones in sampling order).
    ///   - followUp: windows of the second look (0, or not above `firstLook`: one look). A pair whose first look
    ///     gives p ≤ `followUpP` is knocked out again in its next sampled windows, up to `followUp` in all, and
    ///     tested on all of them. Every pair sampled in more than `firstLook` windows could be looked at twice,
    ///     so its p-value is twice the smaller of its looks' (Bonferroni over the two looks: the level holds
    ///     whatever the first look decided); a pair with no more windows keeps its one look's p-value.
    ///   - followUpP: the first-look p-value at or below which a pair gets the second look (1 follows every
    ///     pair with more windows than the first look).
    ///   - seed: the run's seed, mixed into every knocked-out copy's seed.
    ///   - firstLogits: the model's first logit of each window it is given, in order. It receives, per
    ///     sampled window of each tested pair, three knocked-out copies (site A, site B, both), every random
    ///     base drawn from a seed made of `seed`, the window's sampling priority (its hash; with
    ///     `EpistasisSample.strongest` also its logit step) and the sites replaced, so the result does not depend
    ///     on threads or batching, and a copy that several pairs ask for (the same sites of the same window) is
    ///     scored once.
    public func testEpistasis(_ rows: [Interaction], motifs: [Motif], reportableQ: Double, maxPairs: Int = 0, morePairs: Int = 0,
                              family: EpistasisFamily = .allRows, minimumWindows: Int,
                              scale: EpistasisScale = .logit, minimumJointShare: Double = 0, firstLook: Int = .max, followUp: Int = 0,
                              followUpP: Double = 0.05, seed: UInt64 = 1, firstLogits: ([[UInt8]]) throws -> [Float]) throws -> [Interaction] {
        var rows = rows
        try testEpistasis(updating: &rows, motifs: motifs, reportableQ: reportableQ, maxPairs: maxPairs, morePairs: morePairs,
                          family: family, minimumWindows: minimumWindows,
                          scale: scale, minimumJointShare: minimumJointShare, firstLook: firstLook, followUp: followUp,
                          followUpP: followUpP, seed: seed, firstLogits: firstLogits)
        return rows
    }

    /// `testEpistasis(_:motifs:...)` on `rows` in place: a run's tens of thousands of rows are not copied.
    /// Returns the number of pairs tested.
    @discardableResult
    public func testEpistasis(updating rows: inout [Interaction], motifs: [Motif], reportableQ: Double, maxPairs: Int = 0,
                              morePairs: Int = 0, family: EpistasisFamily = .allRows,
                              minimumWindows: Int, scale: EpistasisScale = .logit, minimumJointShare: Double = 0,
                              firstLook: Int = .max, followUp: Int = 0, followUpP: Double = 0.05, seed: UInt64 = 1,
                              firstLogits: ([[UInt8]]) throws -> [Float]) throws -> Int {
        let index = Dictionary(motifs.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let pairKeys = MotifPairKey(motifCount: motifs.count)
        func pairKey(_ row: Interaction) -> Int? {
            guard let a = index[row.motifA], let b = index[row.motifB] else { return nil }
            return pairKeys.key(a, b)
        }
        let keys = rows.map(pairKey)
        var strongest: [Int: (p: Double, effect: Double)] = [:]
        let elevationQ = Statistics.benjaminiHochberg(rows.map(\.elevationPValue))
        for (i, row) in rows.enumerated() where elevationQ[i] <= reportableQ {
            guard let key = keys[i] else { continue }
            let effect = row.effect.isNaN ? -1 : row.effect
            if let seen = strongest[key], (seen.p, -seen.effect) <= (row.elevationPValue, -effect) { continue }
            strongest[key] = (row.elevationPValue, effect)
        }
        let candidates = strongest.sorted { ($0.value.p, -$0.value.effect, $0.key) < ($1.value.p, -$1.value.effect, $1.key) }
            .map(\.key)
            .filter { let (a, b) = pairKeys.motifs(of: $0); return entryCount(a, b) >= minimumWindows }
        var entriesOf: [Int: [Entry]] = [:]
        var scored: [KnockedOutCopy: Float] = [:]
        var tests: [Int: EpistasisTest] = [:]
        func test(_ windows: [KnockOut]) -> EpistasisTest {
            EpistasisTest(interactions: windows.map(\.interaction), jointWorth: windows.map(\.jointWorth), minimumJointShare: minimumJointShare)
        }
        // One group of candidates: each pair's first look, then the second look of the promising ones. A pair's
        // test depends only on its own windows and copies, so testing in groups gives the pairs of the first
        // group the results they get alone (copies already scored for an earlier group are reused).
        func testGroup(_ group: ArraySlice<Int>) throws {
            for key in group { let (a, b) = pairKeys.motifs(of: key); entriesOf[key] = entries(a, b) }
            func lookAt(_ key: Int) -> Range<Int> { 0..<min(firstLook, entriesOf[key]!.count) }
            var looked = try knockOutInteractions(group.map { ($0, lookAt($0)) }, entriesOf: entriesOf, scale: scale, seed: seed,
                                                  scored: &scored, firstLogits: firstLogits)
            for (key, windows) in looked { tests[key] = test(windows) }
            guard followUp > firstLook else { return }
            // The second look: the pairs whose first look is promising, in their next windows (the first look's
            // knock-outs are reused: the same windows and seeds give the same logits).
            let followed = group.filter { (tests[$0]?.pValue ?? 1) <= followUpP && entriesOf[$0]!.count > firstLook }
            let more = try knockOutInteractions(followed.map { ($0, firstLook..<min(followUp, entriesOf[$0]!.count)) },
                                                entriesOf: entriesOf, scale: scale, seed: seed, scored: &scored, firstLogits: firstLogits)
            for key in group where entriesOf[key]!.count > firstLook {
                guard let first = tests[key]?.pValue else { continue }
                if let extra = more[key] {
                    looked[key]! += extra
                    tests[key] = test(looked[key]!)
                    tests[key]!.looks = 2
                }
                tests[key]!.pValue = min(1, 2 * min(first, tests[key]!.pValue))
            }
        }
        // The test-wide q-values (over the pairs tested so far), then each row's p-value from its pair's test.
        func settle() {
            let testedKeys = tests.keys.sorted()
            for (key, q) in zip(testedKeys, Statistics.benjaminiHochberg(testedKeys.map { tests[$0]!.pValue })) { tests[key]!.qValue = q }
            for i in rows.indices {
                if let key = keys[i], let test = tests[key] {
                    rows[i].epistasis = test
                    rows[i].pValue = max(rows[i].elevationPValue, test.pValue)
                } else {
                    rows[i].epistasis = nil
                    rows[i].pValue = 1
                }
            }
        }
        // Whether a pair of `group` has a row that would be reported now (q ≤ `reportableQ` in `family`, as
        // `CoAttentionAccumulator.rank` computes it).
        func reports(_ group: ArraySlice<Int>) -> Bool {
            let members = Set(group)
            switch family {
            case .allRows:
                let q = Statistics.benjaminiHochberg(rows.map(\.pValue))
                return rows.indices.contains { keys[$0].map(members.contains) == true && q[$0] <= reportableQ }
            case .testedPairs:
                return rows.indices.contains { i in
                    guard let key = keys[i], members.contains(key), let test = tests[key] else { return false }
                    return max(elevationQ[i], test.qValue) <= reportableQ
                }
            }
        }
        // The first `maxPairs` candidates; then, `morePairs` at a time, the next ones while the last group tested
        // holds a pair that would be reported (the first group's last `morePairs` stand for it).
        var tested = maxPairs > 0 ? min(maxPairs, candidates.count) : candidates.count
        try testGroup(candidates[0..<tested])
        settle()
        var last = candidates[max(0, tested - morePairs)..<tested]
        while morePairs > 0, tested < candidates.count, reports(last) {
            last = candidates[tested..<min(tested + morePairs, candidates.count)]
            try testGroup(last)
            tested = last.endIndex
            settle()
        }
        return tested
    }

    /// One window's knock-outs: the interaction `L − L_A − L_B + L_AB` and the two sites' joint worth `L − L_AB`.
    private struct KnockOut {
        var interaction: Double
        var jointWorth: Double
    }

    /// One knocked-out copy: a sampled window with a set of its sites replaced by random bases.
    private struct KnockedOutCopy: Hashable {
        var window: Int
        /// The sites replaced, in ascending order.
        var sites: [Range<Int>]

        init(window: Int, sites: [Range<Int>]) {
            self.window = window
            self.sites = sites.sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) }
        }

        /// The seed of the copy's random bases: the run's seed, the window's sampling priority and the sites
        /// replaced, so the copy is the same whichever pair asks for it, and is made and scored once.
        func seed(priority: UInt64, runSeed: UInt64) -> UInt64 {
            var seed = StableHash.mix(priority ^ StableHash.mix(runSeed))
            for site in sites {
                seed = StableHash.mix(seed ^ UInt64(site.lowerBound))
                seed = StableHash.mix(seed ^ UInt64(site.upperBound) &* 0x9E37_79B9_7F4A_7C15)
            }
            return seed
        }
    }

    /// The knock-out interactions of each pair's entries in `range` (indices into its sampled windows), in
    /// sampling order: three knocked-out copies per window (site A, site B, both). A copy is named by its window
    /// and the sites it replaces, and its bases are drawn from a seed made of `seed`, the window's sampling
    /// priority and those sites (`KnockedOutCopy`), so pairs that knock the same sites out of the same window (a
    /// motif's sites beside each of its partners) share one copy. Copies not in `scored` are scored in one call
    /// of `firstLogits` and added to it.
    private func knockOutInteractions(_ looks: [(key: Int, range: Range<Int>)], entriesOf: [Int: [Entry]], scale: EpistasisScale,
                                      seed: UInt64, scored: inout [KnockedOutCopy: Float],
                                      firstLogits: ([[UInt8]]) throws -> [Float]) throws -> [Int: [KnockOut]] {
        var pending: [KnockedOutCopy] = [], pendingBases: [[UInt8]] = []
        var planned = Set<KnockedOutCopy>()
        var plan: [(key: Int, logit: Float, copies: [KnockedOutCopy])] = []
        for (key, range) in looks {
            for entry in entriesOf[key]![range] {
                let stored = window(entry.window)
                let copies = [entry.sitesA, entry.sitesB, entry.sitesA + entry.sitesB].map { KnockedOutCopy(window: entry.window, sites: $0) }
                for copy in copies where scored[copy] == nil && !planned.contains(copy) {
                    planned.insert(copy)
                    pending.append(copy)
                    pendingBases.append(EpistasisTest.knockedOut(stored.bases, sites: copy.sites,
                                                                 seed: copy.seed(priority: stored.priority, runSeed: seed)))
                }
                plan.append((key, stored.logit, copies))
            }
        }
        guard !plan.isEmpty else { return [:] }
        if !pending.isEmpty {
            let logits = try firstLogits(pendingBases)
            precondition(logits.count == pending.count, "one logit per knocked-out window")
            for (copy, logit) in zip(pending, logits) { scored[copy] = logit }
        }
        var knockOuts: [Int: [KnockOut]] = [:]
        for entry in plan {
            let whole = scale.value(ofLogit: entry.logit), withoutA = scale.value(ofLogit: scored[entry.copies[0]]!)
            let withoutB = scale.value(ofLogit: scored[entry.copies[1]]!), withoutBoth = scale.value(ofLogit: scored[entry.copies[2]]!)
            knockOuts[entry.key, default: []].append(KnockOut(interaction: whole - withoutA - withoutB + withoutBoth, jointWorth: whole - withoutBoth))
        }
        return knockOuts
    }
}
