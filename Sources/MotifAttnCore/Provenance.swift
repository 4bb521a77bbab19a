/// The version of motifattn written into every output's provenance, `run.json` and model metadata.
public let motifattnVersion = "0.1.0"

/// Who made a result file: written as the first line `##motifattn version=… command=…` of every table.
public struct Provenance: Sendable {
    /// motifattn version.
    public var version: String
    /// The command line, as typed.
    public var command: String

    /// Creates a provenance line.
    public init(version: String = motifattnVersion, command: String) { self.version = version; self.command = command }

    /// This process: the library's version and the command line as typed.
    public static var thisProcess: Provenance { Provenance(command: CommandLine.arguments.joined(separator: " ")) }

    /// `##motifattn version=… command=…` (tabs and newlines in the command become spaces).
    public var line: String {
        let clean = command.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : String($0) }.joined()
        return "##motifattn version=\(version) command=\(clean)"
    }
}
