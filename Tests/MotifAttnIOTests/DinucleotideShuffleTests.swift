import XCTest
@testable import MotifAttnIO
import MotifAttnCore

final class DinucleotideShuffleTests: XCTestCase {
    private func dinucleotideCounts(_ s: [UInt8]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for i in 0..<(s.count - 1) { counts[String(decoding: s[i...i + 1], as: UTF8.self), default: 0] += 1 }
        return counts
    }

    func testShufflePreservesEveryDinucleotideCountAndTheEnds() {
        var generator = SeededGenerator(seed: 7)
        for trial in 0..<200 {
            let length = 3 + generator.uniform(below: 300)
            let alphabet: [UInt8] = trial % 3 == 0 ? Array("ACGTN".utf8) : Array("ACGT".utf8)
            let input = (0..<length).map { _ in alphabet[generator.uniform(below: alphabet.count)] }
            let shuffled = DinucleotideShuffle.shuffle(input, using: &generator)
            XCTAssertEqual(shuffled.count, input.count)
            XCTAssertEqual(shuffled.first, input.first)
            XCTAssertEqual(shuffled.last, input.last)
            XCTAssertEqual(dinucleotideCounts(shuffled), dinucleotideCounts(input), "trial \(trial)")
        }
    }

    func testShuffleIsReproducibleForASeedAndVariesAcrossSeeds() {
        let input = Array("ACGTTGCAAGGCTTACGATCGATCGGGATTACAGATTACAACGT".utf8)
        var a = SeededGenerator(seed: 1), b = SeededGenerator(seed: 1), c = SeededGenerator(seed: 2)
        let first = DinucleotideShuffle.shuffle(input, using: &a)
        XCTAssertEqual(first, DinucleotideShuffle.shuffle(input, using: &b))
        XCTAssertNotEqual(first, DinucleotideShuffle.shuffle(input, using: &c))
        XCTAssertNotEqual(first, input)
    }

    /// "AACAGC"-like inputs have few Eulerian walks; each must be reachable and roughly equally likely.
    func testShuffleDrawsEveryEulerianArrangementAboutEquallyOften() {
        // Sequences with the 2-mers of ACAGAT starting with A and ending with T:
        // A->C, C->A, A->G, G->A, A->T. Walks: ACAGAT and AGACAT.
        let input = Array("ACAGAT".utf8)
        var generator = SeededGenerator(seed: 3)
        var seen: [String: Int] = [:]
        for _ in 0..<4000 { seen[String(decoding: DinucleotideShuffle.shuffle(input, using: &generator), as: UTF8.self), default: 0] += 1 }
        XCTAssertEqual(Set(seen.keys), ["ACAGAT", "AGACAT"])
        for (_, count) in seen { XCTAssertEqual(Double(count), 2000, accuracy: 200) }
    }
}

final class SequenceLabelsTests: XCTestCase {
    func testLabelsAreReadFromSimulateStyleHeaders() throws {
        XCTAssertEqual(try SequenceLabels.parse(description: "label=1", record: "train_0"), [1])
        XCTAssertEqual(try SequenceLabels.parse(description: "chr1:5-9 label=1,0,1", record: "x"), [1, 0, 1])
        XCTAssertThrowsError(try SequenceLabels.parse(description: "score=3", record: "x")) { error in
            XCTAssertEqual(error as? LabelError, .missing(record: "x"))
        }
        XCTAssertThrowsError(try SequenceLabels.parse(description: "label=2", record: "x"))
    }

    func testSeededGeneratorUniformStaysInBoundsAndCoversIt() {
        var generator = SeededGenerator(seed: 11)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[generator.uniform(below: 7)] += 1 }
        for count in counts { XCTAssertEqual(Double(count), 10_000, accuracy: 500) }
    }
}
