import Foundation
import XCTest
import _TestSupport

/// The bundled genomes and alignments (see Tests/Fixtures/README.md).
enum Genomes {
    static var folder: URL { TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/genomes") }
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    static let lambdaContig = "gi|9626243|ref|NC_001416.1|"
    static let lambdaLength = 48_502
    static let sarsContig = "NC_045512.2"
    static let sarsLength = 29_903
}

/// Runs a command-line tool and returns its standard output; fails the test on a non-zero exit.
@discardableResult
func runTool(_ tool: String, _ arguments: [String], stdin: Data? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    var input: Pipe?
    if stdin != nil { input = Pipe(); process.standardInput = input }
    try process.run()
    if let stdin, let input {
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, "\(tool) \(arguments): \(String(decoding: errors, as: UTF8.self))", file: file, line: line)
    return String(decoding: data, as: UTF8.self)
}

/// Parses FASTA text (as samtools prints it) into (header, sequence) pairs, lines joined.
func parseFasta(_ text: String) -> [(header: String, sequence: String)] {
    var records: [(String, String)] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
        if line.hasPrefix(">") {
            records.append((String(line.dropFirst()), ""))
        } else if !records.isEmpty {
            records[records.count - 1].1 += line
        }
    }
    return records
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
