import XCTest
import MotifAttnCore
@testable import MotifAttnModel
import MotifAttnTokenizers
import _TestSupport

/// The model has two forward passes: the encoder's (inference, `Layers.swift`) and the trainer's
/// (`TrainingOps.swift`, with its backward beside it). Both must give the same logits for the same weights.
final class ForwardPathsAgreeTests: XCTestCase {
    /// Logits of `rows` through the encoder and through the trainer, from one model file.
    private func bothLogits(model: AttentionModel, rows: [[Int32]]) throws -> (encoder: [[Float]], trainer: [[Float]]) {
        let encoder = Encoder(model: model, threads: 2, batchSize: 8)
        let trainer = Trainer(architecture: model.config.trainingArchitecture, settings: TrainerSettings(threads: 2),
                              initialParameters: model.parameterStore())
        let examples = rows.map { TrainingExample(tokenIDs: $0, labels: [Float](repeating: 0, count: model.config.nOutputs)) }
        return (try encoder.score(tokenRows: rows), trainer.logits(of: examples))
    }

    func testTrainerAndEncoderGiveTheSameLogitsOnEveryFixture() throws {
        for name in TrainingFixtureTests.cases {
            let folder = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/model-v1/\(name)")
            let model = try AttentionModel(contentsOf: folder.appendingPathComponent("model.safetensors").path)
            let io = try SafetensorsFixture(contentsOf: folder.appendingPathComponent("io.safetensors"))
            let shape = try io.shape("ids"), ids = try io.integers("ids")
            // The fixtures' rows are right-padded with [PAD] (0); both paths take unpadded rows.
            let rows = (0..<shape[0]).map { b in
                Array(ids[(b * shape[1])..<((b + 1) * shape[1])].map { Int32($0) }.reversed().drop { $0 == 0 }.reversed())
            }
            let (fromEncoder, fromTrainer) = try bothLogits(model: model, rows: rows)
            let expected = try io.floats("logits")
            for (b, row) in fromEncoder.enumerated() {
                for (o, value) in row.enumerated() {
                    XCTAssertEqual(value, fromTrainer[b][o], accuracy: 2e-5, "\(name) row \(b) output \(o)")
                    XCTAssertEqual(value, expected[b * row.count + o], accuracy: 1e-4, "\(name) row \(b) output \(o) vs PyTorch")
                }
            }
        }
    }

    func testTrainerAndEncoderGiveTheSameLogitsForTheBundledModel() throws {
        let path = TestPaths.repositoryRoot.appendingPathComponent("Reference/model/default.safetensors").path
        let model = try AttentionModel(contentsOf: path)
        let tokenizer = try model.makeTokenizer()
        var generator = SeededGenerator(seed: 11)
        // Full-length windows and shorter ones (padding inside a batch), with an N that makes [UNK] tokens.
        let windows: [[UInt8]] = (0..<40).map { i in
            var bases = (0..<(i % 3 == 0 ? 137 : 200)).map { _ in Nucleotides.letters[generator.uniform(below: 4)] }
            if i % 5 == 0 { bases[50] = UInt8(ascii: "N") }
            return bases
        }
        let (fromEncoder, fromTrainer) = try bothLogits(model: model, rows: Encoder.tokenRows(windows, tokenizer: tokenizer))
        for (a, b) in zip(fromEncoder, fromTrainer) { XCTAssertEqual(a[0], b[0], accuracy: 2e-5) }
    }
}
