import XCTest
import MotifAttnIO
@testable import MotifAttnAnalysis

final class MotifComparisonTests: XCTestCase {
    nonisolated(unsafe) static let comparator = MotifComparator(targets: TestData.jaspar.motifs)

    func testColumnCorrelationIsPearson() {
        // numpy.corrcoef([0.7,0.1,0.1,0.1],[0.4,0.3,0.2,0.1])[0,1] = 0.7745966692414834
        XCTAssertEqual(MotifComparator.columnCorrelation([0.7, 0.1, 0.1, 0.1], [0.4, 0.3, 0.2, 0.1]), 0.7745966692414834, accuracy: 1e-12)
        XCTAssertEqual(MotifComparator.columnCorrelation([0.25, 0.25, 0.25, 0.25], [0.4, 0.3, 0.2, 0.1]), 0)
    }

    func testEveryJASPARMotifMatchesItselfAtOffsetZeroWithTheSmallestP() {
        let database = TestData.jaspar.motifs
        var failures: [String] = []
        for (index, motif) in database.enumerated() {
            let matches = Self.comparator.compare(motif)
            guard let own = matches.first(where: { $0.targetIndex == index }) else { failures.append("\(motif.id): no self match"); continue }
            let smallest = matches[0].pValue
            // A perfect match of 7 or fewer positions cannot reach q ≤ 0.05 among 1,019 targets
            // (p ≈ 1e-4 after the offset correction), so significance is asked of wider motifs only.
            if own.offset != 0 || own.overlap != motif.width || own.pValue > smallest || (motif.width >= 8 && own.qValue > 0.05) {
                failures.append("\(motif.id): offset \(own.offset) overlap \(own.overlap) p \(own.pValue) best \(matches[0].targetID) p \(smallest)")
            }
        }
        XCTAssertEqual(failures, [], "\(failures.count) motifs fail")
    }

    func testReverseComplementMatchesInMinusOrientation() throws {
        let database = TestData.jaspar.motifs
        for id in ["MA0002.3", "MA0766.3", "MA0136.4", "MA0651.3"] {
            let index = try XCTUnwrap(database.firstIndex { $0.id.hasPrefix(id.prefix(6)) })
            var query = database[index].reverseComplement
            query.id = "rc"
            let best = try XCTUnwrap(Self.comparator.compare(query).first { $0.targetIndex == index })
            XCTAssertEqual(best.orientation, .minus, database[index].id)
            XCTAssertEqual(best.offset, 0)
            XCTAssertLessThan(best.qValue, 0.05)
            XCTAssertEqual(best.targetConsensus, query.consensus)
        }
    }

    func testTruncatedNoisyMotifStillMatchesItsSource() throws {
        var generator = TestData.Generator(seed: 5)
        let database = TestData.jaspar.motifs
        let sources = database.indices.filter { database[$0].width >= 12 }.prefix(40)
        var hits = 0
        for index in sources {
            let source = database[index]
            // Drop two positions at the left end and one at the right, then mix each column with 20 % noise.
            let kept = source.probabilities[2..<(source.width - 1)].map { column -> [Double] in
                let noise = (0..<4).map { _ in Double(generator.next() % 1000) / 1000 }
                let total = noise.reduce(0, +)
                return zip(column, noise).map { 0.8 * $0 + 0.2 * $1 / total }
            }
            let query = Motif(id: "noisy", probabilities: Array(kept))
            let matches = Self.comparator.compare(query)
            let own = try XCTUnwrap(matches.first { $0.targetIndex == index })
            XCTAssertEqual(own.offset, 2, source.id)
            XCTAssertEqual(own.orientation, .plus, source.id)
            XCTAssertLessThan(own.qValue, 0.05, source.id)
            if matches.prefix(3).contains(where: { $0.targetIndex == index }) { hits += 1 }
        }
        // Near-duplicate matrices (versions, family members) can outrank the source, but rarely.
        XCTAssertGreaterThanOrEqual(hits, sources.count * 9 / 10)
    }

    func testUnrelatedRandomMotifsAreNotSignificant() {
        var generator = TestData.Generator(seed: 9)
        var significant = 0
        for n in 0..<20 {
            let columns = (0..<10).map { _ -> [Double] in
                let raw = (0..<4).map { _ in Double(generator.next() % 1000) + 1 }
                let total = raw.reduce(0, +)
                return raw.map { $0 / total }
            }
            let matches = Self.comparator.compare(Motif(id: "random\(n)", probabilities: columns))
            if let first = matches.first, first.qValue <= 0.05 { significant += 1 }
        }
        XCTAssertLessThanOrEqual(significant, 2)
    }
}
