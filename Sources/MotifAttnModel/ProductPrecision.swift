import MotifAttnKernels

/// Number format of the encoder's matrix products.
///
/// `fp32` (the default) runs every product through OpenBLAS `sgemm`. `bf16` rounds the weights (once) and
/// each product's input rows to bfloat16 and sums the products in fp32 with the AVX512_BF16 instruction
/// `vdpbf16ps`, at the cost of about three significant digits in the inputs of each product. It is faster
/// than fp32 only where the CPU runs `vdpbf16ps` faster than fp32 FMA (`motifattn bench-encoder --bf16`
/// measures both; docs/encoder.md gives the figures measured so far). Attention scores, softmax, LayerNorm, GELU and the
/// residual stream stay in fp32 either way.
public enum ProductPrecision: String, Sendable, CaseIterable, Codable {
    /// Single precision throughout (OpenBLAS `sgemm`).
    case fp32
    /// bfloat16 inputs and weights with fp32 sums (AVX512_BF16).
    case bf16

    /// Whether this CPU (and its operating system) can run `precision`; fp32 runs everywhere.
    public static func isSupported(_ precision: ProductPrecision) -> Bool {
        precision == .fp32 || bf16ProductsAreSupported
    }
}
