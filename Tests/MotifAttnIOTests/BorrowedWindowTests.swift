import Foundation
import XCTest
import _TestSupport
@testable import MotifAttnIO
import MotifAttnCore

/// `WindowReader.forEachWindow` (bases lent, the fast path of `motifattn windows`) must hand out
/// exactly the windows, in the order and with the counters, that `next()` returns.
final class BorrowedWindowTests: XCTestCase {
    private func owned(_ path: String, regions: [Region] = [], _ options: WindowOptions) throws
        -> (windows: [Window], produced: Int, skipped: Int) {
        let reader = try WindowReader(path: path, regions: regions, options: options)
        var windows: [Window] = []
        while let window = try reader.next() { windows.append(window) }
        return (windows, reader.windowsProduced, reader.windowsSkipped)
    }

    private func borrowed(_ path: String, regions: [Region] = [], _ options: WindowOptions) throws
        -> (windows: [Window], produced: Int, skipped: Int) {
        let reader = try WindowReader(path: path, regions: regions, options: options)
        var windows: [Window] = []
        try reader.forEachWindow { windows.append($0.owned) }
        return (windows, reader.windowsProduced, reader.windowsSkipped)
    }

    private func assertSame(_ path: String, regions: [Region] = [], _ options: WindowOptions,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try owned(path, regions: regions, options)
        let found = try borrowed(path, regions: regions, options)
        XCTAssertFalse(expected.windows.isEmpty, file: file, line: line)
        XCTAssertEqual(found.windows, expected.windows, file: file, line: line)
        XCTAssertEqual(found.produced, expected.produced, file: file, line: line)
        XCTAssertEqual(found.skipped, expected.skipped, file: file, line: line)
    }

    func testStreamedFastaWithNAndBothStrandsGivesTheSameWindows() throws {
        // Overlapping strides, a skipped window, a kept tail, two records.
        let folder = try temporaryFolder(self)
        let path = folder.appendingPathComponent("seq.fa").path
        try ">s1\nACGTNNNNNNacgtAC\nGTTGCA\n>s2\nTTTTGGGGCC\n".write(toFile: path, atomically: true, encoding: .utf8)
        try assertSame(path, WindowOptions(window: 6, stride: 4, strand: .both, maxN: 0.2))
        let found = try borrowed(path, WindowOptions(window: 6, stride: 4, strand: .both, maxN: 0.2))
        // 0-6, 4-10 and 8-14 hold two or more N (more than 20% of 6); 12-18 is the first kept, then its reverse complement.
        XCTAssertEqual(found.skipped, 6)
        XCTAssertEqual(found.windows.prefix(2).map { "\($0.start)-\($0.end)\($0.strand.rawValue) \(String(decoding: $0.bases, as: UTF8.self))" },
                       ["12-18+ GTACGT", "12-18- ACGTAC"])
    }

    func testRealGenomeStreamedAndByRegionGivesTheSameWindows() throws {
        let lambda = Genomes.path("lambda_virus.fa.gz")
        try assertSame(lambda, WindowOptions(window: 200, stride: 150, strand: .both, threads: 2))
        let regions = [Region(contig: Genomes.lambdaContig, start: 1_000, end: 2_345),
                       Region(contig: Genomes.lambdaContig, start: 48_000, end: nil)]
        try assertSame(lambda, regions: regions, WindowOptions(window: 200, strand: .both))
    }

    func testAlignmentsGiveTheSameReads() throws {
        try assertSame(Genomes.path("lambda_reads.bam"), WindowOptions(strand: .plus))
    }

    func testMixingNextAndForEachWindowLosesNoWindow() throws {
        let lambda = Genomes.path("lambda_virus.fa.gz")
        let options = WindowOptions(window: 500, strand: .both)
        let expected = try owned(lambda, options)
        let reader = try WindowReader(path: lambda, options: options)
        // The first call leaves the minus strand of the first window pending.
        var windows = [try XCTUnwrap(reader.next())]
        try reader.forEachWindow { windows.append($0.owned) }
        XCTAssertEqual(windows, expected.windows)
        XCTAssertEqual(reader.windowsProduced, expected.produced)
    }
}
