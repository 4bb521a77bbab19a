import XCTest
import Foundation
@testable import MotifAttnModel
import MotifAttnCore
import _TestSupport

/// The forgetting index against attention maps from the inference encoder (a separate implementation),
/// and the gradient projection of orthogonal fine-tuning against hand-made vectors.
final class FineTuningTests: XCTestCase {
    private let architecture = TrainingArchitecture(k: 2, stride: 1, dModel: 16, nHeads: 4, nLayers: 2, dFF: 24, maxLen: 40,
                                                    nOutputs: 1, convWidth: 3)

    private func examples(count: Int, seed: UInt64) -> [TrainingExample] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            let length = 8 + generator.uniform(below: 25)
            let body = (0..<length).map { _ in Int32(4 + generator.uniform(below: 16)) }
            return TrainingExample(tokenIDs: [2] + body + [3], labels: [Float(i % 2)])
        }
    }

    /// Mean KL(before ‖ after) per head over every query row, from the encoder's maps.
    private func encoderForgetting(before: ParameterStore, after: ParameterStore, examples: [TrainingExample]) throws -> [Double] {
        let rows = examples.map(\.tokenIDs)
        let a = try Encoder(model: AttentionModel(architecture: architecture, parameters: before), threads: 1)
            .forward(tokenRows: rows, keepAttention: true).attention!
        let b = try Encoder(model: AttentionModel(architecture: architecture, parameters: after), threads: 1)
            .forward(tokenRows: rows, keepAttention: true).attention!
        var totals = [Double](repeating: 0, count: architecture.nLayers * architecture.nHeads), queries = 0.0
        for (p, q) in zip(a, b) {
            queries += Double(p.tokens)
            for l in 0..<architecture.nLayers { for h in 0..<architecture.nHeads {
                for (x, y) in zip(p.map(layer: l, head: h), q.map(layer: l, head: h)) where x > 0 {
                    totals[l * architecture.nHeads + h] += Double(x) * log(Double(x) / Double(y))
                }
            } }
        }
        return totals.map { $0 / queries }
    }

    func testForgettingIndexIsTheMeanKLOfAttentionRowsAsTheEncoderComputesThem() throws {
        let before = ParameterStore.initialised(for: architecture, seed: 1)
        var after = before
        let nudge = GradientCheck.values(count: after.values.count, seed: 5, scale: 0.2)
        for i in after.values.indices { after.values[i] += nudge[i] }
        let sequences = examples(count: 37, seed: 9)
        let expected = try encoderForgetting(before: before, after: after, examples: sequences)
        for threads in [1, 3] {
            let heads = ForgettingIndex.measure(architecture: architecture, before: before, after: after, examples: sequences,
                                                threads: threads, shardSize: 5)
            XCTAssertEqual(heads.map { "L\($0.layer)H\($0.head)" }, (0..<2).flatMap { l in (0..<4).map { "L\(l)H\($0)" } })
            for (head, value) in zip(heads, expected) {
                XCTAssertEqual(head.meanKL, value, accuracy: 1e-4 + 1e-3 * value, "L\(head.layer)H\(head.head), \(threads) threads")
                XCTAssertGreaterThan(head.meanKL, 0)
            }
        }
        let unchanged = ForgettingIndex.measure(architecture: architecture, before: before, after: before, examples: sequences)
        XCTAssertEqual(unchanged.map(\.meanKL).max()!, 0, accuracy: 1e-9, "a model compared with itself forgets nothing")
    }

    func testProjectionRemovesExactlyTheComponentsAlongTheOldGradients() {
        // Old gradients (1,1,0,0), (1,0,0,0) and a dependent one (2,2,0,0): the span is the first two axes.
        let old: [[Float]] = [[1, 1, 0, 0], [1, 0, 0, 0], [2, 2, 0, 0]]
        let projection = GradientProjection(gradients: old)
        XCTAssertEqual(projection.directions.count, 2, "the dependent gradient adds no direction")
        for (i, u) in projection.directions.enumerated() {
            for (j, v) in projection.directions.enumerated() {
                XCTAssertEqual(zip(u, v).map { Double($0 * $1) }.reduce(0, +), i == j ? 1 : 0, accuracy: 1e-6)
            }
        }
        var g: [Float] = [3, -2, 5, 7]
        g.withUnsafeMutableBufferPointer { projection.removeComponents(from: $0) }
        XCTAssertEqual(g[0], 0, accuracy: 1e-6)
        XCTAssertEqual(g[1], 0, accuracy: 1e-6)
        XCTAssertEqual(Array(g[2...]), [5, 7], "components outside the old span are kept")
    }

    func testAProjectedAdamWStepMovesTheParametersOrthogonallyToTheKeptDirections() {
        // AdamW rescales each coordinate and decays the weights, so projecting the gradient alone would
        // not keep the step orthogonal; the trainer projects the whole update too.
        let settings = TrainerSettings(batchSize: 8, epochs: 1, seed: 3, threads: 1, shardSize: 4)
        let trainer = Trainer(architecture: architecture, settings: settings)
        let old = examples(count: 8, seed: 11), new = examples(count: 8, seed: 12)
        let directions = [trainer.lossGradient(on: old), trainer.lossGradient(on: Array(old.reversed().prefix(5)))]
        trainer.gradientProjection = GradientProjection(gradients: directions)
        let start = trainer.parameters.values
        for _ in 0..<3 { trainer.step(on: new, learningRate: 0.01) }
        let moved = zip(trainer.parameters.values, start).map { Double($0 - $1) }
        let length = moved.reduce(0) { $0 + $1 * $1 }.squareRoot()
        XCTAssertGreaterThan(length, 1e-3, "the parameters moved")
        for u in trainer.gradientProjection!.directions {
            let along = zip(moved, u).reduce(0) { $0 + $1.0 * Double($1.1) }
            XCTAssertLessThan(abs(along) / length, 1e-4, "component of the update along a kept direction")
        }
    }
}
