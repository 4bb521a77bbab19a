import XCTest
@testable import MotifAttnModel

final class TrainingToolsTests: XCTestCase {
    /// Expected values from numpy, applying PyTorch's documented AdamW update in float64:
    /// p=p*(1-lr*wd); m=b1*m+(1-b1)*g; v=b2*v+(1-b2)*g*g; p-=lr*(m/(1-b1**t))/(sqrt(v/(1-b2**t))+eps)
    /// with p0=[0.5,-1,2], lr=0.01, wd=0.05, and gradients [0.1,-0.2,0.3], [-0.05,0.4,0], [1,1,-1].
    func testAdamWFollowsPyTorchsUpdateRule() {
        var parameters: [Float] = [0.5, -1.0, 2.0]
        let gradients: [[Float]] = [[0.1, -0.2, 0.3], [-0.05, 0.4, 0.0], [1, 1, -1]]
        var moments = AdamWMoments(count: 3)
        let settings = AdamWSettings(learningRate: 0.01, weightDecay: 0.05)
        for (t, g) in gradients.enumerated() {
            parameters.withUnsafeMutableBufferPointer { p in
                g.withUnsafeBufferPointer { moments.update(parameters: p, gradients: $0, step: t + 1, learningRate: 0.01, settings: settings) }
            }
        }
        let expected = [0.48002113263373364, -0.9991568402897171, 1.9849465223747687]
        for (a, b) in zip(parameters, expected) { XCTAssertEqual(Double(a), b, accuracy: 2e-6) }
    }

    func testScheduleWarmsUpLinearlyThenDecaysByCosineToTheFloor() {
        let schedule = LearningRateSchedule(peak: 1e-3, warmupSteps: 10, totalSteps: 110, floorFraction: 0.1)
        XCTAssertEqual(schedule.learningRate(atStep: 5), 5e-4, accuracy: 1e-9)
        XCTAssertEqual(schedule.learningRate(atStep: 10), 1e-3, accuracy: 1e-9)
        // Half-way through the decay: floor + (peak - floor) * 0.5.
        XCTAssertEqual(schedule.learningRate(atStep: 60), 1e-4 + 9e-4 * 0.5, accuracy: 1e-9)
        XCTAssertEqual(schedule.learningRate(atStep: 110), 1e-4, accuracy: 1e-9)
    }

    func testClippingScalesTheJointNormDownToTheLimit() {
        var a: [Float] = [3, 0], b: [Float] = [0, 4]
        let norm = a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in GradientClipping.clip([pa, pb], maxNorm: 1) }
        }
        XCTAssertEqual(norm, 5, accuracy: 1e-6)
        XCTAssertEqual(a[0], 0.6, accuracy: 1e-5)
        XCTAssertEqual(b[1], 0.8, accuracy: 1e-5)
    }

    /// Expected: sklearn.metrics.roc_auc_score and average_precision_score on the same data
    /// (scikit-learn 1.x): 0.88 and 0.8761904761904762. The data have tied scores (0.4 three times).
    func testAUROCAndAUPRCMatchScikitLearnWithTies() throws {
        let scores: [Float] = [0.1, 0.4, 0.35, 0.8, 0.4, 0.2, 0.9, 0.4, 0.05, 0.6]
        let labels = [0, 0, 1, 1, 1, 0, 1, 0, 0, 1].map { $0 == 1 }
        XCTAssertEqual(try XCTUnwrap(ClassificationMetrics.auroc(scores: scores, labels: labels)), 0.88, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(ClassificationMetrics.auprc(scores: scores, labels: labels)), 0.8761904761904762, accuracy: 1e-12)
        XCTAssertNil(ClassificationMetrics.auroc(scores: [1, 2], labels: [true, true]))
    }
}
