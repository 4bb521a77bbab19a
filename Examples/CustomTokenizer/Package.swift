// swift-tools-version:6.0
// An example tool that depends on motifattn by version: a codon tokenizer scoring one window with a k = 3 model.
import PackageDescription

// Where motifattn is fetched from: your fork or mirror, or MOTIFATTN_URL (the test points it at a local clone).
let motifattnURL = Context.environment["MOTIFATTN_URL"] ?? "https://github.com/OWNER/motifattn.git"

let package = Package(
    name: "CustomTokenizer",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(url: motifattnURL, from: "0.1.0"),
    ],
    targets: [
        // Only the stages it needs: tokenizers and the model (not the analysis, not htslib).
        .executableTarget(name: "CustomTokenizer", dependencies: [
            .product(name: "MotifAttnTokenizers", package: "motifattn"),
            .product(name: "MotifAttnModel", package: "motifattn"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
