// swift-tools-version:6.0
// motifattn: transcription-factor motifs and candidate TF–TF interactions from Transformer attention.
import PackageDescription

let package = Package(
    name: "motifattn",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "MotifAttn", targets: ["MotifAttn"]),
        .library(name: "MotifAttnCore", targets: ["MotifAttnCore"]),
        .library(name: "MotifAttnIO", targets: ["MotifAttnIO"]),
        .library(name: "MotifAttnTokenizers", targets: ["MotifAttnTokenizers"]),
        .library(name: "MotifAttnModel", targets: ["MotifAttnModel"]),
        .library(name: "MotifAttnAnalysis", targets: ["MotifAttnAnalysis"]),
        .executable(name: "motifattn", targets: ["MotifAttnCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // SHA-256 for provenance, fingerprints and checkpoints.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C libraries, seen only by the modules that wrap them.
        .systemLibrary(name: "CHTSlib", pkgConfig: "htslib", providers: [.apt(["libhts-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // What every stage may use: windows, nucleotide codes, seeded random numbers, stable hashes,
        // SHA-256, atomic output files, progress.
        .target(name: "MotifAttnCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // 1. Read: FASTA/BAM/CRAM/SAM/BED through htslib, regions, windows.
        .target(name: "MotifAttnIO", dependencies: ["MotifAttnCore", "CHTSlib"]),
        // 2. Tokenize: the Tokenizer protocol and the k-mer tokenizer.
        .target(name: "MotifAttnTokenizers", dependencies: ["MotifAttnCore"]),
        // Elementwise kernels in C, built per x86-64 level and chosen at load time.
        .target(name: "CVectorMath"),
        // The motif scan's table kernel in C, per-function target attributes; apart from CVectorMath, whose
        // sources shape a trained model (the panel's model keys), so that scan changes leave the keys alone.
        .target(name: "CMotifScan"),
        // Numeric kernels (the only module that imports OpenBLAS). No unsafe flags in library targets: SwiftPM
        // refuses them in a package depended on by version; the hot loops use raw pointers and wrapping arithmetic.
        .target(name: "MotifAttnKernels", dependencies: ["COpenBLAS", "CVectorMath", "CMotifScan"]),
        // 3. Encode: safetensors, config, layers, encoder, training.
        .target(name: "MotifAttnModel", dependencies: ["MotifAttnCore", "MotifAttnTokenizers", "MotifAttnKernels"]),
        // 4. Analyse: attention profiles, motifs, statistics, interactions, writers.
        .target(name: "MotifAttnAnalysis", dependencies: ["MotifAttnCore", "MotifAttnIO", "MotifAttnKernels"]),
        // 5. The pipeline joining the stages (scan, analyze, merge); re-exports the library.
        .target(name: "MotifAttn", dependencies: ["MotifAttnCore", "MotifAttnIO", "MotifAttnTokenizers", "MotifAttnKernels",
                                                 "MotifAttnModel", "MotifAttnAnalysis", "CZlib"]),
        // Throughput measurements and truth evaluation for the benchmark commands; not a library product.
        .target(name: "MotifAttnBenchmarking", dependencies: ["MotifAttnCore", "MotifAttnTokenizers", "MotifAttnKernels",
                                                             "MotifAttnModel"]),
        // The command-line tool: a thin layer over the library.
        .executableTarget(name: "MotifAttnCLI", dependencies: [
            "MotifAttn", "MotifAttnBenchmarking",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Test helpers: approximate equality, gradient checks, fixture loading.
        .target(name: "_TestSupport"),
        .testTarget(name: "MotifAttnCoreTests", dependencies: ["MotifAttnCore", "_TestSupport"]),
        .testTarget(name: "MotifAttnIOTests", dependencies: ["MotifAttnIO", "MotifAttnCore", "_TestSupport"]),
        .testTarget(name: "MotifAttnTokenizersTests", dependencies: ["MotifAttnTokenizers", "MotifAttnModel", "_TestSupport"]),
        .testTarget(name: "MotifAttnKernelsTests", dependencies: ["MotifAttnKernels", "_TestSupport"]),
        .testTarget(name: "MotifAttnModelTests", dependencies: ["MotifAttnModel", "MotifAttnCore", "MotifAttnIO", "MotifAttnTokenizers", "_TestSupport"]),
        .testTarget(name: "MotifAttnAnalysisTests", dependencies: ["MotifAttnAnalysis", "MotifAttnCore", "MotifAttnIO"]),
        .testTarget(name: "MotifAttnBenchmarkingTests", dependencies: ["MotifAttnBenchmarking"]),
        .testTarget(name: "MotifAttnCLITests", dependencies: ["MotifAttn", "MotifAttnBenchmarking", "_TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)

// The DocC plugin, for `make docs` only (it sets MOTIFATTN_DOCS): builds, tests and packages that depend on
// motifattn by version neither fetch nor build it.
if Context.environment["MOTIFATTN_DOCS"] != nil {
    package.dependencies.append(.package(url: "https://github.com/swiftlang/swift-docc-plugin", exact: "1.5.0"))
}
