import Foundation
import XCTest
import _TestSupport
@testable import MotifAttnIO
import MotifAttnCore

/// Tiling rules checked against windows worked out by hand.
final class TilingTests: XCTestCase {
    private func windows(of fasta: String, _ options: WindowOptions) throws -> (windows: [Window], reader: WindowReader) {
        let folder = try temporaryFolder(self)
        let path = folder.appendingPathComponent("seq.fa").path
        try fasta.write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try WindowReader(path: path, options: options)
        var result: [Window] = []
        while let window = try reader.next() { result.append(window) }
        return (result, reader)
    }

    private func spans(_ windows: [Window]) -> [String] {
        windows.map { "\($0.sourceName):\($0.start)-\($0.end)\($0.strand.rawValue) \($0.bases.text)" }
    }

    func testStrideSmallerThanWindowOverlapsAndEndsAtLastFullWindow() throws {
        // 10 bp, window 4, stride 3: starts 0, 3, 6 are full; the tail 9..<10 (1 bp) is under half a window.
        let (found, _) = try windows(of: ">s\nACGTACGTAC\n", WindowOptions(window: 4, stride: 3))
        XCTAssertEqual(spans(found), ["s:0-4+ ACGT", "s:3-7+ TACG", "s:6-10+ GTAC"])
    }

    func testTailOfAtLeastHalfAWindowIsKept() throws {
        // 10 bp, window 4, stride 4: full 0..<4 and 4..<8; tail 8..<10 is 2 bp = half a window, kept.
        let (found, _) = try windows(of: ">s\nACGTACGTAC\n", WindowOptions(window: 4))
        XCTAssertEqual(spans(found), ["s:0-4+ ACGT", "s:4-8+ ACGT", "s:8-10+ AC"])
    }

    func testTailShorterThanHalfAWindowIsDropped() throws {
        // 9 bp, window 4: the tail 8..<9 is 1 bp < 2.
        let (found, _) = try windows(of: ">s\nACGTACGTA\n", WindowOptions(window: 4))
        XCTAssertEqual(spans(found), ["s:0-4+ ACGT", "s:4-8+ ACGT"])
    }

    func testOnlyOneTailWindowWithOverlappingStrides() throws {
        // 9 bp, window 4, stride 2: full starts 0, 2, 4; then 6..<9 (3 bp, reaches past 8) is the one tail.
        let (found, _) = try windows(of: ">s\nACGTACGTA\n", WindowOptions(window: 4, stride: 2))
        XCTAssertEqual(spans(found), ["s:0-4+ ACGT", "s:2-6+ GTAC", "s:4-8+ ACGT", "s:6-9+ GTA"])
    }

    func testStrideLongerThanWindowLeavesGaps() throws {
        // 13 bp, window 3, stride 5: 0..<3, 5..<8, 10..<13.
        let (found, _) = try windows(of: ">s\nAAACCGGGTTTCC\n", WindowOptions(window: 3, stride: 5))
        XCTAssertEqual(spans(found), ["s:0-3+ AAA", "s:5-8+ GGG", "s:10-13+ TCC"])
    }

    func testRecordShorterThanWindowIsOneWindowWhenAtLeastHalf() throws {
        let (found, _) = try windows(of: ">long\nACG\n>short\nA\n", WindowOptions(window: 4))
        XCTAssertEqual(spans(found), ["long:0-3+ ACG"])
    }

    func testWindowsWithTooManyNAreSkippedAndCounted() throws {
        // window 10: one N (10%) is not above max-n 0.1; two N (20%) are.
        let fasta = ">s\nACGTNACGTA\nACNTNACGTA\nACGTACGTAC\n"
        let (found, reader) = try windows(of: fasta, WindowOptions(window: 10, maxN: 0.1))
        XCTAssertEqual(spans(found), ["s:0-10+ ACGTNACGTA", "s:20-30+ ACGTACGTAC"])
        XCTAssertEqual(reader.windowsSkipped, 1)
        XCTAssertEqual(reader.windowsProduced, 2)
    }

    func testBothStrandsAddTheReverseComplementAfterEachWindow() throws {
        let (found, reader) = try windows(of: ">s\nAAACGNNTTT\n", WindowOptions(window: 5, strand: .both, maxN: 0.5))
        XCTAssertEqual(spans(found), ["s:0-5+ AAACG", "s:0-5- CGTTT", "s:5-10+ NNTTT", "s:5-10- AAANN"])
        XCTAssertEqual(reader.windowsProduced, 4)
    }

    func testSkippedWindowCountsBothStrands() throws {
        let (found, reader) = try windows(of: ">s\nNNNNN\n", WindowOptions(window: 5, strand: .both))
        XCTAssertTrue(found.isEmpty)
        XCTAssertEqual(reader.windowsSkipped, 2)
    }

    func testSoftMaskedLowercaseIsReadAsBases() throws {
        let (found, _) = try windows(of: ">s\nacgtNNac\n", WindowOptions(window: 8, maxN: 0.5))
        XCTAssertEqual(spans(found), ["s:0-8+ ACGTNNAC"])
    }

    func testLineBreaksAndCarriageReturnsAreNotBases() throws {
        // Uneven line lengths, CRLF line ends and a blank line inside the record.
        let fasta = ">chrA some description\r\nAC\r\nGTA\r\n\r\nCGTAC\r\n>chrB\nTTTT\nGG\n"
        let (found, _) = try windows(of: fasta, WindowOptions(window: 5))
        XCTAssertEqual(spans(found), ["chrA:0-5+ ACGTA", "chrA:5-10+ CGTAC", "chrB:0-5+ TTTTG"])
    }

    func testFastaHeaderLabelUsesZeroBasedStart() throws {
        let (found, _) = try windows(of: ">chr1\nACGTACGT\n", WindowOptions(window: 4))
        XCTAssertEqual(found.map(\.label), ["chr1:0-4(+)", "chr1:4-8(+)"])
    }

    func testMemoryStaysAboutOneWindowOnALongChromosome() throws {
        // 4 Mb in one record: the reader must not hold the chromosome.
        let folder = try temporaryFolder(self)
        let path = folder.appendingPathComponent("long.fa").path
        var text = ">chrLong\n"
        let line = String(repeating: "ACGTTGCA", count: 10) + "\n"
        text.reserveCapacity(4_100_000)
        for _ in 0..<50_000 { text += line }   // 50,000 × 80 = 4,000,000 bp
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let reader = try WindowReader(path: path, options: WindowOptions(window: 1000, stride: 500))
        var count = 0
        var maxCapacity = 0
        while try reader.next() != nil {
            count += 1
            maxCapacity = max(maxCapacity, reader.bufferCapacity)
        }
        XCTAssertEqual(count, (4_000_000 - 1000) / 500 + 1)
        XCTAssertLessThan(maxCapacity, 1 << 19, "the base buffer grew with the chromosome")
    }
}
