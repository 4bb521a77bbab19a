import XCTest
import _TestSupport
@testable import MotifAttnIO
import MotifAttnCore

final class TextLineReaderTests: XCTestCase {
    /// Lines as `split` gives them (independent of htslib): a `\r` before the break and a missing last break.
    private let text = "##provenance\nchrom\tstart\r\n\nchr1\t5\nlast line without a break"

    private func readAll(_ path: String) throws -> (lines: [String], numbers: [Int]) {
        let reader = try TextLineReader(path: path)
        var lines: [String] = [], numbers: [Int] = []
        while let line = try reader.next() {
            lines.append(line)
            numbers.append(reader.lineNumber)
        }
        XCTAssertNil(try reader.next())
        return (lines, numbers)
    }

    func testPlainGzipAndBgzipGiveTheSameLines() throws {
        let folder = try temporaryFolder(self)
        let plain = folder.appendingPathComponent("t.tsv").path
        try text.write(toFile: plain, atomically: true, encoding: .utf8)
        _ = try runTool("bash", ["-c", "gzip -c '\(plain)' > '\(plain).gz' && bgzip -c '\(plain)' > '\(plain).bgz'"])
        // Split by bytes: Swift reads "\r\n" as one Character.
        let expected = text.utf8.split(separator: 10, omittingEmptySubsequences: false).map { bytes in
            String(decoding: bytes.last == 13 ? bytes.dropLast() : bytes, as: UTF8.self)
        }
        for path in [plain, plain + ".gz", plain + ".bgz"] {
            let read = try readAll(path)
            XCTAssertEqual(read.lines, expected, path)
            XCTAssertEqual(read.numbers, Array(1...expected.count), path)
        }
    }

    func testAnEmptyFileHasNoLinesAndAMissingFileNamesItself() throws {
        let folder = try temporaryFolder(self)
        let empty = folder.appendingPathComponent("empty.txt").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        XCTAssertEqual(try readAll(empty).lines, [])
        XCTAssertThrowsError(try TextLineReader(path: folder.appendingPathComponent("missing.tsv").path)) { error in
            XCTAssertTrue("\(error)".contains("missing.tsv"), "\(error)")
        }
    }
}
