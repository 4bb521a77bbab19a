import XCTest
@testable import MotifAttn

/// How `train` holds out validation sequences from a genome: whole contiguous blocks.
final class ValidationSplitTests: XCTestCase {
    /// Windows every 500 bases on two chromosomes, each with a shuffled copy at the same place (as `--negatives shuffle` makes).
    private func windows(chromosomeLengths: [String: Int]) -> [LabelledSequence] {
        chromosomeLengths.sorted { $0.key < $1.key }.flatMap { name, length in
            stride(from: 0, to: length, by: 500).flatMap { start in
                [LabelledSequence(name: "\(name):\(start)", chromosome: name, start: start, bases: [], labels: [1]),
                 LabelledSequence(name: "\(name):\(start)_shuffled", chromosome: name, start: start, bases: [], labels: [0])]
            }
        }
    }

    func testHeldOutBlocksAreWholeStretchesOfTheGenomeAboutTheAskedFraction() throws {
        let all = windows(chromosomeLengths: ["chr1": 3_000_000, "chr2": 1_500_000])
        var warned: [String] = []
        let (training, validation) = try TrainingData.split(all, validationChromosomes: [], validationFraction: 0.1,
                                                            blockBases: 100_000, seed: 3, warning: { warned.append($0) })
        XCTAssertTrue(warned.isEmpty)
        XCTAssertEqual(training.count + validation.count, all.count)
        XCTAssertEqual(Double(validation.count) / Double(all.count), 0.1, accuracy: 0.03)
        // Every 100-kb block lies wholly on one side, so a window and its shuffled copy do too.
        func block(_ s: LabelledSequence) -> String { "\(s.chromosome!):\(s.start! / 100_000)" }
        XCTAssertTrue(Set(training.map(block)).isDisjoint(with: Set(validation.map(block))))
        XCTAssertEqual(validation.filter { $0.labels == [1] }.count, validation.filter { $0.labels == [0] }.count)
        // The held-out blocks are every tenth one (45 blocks: 4 or 5 of them).
        XCTAssertTrue([4, 5].contains(Set(validation.map(block)).count))
        let again = try TrainingData.split(all, validationChromosomes: [], validationFraction: 0.1, blockBases: 100_000, seed: 3)
        XCTAssertEqual(again.validation.map(\.name), validation.map(\.name), "the same seed holds out the same blocks")
    }

    func testBlocksShrinkOnASmallGenomeAndATinyOneFallsBackToARandomSplitWithAWarning() throws {
        // 2 Mb with 1-Mb blocks gives 2 blocks: they halve until there are 30 (at 62.5 kb).
        let small = windows(chromosomeLengths: ["chr1": 2_000_000])
        let (_, validation) = try TrainingData.split(small, validationChromosomes: [], validationFraction: 0.1,
                                                     blockBases: 1_000_000, seed: 1)
        let blocks = Set(validation.map { $0.start! / 62_500 })
        XCTAssertTrue([3, 4].contains(blocks.count), "held-out 62.5-kb blocks: \(blocks.sorted())")
        // 48 kb cannot make 30 blocks of at least 10 kb.
        let tiny = windows(chromosomeLengths: ["lambda": 48_000])
        var warned: [String] = []
        let split = try TrainingData.split(tiny, validationChromosomes: [], validationFraction: 0.1, blockBases: 1_000_000, seed: 1,
                                           warning: { warned.append($0) })
        XCTAssertEqual(warned.count, 1)
        XCTAssertEqual(split.validation.count, Int((Double(tiny.count) * 0.1).rounded()))
    }
}
