import XCTest
import Foundation
@testable import MotifAttnModel
import _TestSupport

/// Forward logits and the gradient of the mean BCE loss, checked against PyTorch (float64) fixtures.
final class TrainingFixtureTests: XCTestCase {
    static let cases = ["k3_d32_h4_l2", "k3c11_d32_h4_l2", "k4s2_d16_h2_l3_o3", "k6_d64_h8_l1"]

    struct Case {
        var architecture: TrainingArchitecture
        var parameters: ParameterStore
        var rows: [[Int32]]
        var labels: [Float]
        var io: SafetensorsFixture
        var grads: SafetensorsFixture
    }

    static func load(_ name: String) throws -> Case {
        let folder = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/model-v1/\(name)")
        let caseJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("case.json"))) as! [String: Any]
        let config = caseJSON["config"] as! [String: Any]
        let tokenizer = config["tokenizer"] as! [String: Any]
        let architecture = TrainingArchitecture(
            k: tokenizer["k"] as! Int, stride: tokenizer["stride"] as! Int, dModel: config["d_model"] as! Int,
            nHeads: config["n_heads"] as! Int, nLayers: config["n_layers"] as! Int, dFF: config["d_ff"] as! Int,
            maxLen: config["max_len"] as! Int, layerNormEps: Float(config["layer_norm_eps"] as! Double),
            nOutputs: config["n_outputs"] as! Int, convWidth: config["conv_width"] as? Int ?? 0)
        let model = try SafetensorsFixture(contentsOf: folder.appendingPathComponent("model.safetensors"))
        var parameters = ParameterStore(architecture: architecture)
        XCTAssertEqual(Set(model.names), Set(parameters.slots.map(\.name)), "\(name): tensor names differ from the state_dict")
        for slot in parameters.slots {
            XCTAssertEqual(try model.shape(slot.name), slot.shape, "\(name): shape of \(slot.name)")
            parameters.setTensor(slot.name, try model.floats(slot.name))
        }
        let io = try SafetensorsFixture(contentsOf: folder.appendingPathComponent("io.safetensors"))
        let idShape = try io.shape("ids")
        let ids = try io.integers("ids")
        let rows = (0..<idShape[0]).map { b in ids[(b * idShape[1])..<((b + 1) * idShape[1])].map { Int32($0) } }
        let grads = try SafetensorsFixture(contentsOf: folder.appendingPathComponent("grads.safetensors"))
        return Case(architecture: architecture, parameters: parameters, rows: rows, labels: try io.floats("labels"),
                    io: io, grads: grads)
    }

    /// One forward, loss and backward of the case; `headDiversity` adds that penalty with weight λ.
    static func run(_ c: Case, everyQuery: Bool, headDiversity: (weight: Float, kind: HeadDiversityKind)? = nil)
        -> (workspace: TrainingWorkspace, loss: Double, gradients: ParameterStore) {
        let workspace = TrainingWorkspace(architecture: c.architecture, batchCapacity: c.rows.count,
                                          tokenCapacity: c.rows[0].count)
        workspace.computesEveryQueryInLastLayer = everyQuery
        if let headDiversity {
            workspace.headDiversityWeight = headDiversity.weight
            workspace.headDiversityKind = headDiversity.kind
        }
        workspace.load(rows: c.rows)
        var gradients = ParameterStore(architecture: c.architecture)
        var loss = 0.0
        c.parameters.values.withUnsafeBufferPointer { p in
            workspace.forward(parameters: p.baseAddress!)
            loss = workspace.loss(labels: c.labels, normaliser: Float(c.labels.count))
            gradients.values.withUnsafeMutableBufferPointer { g in
                workspace.backward(parameters: p.baseAddress!, gradients: g.baseAddress!)
            }
        }
        return (workspace, loss, gradients)
    }

    func testLogitsMatchPyTorchWithin1e4WithAndWithoutTheCLSOnlyLastLayer() throws {
        for name in Self.cases { for everyQuery in [false, true] {
            let c = try Self.load(name)
            let (workspace, loss, _) = Self.run(c, everyQuery: everyQuery)
            let expected = try c.io.floats("logits")
            let logits = workspace.logits
            XCTAssertEqual(logits.count, expected.count)
            for (a, b) in zip(logits, expected) { XCTAssertEqual(a, b, accuracy: 1e-4, "\(name): logit") }
            let caseJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.repositoryRoot
                .appendingPathComponent("Tests/Fixtures/model-v1/\(name)/case.json"))) as! [String: Any]
            XCTAssertEqual(loss, caseJSON["loss"] as! Double, accuracy: 1e-5, "\(name): mean BCE loss")
        } }
    }

    func testAttentionProbabilitiesMatchPyTorchAtNonPadQueries() throws {
        for name in Self.cases {
            let c = try Self.load(name)
            let (workspace, _, _) = Self.run(c, everyQuery: true)
            let B = c.rows.count, T = c.rows[0].count, H = c.architecture.nHeads
            for layer in 0..<c.architecture.nLayers {
                let mine = workspace.attentionProbabilities(layer: layer)
                let theirs = try c.io.floats("attention.\(layer)")
                var worst: Float = 0
                for b in 0..<B { for h in 0..<H { for i in 0..<T where c.rows[b][i] != 0 { for j in 0..<T {
                    let index = ((b * H + h) * T + i) * T + j
                    worst = max(worst, abs(mine[index] - theirs[index]))
                } } } }
                XCTAssertLessThan(worst, 1e-4, "\(name): attention of layer \(layer)")
            }
        }
    }

    func testEveryGradientTensorMatchesPyTorchWithinRelativeError1e3WithAndWithoutTheCLSOnlyLastLayer() throws {
        for name in Self.cases { for everyQuery in [false, true] {
            let c = try Self.load(name)
            let (_, _, gradients) = Self.run(c, everyQuery: everyQuery)
            XCTAssertEqual(Set(c.grads.names), Set(gradients.slots.map(\.name)), "\(name): gradient tensor names")
            for slot in gradients.slots {
                let expected = try c.grads.floats(slot.name)
                let mine = gradients.tensor(slot.name)!
                var difference = 0.0, reference = 0.0
                for (a, b) in zip(mine, expected) {
                    difference += Double(a - b) * Double(a - b)
                    reference += Double(b) * Double(b)
                }
                let relative = difference.squareRoot() / max(reference.squareRoot(), 1e-12)
                XCTAssertLessThanOrEqual(relative, 1e-3, "\(name): gradient of \(slot.name), ‖g‖=\(reference.squareRoot())")
            }
        } }
    }
}
