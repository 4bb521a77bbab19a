import Foundation

/// Settings of the AdamW optimiser (Loshchilov & Hutter), as in PyTorch's `torch.optim.AdamW`.
public struct AdamWSettings: Sendable, Equatable, Codable {
    /// Peak learning rate (the schedule scales it).
    public var learningRate: Float = 1e-3
    /// Decay of the first-moment average.
    public var beta1: Float = 0.9
    /// Decay of the second-moment average.
    public var beta2: Float = 0.999
    /// Added to the root of the second moment.
    public var epsilon: Float = 1e-8
    /// Decoupled weight decay (PyTorch's default for AdamW is 0.01).
    public var weightDecay: Float = 0.01

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }
}

/// The moment estimates of one parameter tensor, updated by AdamW.
///
/// The update is PyTorch's, step for step, so that a model trained here
/// follows the same path as one trained with `torch.optim.AdamW`:
/// `p ← p·(1 − lr·wd)`, `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`,
/// `p ← p − lr·(m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)`.
public struct AdamWMoments: Sendable {
    /// First moment (mean of gradients).
    public var firstMoment: [Float]
    /// Second moment (mean of squared gradients).
    public var secondMoment: [Float]
    /// Whether weight decay applies (PyTorch users often exempt biases and norms; the trainer decides).
    public var decays: Bool

    /// Zero moments for a tensor of `count` values.
    public init(count: Int, decays: Bool = true) {
        firstMoment = [Float](repeating: 0, count: count)
        secondMoment = [Float](repeating: 0, count: count)
        self.decays = decays
    }

    /// Applies one AdamW step (`step` counts from 1) at learning rate `learningRate`.
    public mutating func update(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                                step: Int, learningRate: Float, settings: AdamWSettings) {
        precondition(parameters.count == firstMoment.count && gradients.count == firstMoment.count)
        let b1 = settings.beta1, b2 = settings.beta2
        let correction1 = 1 - Float(pow(Double(b1), Double(step)))
        let correction2Root = Float((1 - pow(Double(b2), Double(step))).squareRoot())
        let stepSize = learningRate / correction1
        let decay: Float = decays ? 1 - learningRate * settings.weightDecay : 1
        let eps = settings.epsilon
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                for i in 0..<parameters.count {
                    let g = gradients[i]
                    m[i] = b1 * m[i] + (1 - b1) * g
                    v[i] = b2 * v[i] + (1 - b2) * g * g
                    let denominator = v[i].squareRoot() / correction2Root + eps
                    parameters[i] = parameters[i] * decay - stepSize * m[i] / denominator
                }
            }
        }
    }
}

/// Linear warm-up to the peak learning rate, then cosine decay to a floor.
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    /// Learning rate at the end of warm-up.
    public var peak: Float
    /// Steps of linear warm-up (from peak/warmup to peak).
    public var warmupSteps: Int
    /// Total steps of training (the cosine reaches `floor` here).
    public var totalSteps: Int
    /// Smallest learning rate, as a fraction of `peak`.
    public var floorFraction: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, floorFraction: Float = 0.01) {
        self.peak = peak
        self.warmupSteps = max(0, warmupSteps)
        self.totalSteps = max(1, totalSteps)
        self.floorFraction = floorFraction
    }

    /// Learning rate at `step` (counting from 1).
    public func learningRate(atStep step: Int) -> Float {
        if step <= warmupSteps { return peak * Float(step) / Float(warmupSteps) }
        let span = max(1, totalSteps - warmupSteps)
        let progress = min(1, Double(step - warmupSteps) / Double(span))
        let cosine = 0.5 * (1 + cos(Double.pi * progress))
        let floor = Double(peak * floorFraction)
        return Float(floor + (Double(peak) - floor) * cosine)
    }
}

/// Global gradient-norm clipping, as `torch.nn.utils.clip_grad_norm_`.
public enum GradientClipping {
    /// Scales all gradients so their joint L2 norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: [UnsafeMutableBufferPointer<Float>], maxNorm: Float) -> Float {
        var sum: Double = 0
        for buffer in gradients { for g in buffer { sum += Double(g) * Double(g) } }
        let norm = Float(sum.squareRoot())
        let scale = maxNorm / (norm + 1e-6)
        if scale < 1 {
            for buffer in gradients { for i in buffer.indices { buffer[i] *= scale } }
        }
        return norm
    }
}
