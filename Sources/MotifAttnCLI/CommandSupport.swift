import ArgumentParser
import Foundation
import MotifAttn

/// Runs a subcommand's body, turning a data error into one line on standard
/// error (`motifattn <command>: message`) and exit status 1.
func reportingErrors(_ command: String, _ body: () throws -> Void) throws {
    CommandLineProcess.prepare()
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        printError("motifattn \(command): \(error)")
        throw ExitCode(1)
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
