import ArgumentParser

/// Placeholder until the reader lands.
struct WindowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "windows", abstract: "Tile sequences into windows (being written).")
    func run() throws { throw ExitCode(1) }
}
