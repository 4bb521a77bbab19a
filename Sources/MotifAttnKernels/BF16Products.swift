import CVectorMath
import Foundation

/// Whether this CPU (and its operating system) runs the bf16 products (AVX512_BF16 with AVX512F and BW).
public let bf16ProductsAreSupported = motifattn_bf16_supported() != 0

/// A weight matrix [outputs, inputs] (PyTorch's `nn.Linear` layout) rounded to bfloat16 and packed for
/// `addBF16Product`: column blocks of 16 outputs, pairs of inputs interleaved. Read-only once made.
public final class BF16PackedWeight: @unchecked Sendable {
    /// Output columns (rows of the weight as stored).
    public let outputs: Int
    /// Inputs (columns of the weight as stored).
    public let inputs: Int
    let values: UnsafeMutablePointer<UInt16>

    /// Packs the weight [outputs, inputs] at `weight`.
    public init(weight: UnsafePointer<Float>, outputs: Int, inputs: Int) {
        self.outputs = outputs
        self.inputs = inputs
        let count = motifattn_bf16_packed_count(outputs, inputs)
        values = .allocate(capacity: count)
        motifattn_bf16_pack_weight(weight, outputs, inputs, values)
    }

    deinit { values.deallocate() }
}

/// A thread's scratch for the bfloat16 copies of product inputs (grown when needed, never shrunk).
public final class BF16Activations: @unchecked Sendable {
    private(set) var pointer: UnsafeMutablePointer<UInt16>
    private var capacity: Int

    /// An empty scratch; it grows on first use.
    public init() {
        capacity = 1
        pointer = .allocate(capacity: 1)
    }

    deinit { pointer.deallocate() }

    /// Rounds `rows` rows of `inputs` floats (row stride `stride`) into the scratch and returns them
    /// (rows of `bf16RowLength(inputs)` values), valid until the next call.
    public func convert(rows: Int, inputs: Int, from input: UnsafePointer<Float>, stride: Int) -> UnsafePointer<UInt16> {
        let needed = rows * bf16RowLength(inputs)
        if needed > capacity {
            pointer.deallocate()
            capacity = needed
            pointer = .allocate(capacity: needed)
        }
        motifattn_bf16_convert_rows(input, rows, inputs, stride, pointer)
        return UnsafePointer(pointer)
    }
}

/// `value` rounded to bfloat16 (nearest, ties to even; NaN stays NaN), as a float: what the bf16 products
/// see of each input and weight.
public func roundedToBFloat16(_ value: Float) -> Float {
    motifattn_float_from_bf16(motifattn_bf16_from_float(value))
}

/// Values per converted activation row of `inputs` inputs (an odd count gets one zero).
@inline(__always)
public func bf16RowLength(_ inputs: Int) -> Int { (inputs + 1) / 2 * 2 }

/// `output[r, j] += Σ_i input[r, i] · W[first + j, i]` for `r < rows`, `j < outputs`, in bfloat16 with fp32
/// sums: the bf16 twin of `matrixProduct(.asStored, .transposed, …, beta: 1)` against a PyTorch-layout weight.
///
/// `input` rows are `stride` floats apart; `first` (a multiple of 16) picks a block of the weight's outputs,
/// e.g. the K and V columns of a stacked in-projection. Each row's result depends only on that row: the
/// same for any `rows`, batch or thread count. Needs `bf16ProductsAreSupported`.
public func addBF16Product(rows: Int, input: UnsafePointer<Float>, stride: Int, weight: BF16PackedWeight,
                           first: Int = 0, outputs: Int, output: UnsafeMutablePointer<Float>, outputStride: Int,
                           scratch: BF16Activations) {
    guard rows > 0, outputs > 0 else { return }
    let converted = scratch.convert(rows: rows, inputs: weight.inputs, from: input, stride: stride)
    addBF16Product(rows: rows, converted: converted, weight: weight, first: first, outputs: outputs,
                   output: output, outputStride: outputStride)
}

/// `addBF16Product` on input rows already rounded by `BF16Activations.convert` (rows of `bf16RowLength(inputs)`).
public func addBF16Product(rows: Int, converted: UnsafePointer<UInt16>, weight: BF16PackedWeight, first: Int, outputs: Int,
                    output: UnsafeMutablePointer<Float>, outputStride: Int) {
    precondition(first % 16 == 0 && first + outputs <= weight.outputs, "bf16 product: outputs \(first)..<\(first + outputs) of \(weight.outputs)")
    precondition(bf16ProductsAreSupported, "bf16 products need AVX512_BF16")
    motifattn_bf16_add_product(converted, rows, weight.inputs, weight.values, first / 16, outputs, output, outputStride)
}

/// Plain-loop twin of `addBF16Product`: inputs and weights rounded to bfloat16 the same way, products summed
/// in Double (so it differs from the kernel only by the kernel's fp32 summation), for tests.
public func addBF16ProductReference(rows: Int, input: UnsafePointer<Float>, stride: Int, weight: UnsafePointer<Float>,
                                    inputs: Int, first: Int = 0, outputs: Int, output: UnsafeMutablePointer<Float>,
                                    outputStride: Int) {
    for r in 0..<rows {
        for j in 0..<outputs {
            var sum = 0.0
            for i in 0..<inputs {
                let x = roundedToBFloat16(input[r * stride + i]), w = roundedToBFloat16(weight[(first + j) * inputs + i])
                sum += Double(x) * Double(w)
            }
            output[r * outputStride + j] += Float(sum)
        }
    }
}

/// The bf16 twin of `convolveTokens`: `out[r, o] = bias[o] + Σ_j Σ_i padded[r + j, i] · W_j[o, i]` with each
/// tap's weight packed (`taps[j]` from `weightByTap[j]`). The padded rows are rounded once for all taps.
public func convolveTokensBF16(output: UnsafeMutablePointer<Float>, padded: UnsafePointer<Float>, taps: [BF16PackedWeight],
                               bias: UnsafePointer<Float>, rows: Int, dim: Int, scratch: BF16Activations) {
    for r in 0..<rows { (output + r * dim).update(from: bias, count: dim) }
    let converted = scratch.convert(rows: rows + taps.count - 1, inputs: dim, from: padded, stride: dim)
    let rowLength = bf16RowLength(dim)
    for (j, tap) in taps.enumerated() {
        addBF16Product(rows: rows, converted: converted + j * rowLength, weight: tap, first: 0, outputs: dim,
                       output: output, outputStride: dim)
    }
}
