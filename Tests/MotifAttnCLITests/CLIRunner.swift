import Foundation
import XCTest
import _TestSupport

/// Runs the built `motifattn` binary as a process, for tests of whole commands.
enum CLIRunner {
    struct Result { var status: Int32; var stdout: String; var stderr: String }

    /// The built `motifattn` next to the test bundle (or in `.build/debug`); skips the test when it is missing.
    static func binary() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("motifattn"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("motifattn"),
            TestPaths.repositoryRoot.appendingPathComponent(".build/debug/motifattn"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("motifattn is not built (looked in \(candidates.map(\.path))); run `swift build` first")
        }
        return found
    }

    /// Skips a test that scans the whole demo genome when the suite runs under the thread sanitizer
    /// (`make sanitize-thread` sets `MOTIFATTN_SANITIZER=thread`): there one such scan takes over half an hour
    /// on 2 cores. The same scans run under the address sanitizer and in `make test`.
    /// Whether this CPU has AVX512_BF16 (`--precision bf16`), read from /proc/cpuinfo's flags.
    static var cpuHasBF16: Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        return info.split(separator: "\n").contains { $0.hasPrefix("flags") && $0.split(separator: " ").contains("avx512_bf16") }
    }

    static func skipWholeGenomeScanUnderThreadSanitizer() throws {
        if ProcessInfo.processInfo.environment["MOTIFATTN_SANITIZER"] == "thread" {
            throw XCTSkip("whole-genome scans are skipped under the thread sanitizer (MOTIFATTN_SANITIZER=thread): over half an hour each")
        }
    }

    /// Runs `motifattn arguments...` and collects its exit status and output; with `stdin`, as
    /// `producer | motifattn ...` through bash (`stdin` is the producer's shell command).
    static func motifattn(_ arguments: [String], stdin: String? = nil) throws -> Result {
        try execute(try binary(), arguments, shellStdin: stdin)
    }

    /// Runs any program and collects its exit status and output (see `motifattn` for `shellStdin`).
    static func execute(_ executable: URL, _ arguments: [String], shellStdin: String? = nil) throws -> Result {
        let process = Process()
        if let shellStdin {
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            let quoted = ([executable.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
            process.arguments = ["-c", "set -o pipefail; \(shellStdin) | \(quoted)"]
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read standard error on another thread so neither pipe can fill up and block the child.
        var stderr = Data()
        let done = DispatchSemaphore(value: 0)
        Thread { stderr = err.fileHandleForReading.readDataToEndOfFile(); done.signal() }.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A new empty folder, removed when the test ends.
    static func folder(for test: XCTestCase) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A file's lines without its `##` provenance lines (which hold the command line); a `.gz` file is
    /// decompressed first (by gzip, which reads bgzip's output).
    static func contentLines(_ url: URL) throws -> [String] {
        let text: String
        if url.pathExtension == "gz" {
            let result = try execute(URL(fileURLWithPath: "/bin/gzip"), ["-dc", url.path])
            guard result.status == 0 else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path]) }
            text = result.stdout
        } else {
            text = try String(contentsOf: url, encoding: .utf8)
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("##") }.map(String.init)
    }
}
