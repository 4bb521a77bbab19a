import XCTest
@testable import MotifAttnKernels
import _TestSupport

/// The bf16 kernels against their plain-loop twins: rounding, products, the convolution, row independence.
final class BF16ProductTests: XCTestCase {
    private func skipWithoutBF16() throws {
        try XCTSkipUnless(bf16ProductsAreSupported, "this CPU has no AVX512_BF16")
    }

    /// Round to nearest with ties to even, by hand: bfloat16 keeps 8 significant bits of a float.
    func testRoundingToBFloat16KeepsEightBitsTiesToEven() {
        XCTAssertEqual(roundedToBFloat16(1), 1)
        XCTAssertEqual(roundedToBFloat16(1 + 1 / 256), 1, "a tie goes to the even neighbour 1")
        XCTAssertEqual(roundedToBFloat16(1 + 3 / 256), 1 + 4 / 256, "a tie goes to the even neighbour 1 + 2/128")
        XCTAssertEqual(roundedToBFloat16(1 + 1.01 / 256), 1 + 2 / 256, "above the tie rounds up")
        XCTAssertEqual(roundedToBFloat16(-3.0), -3.0)
        XCTAssertEqual(roundedToBFloat16(.infinity), .infinity)
        XCTAssertTrue(roundedToBFloat16(.nan).isNaN)
    }

    /// `addBF16Product` adds x·Wᵀ of the rounded values to the output, for odd shapes, a block of outputs, row
    /// strides wider than the rows, and leaves the output's padding alone.
    func testProductAgreesWithTheTwin() throws {
        try skipWithoutBF16()
        let scratch = BF16Activations()
        for (rows, inputs, outputs, first) in [(1, 64, 64, 0), (7, 7, 5, 0), (13, 65, 33, 0), (20, 48, 190, 0), (9, 40, 48, 32), (3, 128, 16, 16)] {
            let total = first + outputs + 3
            let stride = inputs + 5, outputStride = outputs + 4
            let input = GradientCheck.values(count: rows * stride, seed: 31)
            let weight = GradientCheck.values(count: total * inputs, seed: 32)
            let start = GradientCheck.values(count: rows * outputStride, seed: 33)
            let packed = weight.withUnsafeBufferPointer { w in
                BF16PackedWeight(weight: w.baseAddress! + first * inputs, outputs: outputs, inputs: inputs)
            }
            var fast = start, plain = start
            addBF16Product(rows: rows, input: input, stride: stride, weight: packed, outputs: outputs, output: &fast,
                           outputStride: outputStride, scratch: scratch)
            addBF16ProductReference(rows: rows, input: input, stride: stride, weight: weight, inputs: inputs, first: first,
                                    outputs: outputs, output: &plain, outputStride: outputStride)
            for r in 0..<rows {
                for j in 0..<outputStride {
                    let i = r * outputStride + j
                    if j >= outputs { XCTAssertEqual(fast[i], start[i], "padding"); continue }
                    // The twin sums in Double; the kernel in fp32: allow fp32 rounding of a sum of `inputs` terms.
                    var magnitude: Float = abs(start[i])
                    for p in 0..<inputs { magnitude += abs(input[r * stride + p] * weight[(first + j) * inputs + p]) }
                    XCTAssertEqual(fast[i], plain[i], accuracy: 1e-6 * magnitude * Float(inputs), "\(rows)×\(inputs)→\(outputs) at \(r), \(j)")
                }
            }
        }
    }

    /// Each row's result is the same bit for bit whatever rows share the call.
    func testEachRowIsBitIdenticalWhateverTheRowCount() throws {
        try skipWithoutBF16()
        let scratch = BF16Activations()
        let rows = 40, inputs = 48, outputs = 72
        let input = GradientCheck.values(count: rows * inputs, seed: 34)
        let weight = GradientCheck.values(count: outputs * inputs, seed: 35)
        let packed = BF16PackedWeight(weight: weight, outputs: outputs, inputs: inputs)
        var whole = [Float](repeating: 0, count: rows * outputs)
        addBF16Product(rows: rows, input: input, stride: inputs, weight: packed, outputs: outputs, output: &whole,
                       outputStride: outputs, scratch: scratch)
        for first in [0, 3, 9] {
            for count in [1, 2, 7, 8, 9, 17] where first + count <= rows {
                var part = [Float](repeating: 0, count: count * outputs)
                input.withUnsafeBufferPointer { x in
                    addBF16Product(rows: count, input: x.baseAddress! + first * inputs, stride: inputs, weight: packed,
                                   outputs: outputs, output: &part, outputStride: outputs, scratch: scratch)
                }
                XCTAssertEqual(part, Array(whole[first * outputs..<(first + count) * outputs]), "rows \(first)..<\(first + count)")
            }
        }
    }

    /// The bf16 convolution against the fp32 twin of PyTorch's layout, within bf16's rounding of inputs and weights.
    func testConvolutionAgreesWithTheReference() throws {
        try skipWithoutBF16()
        let rows = 23, dim = 24, width = 5
        let padded = GradientCheck.values(count: (rows + width - 1) * dim, seed: 36)
        let torchWeight = GradientCheck.values(count: dim * dim * width, seed: 37)
        let bias = GradientCheck.values(count: dim, seed: 38)
        var byTap = [Float](repeating: 0, count: width * dim * dim)
        for o in 0..<dim { for i in 0..<dim { for j in 0..<width { byTap[(j * dim + o) * dim + i] = torchWeight[(o * dim + i) * width + j] } } }
        let taps = (0..<width).map { j in byTap.withUnsafeBufferPointer { BF16PackedWeight(weight: $0.baseAddress! + j * dim * dim, outputs: dim, inputs: dim) } }
        var fast = [Float](repeating: 0, count: rows * dim), exact = fast
        convolveTokensBF16(output: &fast, padded: padded, taps: taps, bias: bias, rows: rows, dim: dim, scratch: BF16Activations())
        convolveTokensReference(output: &exact, padded: padded, torchWeight: torchWeight, bias: bias, rows: rows, dim: dim, width: width)
        // Each of the dim·width terms has both factors rounded to 8 bits: relative error ≤ 2·2⁻⁹ per term.
        for r in 0..<rows {
            for o in 0..<dim {
                var magnitude: Float = 0
                for i in 0..<dim { for j in 0..<width { magnitude += abs(padded[(r + j) * dim + i] * torchWeight[(o * dim + i) * width + j]) } }
                XCTAssertEqual(fast[r * dim + o], exact[r * dim + o], accuracy: magnitude * 2 / 512 + 1e-5)
            }
        }
    }
}
