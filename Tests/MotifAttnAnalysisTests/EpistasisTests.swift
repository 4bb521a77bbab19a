import XCTest
import MotifAttnIO
import MotifAttnCore
@testable import MotifAttnAnalysis

/// The epistasis test of a pair and the window samples it draws on.
final class EpistasisTests: XCTestCase {
    /// p-values from scipy 1.x: `scipy.stats.wilcoxon(x, alternative='greater', method='approx',
    /// zero_method='wilcox', correction=False)`, computed on 29 Nov 2026.
    func testSignedRankTestMatchesScipy() {
        let first = Statistics.wilcoxonSignedRankGreater([3, 2, -1, 0, 5, 2, 2.5, -0.5, 4, 1])
        XCTAssertEqual(first.statistic, 41.5)
        XCTAssertEqual(first.p, 0.012070269314219385, accuracy: 1e-12)
        let second = Statistics.wilcoxonSignedRankGreater([0.1, -0.2, 0.3, -0.1, 0.05, -0.3, 0.2, 0.2, -0.15, 0.12, 0.4, -0.4])
        XCTAssertEqual(second.statistic, 42.5)
        XCTAssertEqual(second.p, 0.39154104048677163, accuracy: 1e-12)
        XCTAssertEqual(Statistics.wilcoxonSignedRankGreater([0, 0]).p, 1)
    }

    func testEpistasisSummarisesTheInteractions() {
        let test = EpistasisTest(interactions: [3, 2, -1, 0, 5, 2, 2.5, -0.5, 4, 1])
        XCTAssertEqual(test.windows, 10)
        XCTAssertEqual(test.mean, 1.8, accuracy: 1e-12)
        XCTAssertEqual(test.positiveFraction, 0.7, accuracy: 1e-12)
        XCTAssertEqual(test.pValue, 0.012070269314219385, accuracy: 1e-12)
        XCTAssertEqual(EpistasisTest(interactions: []).pValue, 1)
        XCTAssertTrue(EpistasisTest(interactions: []).mean.isNaN)
    }

    func testKnockOutReplacesOnlyTheSitesWithTheWindowsComposition() {
        let bases = Array("AAAAAAAAAACCCCCCCCCC".utf8)
        let knocked = EpistasisTest.knockedOut(bases, sites: [2..<5, 12..<14], seed: 9)
        XCTAssertEqual(knocked.count, bases.count)
        for i in bases.indices where !(2..<5).contains(i) && !(12..<14).contains(i) { XCTAssertEqual(knocked[i], bases[i]) }
        // The window has only A and C: so has every drawn base.
        XCTAssertTrue([2, 3, 4, 12, 13].allSatisfy { knocked[$0] == UInt8(ascii: "A") || knocked[$0] == UInt8(ascii: "C") })
        XCTAssertEqual(knocked, EpistasisTest.knockedOut(bases, sites: [2..<5, 12..<14], seed: 9))
        // Over many draws the replaced bases follow the composition (half A, half C).
        let long = EpistasisTest.knockedOut(bases, sites: [0..<20], seed: 1) + EpistasisTest.knockedOut(bases, sites: [0..<20], seed: 2)
            + EpistasisTest.knockedOut(bases, sites: [0..<20], seed: 3) + EpistasisTest.knockedOut(bases, sites: [0..<20], seed: 4)
        let a = long.filter { $0 == UInt8(ascii: "A") }.count
        XCTAssertTrue((25...55).contains(a), "\(a) of 80 drawn bases are A")
    }

    /// A model that adds two sites' evidence in logits but needs both to call a window bound: on the logit scale
    /// its interaction is exactly 0 (p = 1), on the probability scale it is positive in every window. A model for
    /// which either site suffices (an OR) gives a negative interaction on both scales.
    func testProbabilityScaleSeesAPairTheModelAddsInLogits() throws {
        let siteA = Array("GGGGGG".utf8), siteB = Array("TTTTTT".utf8)
        func pairWindow(_ n: Int) -> Window {
            var bases = Array(repeating: UInt8(ascii: "A"), count: 40)
            bases.replaceSubrange(0..<6, with: siteA)
            bases.replaceSubrange(10..<16, with: siteB)
            return Window(sourceName: "chr1", start: n * 100, end: n * 100 + 40, strand: .plus, bases: bases)
        }
        func present(_ bases: [UInt8]) -> (a: Bool, b: Bool) { (Array(bases[0..<6]) == siteA, Array(bases[10..<16]) == siteB) }
        let additive: (Bool, Bool) -> Float = { a, b in (a ? 3 : 0) + (b ? 3 : 0) - 4 }
        let either: (Bool, Bool) -> Float = { a, b in a || b ? 3 : -3 }
        let motifs = [Motif(id: "M0", probabilities: Array(repeating: [0, 0, 1, 0], count: 6)),
                      Motif(id: "M1", probabilities: Array(repeating: [0, 0, 0, 1], count: 6))]
        let row = Interaction(motifA: "M0", nameA: "M0", motifB: "M1", nameB: "M1", head: nil, boundCount: 20, backgroundCount: 100,
                              ownBackgroundCount: 0, meanBound: 0.5, meanBackground: 0.1, effect: 0.9, pValue: 1e-9, qValue: 1,
                              medianDistance: 10, orientation: "+/+", elevationPValue: 1e-9, bestHead: nil)
        for (model, name) in [(additive, "additive"), (either, "either site")] {
            let samples = PairWindowSamples(motifCount: 2, capacity: 20)
            for n in 0..<20 {
                let window = pairWindow(n), sites = present(window.bases)
                samples.add(window, logit: model(sites.a, sites.b), instances: [instance(0, 0), instance(1, 10)])
            }
            var tests: [EpistasisScale: EpistasisTest] = [:]
            for scale in EpistasisScale.allCases {
                let rows = try samples.testEpistasis([row], motifs: motifs, reportableQ: 0.05, minimumWindows: 5, scale: scale) { windows in
                    windows.map { let sites = present($0); return model(sites.a, sites.b) }
                }
                tests[scale] = try XCTUnwrap(rows[0].epistasis, name)
                XCTAssertEqual(tests[scale]?.windows, 20, name)
            }
            let logit = try XCTUnwrap(tests[.logit]), probability = try XCTUnwrap(tests[.probability])
            if name == "additive" {
                XCTAssertEqual(logit.mean, 0, accuracy: 1e-12)
                XCTAssertEqual(logit.pValue, 1)
                let expected = 1 / (1 + exp(-2.0)) - 2 / (1 + exp(1.0)) + 1 / (1 + exp(4.0))
                XCTAssertEqual(probability.mean, expected, accuracy: 1e-6)
                XCTAssertEqual(probability.positiveFraction, 1)
                XCTAssertLessThan(probability.pValue, 1e-3)
            } else {
                XCTAssertLessThan(logit.mean, 0, name)
                XCTAssertLessThan(probability.mean, 0, name)
                XCTAssertGreaterThan(probability.pValue, 0.5, name)
            }
        }
    }

    /// Screen, then confirm (`EpistasisFamily.testedPairs`): a pair the model needs jointly, tested in the model
    /// beside one it uses additively, among a thousand screened rows of pairs that were not tested. Over every
    /// row its epistasis p-value is far from q ≤ 0.05; over the two tested pairs it is reported, with q the larger
    /// of its elevation q-value and twice its epistasis p-value (Benjamini–Hochberg of two p-values, the other 1).
    func testTestedPairsFamilyConfirmsOverThePairsTestedOnly() throws {
        // M0 and M1 are needed together; M2 adds evidence on its own.
        func model(_ bases: [UInt8]) -> Float { let on = threeSitesPresent(bases); return (on[0] && on[1] ? 4 : 0) + (on[2] ? 1 : 0) - 2 }
        let motifs = threeSiteMotifs, samples = threeSiteSamples(windows: 10, model: model)
        func row(_ a: String, _ b: String, elevation: Double) -> Interaction { threeSiteRow(a, b, elevation: elevation, windows: 10) }
        let screened = [row("M0", "M1", elevation: 1e-9), row("M0", "M2", elevation: 1e-8)]
            + (0..<1000).map { row("X\($0)", "Y\($0)", elevation: 0.5) }
        let tested = try samples.testEpistasis(screened, motifs: motifs, reportableQ: 0.05, minimumWindows: 5) { $0.map(model) }
        let joint = try XCTUnwrap(tested[0].epistasis), additive = try XCTUnwrap(tested[1].epistasis)
        XCTAssertEqual(joint.mean, 4, accuracy: 1e-9)
        XCTAssertEqual(additive.mean, 0, accuracy: 1e-9)
        XCTAssertEqual(additive.pValue, 1)
        XCTAssertLessThan(joint.pValue, 1e-3)
        XCTAssertEqual(joint.qValue, 2 * joint.pValue, accuracy: 1e-15)
        XCTAssertEqual(additive.qValue, 1)
        XCTAssertTrue(tested[2...].allSatisfy { $0.epistasis == nil && $0.pValue == 1 })

        let confirmed = CoAttentionAccumulator.ranked(tested, family: .testedPairs)
        XCTAssertEqual(confirmed[0].motifB, "M1")
        let elevationQ = Statistics.benjaminiHochberg(tested.map(\.elevationPValue))[0]
        XCTAssertEqual(confirmed[0].qValue, max(elevationQ, 2 * joint.pValue), accuracy: 1e-15)
        XCTAssertLessThanOrEqual(confirmed[0].qValue, 0.05)
        XCTAssertTrue(confirmed[1...].allSatisfy { $0.qValue == 1 })

        let oneFamily = CoAttentionAccumulator.ranked(tested, family: .allRows)
        XCTAssertEqual(oneFamily[0].motifB, "M1")
        XCTAssertEqual(oneFamily[0].qValue, min(1, joint.pValue * Double(tested.count)), accuracy: 1e-12)
        XCTAssertGreaterThan(oneFamily[0].qValue, 0.05)
    }

    /// Ranking orders rows by q-value, then effect (largest first, a missing effect counting as −1), then input
    /// order, and keeps every row once: checked against a plain sort of (q, −effect, input index) over rows with
    /// many ties, under both q-value families.
    func testRankingOrdersRowsByQThenEffectThenInputOrder() {
        var generator = TestData.Generator(seed: 5)
        let pValues = [1e-6, 1e-3, 0.02, 0.5, 1], effects = [0.9, 0.6, .nan, -1, 0.2]
        let rows = (0..<500).map { i -> Interaction in
            let p = pValues[Int(generator.next() % 5)]
            var row = Interaction(motifA: "R\(i)", nameA: "R\(i)", motifB: "S", nameB: "S", head: nil, boundCount: 20, backgroundCount: 100,
                                  ownBackgroundCount: 0, meanBound: 0.5, meanBackground: 0.1, effect: effects[Int(generator.next() % 5)],
                                  pValue: p, qValue: 1, medianDistance: 10, orientation: "++", elevationPValue: p, bestHead: nil)
            if generator.next() % 3 == 0 {
                row.epistasis = EpistasisTest(interactions: [1, 2, 3, 4, 5], jointWorth: [1, 1, 1, 1, 1])
                row.epistasis!.qValue = pValues[Int(generator.next() % 5)]
            }
            return row
        }
        for family in [EpistasisFamily.allRows, .testedPairs] {
            let q: [Double]
            switch family {
            case .allRows: q = Statistics.benjaminiHochberg(rows.map(\.pValue))
            case .testedPairs:
                let elevation = Statistics.benjaminiHochberg(rows.map(\.elevationPValue))
                q = rows.indices.map { i in rows[i].epistasis.map { max(elevation[i], $0.qValue) } ?? 1 }
            }
            let expected = rows.indices.sorted { a, b in
                let ea = rows[a].effect.isNaN ? -1 : rows[a].effect, eb = rows[b].effect.isNaN ? -1 : rows[b].effect
                return (q[a], -ea, a) < (q[b], -eb, b)
            }
            var ranked = rows
            CoAttentionAccumulator.rank(&ranked, family: family)
            XCTAssertEqual(ranked.map(\.motifA), expected.map { "R\($0)" }, "\(family)")
            XCTAssertEqual(ranked.map(\.qValue), expected.map { q[$0] }, "\(family)")
            XCTAssertEqual(CoAttentionAccumulator.ranked(rows, family: family).map(\.motifA), ranked.map(\.motifA))
        }
    }

    /// A knocked-out copy that several pairs ask for is made and scored once: M0's sites knocked out of a window
    /// serve both M0+M1 and M0+M2, so ten windows need five copies each, not six. Each pair's test is the one it
    /// gets when tested alone, although the model's logit depends on the random bases (a copy's bases depend on
    /// the run's seed, its window and the sites replaced, not on the pair that asks for it).
    func testPairsShareTheKnockedOutCopiesOfASharedMotif() throws {
        func noise(_ bases: [UInt8]) -> Float { Float(StableHash.fnv1a(String(decoding: bases, as: UTF8.self)) % 1000) / 1000 }
        func model(_ bases: [UInt8]) -> Float { let on = threeSitesPresent(bases); return (on[0] && on[1] ? 4 : 0) + (on[2] ? 1 : 0) + noise(bases) }
        let samples = threeSiteSamples(windows: 10, model: model)
        func row(_ a: String, _ b: String) -> Interaction { threeSiteRow(a, b, elevation: 1e-9, windows: 10) }
        func tested(_ rows: [Interaction], seed: UInt64 = 1, copies: inout [[UInt8]]) throws -> [EpistasisTest] {
            var given: [[UInt8]] = []
            let result = try samples.testEpistasis(rows, motifs: threeSiteMotifs, reportableQ: 0.05, minimumWindows: 5, seed: seed) { windows in
                given += windows
                return windows.map(model)
            }
            copies = given
            return try result.map { try XCTUnwrap($0.epistasis) }
        }
        var together: [[UInt8]] = [], alone: [[UInt8]] = []
        let both = try tested([row("M0", "M1"), row("M0", "M2")], copies: &together)
        XCTAssertEqual(together.count, 10 * 5)
        for (k, pair) in [("M0", "M1"), ("M0", "M2")].enumerated() {
            let single = try tested([row(pair.0, pair.1)], copies: &alone)[0]
            XCTAssertEqual(alone.count, 10 * 3)
            XCTAssertEqual(both[k].mean, single.mean, accuracy: 1e-12)
            XCTAssertEqual(both[k].pValue, single.pValue, accuracy: 1e-15)
            XCTAssertEqual(both[k].windows, single.windows)
        }
        XCTAssertEqual(both[0].mean, 4, accuracy: 2)
        XCTAssertEqual(both[1].mean, 0, accuracy: 2)
        // The run's seed draws other bases.
        let reseeded = try tested([row("M0", "M1")], seed: 2, copies: &alone)[0]
        XCTAssertNotEqual(reseeded.mean, both[0].mean)
    }

    /// Beyond the first `maxPairs`, pairs are tested `morePairs` at a time while the last group tested holds a pair
    /// that would be reported, and the test stops at a group that holds none. M0 and M1 are needed together (an AND
    /// worth 4 logits), M2 adds 1 logit of its own, so only M0+M1 can be reported.
    func testMorePairsAreTestedWhileTheLastGroupHoldsAReportablePair() throws {
        func model(_ bases: [UInt8]) -> Float { let on = threeSitesPresent(bases); return (on[0] && on[1] ? 4 : 0) + (on[2] ? 1 : 0) }
        let samples = threeSiteSamples(windows: 10, model: model)
        func row(_ a: String, _ b: String, _ elevation: Double) -> Interaction { threeSiteRow(a, b, elevation: elevation, windows: 10) }
        func run(_ rows: [Interaction], maxPairs: Int, morePairs: Int, family: EpistasisFamily = .allRows) throws
            -> (rows: [Interaction], pairs: Int) {
            var rows = rows
            let pairs = try samples.testEpistasis(updating: &rows, motifs: threeSiteMotifs, reportableQ: 0.05, maxPairs: maxPairs,
                                                  morePairs: morePairs, family: family, minimumWindows: 5) { $0.map(model) }
            return (rows, pairs)
        }
        let jointFirst = [row("M0", "M1", 1e-9), row("M0", "M2", 1e-8), row("M1", "M2", 1e-7)]
        let everyPair = try run(jointFirst, maxPairs: 0, morePairs: 0)
        XCTAssertEqual(everyPair.pairs, 3)
        XCTAssertLessThan(try XCTUnwrap(everyPair.rows[0].epistasis).pValue, 0.01)
        XCTAssertEqual(try XCTUnwrap(everyPair.rows[1].epistasis).pValue, 1)
        for family in [EpistasisFamily.allRows, .testedPairs] {
            // The joint pair is reported in the first group, so the next pair is tested; it is not, so the test stops.
            let goesOn = try run(jointFirst, maxPairs: 1, morePairs: 1, family: family)
            XCTAssertEqual(goesOn.pairs, 2, "\(family)")
            XCTAssertEqual(goesOn.rows[0].epistasis?.pValue, everyPair.rows[0].epistasis?.pValue)
            XCTAssertEqual(goesOn.rows[1].epistasis?.mean, everyPair.rows[1].epistasis?.mean)
            XCTAssertNil(goesOn.rows[2].epistasis)
            XCTAssertEqual(goesOn.rows[2].pValue, 1)
            // The first group's last `morePairs` pairs decide: the additive pair, so no more.
            XCTAssertEqual(try run(jointFirst, maxPairs: 2, morePairs: 1, family: family).pairs, 2, "\(family)")
            XCTAssertEqual(try run(jointFirst, maxPairs: 2, morePairs: 2, family: family).pairs, 3, "\(family)")
            // Without more pairs the first group is all.
            XCTAssertEqual(try run(jointFirst, maxPairs: 1, morePairs: 0, family: family).pairs, 1, "\(family)")
        }
        // The additive pair ranks first: its group holds nothing reportable, and the joint pair behind it is not tested.
        let additiveFirst = [row("M0", "M2", 1e-9), row("M0", "M1", 1e-8), row("M1", "M2", 1e-7)]
        let stops = try run(additiveFirst, maxPairs: 1, morePairs: 1)
        XCTAssertEqual(stops.pairs, 1)
        XCTAssertNil(stops.rows[1].epistasis)
        XCTAssertEqual(stops.rows[1].pValue, 1)
    }

    /// The joint-share floor (`minimumJointShare`): M0 and M1 are needed together (an AND worth 4 logits), while M2
    /// adds 1 logit of its own and bends the sum a little with M0 (0.1 more when both are there). Knock-outs by hand,
    /// with L = 4·m0·m1 + m0 + m2 + 0.1·m0·m2: for M0+M1 the interaction is 6.1 − 1 − 2.1 + 1 = 4 of a joint worth of
    /// 6.1 − 1 = 5.1; for M0+M2 it is 6.1 − 1 − 5 + 0 = 0.1 of 6.1. Without a floor both pairs pass; with a floor of
    /// 5 % only the AND does.
    func testAJointShareFloorKeepsAnAndAndDropsABentSum() throws {
        func model(_ bases: [UInt8]) -> Float {
            let on = threeSitesPresent(bases).map { $0 ? Float(1) : 0 }
            return 4 * on[0] * on[1] + on[0] + on[2] + 0.1 * on[0] * on[2]
        }
        let motifs = threeSiteMotifs, samples = threeSiteSamples(windows: 12, model: model)
        func row(_ a: String, _ b: String) -> Interaction { threeSiteRow(a, b, elevation: 1e-9, windows: 12) }
        for floor in [0, 0.05] {
            let tested = try samples.testEpistasis([row("M0", "M1"), row("M0", "M2")], motifs: motifs, reportableQ: 0.05, minimumWindows: 5,
                                                   minimumJointShare: floor) { $0.map(model) }
            let and = try XCTUnwrap(tested[0].epistasis), bent = try XCTUnwrap(tested[1].epistasis)
            XCTAssertEqual(and.mean, 4, accuracy: 1e-5)
            XCTAssertEqual(and.jointShare, 4 / 5.1, accuracy: 1e-5)
            XCTAssertEqual(bent.mean, 0.1, accuracy: 1e-5)
            XCTAssertEqual(bent.jointShare, 0.1 / 6.1, accuracy: 1e-5)
            XCTAssertEqual(bent.positiveFraction, 1)
            // Twelve equal positive values: the signed-rank test's smallest p-value (scipy: 2.7e-4).
            XCTAssertEqual(and.pValue, Statistics.wilcoxonSignedRankGreater(Array(repeating: 1, count: 12)).p, accuracy: 1e-12)
            if floor == 0 {
                XCTAssertEqual(bent.pValue, and.pValue, accuracy: 1e-12)
            } else {
                // 0.1 − 0.05 × 6.1 < 0 in every window: the other tail of twelve equal values.
                XCTAssertEqual(bent.pValue, 1 - and.pValue, accuracy: 1e-12)
            }
        }
    }

    /// The second look: a pair whose partner site is true in only a third of its sampled windows (the others hold
    /// a chance match of the partner's class, which the model ignores) is weak in its first 40 windows and clear in
    /// 400; its p-value is twice the smaller of the two looks'. The first look equals a one-look test of a sample of
    /// 40 (the first windows in sampling order are the same), and a pair with no more windows keeps its one p-value.
    func testSecondLookFollowsAPairDilutedByChanceSites() throws {
        let trueSite = Array("GGGGGG".utf8), chanceSite = Array("CCCCCC".utf8), partner = Array("TTTTTT".utf8)
        func noise(_ bases: [UInt8]) -> Float { Float(StableHash.fnv1a(String(decoding: bases, as: UTF8.self)) % 1000) / 1000 - 0.5 }
        // Needs the true site and the partner together; everything else is noise of the window's bases.
        func model(_ bases: [UInt8]) -> Float {
            (Array(bases[0..<6]) == trueSite && Array(bases[10..<16]) == partner ? 3 : 0) + noise(bases)
        }
        func pairWindow(_ n: Int) -> Window {
            var bases = (0..<60).map { i in Array("ACGT".utf8)[(n * 7 + i * i) % 4] }
            bases.replaceSubrange(0..<6, with: n % 3 == 0 ? trueSite : chanceSite)
            bases.replaceSubrange(10..<16, with: partner)
            return Window(sourceName: "chr1", start: n * 100, end: n * 100 + 60, strand: .plus, bases: bases)
        }
        let motifs = (0..<2).map { Motif(id: "M\($0)", probabilities: Array(repeating: [0, 0, 1, 0], count: 6)) }
        let row = Interaction(motifA: "M0", nameA: "M0", motifB: "M1", nameB: "M1", head: nil, boundCount: 400, backgroundCount: 100,
                              ownBackgroundCount: 0, meanBound: 0.5, meanBackground: 0.1, effect: 0.9, pValue: 1e-9, qValue: 1,
                              medianDistance: 10, orientation: "+/+", elevationPValue: 1e-9, bestHead: nil)
        func sampled(_ windows: Int, capacity: Int) -> PairWindowSamples {
            let samples = PairWindowSamples(motifCount: 2, capacity: capacity)
            for n in 0..<windows {
                let w = pairWindow(n)
                samples.add(w, logit: model(w.bases), instances: [instance(0, 0), instance(1, 10)])
            }
            return samples
        }
        func test(_ samples: PairWindowSamples, firstLook: Int = .max, followUp: Int = 0) throws -> EpistasisTest {
            try XCTUnwrap(samples.testEpistasis([row], motifs: motifs, reportableQ: 0.05, minimumWindows: 5,
                                                firstLook: firstLook, followUp: followUp) { $0.map(model) }[0].epistasis)
        }
        let oneLook = try test(sampled(1000, capacity: 40))
        XCTAssertEqual(oneLook.windows, 40)
        XCTAssertEqual(oneLook.looks, 1)
        XCTAssertLessThanOrEqual(oneLook.pValue, 0.05, "promising enough to be followed")

        let samples = sampled(1000, capacity: 400)
        let twoLooks = try test(samples, firstLook: 40, followUp: 400)
        XCTAssertEqual(twoLooks.looks, 2)
        XCTAssertEqual(twoLooks.windows, 400)
        let secondLook = try test(samples)
        XCTAssertEqual(secondLook.windows, 400)
        XCTAssertLessThan(secondLook.pValue, 1e-10)
        XCTAssertLessThan(secondLook.pValue, oneLook.pValue * 1e-6, "the first look is weak beside the second")
        XCTAssertEqual(twoLooks.pValue, 2 * min(oneLook.pValue, secondLook.pValue), accuracy: 1e-15)
        XCTAssertEqual(twoLooks.mean, secondLook.mean, accuracy: 1e-12)

        // Not followed (a follow-up threshold of 0 stops every pair after its first look): the p-value is still
        // doubled, for the pair could have been looked at twice.
        let notFollowed = try XCTUnwrap(samples.testEpistasis([row], motifs: motifs, reportableQ: 0.05, minimumWindows: 5,
                                                              firstLook: 40, followUp: 400, followUpP: 0) { $0.map(model) }[0].epistasis)
        XCTAssertEqual(notFollowed.looks, 1)
        XCTAssertEqual(notFollowed.windows, 40)
        XCTAssertEqual(notFollowed.pValue, min(1, 2 * oneLook.pValue), accuracy: 1e-15)
        // No more windows than the first look: one look, its own p-value.
        let few = try test(sampled(30, capacity: 400), firstLook: 40, followUp: 400)
        XCTAssertEqual(few.looks, 1)
        XCTAssertEqual(few.pValue, try test(sampled(30, capacity: 40)).pValue)
    }

    // MARK: - Samples

    private func window(_ n: Int) -> Window {
        Window(sourceName: "chr1", start: n * 100, end: n * 100 + 40, strand: .plus, bases: Array(repeating: UInt8(ascii: "A"), count: 40))
    }

    /// Three 6-base sites in every window of the three-site tests: M0 GGGGGG at 0, M1 TTTTTT at 10, M2 CCCCCC at 20.
    private let threeSites = [Array("GGGGGG".utf8), Array("TTTTTT".utf8), Array("CCCCCC".utf8)], threeSiteStarts = [0, 10, 20]
    private let threeSiteMotifs = (0..<3).map { Motif(id: "M\($0)", probabilities: Array(repeating: [0, 0, 1, 0], count: 6)) }

    /// Which of the three sites a (knocked-out) window still holds.
    private func threeSitesPresent(_ bases: [UInt8]) -> [Bool] {
        (0..<3).map { Array(bases[threeSiteStarts[$0]..<(threeSiteStarts[$0] + 6)]) == threeSites[$0] }
    }

    /// `windows` windows of 40 bases holding the three sites, each with its logit from `model`.
    private func threeSiteSamples(windows: Int, model: ([UInt8]) -> Float) -> PairWindowSamples {
        let samples = PairWindowSamples(motifCount: 3, capacity: windows)
        for n in 0..<windows {
            var bases = Array(repeating: UInt8(ascii: "A"), count: 40)
            for m in 0..<3 { bases.replaceSubrange(threeSiteStarts[m]..<(threeSiteStarts[m] + 6), with: threeSites[m]) }
            let window = Window(sourceName: "chr1", start: n * 100, end: n * 100 + 40, strand: .plus, bases: bases)
            samples.add(window, logit: model(bases), instances: (0..<3).map { instance($0, threeSiteStarts[$0]) })
        }
        return samples
    }

    /// A co-attention row of the pair `a`, `b` screened with elevation p-value `elevation`.
    private func threeSiteRow(_ a: String, _ b: String, elevation: Double, windows: Int) -> Interaction {
        Interaction(motifA: a, nameA: a, motifB: b, nameB: b, head: nil, boundCount: windows, backgroundCount: 100,
                    ownBackgroundCount: 0, meanBound: 0.5, meanBackground: 0.1, effect: 0.9, pValue: elevation, qValue: 1,
                    medianDistance: 10, orientation: "++", elevationPValue: elevation, bestHead: nil)
    }

    private func instance(_ motif: Int, _ start: Int) -> MotifInstance {
        MotifInstance(motifIndex: motif, motifID: "M\(motif)", start: start, end: start + 6, strand: .plus, score: 10, pValue: 1e-5)
    }

    /// Motif 0 twice, motif 1 once and motif 2 overlapping motif 1 (so 1 and 2 never pair).
    private func instances() -> [MotifInstance] { [instance(0, 0), instance(1, 10), instance(0, 20), instance(2, 12)] }

    private func labels(_ samples: PairWindowSamples, _ a: Int, _ b: Int) -> [String] {
        samples.entries(a, b).map { samples.window($0.window).label }
    }

    func testSampleIsTheSameWhateverTheOrderAndHoldsAllSitesOfBothMotifs() {
        let forward = PairWindowSamples(motifCount: 3, capacity: 7), backward = PairWindowSamples(motifCount: 3, capacity: 7)
        for n in 0..<50 { forward.add(window(n), logit: Float(n), instances: instances()) }
        for n in (0..<50).reversed() { backward.add(window(n), logit: Float(n), instances: instances()) }
        XCTAssertEqual(labels(forward, 0, 1).count, 7)
        XCTAssertEqual(labels(forward, 0, 1), labels(backward, 0, 1))
        XCTAssertEqual(labels(forward, 0, 2), labels(backward, 0, 2))
        XCTAssertTrue(forward.entries(1, 2).isEmpty, "overlapping instances do not pair")
        let entry = forward.entries(1, 0)[0]
        XCTAssertEqual(entry.sitesA, [0..<6, 20..<26])
        XCTAssertEqual(entry.sitesB, [10..<16])
        // The kept windows are those of smallest priority.
        let priorities = (0..<50).map { StableHash.mix(StableHash.fnv1a(window($0).label)) }.sorted()
        XCTAssertEqual(forward.entries(0, 1).map { forward.window($0.window).priority }, Array(priorities.prefix(7)))
        // Each stored window keeps its own logit.
        let logitOfLabel = Dictionary(uniqueKeysWithValues: (0..<50).map { (window($0).label, Float($0)) })
        for e in forward.entries(0, 1) { XCTAssertEqual(forward.window(e.window).logit, logitOfLabel[forward.window(e.window).label]) }
    }

    /// `strongest` keeps the windows of highest logit, whatever the order they arrive in; equal logits (within a
    /// step of 1/256) are kept by hash, as `random` keeps them.
    func testStrongestSampleKeepsTheHighestLogits() {
        let forward = PairWindowSamples(motifCount: 3, capacity: 7, order: .strongest)
        let backward = PairWindowSamples(motifCount: 3, capacity: 7, order: .strongest)
        let logit: (Int) -> Float = { n in Float((n * 37) % 50) / 4 - 5 }   // 50 distinct logits from -5 to 7.25
        for n in 0..<50 { forward.add(window(n), logit: logit(n), instances: instances()) }
        for n in (0..<50).reversed() { backward.add(window(n), logit: logit(n), instances: instances()) }
        let kept = forward.entries(0, 1).map { forward.window($0.window).logit }
        XCTAssertEqual(kept, (0..<50).map(logit).sorted(by: >).prefix(7).map { $0 })
        XCTAssertEqual(labels(forward, 0, 1), labels(backward, 0, 1))
        let tied = PairWindowSamples(motifCount: 3, capacity: 7, order: .strongest), random = PairWindowSamples(motifCount: 3, capacity: 7)
        for n in 0..<50 {
            tied.add(window(n), logit: 1 + Float(n) * 1e-5, instances: instances())
            random.add(window(n), logit: 0, instances: instances())
        }
        XCTAssertEqual(labels(tied, 0, 1), labels(random, 0, 1))
    }

    /// `attended` keeps, for each pair on its own, the windows where that pair's co-attention is highest, whatever
    /// the order windows arrive in and however the run is sharded; a pair the co-attention did not score ranks last.
    func testAttendedSampleKeepsEachPairsMostCoAttendedWindows() throws {
        let pairA = 0 * 3 + 1, pairB = 0 * 3 + 2
        // Window n: pair 0–1 co-attends with a score rising with n, pair 0–2 with one falling with n.
        let scores: (Int) -> [Int: Float] = { n in [pairA: Float(n) / 64, pairB: Float(49 - n) / 64] }
        let forward = PairWindowSamples(motifCount: 3, capacity: 7, order: .attended)
        let backward = PairWindowSamples(motifCount: 3, capacity: 7, order: .attended)
        let first = PairWindowSamples(motifCount: 3, capacity: 7, order: .attended)
        let second = PairWindowSamples(motifCount: 3, capacity: 7, order: .attended)
        for n in 0..<50 {
            forward.add(window(n), logit: 0, instances: instances(), coAttention: scores(n))
            (n % 2 == 0 ? first : second).add(window(n), logit: 0, instances: instances(), coAttention: scores(n))
        }
        for n in (0..<50).reversed() { backward.add(window(n), logit: 0, instances: instances(), coAttention: scores(n)) }
        XCTAssertEqual(labels(forward, 0, 1), (43..<50).reversed().map { window($0).label })
        XCTAssertEqual(labels(forward, 0, 2), (0..<7).map { window($0).label })
        XCTAssertEqual(labels(backward, 0, 1), labels(forward, 0, 1))
        XCTAssertEqual(labels(backward, 0, 2), labels(forward, 0, 2))
        var writer = StateWriter()
        second.encode(to: &writer)
        var reader = StateReader(bytes: writer.bytes, path: "second shard")
        try first.merge(from: &reader)
        XCTAssertEqual(labels(first, 0, 1), labels(forward, 0, 1))
        XCTAssertEqual(labels(first, 0, 2), labels(forward, 0, 2))
        // Without a score the pair's windows rank after every scored one, and equal scores go by hash, as `random`.
        let unscored = PairWindowSamples(motifCount: 3, capacity: 7, order: .attended), random = PairWindowSamples(motifCount: 3, capacity: 7)
        for n in 0..<50 {
            unscored.add(window(n), logit: 0, instances: instances(), coAttention: n < 3 ? [pairA: 0.5] : [:])
            random.add(window(n), logit: 0, instances: instances())
        }
        XCTAssertEqual(Array(labels(unscored, 0, 1).prefix(3)), (0..<3).map { window($0).label }.sorted {
            StableHash.mix(StableHash.fnv1a($0)) < StableHash.mix(StableHash.fnv1a($1))
        })
        XCTAssertEqual(labels(unscored, 0, 2), labels(random, 0, 2))
    }

    /// Knocking one motif out leaves the other's sites whole: a site overlapping the other motif's is not knocked.
    /// A motif with two sites in a window pairs with itself: its first site against the later ones.
    func testTwoSitesOfOneMotifPairWithEachOther() {
        let samples = PairWindowSamples(motifCount: 3, capacity: 5)
        samples.add(window(0), logit: 1, instances: [instance(0, 20), instance(1, 10), instance(0, 0), instance(0, 3)])
        let own = samples.entries(0, 0)
        XCTAssertEqual(own.count, 1)
        // The site at 3 overlaps the first (0..<6): it is on neither side.
        XCTAssertEqual(own.first?.sitesA, [0..<6])
        XCTAssertEqual(own.first?.sitesB, [20..<26])
        XCTAssertEqual(samples.entries(0, 1).first?.sitesA, [20..<26, 0..<6, 3..<9])
        XCTAssertEqual(samples.entries(0, 1).first?.sitesB, [10..<16])
        // A single site pairs with nothing of its own.
        samples.add(window(1), logit: 1, instances: [instance(1, 0), instance(2, 10)])
        XCTAssertTrue(samples.entries(1, 1).isEmpty)
    }

    func testSitesOverlappingTheOtherMotifAreLeftToIt() {
        let samples = PairWindowSamples(motifCount: 2, capacity: 3)
        // Motif 0 at 0 and 30, motif 1 at 10 and 33 (overlapping motif 0's second site).
        samples.add(window(1), logit: 0, instances: [instance(0, 0), instance(1, 10), instance(0, 30), instance(1, 33)])
        let entry = samples.entries(0, 1)[0]
        XCTAssertEqual(entry.sitesA, [0..<6])
        XCTAssertEqual(entry.sitesB, [10..<16])
    }

    func testStoredWindowsStayWithinTheSamples() {
        let samples = PairWindowSamples(motifCount: 3, capacity: 5)
        for n in 0..<500 { samples.add(window(n), logit: 0, instances: instances()) }
        // Two pairs (0–1, 0–2) of 5 windows each: at most 10 windows stored, whatever the number added.
        XCTAssertLessThanOrEqual(samples.storedWindows, 10)
        XCTAssertGreaterThanOrEqual(samples.storedWindows, 5)
    }

    /// Many windows with varied sites evict most entries, so the packed sites are compacted many times: every
    /// pair's sample still equals the first `capacity` entries of a sample that never evicts.
    func testEvictionsAndCompactionKeepTheSitesOfEachEntry() {
        let motifs = 6, capacity = 4
        let small = PairWindowSamples(motifCount: motifs, capacity: capacity)
        let unbounded = PairWindowSamples(motifCount: motifs, capacity: 1_000_000)
        small.compactionSlack = 16
        var generator = SeededGenerator(seed: 5)
        for n in 0..<6_000 {
            let found = (0..<(2 + generator.uniform(below: 5))).map { _ in
                instance(generator.uniform(below: motifs), generator.uniform(below: 34))
            }
            small.add(window(n), logit: Float(n), instances: found)
            unbounded.add(window(n), logit: Float(n), instances: found)
        }
        var compared = 0
        for a in 0..<motifs {
            for b in (a + 1)..<motifs {
                let expected = Array(unbounded.entries(a, b).prefix(capacity)), kept = small.entries(a, b)
                XCTAssertEqual(kept.map { small.window($0.window).label }, expected.map { unbounded.window($0.window).label })
                XCTAssertEqual(kept.map(\.sitesA), expected.map(\.sitesA))
                XCTAssertEqual(kept.map(\.sitesB), expected.map(\.sitesB))
                compared += kept.count
            }
        }
        XCTAssertEqual(compared, capacity * motifs * (motifs - 1) / 2)
        XCTAssertGreaterThanOrEqual(small.compactions, 3, "the check needs compactions")
        XCTAssertEqual(unbounded.compactions, 0)
    }

    func testShardsMergeIntoTheWholeRunsSample() throws {
        let whole = PairWindowSamples(motifCount: 3, capacity: 6)
        let first = PairWindowSamples(motifCount: 3, capacity: 6), second = PairWindowSamples(motifCount: 3, capacity: 6)
        for n in 0..<80 {
            whole.add(window(n), logit: Float(n), instances: instances())
            (n < 40 ? first : second).add(window(n), logit: Float(n), instances: instances())
        }
        var writer = StateWriter()
        second.encode(to: &writer)
        var reader = StateReader(bytes: writer.bytes, path: "second shard")
        try first.merge(from: &reader)
        XCTAssertTrue(reader.atEnd)
        for (a, b) in [(0, 1), (0, 2)] {
            XCTAssertEqual(labels(first, a, b), labels(whole, a, b))
            XCTAssertEqual(first.entries(a, b).map { first.window($0.window).logit }, whole.entries(a, b).map { whole.window($0.window).logit })
            XCTAssertEqual(first.entries(a, b).map(\.sitesA), whole.entries(a, b).map(\.sitesA))
        }
    }
}
