import Foundation

/// Finite-difference checks of hand-written backward passes (llm.c's `check_tensor` in spirit).
public enum GradientCheck {
    /// Central differences (f(x + h) − f(x − h)) / 2h of `objective` at `point`, one coordinate at a time,
    /// in Double (the objective returns Double; only the perturbed input is Float).
    public static func centralDifferences(at point: [Float], step: Float = 1e-2, objective: ([Float]) -> Double) -> [Double] {
        var x = point
        var result = [Double](repeating: 0, count: x.count)
        for i in x.indices {
            let original = x[i]
            x[i] = original + step
            let up = objective(x)
            x[i] = original - step
            let down = objective(x)
            x[i] = original
            // Use the step actually represented in Float.
            let h = Double(original + step) - Double(original - step)
            result[i] = (up - down) / h
        }
        return result
    }

    /// ‖analytic − numeric‖₂ / max(‖numeric‖₂, floor): the relative error of a gradient.
    public static func relativeError(_ analytic: [Float], _ numeric: [Double], floor: Double = 1e-6) -> Double {
        precondition(analytic.count == numeric.count)
        var difference = 0.0, reference = 0.0
        for (a, n) in zip(analytic, numeric) {
            difference += (Double(a) - n) * (Double(a) - n)
            reference += n * n
        }
        return difference.squareRoot() / max(reference.squareRoot(), floor)
    }

    /// Deterministic pseudo-random values in [−scale, scale) from `seed` (a tiny LCG; tests only).
    public static func values(count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) * 0x1.0p-24 * 2 - 1) * scale
        }
    }
}
