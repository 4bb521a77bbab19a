import Foundation
import XCTest
@testable import MotifAttnModel
import MotifAttnCore

/// Checkpoints: pausing after k epochs and resuming gives the run that never stopped, bit for bit.
final class TrainingCheckpointTests: XCTestCase {
    private typealias Task = TrainingTrainerTests

    /// The metrics that do not depend on the clock (speeds do).
    private func metrics(_ epochs: [EpochSummary]) -> [[Double?]] {
        epochs.map { [Double($0.epoch), Double($0.steps), $0.trainingLoss, $0.headSimilarity, $0.validationLoss,
                      $0.validationAUROC, $0.validationAUPRC] }
    }

    private func temporaryPath() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString).safetensors").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testPausingThenResumingFromTheFileGivesBitIdenticalParametersAndReport() throws {
        let training = Task.examples(count: 200, seed: 11), validation = Task.examples(count: 60, seed: 12)
        // Patience 0 and a penalty: every branch of the state (best epoch, head similarity) is exercised.
        let settings = TrainerSettings(batchSize: 24, epochs: 5, seed: 7, threads: 2,
                                       optimiser: AdamWSettings(learningRate: 3e-3), patience: 0, headDiversity: 0.5)
        let straight = Trainer(architecture: Task.architecture, settings: settings)
        let straightReport = straight.train(training: training, validation: validation)

        for pauseAfter in [1, 3] {
            let path = temporaryPath()
            let first = Trainer(architecture: Task.architecture, settings: settings)
            let firstReport = first.train(training: training, validation: validation, afterEpoch: { checkpoint in
                do { try checkpoint.write(to: path) } catch { XCTFail("\(error)") }
                return checkpoint.completedEpochs < pauseAfter
            })
            XCTAssertTrue(firstReport.paused)
            XCTAssertEqual(firstReport.epochs.count, pauseAfter)

            let saved = try TrainingCheckpoint.read(path: path)
            XCTAssertNil(saved.mismatch(architecture: Task.architecture, settings: settings, training: training, validation: validation))
            // Another thread count may resume: the result does not depend on it.
            var resumedSettings = settings
            resumedSettings.threads = 1
            let resumed = Trainer(architecture: Task.architecture, settings: resumedSettings)
            var seen: [Int] = []
            let report = resumed.train(training: training, validation: validation, resumingFrom: saved) { seen.append($0.epoch) }
            XCTAssertEqual(seen, Array((pauseAfter + 1)...5), "only the remaining epochs run")
            let differing = zip(resumed.parameters.values, straight.parameters.values).filter { $0.0.bitPattern != $0.1.bitPattern }.count
            XCTAssertEqual(differing, 0, "parameters differing from the uninterrupted run (paused after \(pauseAfter))")
            XCTAssertEqual(resumed.stepCount, straight.stepCount)
            XCTAssertEqual(report.bestEpoch, straightReport.bestEpoch)
            XCTAssertFalse(report.paused)
            XCTAssertEqual(metrics(report.epochs), metrics(straightReport.epochs))
        }
    }

    func testCheckpointFileRoundTripsExactly() throws {
        let training = Task.examples(count: 64, seed: 13), validation = Task.examples(count: 32, seed: 14)
        let settings = TrainerSettings(batchSize: 16, epochs: 3, seed: 2, threads: 1, optimiser: AdamWSettings(learningRate: 3e-3))
        var last: TrainingCheckpoint?
        _ = Trainer(architecture: Task.architecture, settings: settings).train(training: training, validation: validation,
                                                                              afterEpoch: { last = $0; return true })
        let checkpoint = try XCTUnwrap(last)
        XCTAssertEqual(checkpoint.completedEpochs, 3)
        XCTAssertNotNil(checkpoint.best)
        let path = temporaryPath()
        try checkpoint.write(to: path)
        XCTAssertEqual(try TrainingCheckpoint.read(path: path), checkpoint)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
            .filter { $0.hasPrefix(".\((path as NSString).lastPathComponent).tmp") }
        XCTAssertEqual(leftovers, [], "no temporary file left behind")
    }

    func testResumingAfterEarlyStoppingStopsAgainAtOnce() throws {
        // A learning rate of zero never improves validation AUROC after epoch 1: patience 2 stops after epoch 3.
        let training = Task.examples(count: 64, seed: 6), validation = Task.examples(count: 32, seed: 7)
        let settings = TrainerSettings(batchSize: 32, epochs: 10, seed: 1, threads: 1,
                                       optimiser: AdamWSettings(learningRate: 0, weightDecay: 0), patience: 2)
        var saved: TrainingCheckpoint?
        let paused = Trainer(architecture: Task.architecture, settings: settings)
            .train(training: training, validation: validation, afterEpoch: { saved = $0; return $0.completedEpochs < 3 })
        XCTAssertTrue(paused.paused)
        let report = Trainer(architecture: Task.architecture, settings: settings)
            .train(training: training, validation: validation, resumingFrom: saved)
        XCTAssertTrue(report.stoppedEarly)
        XCTAssertEqual(report.epochs.count, 3)
        XCTAssertEqual(report.bestEpoch, 1)
    }

    /// Patience counts only once the warm-up has ended: with a learning rate of zero nothing improves after
    /// epoch 1, and a warm-up of half the 10 epochs' steps holds the stop back until it is over.
    func testEarlyStoppingWaitsForTheEndOfTheWarmUp() throws {
        let training = Task.examples(count: 64, seed: 6), validation = Task.examples(count: 32, seed: 7)
        var settings = TrainerSettings(batchSize: 32, epochs: 10, seed: 1, threads: 1,
                                       optimiser: AdamWSettings(learningRate: 0, weightDecay: 0), patience: 2)
        settings.warmupFraction = 0.5  // 10 of the 20 steps: 5 epochs of 2 steps
        let report = Trainer(architecture: Task.architecture, settings: settings).train(training: training, validation: validation)
        XCTAssertTrue(report.stoppedEarly)
        XCTAssertEqual(report.epochs.count, 5)
        XCTAssertEqual(report.bestEpoch, 1)
        settings.warmupFraction = 0
        let unwarmed = Trainer(architecture: Task.architecture, settings: settings).train(training: training, validation: validation)
        XCTAssertEqual(unwarmed.epochs.count, 3)
    }

    func testMismatchNamesTheDifferingSettingOrTheData() throws {
        let training = Task.examples(count: 48, seed: 15), validation = Task.examples(count: 16, seed: 16)
        let settings = TrainerSettings(batchSize: 16, epochs: 2, seed: 2, threads: 1)
        var saved: TrainingCheckpoint?
        _ = Trainer(architecture: Task.architecture, settings: settings)
            .train(training: training, validation: validation, afterEpoch: { saved = $0; return false })
        let checkpoint = try XCTUnwrap(saved)

        var otherRate = settings
        otherRate.optimiser.learningRate = 2e-3
        let rate = try XCTUnwrap(checkpoint.mismatch(architecture: Task.architecture, settings: otherRate,
                                                     training: training, validation: validation))
        XCTAssertTrue(rate.contains("lr 0.001 in the checkpoint, 0.002 now"), rate)

        var wider = Task.architecture
        wider.dModel = 32
        let width = try XCTUnwrap(checkpoint.mismatch(architecture: wider, settings: settings, training: training, validation: validation))
        XCTAssertTrue(width.contains("d_model 16 in the checkpoint, 32 now"), width)

        var relabelled = training
        relabelled[0].labels = [1 - relabelled[0].labels[0]]
        let data = try XCTUnwrap(checkpoint.mismatch(architecture: Task.architecture, settings: settings,
                                                     training: relabelled, validation: validation))
        XCTAssertTrue(data.contains("other training or validation sequences"), data)

        var moreThreads = settings
        moreThreads.threads = 2
        XCTAssertNil(checkpoint.mismatch(architecture: Task.architecture, settings: moreThreads, training: training, validation: validation))
        XCTAssertFalse(CheckpointError.mismatch(file: "m.ckpt", reason: rate).description.contains("\n"))
    }

    func testReadingAModelFileOrNothingIsAnErrorNamingTheFile() throws {
        let absent = temporaryPath()
        XCTAssertThrowsError(try TrainingCheckpoint.read(path: absent)) { error in
            XCTAssertEqual(error as? CheckpointError, .missing(file: absent))
        }
        let model = temporaryPath()
        try Safetensors.write(tensors: ["w": NamedTensor(shape: [1], values: [1])], metadata: [:], path: model)
        XCTAssertThrowsError(try TrainingCheckpoint.read(path: model)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(model): not a usable training checkpoint"), "\(error)")
        }
    }
}
