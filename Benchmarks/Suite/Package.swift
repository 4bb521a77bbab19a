// swift-tools-version: 6.1
// The package-benchmark (ordo-one/benchmark) suite of motifattn: encoder, training step and reader.
// A package of its own so that the main build and `make test` do not build the benchmark framework.
// Run from the repository root with `make bench-suite`, or here with `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "motifattn-benchmarks",
    dependencies: [
        // The repository two folders up, under a fixed name whatever the clone's folder is called.
        .package(name: "motifattn", path: "../.."),
        // The malloc interposer trait only: the runtime interposer is not needed for these benchmarks.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: ["EncoderBenchmarks", "TrainingBenchmarks", "ReaderBenchmarks"].map { name in
        .executableTarget(
            name: name,
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MotifAttn", package: "motifattn"),
            ],
            path: "Benchmarks/\(name)",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    }
)
