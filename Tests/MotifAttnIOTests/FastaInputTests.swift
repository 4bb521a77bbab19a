import Foundation
import XCTest
import _TestSupport
@testable import MotifAttnIO
import MotifAttnCore

/// Whole-file FASTA reading: compression kinds, records, and agreement with samtools.
final class FastaInputTests: XCTestCase {
    private func allWindows(_ path: String, _ options: WindowOptions = WindowOptions()) throws -> [Window] {
        let reader = try WindowReader(path: path, options: options)
        var result: [Window] = []
        while let window = try reader.next() { result.append(window) }
        return result
    }

    func testPlainGzipAndBgzipGiveIdenticalWindows() throws {
        let folder = try temporaryFolder(self)
        let bgzipped = Genomes.path("sarscov2_NC_045512.2.fa.gz")
        let plain = folder.appendingPathComponent("sars.fa").path
        let gzipped = folder.appendingPathComponent("sars.gz").path
        try runTool("bash", ["-c", "bgzip -dc '\(bgzipped)' > '\(plain)' && gzip -c '\(plain)' > '\(gzipped)'"])
        let options = WindowOptions(window: 300, stride: 170, strand: .both)
        let fromBgzip = try allWindows(bgzipped, options)
        XCTAssertEqual(try allWindows(plain, options), fromBgzip)
        XCTAssertEqual(try allWindows(gzipped, options), fromBgzip)
        XCTAssertEqual(try allWindows(bgzipped, WindowOptions(window: 300, stride: 170, strand: .both, threads: 2)), fromBgzip,
                       "output must not depend on the thread count")
        // Full windows start at 0, 170, …, 29,580 (175 of them, the last ends at 29,880); the next start,
        // 29,750, leaves a 153 bp tail (≥ 150, reaching past 29,880), kept: 176 windows, two strands each.
        XCTAssertEqual(fromBgzip.count, 2 * 176)
        XCTAssertEqual(fromBgzip.suffix(2).map { "\($0.start)-\($0.end)" }, ["29750-29903", "29750-29903"])
    }

    func testTouchingWindowsRebuildTheSequenceSamtoolsPrints() throws {
        let path = Genomes.path("lambda_virus.fa.gz")
        let expected = try XCTUnwrap(parseFasta(try runTool("samtools", ["faidx", path, Genomes.lambdaContig])).first?.sequence)
        // 48,502 = 242 × 200 + 102: the 102 bp tail is over half a window, so nothing is lost.
        let windows = try allWindows(path, WindowOptions(window: 200))
        XCTAssertEqual(windows.count, 243)
        XCTAssertEqual(windows.map { $0.bases.text }.joined(), expected)
        XCTAssertEqual(windows.last?.end, Genomes.lambdaLength)
        XCTAssertTrue(windows.allSatisfy { $0.sourceName == Genomes.lambdaContig && $0.strand == .plus })
    }

    func testRecordReaderReturnsEveryRecordWithItsSequence() throws {
        let path = Genomes.path("hg19_GM12878_CTCF_top500_200bp.fa.gz")
        let reader = try FastaRecordReader(path: path)
        var records: [FastaRecord] = []
        while let record = try reader.next() { records.append(record) }
        let samtools = parseFasta(try runTool("bash", ["-c", "bgzip -dc '\(path)'"]))
        XCTAssertEqual(records.count, 500)
        XCTAssertEqual(records.map(\.name), samtools.map { $0.header })
        XCTAssertEqual(records.map { $0.bases.text }, samtools.map { $0.sequence.uppercased() })
    }

    func testRecordReaderKeepsTheRestOfTheHeaderAsDescription() throws {
        let folder = try temporaryFolder(self)
        let path = folder.appendingPathComponent("labelled.fa").path
        try ">train_0 label=1\nACGT\nAC\n>train_1\tlabel=0 extra words\nggtt\n>empty\n".write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try FastaRecordReader(path: path)
        var records: [FastaRecord] = []
        while let record = try reader.next() { records.append(record) }
        XCTAssertEqual(records, [
            FastaRecord(name: "train_0", description: "label=1", bases: Array("ACGTAC".utf8)),
            FastaRecord(name: "train_1", description: "label=0 extra words", bases: Array("GGTT".utf8)),
            FastaRecord(name: "empty", description: "", bases: []),
        ])
    }
}
