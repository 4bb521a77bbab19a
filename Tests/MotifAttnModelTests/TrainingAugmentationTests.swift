import XCTest
@testable import MotifAttnModel
import MotifAttnCore
import MotifAttnTokenizers

/// Reverse-complement and shift augmentation, and the step budget that plans more epochs on small sets.
final class TrainingAugmentationTests: XCTestCase {
    private let tokenizer = try! KmerTokenizer(k: 3)

    private func example(_ text: String) -> TrainingExample {
        let bases = Array(text.utf8)
        return TrainingExample(tokenIDs: tokenizer.encode(bases).ids, labels: [1],
                               reverseTokenIDs: tokenizer.encode(Nucleotides.reverseComplement(bases)).ids)
    }

    func testEveryAugmentedRowIsTheSequenceOrItsReverseComplementWithUpToMaxShiftKmersCutAtOneEnd() {
        let text = "ACGTTGCAAGGCTTAACCGGATCG"
        let e = example(text)
        var settings = TrainerSettings(seed: 5)
        settings.reverseComplement = true
        settings.maxShift = 3
        let trainer = Trainer(architecture: TrainingTrainerTests.architecture, settings: settings)
        var strands = Set<Bool>(), cuts = Set<Int>()
        for epoch in 1...40 {
            let row = trainer.augmented(e, index: 7, epoch: epoch).tokenIDs
            XCTAssertEqual(row, trainer.augmented(e, index: 7, epoch: epoch).tokenIDs, "the draw depends on seed, epoch and index only")
            XCTAssertEqual(row.first, 2); XCTAssertEqual(row.last, 3)
            // The k-mers left are a contiguous run of the forward or the reverse-complement tokens.
            let body = Array(row.dropFirst().dropLast())
            let matches = [(true, e.tokenIDs), (false, e.reverseTokenIDs!)].compactMap { forward, full -> (Bool, Int)? in
                let fullBody = Array(full.dropFirst().dropLast())
                for start in 0...(fullBody.count - body.count) where Array(fullBody[start..<(start + body.count)]) == body {
                    let cut = fullBody.count - body.count
                    guard start == 0 || start == cut else { continue }
                    return (forward, cut)
                }
                return nil
            }
            let match = try! XCTUnwrap(matches.first, "epoch \(epoch): \(row) is not an end-cut of either strand")
            XCTAssertLessThanOrEqual(match.1, 3)
            strands.insert(match.0); cuts.insert(match.1)
        }
        XCTAssertEqual(strands, [true, false], "both strands are drawn")
        XCTAssertEqual(cuts, [0, 1, 2, 3], "every cut from 0 to max-shift is drawn")
        XCTAssertEqual(Trainer(architecture: TrainingTrainerTests.architecture, settings: TrainerSettings(seed: 5))
            .augmented(e, index: 7, epoch: 1), e, "off by default: the example as given")
    }

    func testReverseComplementTokensAreTheTokensOfTheReversedComplementedBases() {
        // By hand: ACGTTG reversed and complemented is CAACGT: CAA AAC ACG CGT = 5+16, 5+1, 5+6, 5+27.
        XCTAssertEqual(example("ACGTTG").reverseTokenIDs, [2, 21, 6, 11, 32, 3])
    }

    func testMinimumStepsPlansMoreEpochsOnASmallSetUpToTheCap() {
        var settings = TrainerSettings(batchSize: 64, epochs: 4)
        settings.minimumSteps = 1000
        settings.maximumEpochs = 50
        let trainer = Trainer(architecture: TrainingTrainerTests.architecture, settings: settings)
        XCTAssertEqual(trainer.plannedEpochs(examples: 64_000), 4, "1000 steps a epoch: the epochs count")
        XCTAssertEqual(trainer.plannedEpochs(examples: 6_400), 10, "100 steps an epoch: 10 epochs for 1000 steps")
        XCTAssertEqual(trainer.plannedEpochs(examples: 640), 50, "10 steps an epoch: capped at 50")
    }

    func testAugmentedTrainingIsBitIdenticalForAnyThreadCountAndDiffersFromPlainTraining() {
        let training = TrainingTrainerTests.examples(count: 200, seed: 4).map { e -> TrainingExample in
            // The test set's examples as tokens only: build reverse tokens from the same k-mers reversed and complemented.
            var copy = e
            copy.reverseTokenIDs = [2] + e.tokenIDs.dropFirst().dropLast().reversed().map { id in
                let code = Int(id) - 5
                let bases = [code >> 4 & 3, code >> 2 & 3, code & 3].reversed().map { 3 - $0 }
                return Int32(5 + bases[0] * 16 + bases[1] * 4 + bases[2])
            } + [3]
            return copy
        }
        let validation = TrainingTrainerTests.examples(count: 100, seed: 5)
        func run(threads: Int, augmented: Bool = true) -> (ParameterStore, TrainingReport) {
            var settings = TrainerSettings(batchSize: 24, epochs: 3, seed: 9, threads: threads, shardSize: 8,
                                           optimiser: AdamWSettings(learningRate: 3e-3), patience: 0)
            settings.reverseComplement = augmented
            settings.maxShift = augmented ? 4 : 0
            settings.minimumSteps = 60
            let trainer = Trainer(architecture: TrainingTrainerTests.architecture, settings: settings)
            let report = trainer.train(training: training, validation: validation)
            return (trainer.parameters, report)
        }
        let (two, report) = run(threads: 2)
        XCTAssertEqual(two.values, run(threads: 1).0.values)
        XCTAssertEqual(report.epochs.count, 7, "60 steps at 9 a epoch plan 7 epochs")
        XCTAssertNotEqual(two.values, run(threads: 2, augmented: false).0.values, "augmentation changes what is trained on")
    }

    func testDropoutTrainingIsBitIdenticalForAnyThreadCountAndLeavesEvaluationAlone() {
        let training = TrainingTrainerTests.examples(count: 120, seed: 6)
        let validation = TrainingTrainerTests.examples(count: 40, seed: 7)
        func trainer(threads: Int, dropout: Float) -> Trainer {
            var settings = TrainerSettings(batchSize: 24, epochs: 2, seed: 3, threads: threads, shardSize: 8,
                                           optimiser: AdamWSettings(learningRate: 3e-3), patience: 0)
            settings.dropout = dropout
            return Trainer(architecture: TrainingTrainerTests.architecture, settings: settings)
        }
        func trained(threads: Int, dropout: Float) -> [Float] {
            let t = trainer(threads: threads, dropout: dropout)
            _ = t.train(training: training, validation: validation)
            return t.parameters.values
        }
        let withDropout = trained(threads: 3, dropout: 0.2)
        XCTAssertEqual(withDropout, trained(threads: 1, dropout: 0.2), "masks depend on seed, step and place, not on threads")
        XCTAssertNotEqual(withDropout, trained(threads: 1, dropout: 0), "dropout changes the steps")
        // Evaluation runs the model as at inference: the same parameters (same seed) give the same logits with or
        // without dropout.
        let dropping = trainer(threads: 2, dropout: 0.5), plain = trainer(threads: 2, dropout: 0)
        XCTAssertEqual(dropping.parameters.values, plain.parameters.values)
        XCTAssertEqual(dropping.logits(of: validation), plain.logits(of: validation))
        XCTAssertEqual(dropping.evaluate(validation).loss, plain.evaluate(validation).loss)
    }
}
