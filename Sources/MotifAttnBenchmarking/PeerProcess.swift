import Foundation

/// A peer program (ONNX Runtime, PyTorch) run in the same benchmark as motifattn, so rates are compared
/// on the same machine at the same time.
public struct PeerProcess: Sendable {
    /// The peer did not run or printed no rate.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Python interpreter that runs the script.
    public var python: String
    /// The peer script.
    public var script: String

    public init(python: String = "python3", script: String) {
        self.python = python
        self.script = script
    }

    /// Runs `script arguments...` and returns the number under `key` in the JSON object on its last line of
    /// standard output.
    public func rate(arguments: [String], key: String) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0,
              let last = text.split(separator: "\n").last,
              let json = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any],
              let rate = json[key] as? Double else {
            throw Failure(description: "\(script) failed (exit \(process.terminationStatus)); are its Python packages installed for \(python)?")
        }
        return rate
    }
}
