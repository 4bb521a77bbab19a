import Foundation
import MotifAttnModel
import _TestSupport

/// One PyTorch golden case from `Tests/Fixtures/model-v1/<name>` (see Tests/Fixtures/README.md).
struct GoldenCase {
    let name: String
    let folder: URL
    let sequences: [String]
    let tokens: [[Int32]]
    let io: [String: NamedTensor]

    static let names = ["k3_d32_h4_l2", "k3c11_d32_h4_l2", "k4s2_d16_h2_l3_o3", "k6_d64_h8_l1"]

    /// A case of `Tests/Fixtures/<set>/<name>` (the v1 PyTorch cases by default; `model-v2` holds pruned ones).
    init(_ name: String, set: String = "model-v1") throws {
        self.name = name
        folder = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/\(set)/\(name)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("case.json"))) as! [String: Any]
        sequences = json["sequences"] as! [String]
        tokens = (json["tokens"] as! [[NSNumber]]).map { $0.map { Int32($0.intValue) } }
        io = try Safetensors.read(path: folder.appendingPathComponent("io.safetensors").path, skippingOtherDtypes: true).tensors
    }

    var modelPath: String { folder.appendingPathComponent("model.safetensors").path }
}
