import XCTest
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
        LookAlikeEchoes.mark(&rows) { x, y in asked += 1; return alike.contains([x, y]) || alike.contains([y, x]) }
        // Every row of an echo pair is marked; C2+D2 echoes C+D through both motifs; A+E shares A with A+B but E is
        // not B's look-alike; A2+E echoes A+E; B+D links B (of A+B) with D (of C+D) and is a pair of its own.
        XCTAssertEqual(rows.map { $0.echoOf ?? "." }, [".", ".", "A+B", ".", "A+B", "C+D", ".", "A+E", "."])
        XCTAssertGreaterThan(asked, 0)
    }

    func testTheFirstPairOfAGroupIsTheRootAndEchoesDoNotChain() {
        // X ~ Y and Y ~ Z but not X ~ Z: X+P is the root; Y+P echoes it; Z+P is compared with roots only (X+P), so it stands.
        let alike: Set<[String]> = [["X", "Y"], ["Y", "Z"]]
        var rows = [row("P", "X"), row("P", "Y"), row("P", "Z")]
        LookAlikeEchoes.mark(&rows) { x, y in alike.contains([x, y]) || alike.contains([y, x]) }
        XCTAssertEqual(rows.map { $0.echoOf ?? "." }, [".", "P+X", "."])
    }
}
