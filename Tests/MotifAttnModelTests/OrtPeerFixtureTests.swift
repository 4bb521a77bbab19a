import Foundation
import XCTest
import _TestSupport
import MotifAttnCore
import MotifAttnIO
import MotifAttnModel
import MotifAttnTokenizers

/// The encoder against ONNX Runtime (`ort_peer.py score`, an independent implementation of the v1 graph)
/// on models that are not PyTorch fixtures: a random model and a model trained by PyTorch.
final class OrtPeerFixtureTests: XCTestCase {
    private let root = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures")

    /// Checks every record's logits against the peer's table (`name<TAB>logit…`, printed with 6 significant digits).
    private func checkAgainstPeer(model modelPath: String, fasta: String, table: String,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try AttentionModel(contentsOf: root.appendingPathComponent(modelPath).path)
        let tokenizer = try model.makeTokenizer()
        let reader = try FastaRecordReader(path: root.appendingPathComponent(fasta).path)
        var names: [String] = [], rows: [[Int32]] = []
        while let record = try reader.next() {
            names.append(record.name)
            rows.append(tokenizer.encode(record.bases).ids)
        }
        let text = try String(contentsOf: root.appendingPathComponent(table), encoding: .utf8)
        let expected = text.split(separator: "\n").map { $0.split(separator: "\t") }
        XCTAssertEqual(expected.count, rows.count, file: file, line: line)
        // Ragged batches of 7 on 2 threads: padding and batching must not change a window's logits.
        let logits = try Encoder(model: model, threads: 2, batchSize: 7).score(tokenRows: rows)
        var worst: Float = 0
        for (i, fields) in expected.enumerated() {
            XCTAssertEqual(String(fields[0]), names[i], file: file, line: line)
            let peer = fields.dropFirst().map { Float($0)! }
            XCTAssertEqual(peer.count, model.config.nOutputs, file: file, line: line)
            for (mine, theirs) in zip(logits[i], peer) { worst = max(worst, abs(mine - theirs)) }
        }
        XCTAssertLessThan(worst, 1e-4, "largest logit difference to ONNX Runtime", file: file, line: line)
    }

    func testRandomModelLogitsMatchOnnxRuntimeOnRaggedWindowsWithNAndLowerCase() throws {
        try checkAgainstPeer(model: "ort-peer/random-k4c9-d48-h6-l3-o2.safetensors", fasta: "ort-peer/random-windows.fa",
                             table: "ort-peer/random-windows.ort.tsv")
    }

    func testPyTorchTrainedModelLogitsMatchOnnxRuntimeOn300SimulatedSequences() throws {
        try checkAgainstPeer(model: "models/sim-seed1-pytorch.safetensors", fasta: "ort-peer/sim-seed1-test300.fa",
                             table: "ort-peer/sim-seed1-test300.ort.tsv")
    }
}
