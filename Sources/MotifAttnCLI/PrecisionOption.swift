import ArgumentParser
import MotifAttn

extension ProductPrecision: ExpressibleByArgument {}

/// `--precision fp32|bf16` of `score` and `scan`: the number format of the encoder's matrix products.
struct PrecisionOption: ParsableArguments {
    @Option(help: ArgumentHelp("Matrix products in fp32, or bf16 (bfloat16 inputs, fp32 sums; AVX512_BF16 CPUs only; logits "
                               + "within about 0.1 of fp32; faster only where the CPU runs bf16 dot products faster than fp32 "
                               + "FMA: measure with bench-encoder --bf16).", valueName: "fp32|bf16"))
    var precision = ProductPrecision.fp32

    func validate() throws {
        guard ProductPrecision.isSupported(precision) else {
            throw ValidationError("--precision bf16 needs a CPU with AVX512_BF16, which this one does not have; use --precision fp32")
        }
    }
}
