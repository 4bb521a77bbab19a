import Foundation
import XCTest
import _TestSupport
@testable import MotifAttnIO
import MotifAttnCore

/// Reads of BAM, CRAM and SAM files checked against `samtools view` with the same filters.
final class AlignmentTests: XCTestCase {
    private struct Read: Equatable, CustomStringConvertible {
        var name: String, contig: String, start: Int, strand: String, bases: String
        var description: String { "\(name) \(contig):\(start)\(strand) \(bases)" }
    }

    private func reads(_ path: String, _ regions: [Region] = [], _ options: WindowOptions = WindowOptions()) throws -> [Read] {
        let reader = try WindowReader(path: path, regions: regions, options: options)
        var result: [Read] = []
        while let window = try reader.next() {
            result.append(Read(name: window.name ?? "?", contig: window.sourceName, start: window.start,
                               strand: window.strand.rawValue, bases: window.bases.text))
        }
        XCTAssertEqual(reader.windowsProduced, result.count)
        return result
    }

    /// `samtools view` rows as reads (POS converted to 0-based; SEQ `*` as no bases).
    private func samtoolsReads(_ arguments: [String]) throws -> [Read] {
        try runTool("samtools", ["view"] + arguments).split(separator: "\n").map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            let flag = Int(f[1])!
            return Read(name: String(f[0]), contig: String(f[2]), start: Int(f[3])! - 1,
                        strand: flag & 0x10 != 0 ? "-" : "+", bases: f[9] == "*" ? "" : String(f[9]))
        }
    }

    func testBAMReadsMatchSamtoolsViewWithDefaultFilters() throws {
        let bam = Genomes.path("sarscov2_SRR11728627.sorted.bam")
        let expected = try samtoolsReads(["-F", "UNMAP,SECONDARY,QCFAIL,DUP", bam])
        let found = try reads(bam)
        XCTAssertEqual(found.count, expected.count)
        XCTAssertEqual(found, expected)
        XCTAssertGreaterThan(found.count, 900)
    }

    func testExcludeFlagsAndMinimumMappingQualityFilterAsSamtools() throws {
        let bam = Genomes.path("lambda_reads.bam")
        let flags = WindowOptions.parseFlags("0x10")!
        XCTAssertEqual(flags, 16)
        XCTAssertEqual(WindowOptions.parseFlags("UNMAP,SECONDARY,QCFAIL,DUP"), WindowOptions.defaultExcludeFlags)
        XCTAssertNil(WindowOptions.parseFlags("NOTAFLAG"))
        let found = try reads(bam, [], WindowOptions(excludeFlags: 0x4 | 0x10, minMappingQuality: 30))
        let expected = try samtoolsReads(["-F", "0x14", "-q", "30", bam])
        XCTAssertEqual(found.count, expected.count)
        XCTAssertEqual(found, expected)
        XCTAssertTrue(found.allSatisfy { $0.strand == "+" })
    }

    func testUnfilteredCountEqualsEveryRecord() throws {
        let bam = Genomes.path("sarscov2_SRR11728627.sorted.bam")
        let count = try reads(bam, [], WindowOptions(excludeFlags: 0)).count
        XCTAssertEqual(count, Int(try runTool("samtools", ["view", "-c", bam]).trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(count, 1250)
    }

    func testRegionsUseTheIndexAsSamtoolsDoes() throws {
        let bam = Genomes.path("lambda_reads.bam")
        let a = "\(Genomes.lambdaContig):1001-2000", b = "\(Genomes.lambdaContig):30001-30500"
        let found = try reads(bam, [try RegionParser.parse(a), try RegionParser.parse(b)])
        let expected = try samtoolsReads(["-F", "0x704", bam, a]) + samtoolsReads(["-F", "0x704", bam, b])
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(found, expected)
    }

    func testReadsCarryReferenceEndFromTheCigar() throws {
        let bam = Genomes.path("sarscov2_SRR11728627.sorted.bam")
        let reader = try WindowReader(path: bam)
        var ends: [Int] = []
        while let window = try reader.next() { ends.append(window.end) }
        // samtools' own end: POS − 1 + reference length of the CIGAR (`--output-fmt` has no END, so sum M/D/N/=/X by hand).
        let rows = try runTool("samtools", ["view", "-F", "0x704", bam]).split(separator: "\n")
        let expected = rows.map { row -> Int in
            let f = row.split(separator: "\t")
            var length = 0, number = 0
            for c in f[5] {
                if let digit = c.wholeNumberValue { number = number * 10 + digit; continue }
                if "MDN=X".contains(c) { length += number }
                number = 0
            }
            return Int(f[3])! - 1 + length
        }
        XCTAssertEqual(ends, expected)
    }

    func testCRAMWithReferenceMatchesSamtools() throws {
        let cram = Genomes.path("lambda_reads.cram")
        let reference = Genomes.path("lambda_virus.fa.gz")
        let region = "\(Genomes.lambdaContig):20001-21000"
        let found = try reads(cram, [try RegionParser.parse(region)], WindowOptions(reference: reference))
        let expected = try samtoolsReads(["-T", reference, "-F", "0x704", cram, region])
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(found, expected)
        XCTAssertEqual(try reads(Genomes.path("lambda_reads.bam"), [try RegionParser.parse(region)]), found, "CRAM and BAM hold the same reads")
    }

    func testSAMTextIsReadLikeBAM() throws {
        let folder = try temporaryFolder(self)
        let sam = folder.appendingPathComponent("reads.txt").path   // no .sam extension: detected by content
        try runTool("bash", ["-c", "samtools view -h '\(Genomes.path("sarscov2_SRR11728627.sorted.bam"))' > '\(sam)'"])
        XCTAssertEqual(try reads(sam), try reads(Genomes.path("sarscov2_SRR11728627.sorted.bam")))
    }

    func testRegionsOfABAMWithoutIndexAreAnError() throws {
        let folder = try temporaryFolder(self)
        let bam = folder.appendingPathComponent("noindex.bam").path
        try FileManager.default.copyItem(atPath: Genomes.path("sarscov2_SRR11728627.sorted.bam"), toPath: bam)
        let reader = try WindowReader(path: bam, regions: [try RegionParser.parse("\(Genomes.sarsContig):1-1000")])
        XCTAssertThrowsError(try reader.next()) { error in
            XCTAssertEqual(error as? ReaderError, .missingAlignmentIndex(path: bam))
            XCTAssertTrue("\(error)".contains("samtools index"))
        }
    }

    func testUnknownContigInABAMRegionIsAnError() throws {
        let bam = Genomes.path("lambda_reads.bam")
        XCTAssertThrowsError(try WindowReader(path: bam, regions: [try RegionParser.parse("chr9:1-10")])) { error in
            XCTAssertEqual(error as? ReaderError, .unknownContig(path: bam, contig: "chr9", origin: "--region chr9:1-10"))
        }
    }
}
