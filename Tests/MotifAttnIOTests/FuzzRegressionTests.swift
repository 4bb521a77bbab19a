import Foundation
import XCTest
@testable import MotifAttnIO
import MotifAttnCore

/// Inputs the window-reader fuzzer in Fuzz/ found crashing the reader; each must now be a typed error.
final class ReaderFuzzRegressionTests: XCTestCase {
    func testRecordWhoseFirstLineHasNoBasesIsRefusedForRegionAccess() throws {
        // Fuzz/corpus/window-reader/finding-fai-no-bases-per-line: htslib 1.16 indexes the second record with
        // 0 bases per line and divides by it when fetching (SIGFPE; samtools faidx crashes the same way).
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-fuzz-regression-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nul-line.fa").path
        let bytes = Array(">a\nACGTACGT\n>b\n".utf8) + [UInt8](repeating: 0, count: 7) + Array("\nAC\n".utf8)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        XCTAssertThrowsError(try WindowReader(path: path, regions: [Region(contig: "b", start: 0, end: 2)], warningHandler: { _ in })) { error in
            XCTAssertTrue("\(error)".contains("sequence 'b' starts with a line without bases"), "\(error)")
        }
        // Streaming does not use the index and reads both records.
        let reader = try WindowReader(path: path, options: WindowOptions(window: 2), warningHandler: { _ in })
        var windows = 0
        while try reader.next() != nil { windows += 1 }
        XCTAssertGreaterThan(windows, 0)
    }
}
