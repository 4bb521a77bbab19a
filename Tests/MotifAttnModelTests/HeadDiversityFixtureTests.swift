import XCTest
import Foundation
@testable import MotifAttnModel
import _TestSupport

/// Both head-diversity penalties and their gradients, checked against PyTorch autograd (float64) on the
/// k3_d32_h4_l2 case (`Benchmarks/peer/head_diversity_fixture.py` wrote `Tests/Fixtures/head-diversity`).
final class HeadDiversityFixtureTests: XCTestCase {
    func testLossAndEveryGradientMatchPyTorchAutogradForBothKinds() throws {
        let folder = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/head-diversity/k3_d32_h4_l2")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("case.json"))) as! [String: Any]
        let kinds = summary["kinds"] as! [String: [String: Double]]
        let c = try TrainingFixtureTests.load("k3_d32_h4_l2")
        for kind in HeadDiversityKind.allCases {
            let expected = try XCTUnwrap(kinds[kind.rawValue], "fixture lacks \(kind)")
            let (workspace, loss, gradients) = TrainingFixtureTests.run(c, everyQuery: false,
                                                                        headDiversity: (Float(expected["weight"]!), kind))
            XCTAssertEqual(loss, expected["loss"]!, accuracy: 1e-5, "\(kind): loss")
            XCTAssertEqual(workspace.headSimilarity, expected["penalty"]!, accuracy: 1e-6, "\(kind): penalty")
            let fixture = try SafetensorsFixture(contentsOf: folder.appendingPathComponent("\(kind.rawValue).grads.safetensors"))
            var difference = 0.0, reference = 0.0
            for slot in gradients.slots {
                let theirs = try fixture.floats(slot.name), mine = gradients.tensor(slot.name)!
                var slotDifference = 0.0, slotReference = 0.0
                for (a, b) in zip(mine, theirs) {
                    slotDifference += Double(a - b) * Double(a - b)
                    slotReference += Double(b) * Double(b)
                }
                difference += slotDifference
                reference += slotReference
                XCTAssertLessThanOrEqual(slotDifference.squareRoot() / max(slotReference.squareRoot(), 1e-12), 1e-3,
                                         "\(kind): gradient of \(slot.name)")
            }
            XCTAssertLessThanOrEqual(difference.squareRoot() / reference.squareRoot(), 1e-4, "\(kind): whole gradient")
        }
    }

    func testThePenaltyIsALargePartOfTheFixtureGradientSoTheComparisonCanFail() throws {
        // With λ = 0 the same case gives only the BCE gradient, which must differ from the fixture's.
        let folder = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/head-diversity/k3_d32_h4_l2")
        let c = try TrainingFixtureTests.load("k3_d32_h4_l2")
        var bce = [Float]()
        for slot in ParameterStore(architecture: c.architecture).slots { bce += try c.grads.floats(slot.name) }
        for kind in HeadDiversityKind.allCases {
            let fixture = try SafetensorsFixture(contentsOf: folder.appendingPathComponent("\(kind.rawValue).grads.safetensors"))
            var total = [Float]()
            for slot in ParameterStore(architecture: c.architecture).slots { total += try fixture.floats(slot.name) }
            let penaltyPart = zip(total, bce).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +).squareRoot()
            let whole = total.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            XCTAssertGreaterThan(penaltyPart / whole, 0.3, "\(kind): the penalty's share of the gradient")
        }
    }
}
