// swift-tools-version:6.0
// libFuzzer harnesses for motifattn's own parsers. Built only by `Fuzz/run.sh` (`make fuzz`), with
// `swift build --sanitize=fuzzer --sanitize=address`; the main package and `make test` never see it.
import PackageDescription

// The main package is reached through the symlink `motifattn` -> `..`: SwiftPM names a path dependency
// after its folder, and the repository folder may have any name (`main`, a worktree's, even `fuzz`).

/// One harness: an executable whose only entry point is `LLVMFuzzerTestOneInput` (libFuzzer provides `main`).
func harness(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: "fuzz-\(name)",
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: "motifattn") },
        path: "Sources/\(name)",
        swiftSettings: [.unsafeFlags(["-parse-as-library"])])
}

let package = Package(
    name: "motifattn-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: "motifattn")],
    targets: [
        .target(name: "FuzzSupport"),
        harness("region", ["MotifAttnCore", "MotifAttnIO"]),
        harness("bed", ["MotifAttnCore", "MotifAttnIO"]),
        harness("labels", ["MotifAttnCore", "MotifAttnIO"]),
        harness("fasta-records", ["MotifAttn"]),
        harness("window-reader", ["MotifAttnCore", "MotifAttnIO"]),
        harness("model-config", ["MotifAttnModel"]),
        harness("safetensors", ["MotifAttnModel"]),
        harness("meme", ["MotifAttnAnalysis"]),
        harness("jaspar", ["MotifAttn"]),
        harness("partial-state", ["MotifAttn"]),
    ],
    swiftLanguageModes: [.v5]
)
