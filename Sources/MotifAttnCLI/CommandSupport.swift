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
        printError("motifattn \(command): \(oneLineDescription(of: error))")
        throw ExitCode(1)
    }
}

/// An error as one line a biologist can act on. The tool's own errors describe themselves; Foundation's file
/// errors (a missing or unreadable input, a folder that cannot be written) become `PATH: reason`, the reason
/// from the system (`No such file or directory`, `Permission denied`), instead of the error domain dump.
func oneLineDescription(of error: Error) -> String {
    let nsError = error as NSError
    if nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain,
       let path = nsError.userInfo[NSFilePathErrorKey] as? String ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path {
        let posix = nsError.domain == NSPOSIXErrorDomain ? nsError : (nsError.userInfo[NSUnderlyingErrorKey] as? Error).map { $0 as NSError }
        let reason: String
        if let posix, posix.domain == NSPOSIXErrorDomain, let text = strerror(Int32(posix.code)) {
            reason = String(cString: text)
        } else {
            reason = nsError.localizedDescription
        }
        return "\(path): \(reason)"
    }
    return "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
