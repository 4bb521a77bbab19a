import Foundation
import MotifAttnCore

/// The provenance of one run, written as `run.json` next to its results.
public struct RunRecord: Codable, Sendable {
    /// One input file and its fingerprint.
    public struct InputFile: Codable, Sendable, Equatable {
        /// What the file is to the run (`genome`, `model`, `regions`, `motifs`, ...).
        public var role: String
        /// Path as given on the command line; a file of the bundle as `bundled:NAME`
        /// (``BundledData/displayPath(_:)``).
        public var path: String
        /// Size in bytes.
        public var bytes: Int
        /// SHA-256 of the contents, lower-case hex.
        public var sha256: String
    }

    /// motifattn version.
    public var version: String = motifattnVersion
    /// The subcommand (`scan`, `analyze`, `train`, ...).
    public var command: String
    /// The full command line, as typed.
    public var commandLine: [String]
    /// When the run started (ISO 8601, UTC).
    public var started: String
    /// Input files with sizes and hashes.
    public var inputs: [InputFile] = []
    /// Parameters in effect, defaults included.
    public var parameters: [String: String] = [:]
    /// Counts (windows read, skipped for N, bound, background, ...).
    public var counts: [String: Int] = [:]
    /// Wall-clock seconds per stage.
    public var secondsPerStage: [String: Double] = [:]
    /// What the user must know to read the results (`TrainingDataCheck`), also shown on standard error
    /// and at the top of the report.
    public var cautions: [String] = []

    /// A record for `command`, started now, with the process's command line.
    public init(command: String, commandLine: [String] = CommandLine.arguments) {
        self.command = command
        self.commandLine = commandLine
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        self.started = formatter.string(from: Date())
    }

    /// Adds an input file with its size and SHA-256 (standard input is recorded without a hash).
    public mutating func addInput(role: String, path: String) throws {
        if path == "-" {
            inputs.append(InputFile(role: role, path: path, bytes: 0, sha256: ""))
            return
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        inputs.append(InputFile(role: role, path: BundledData.displayPath(path), bytes: size,
                                sha256: try SHA256.hex(ofFileAt: path)))
    }

    /// Times `body` and records its wall-clock seconds under `stage` (added to earlier time of that stage).
    public mutating func time<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        let start = Date()
        defer { secondsPerStage[stage, default: 0] += Date().timeIntervalSince(start) }
        return try body()
    }

    /// Writes the record as pretty-printed JSON with sorted keys (atomically).
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        let output = try OutputFile(path: path)
        try output.write(bytes: data)
        try output.write("\n")
        try output.commit()
    }
}
