import XCTest
import MotifAttnCore
@testable import MotifAttnAnalysis

/// Pairs that repeat a stronger pair through a look-alike motif are marked as its echoes.
final class LookAlikeEchoesTests: XCTestCase {
    private func row(_ a: String, _ b: String, head: HeadIndex? = nil) -> Interaction {
        Interaction(motifA: a, nameA: a, motifB: b, nameB: b, head: head, boundCount: 10, backgroundCount: 100,
                    ownBackgroundCount: 0, meanBound: 0.5, meanBackground: 0.1, effect: 0.9, pValue: 1e-9, qValue: 1e-6,
                    medianDistance: 10, orientation: "++", elevationPValue: 1e-9, bestHead: nil)
    }

    func testEchoesShareOneMotifAndHaveALookAlikeForTheOther() {
        // Look-alikes: A ~ A2, C ~ C2, D ~ D2 (symmetric). E resembles nothing.
        let alike: Set<[String]> = [["A", "A2"], ["C", "C2"], ["D", "D2"]]
        var rows = [row("A", "B"), row("A", "B", head: HeadIndex(layer: 0, head: 1)), row("A2", "B"), row("C", "D"),
                    row("A2", "B", head: HeadIndex(layer: 1, head: 0)), row("C2", "D2"), row("A", "E"), row("A2", "E"), row("B", "D")]
        var asked = 0
        LookAlikeEchoes.mark(&rows) { x, y, _ in asked += 1; return alike.contains([x, y]) || alike.contains([y, x]) }
        // Every row of an echo pair is marked; C2+D2 echoes C+D through both motifs; A+E shares A with A+B but E is
        // not B's look-alike; A2+E echoes A+E; B+D links B (of A+B) with D (of C+D) and is a pair of its own.
        XCTAssertEqual(rows.map { $0.echoOf ?? "." }, [".", ".", "A+B", ".", "A+B", "C+D", ".", "A+E", "."])
        XCTAssertGreaterThan(asked, 0)
    }

    func testTheFirstPairOfAGroupIsTheRootAndEchoesDoNotChain() {
        // X ~ Y and Y ~ Z but not X ~ Z: X+P is the root; Y+P echoes it; Z+P is compared with roots only (X+P), so it stands.
        let alike: Set<[String]> = [["X", "Y"], ["Y", "Z"]]
        var rows = [row("P", "X"), row("P", "Y"), row("P", "Z")]
        LookAlikeEchoes.mark(&rows) { x, y, _ in alike.contains([x, y]) || alike.contains([y, x]) }
        XCTAssertEqual(rows.map { $0.echoOf ?? "." }, [".", "P+X", "."])
    }

    func testTheLookAlikeQuestionNamesTheLaterPair() {
        // A2 counts as A's look-alike only where the pair at hand is A2+B (as a site share would say).
        var rows = [row("A", "B"), row("A2", "B"), row("A", "C"), row("A2", "C")]
        var asked: [String] = []
        LookAlikeEchoes.mark(&rows) { motif, root, pair in
            asked.append("\(motif)~\(root) in \(pair.a)+\(pair.b)")
            return motif == "A2" && root == "A" && pair == ("A2", "B")
        }
        XCTAssertEqual(rows.map { $0.echoOf ?? "." }, [".", "A+B", ".", "."])
        XCTAssertTrue(asked.contains("A2~A in A2+B") && asked.contains("A2~A in A2+C"))
    }

    /// Ten windows hold the partner GGGGGG and a site that the look-alike CACGTGAA is credited with; in six the site
    /// holds the root motif's CACGTG, in four a CATGTG that the root does not call. A real scan of the three motifs
    /// decides which sites the root calls.
    func testSiteShareCountsTheLookAlikesSitesThatTheRootMotifAlsoCalls() {
        func oneHot(_ word: String) -> [[Double]] {
            word.map { c in (0..<4).map { "ACGT".firstIndex(of: c)!.utf16Offset(in: "ACGT") == $0 ? 1.0 : 0.0 } }
        }
        let motifs = [Motif(id: "partner", probabilities: oneHot("GGGGGG")), Motif(id: "lookalike", probabilities: oneHot("CACGTGAA")),
                      Motif(id: "root", probabilities: oneHot("CACGTG"))]
        let scanner = MotifScanner(motifs: motifs, threshold: .fixed(1e-3))
        let samples = PairWindowSamples(motifCount: motifs.count, capacity: 20)
        for n in 0..<10 {
            var bases = Array("ATATTAATATATAATTATATATTAATATAATATTAT".utf8)
            bases.replaceSubrange(2..<8, with: Array("GGGGGG".utf8))
            bases.replaceSubrange(20..<28, with: Array((n < 6 ? "CACGTGAA" : "CATGTGAA").utf8))
            let window = Window(sourceName: "chr1", start: n * 100, end: n * 100 + bases.count, strand: .plus, bases: bases)
            samples.add(window, logit: 1, instances: [
                MotifInstance(motifIndex: 0, motifID: "partner", start: 2, end: 8, strand: .plus, score: 10, pValue: 1e-4),
                MotifInstance(motifIndex: 1, motifID: "lookalike", start: 20, end: 28, strand: .plus, score: 10, pValue: 1e-4)])
        }
        func share(_ motif: Int, calledBy root: Int, windows: Int = 100) -> Double? {
            LookAlikeEchoes.siteShare(of: motif, inPair: 1, 0, calledBy: root, samples: samples, windows: windows) { bases, site in
                scanner.scan(bases, overlapping: site)
            }
        }
        XCTAssertEqual(share(1, calledBy: 2), 0.6)
        XCTAssertEqual(share(0, calledBy: 2), 0, "the partner's sites hold no CACGTG")
        XCTAssertEqual(share(0, calledBy: 0), 1, "a motif calls its own sites")
        XCTAssertNil(share(2, calledBy: 1), "the root is not in the pair")
        XCTAssertNil(share(1, calledBy: 2, windows: 0), "no window, no site")
    }
}
