import Foundation
import MotifAttn
import XCTest
import _TestSupport

/// motifattn as a dependency pulled in by version: `Examples/CustomTokenizer` builds against a tagged clone of
/// this repository (`.package(url:, from: "0.1.0")`), offline, and prints what the library computes here.
///
/// SwiftPM refuses unsafe flags in a package depended on by version, so this fails if a library target gets
/// one again. The clone holds the committed files at HEAD only. The example's transitive dependencies
/// (swift-crypto, swift-asn1, swift-argument-parser) come from the bare clones SwiftPM keeps in this test's
/// own build folder, through mirrors; with `unshare -n` available the build runs without a network.
/// Takes a few minutes: a debug build of the example, BoringSSL included.
final class VersionedDependencyTests: XCTestCase {
    private static let root = TestPaths.repositoryRoot

    func testExampleBuildsAgainstATaggedCloneAndAgreesWithTheLibrary() throws {
        let git = try executable("git", reason: "git is needed to clone and tag the repository")
        let swift = try XCTUnwrap(try? executable("swift", reason: ""), "swift is not on PATH")
        let started = Date()
        let work = try CLIRunner.folder(for: self)

        // The library at HEAD, tagged with its version: what `from: "0.1.0"` resolves to.
        let clone = work.appendingPathComponent("motifattn")
        try run(git, ["clone", "--quiet", "--no-hardlinks", Self.root.path, clone.path])
        try run(git, ["-C", clone.path, "tag", "--force", motifattnVersion])

        // The example as committed, with mirrors of its transitive dependencies.
        let example = work.appendingPathComponent("CustomTokenizer")
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("Examples/CustomTokenizer"), to: example)
        try? FileManager.default.removeItem(at: example.appendingPathComponent(".build"))
        let mirrors = try dependencyMirrors(git: git)
        XCTAssertFalse(mirrors.isEmpty, "no bare clones of the dependencies found near \(Bundle.main.bundleURL.path)")
        for (original, mirror) in mirrors {
            try run(swift, ["package", "--package-path", example.path, "config", "set-mirror",
                            "--original", original, "--mirror", mirror.absoluteString])
        }

        // Build it (debug, no shared cache) without a network when this machine can take it away.
        let scratch = work.appendingPathComponent("build")
        var build = [swift.path, "build", "--package-path", example.path, "--scratch-path", scratch.path,
                     "--disable-dependency-cache", "--product", "CustomTokenizer"]
        let offline = canRunWithoutNetwork()
        if offline { build = ["/usr/bin/unshare", "-n"] + build }
        let environment = ["MOTIFATTN_URL": clone.absoluteString, "GIT_TERMINAL_PROMPT": "0"]
        let built = try run(URL(fileURLWithPath: build[0]), Array(build.dropFirst()), environment: environment)
        let resolved = try String(contentsOf: example.appendingPathComponent("Package.resolved"), encoding: .utf8)
        XCTAssertTrue(resolved.contains("\"version\" : \"\(motifattnVersion)\""), "motifattn pinned by version:\n\(resolved)")
        XCTAssertFalse((built.stdout + built.stderr).contains("https://"), "a URL was fetched:\n\(built.stdout)\n\(built.stderr)")

        // Run it on a 200-base window: 66 whole codons and one partial codon.
        var generator = SeededGenerator(seed: 25)
        let sequence = String((0..<200).map { _ in "ACGT".randomElement(using: &generator)! })
        let modelPath = Self.root.appendingPathComponent("Reference/model/default.safetensors").path
        let printed = try run(scratch.appendingPathComponent("debug/CustomTokenizer"), [modelPath, sequence]).stdout
        let lines = printed.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }

        // The same window here: the built-in 3-mers at stride 3 are the whole codons; the partial one is [UNK].
        let model = try AttentionModel(contentsOf: modelPath)
        let kmers = try KmerTokenizer(k: 3, stride: 3).encode(sequence)
        let ids = Array(kmers.ids.dropLast()) + [SpecialTokens.motifattnV1.unknown, SpecialTokens.motifattnV1.sep]
        let spans = Array(kmers.spans.dropLast()) + [TokenSpan(start: 198, end: 200), .empty]
        XCTAssertEqual(ids.count, 2 + 67)
        let output = try Encoder(model: model, threads: 2).forward(tokenRows: [ids], keepAttention: true)

        XCTAssertEqual(lines.first { $0.first == "tokens" }, ["tokens", "\(ids.count)"], printed)
        XCTAssertEqual(lines.first { $0.first == "covered" }, ["covered", "200"], "every base in exactly one codon")
        let logits = lines.filter { $0.first == "logit" }
        XCTAssertEqual(logits.count, model.config.nOutputs, printed)
        for (o, expected) in output.logits(window: 0).enumerated() {
            let value = try XCTUnwrap(logits.first { $0.count == 3 && $0[1] == "\(o)" }.flatMap { Float($0[2]) }, printed)
            XCTAssertEqual(value, expected, accuracy: 1e-4, "logit \(o)")
        }
        let heads = lines.filter { $0.first == "head" }
        XCTAssertEqual(heads.count, model.config.nLayers * model.config.nHeads, printed)
        let maps = output.attention![0]
        for layer in 0..<model.config.nLayers {
            for head in 0..<model.config.nHeads {
                let row = try XCTUnwrap(heads.first { $0.count == 6 && $0[1] == "\(layer)" && $0[2] == "\(head)" }, printed)
                let fromCLS = Array(maps.map(layer: layer, head: head).prefix(maps.tokens))
                let onBases = BaseMapping.profileOnBases(fromCLS, spans: spans, baseCount: 200)
                let sum = try XCTUnwrap(Float(row[3])), peakBase = try XCTUnwrap(Int(row[4])), peak = try XCTUnwrap(Float(row[5]))
                XCTAssertEqual(sum, onBases.reduce(0, +), accuracy: 1e-4, "layer \(layer) head \(head)")
                XCTAssertTrue((0..<200).contains(peakBase), "layer \(layer) head \(head): peak base \(peakBase)")
                // The peak the example found is a peak here too (ties between bases of one codon are exact).
                XCTAssertEqual(onBases[min(max(peakBase, 0), 199)], onBases.max()!, accuracy: 1e-4, "layer \(layer) head \(head)")
                XCTAssertEqual(peak, onBases.max()!, accuracy: 1e-4, "layer \(layer) head \(head)")
            }
        }
        print("VersionedDependencyTests: \(offline ? "offline (unshare -n)" : "network not removed"), "
              + String(format: "%.0f s", Date().timeIntervalSince(started)))
    }

    // MARK: Helpers

    private struct CommandFailure: Error, CustomStringConvertible { var description: String }

    /// `name` on PATH; skips the test when it is missing.
    private func executable(_ name: String, reason: String) throws -> URL {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw XCTSkip("\(name) is not installed: \(reason)")
    }

    /// Runs a program (with `environment` added to this process's) and fails the test unless it exits 0.
    @discardableResult
    private func run(_ program: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> CLIRunner.Result {
        let command = ([program.path] + arguments).joined(separator: " ")
        let result: CLIRunner.Result
        if environment.isEmpty {
            result = try CLIRunner.execute(program, arguments)
        } else {
            let assignments = environment.map { "\($0.key)=\($0.value)" }
            result = try CLIRunner.execute(URL(fileURLWithPath: "/usr/bin/env"), assignments + [program.path] + arguments)
        }
        guard result.status == 0 else {
            throw CommandFailure(description: "\(command) exited \(result.status)\n\(result.stdout)\n\(result.stderr)")
        }
        return result
    }

    /// Original URL → local bare clone, for every dependency SwiftPM fetched for this test build (its
    /// `repositories/` folder) or holds in its shared cache.
    private func dependencyMirrors(git: URL) throws -> [String: URL] {
        var folders: [URL] = []
        var folder = Bundle.main.bundleURL
        while folder.path != "/" {
            folders.append(folder.appendingPathComponent("repositories"))
            folder.deleteLastPathComponent()
        }
        folders.append(FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/org.swift.swiftpm/repositories"))
        var mirrors: [String: URL] = [:]
        for candidate in folders {
            guard let entries = try? FileManager.default.contentsOfDirectory(at: candidate, includingPropertiesForKeys: nil) else { continue }
            for repository in entries {
                let origin = try CLIRunner.execute(git, ["-C", repository.path, "config", "--get", "remote.origin.url"])
                let url = origin.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                guard origin.status == 0, !url.isEmpty, mirrors[url] == nil, !url.hasPrefix("file:") else { continue }
                mirrors[url] = repository
            }
        }
        return mirrors
    }

    /// Whether `unshare -n` can run a program here (it needs root or user namespaces).
    private func canRunWithoutNetwork() -> Bool {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return false }
        return (try? CLIRunner.execute(URL(fileURLWithPath: "/usr/bin/unshare"), ["-n", "true"]).status) == 0
    }
}
