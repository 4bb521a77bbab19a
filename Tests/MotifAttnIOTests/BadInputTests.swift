import Foundation
import XCTest
import _TestSupport
@testable import MotifAttnIO
import MotifAttnCore

/// Each kind of bad input gives a typed error whose one-line message names the file.
final class BadInputTests: XCTestCase {
    private func readAll(_ path: String) throws {
        let reader = try WindowReader(path: path)
        while try reader.next() != nil {}
    }

    private func assertFails(_ path: String, _ matches: (ReaderError) -> Bool, line: UInt = #line) {
        XCTAssertThrowsError(try readAll(path), line: line) { error in
            guard let readerError = error as? ReaderError else { return XCTFail("untyped error \(error)", line: line) }
            XCTAssertTrue(matches(readerError), "\(readerError)", line: line)
            let message = "\(readerError)"
            XCTAssertTrue(message.hasPrefix(path + ": "), message, line: line)
            XCTAssertFalse(message.contains("\n"), message, line: line)
        }
    }

    func testMissingFile() throws {
        let path = try temporaryFolder(self).appendingPathComponent("absent.fa").path
        assertFails(path) { if case .cannotOpen = $0 { return true }; return false }
    }

    func testTextThatIsNotFastaOrAlignments() throws {
        let path = try temporaryFolder(self).appendingPathComponent("notes.fa").path
        try "chr1\t10\t20\nthis is a BED file\n".write(toFile: path, atomically: true, encoding: .utf8)
        assertFails(path) { if case .unsupportedFormat = $0 { return true }; return false }
    }

    func testEmptyFileAndEmptyGzip() throws {
        let folder = try temporaryFolder(self)
        let empty = folder.appendingPathComponent("empty.fa").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        assertFails(empty) { $0 == .emptyInput(path: empty) }
        let emptyGzip = folder.appendingPathComponent("empty.fa.gz").path
        try runTool("bash", ["-c", "printf '' | gzip > '\(emptyGzip)'"])
        assertFails(emptyGzip) { $0 == .emptyInput(path: emptyGzip) }
    }

    func testTruncatedBgzipIsDetected() throws {
        let folder = try temporaryFolder(self)
        let data = try Data(contentsOf: URL(fileURLWithPath: Genomes.path("lambda_virus.fa.gz")))
        // Cut inside a block, and cut before the end-of-file marker (after the last data block).
        let insideBlock = folder.appendingPathComponent("cut1.fa.gz").path
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: insideBlock))
        assertFails(insideBlock) { if case .truncated = $0 { return true }; return false }
        let withoutMarker = folder.appendingPathComponent("cut2.fa.gz").path
        try data.prefix(data.count - 28).write(to: URL(fileURLWithPath: withoutMarker))
        assertFails(withoutMarker) { if case .truncated = $0 { return true }; return false }
    }

    func testTruncatedGzipIsDetected() throws {
        let folder = try temporaryFolder(self)
        let gz = folder.appendingPathComponent("full.fa.gz").path
        try runTool("bash", ["-c", "bgzip -dc '\(Genomes.path("lambda_virus.fa.gz"))' | gzip > '\(gz)'"])
        let data = try Data(contentsOf: URL(fileURLWithPath: gz))
        let cut = folder.appendingPathComponent("cut.fa.gz").path
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        assertFails(cut) { if case .truncated = $0 { return true }; return false }
    }

    func testTruncatedBAMIsDetected() throws {
        let folder = try temporaryFolder(self)
        let data = try Data(contentsOf: URL(fileURLWithPath: Genomes.path("sarscov2_SRR11728627.sorted.bam")))
        let cut = folder.appendingPathComponent("cut.bam").path
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        assertFails(cut) { error in
            switch error { case .badAlignment, .truncated: return true; default: return false }
        }
    }
}
