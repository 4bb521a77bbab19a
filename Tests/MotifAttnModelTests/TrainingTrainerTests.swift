import XCTest
@testable import MotifAttnModel
import MotifAttnCore
import MotifAttnIO

/// The trainer on a small generated task: positives carry a planted 6-mer, negatives are
/// dinucleotide shuffles of the positives (same 2-mer counts, motif usually destroyed).
final class TrainingTrainerTests: XCTestCase {
    static let motif = Array("CACGTG".utf8)
    static let architecture = TrainingArchitecture(k: 3, stride: 1, dModel: 16, nHeads: 2, nLayers: 1, dFF: 32,
                                                   maxLen: 64, nOutputs: 1, convWidth: 5)

    /// k-mer tokens as motifattn_torch.py's `kmer_tokens` defines them ([CLS] k-mers [SEP], A=0 C=1 G=2 T=3, id 5 + code).
    static func tokens(_ bases: [UInt8], k: Int) -> [Int32] {
        let code: [UInt8: Int32] = [65: 0, 67: 1, 71: 2, 84: 3]
        var ids: [Int32] = [2]
        for i in 0...(bases.count - k) {
            var value: Int32 = 0
            for b in bases[i..<(i + k)] { value = value * 4 + code[b]! }
            ids.append(5 + value)
        }
        ids.append(3)
        return ids
    }

    /// `count` examples, half positive (random 56-bp sequence with the motif planted), half their shuffles.
    static func examples(count: Int, seed: UInt64) -> [TrainingExample] {
        var generator = SeededGenerator(seed: seed)
        let alphabet = Array("ACGT".utf8)
        var result: [TrainingExample] = []
        for _ in 0..<(count / 2) {
            var bases = (0..<56).map { _ in alphabet[generator.uniform(below: 4)] }
            let at = generator.uniform(below: 56 - motif.count + 1)
            bases.replaceSubrange(at..<(at + motif.count), with: motif)
            let shuffled = DinucleotideShuffle.shuffle(bases, using: &generator)
            result.append(TrainingExample(tokenIDs: tokens(bases, k: 3), labels: [1]))
            result.append(TrainingExample(tokenIDs: tokens(shuffled, k: 3), labels: [0]))
        }
        return result
    }

    func testPlantedMotifTaskReachesValidationAUROCAbove0_9() {
        let training = Self.examples(count: 800, seed: 1), validation = Self.examples(count: 200, seed: 2)
        let settings = TrainerSettings(batchSize: 32, epochs: 8, seed: 3, threads: 2,
                                       optimiser: AdamWSettings(learningRate: 3e-3), patience: 0)
        let trainer = Trainer(architecture: Self.architecture, settings: settings)
        let before = trainer.evaluate(validation).auroc!
        var seen: [EpochSummary] = []
        let report = trainer.train(training: training, validation: validation) { seen.append($0) }
        XCTAssertEqual(seen, report.epochs, "the callback sees every epoch")
        XCTAssertEqual(seen.map(\.epoch), Array(1...8))
        XCTAssertEqual(trainer.stepCount, 8 * 25)
        let after = trainer.evaluate(validation)
        XCTAssertGreaterThan(after.auroc!, 0.9, "validation AUROC after training (was \(before) before)")
        XCTAssertEqual(after.auroc!, report.epochs[report.bestEpoch - 1].validationAUROC!, accuracy: 1e-12,
                       "the best epoch's parameters are kept")
        XCTAssertLessThan(report.epochs.last!.trainingLoss, report.epochs.first!.trainingLoss)
        XCTAssertGreaterThan(after.auprc!, 0.85)
    }

    func testSameSeedGivesBitIdenticalParametersForAnyThreadCount() {
        let training = Self.examples(count: 120, seed: 4), validation = Self.examples(count: 40, seed: 5)
        func run(threads: Int, seed: UInt64) -> ParameterStore {
            let settings = TrainerSettings(batchSize: 24, epochs: 2, seed: seed, threads: threads, shardSize: 8,
                                           optimiser: AdamWSettings(learningRate: 3e-3))
            let trainer = Trainer(architecture: Self.architecture, settings: settings)
            _ = trainer.train(training: training, validation: validation)
            return trainer.parameters
        }
        let first = run(threads: 2, seed: 9)
        XCTAssertEqual(first.values, run(threads: 2, seed: 9).values, "same seed, same threads")
        XCTAssertEqual(first.values, run(threads: 1, seed: 9).values, "shards fixed: the thread count does not matter")
        XCTAssertNotEqual(first.values, run(threads: 2, seed: 10).values, "another seed gives another model")
    }

    func testHeadDiversityPenaltyLowersSimilarityBetweenHeads() {
        let training = Self.examples(count: 320, seed: 8), validation = Self.examples(count: 64, seed: 9)
        func similarity(penalty: Float) -> Double {
            let settings = TrainerSettings(batchSize: 32, epochs: 3, seed: 4, threads: 2,
                                           optimiser: AdamWSettings(learningRate: 3e-3), patience: 0, headDiversity: penalty)
            let trainer = Trainer(architecture: Self.architecture, settings: settings)
            let report = trainer.train(training: training, validation: validation)
            XCTAssertEqual(report.epochs.last!.headSimilarity == nil, penalty == 0)
            return trainer.headSimilarity(of: validation)
        }
        let plain = similarity(penalty: 0), penalised = similarity(penalty: 2)
        XCTAssertLessThan(penalised, plain - 0.05, "cosine similarity between heads: \(penalised) with the penalty, \(plain) without")
    }

    func testEarlyStoppingEndsAfterPatienceEpochsWithoutImprovement() {
        // A learning rate of zero never improves validation AUROC after epoch 1.
        let training = Self.examples(count: 64, seed: 6), validation = Self.examples(count: 32, seed: 7)
        let settings = TrainerSettings(batchSize: 32, epochs: 10, seed: 1, threads: 1,
                                       optimiser: AdamWSettings(learningRate: 0, weightDecay: 0), patience: 2)
        let trainer = Trainer(architecture: Self.architecture, settings: settings)
        let initial = trainer.parameters
        let report = trainer.train(training: training, validation: validation)
        XCTAssertTrue(report.stoppedEarly)
        XCTAssertEqual(report.epochs.count, 3)
        XCTAssertEqual(report.bestEpoch, 1)
        XCTAssertEqual(trainer.parameters, initial)
    }
}
