import Foundation
import XCTest
import _TestSupport
@testable import MotifAttnIO
import MotifAttnCore

/// Limits users can rely on (docs/reader.md, "Limits"): a sequence longer than 2^31 bases, and a BED of 10^6 regions.
final class LimitTests: XCTestCase {
    /// Writes a bgzip FASTA with one record `chrBig` of `length` bases through `bgzip` (htslib's tool):
    /// `ACGT` repeated, lines of 60, with `marker` written over the bases starting at `markerStart`.
    private func writeLongGenome(to path: String, length: Int, marker: String, markerStart: Int) throws {
        let lineWidth = 60   // a multiple of 4: every full line of the repeat is the same
        let plainLine = Array(String(repeating: "ACGT", count: lineWidth / 4).utf8) + [10]
        let linesPerChunk = 16_384
        let chunk = Data(Array([[UInt8]](repeating: plainLine, count: linesPerChunk).joined()))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", "-c", "bgzip -@2 -c > '\(path)'"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        let sink = input.fileHandleForWriting
        sink.write(Data(">chrBig long test record\n".utf8))
        let fullLines = length / lineWidth
        let markerLine = markerStart / lineWidth
        precondition((markerStart + marker.utf8.count - 1) / lineWidth == markerLine, "the marker must sit inside one line")
        var line = 0
        while line < fullLines {
            if line == markerLine {
                var special = plainLine
                for (offset, byte) in marker.utf8.enumerated() { special[markerStart % lineWidth + offset] = byte }
                sink.write(Data(special))
                line += 1
            } else {
                let run = min(linesPerChunk, fullLines - line, line < markerLine ? markerLine - line : Int.max)
                sink.write(run == linesPerChunk ? chunk : chunk.prefix(run * plainLine.count))
                line += run
            }
        }
        let rest = length - fullLines * lineWidth
        if rest > 0 { sink.write(Data(plainLine.prefix(rest) + [10])) }
        try sink.close()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "bgzip failed")
    }

    /// A record of 2^31 + 2^19 + 7 bases (coordinates past Int32) read both ways: streamed whole, and one region
    /// through faidx. Takes about 10 s: 2.1 GB of bases are written, compressed, indexed and read back.
    func testSequenceLongerThan2To31Bases() throws {
        let length = (1 << 31) + (1 << 19) + 7
        let markerStart = (1 << 31) + 99_963     // 0-based, past 2^31; 11 bases into its line
        let marker = "GATTACAGATTACA"
        let path = try temporaryFolder(self).appendingPathComponent("big.fa.gz").path
        try writeLongGenome(to: path, length: length, marker: marker, markerStart: markerStart)

        // Streamed in 1 MiB windows: the last one is the partial window reaching the end (2^19 + 7 ≥ half a window).
        let window = 1 << 20
        let stream = try WindowReader(path: path, options: WindowOptions(window: window, threads: 2))
        var count = 0
        var last: Window?
        var sawMarker = false
        while let tile = try stream.next() {
            count += 1
            if tile.start <= markerStart && markerStart + marker.utf8.count <= tile.end {
                let offset = markerStart - tile.start
                sawMarker = Array(tile.bases[offset..<(offset + marker.utf8.count)]) == Array(marker.utf8)
            }
            last = tile
        }
        XCTAssertEqual(count, (1 << 31) / window + 1)
        XCTAssertEqual(last?.start, 1 << 31)
        XCTAssertEqual(last?.end, length)
        XCTAssertEqual(last?.bases.count, (1 << 19) + 7)
        XCTAssertTrue(sawMarker, "the bases past 2^31 were not where the file put them")
        XCTAssertLessThan(stream.bufferCapacity, 8 << 20, "the reader held more than a few windows")

        // One region through faidx (index built now), written as samtools would: 1-based, inclusive.
        let region = try RegionParser.parse("chrBig:\(markerStart - 1)-\(markerStart + marker.utf8.count + 2)")
        let indexed = try WindowReader(path: path, regions: [region], options: WindowOptions(window: marker.utf8.count + 4))
        let fetched = try XCTUnwrap(try indexed.next())
        XCTAssertEqual(fetched.start, markerStart - 2)
        XCTAssertEqual(fetched.bases.text, "CG" + marker + "CG")   // the ACGT repeat on either side
        XCTAssertEqual(GenomeIndex.windowRanges(length: length, window: window, stride: window).last, (1 << 31)..<length)
    }

    /// 10^6 BED regions are read, checked against the index and fetched in one pass, in input order.
    func testAMillionRegions() throws {
        let genome = Genomes.path("lambda_virus.fa.gz")
        let folder = try temporaryFolder(self)
        let bed = folder.appendingPathComponent("million.bed").path
        var generator = SeededGenerator(seed: 3)
        var text = "track name=million\n"
        text.reserveCapacity(40_000_000)
        var starts: [Int] = []
        starts.reserveCapacity(1_000_000)
        for _ in 0..<1_000_000 {
            let start = Int.random(in: 0..<(Genomes.lambdaLength - 50), using: &generator)
            starts.append(start)
            text += "\(Genomes.lambdaContig)\t\(start)\t\(start + 50)\n"
        }
        try text.write(toFile: bed, atomically: false, encoding: .utf8)
        let regions = try BEDReader.read(path: bed)
        XCTAssertEqual(regions.count, 1_000_000)
        XCTAssertEqual(regions.last?.origin, "million.bed line 1000001")

        // The whole lambda genome once, to check every fetched window against.
        let whole = try WindowReader(path: genome, options: WindowOptions(window: Genomes.lambdaLength))
        let reference = try XCTUnwrap(try whole.next()).bases
        let reader = try WindowReader(path: genome, regions: regions, options: WindowOptions(window: 50))
        var count = 0
        while let window = try reader.next() {
            guard window.start == starts[count], window.bases[...] == reference[window.start..<window.end] else {
                return XCTFail("region \(count + 1) came back as \(window.label)")
            }
            count += 1
        }
        XCTAssertEqual(count, 1_000_000)
    }
}
