import Foundation
import XCTest
import _TestSupport
@testable import MotifAttnIO
import MotifAttnCore

/// Regions (strings and BED) checked against `samtools faidx`, and their parsing rules.
final class RegionTests: XCTestCase {
    private func allWindows(_ path: String, _ regions: [Region], _ options: WindowOptions,
                            warnings: ((String) -> Void)? = nil) throws -> [Window] {
        let reader = try WindowReader(path: path, regions: regions, options: options,
                                      warningHandler: warnings ?? { XCTFail("unexpected warning: \($0)") })
        var result: [Window] = []
        while let window = try reader.next() { result.append(window) }
        return result
    }

    func testRegionStringsParseAsOneBasedInclusive() throws {
        XCTAssertEqual(try RegionParser.parse("chr1:1-100"), Region(contig: "chr1", start: 0, end: 100, origin: "--region chr1:1-100"))
        XCTAssertEqual(try RegionParser.parse("chr2:1,001-2,000").end, 2000)
        XCTAssertEqual(try RegionParser.parse("chr2:1,001-2,000").start, 1000)
        let whole = try RegionParser.parse("chrX")
        XCTAssertEqual([whole.contig, "\(whole.start)", "\(String(describing: whole.end))"], ["chrX", "0", "nil"])
        let fromStart = try RegionParser.parse("chrX:501")
        XCTAssertEqual(fromStart.start, 500)
        XCTAssertNil(fromStart.end)
        for bad in ["chr1:0-10", "chr1:20-10", "chr1:a-10", "chr1:5-b", ":1-10", ""] {
            XCTAssertThrowsError(try RegionParser.parse(bad), bad)
        }
    }

    func testRegionStringsMatchSamtoolsFaidx() throws {
        let lambda = Genomes.path("lambda_virus.fa.gz")
        let sars = Genomes.path("sarscov2_NC_045512.2.fa.gz")
        for (path, region) in [(lambda, "\(Genomes.lambdaContig):1-500"), (lambda, "\(Genomes.lambdaContig):30001-30400"),
                               (sars, "\(Genomes.sarsContig):21563-25384"), (sars, "\(Genomes.sarsContig):29800-29903")] {
            let parsed = try RegionParser.parse(region)
            let length = parsed.end! - parsed.start
            let windows = try allWindows(path, [parsed], WindowOptions(window: length))
            let expected = try XCTUnwrap(parseFasta(try runTool("samtools", ["faidx", path, region])).first)
            XCTAssertEqual(windows.count, 1, region)
            XCTAssertEqual(windows.first?.bases.text, expected.sequence, region)
            XCTAssertEqual(windows.first?.start, parsed.start, region)
            XCTAssertEqual(windows.first?.end, parsed.end, region)
        }
    }

    func testTiledRegionKeepsContigCoordinates() throws {
        let sars = Genomes.path("sarscov2_NC_045512.2.fa.gz")
        let windows = try allWindows(sars, [try RegionParser.parse("\(Genomes.sarsContig):1001-1500")], WindowOptions(window: 200))
        // 500 bp: 1000..<1200, 1200..<1400, then a 100 bp tail (= half) 1400..<1500.
        XCTAssertEqual(windows.map { "\($0.start)-\($0.end)" }, ["1000-1200", "1200-1400", "1400-1500"])
        let expected = try XCTUnwrap(parseFasta(try runTool("samtools", ["faidx", sars, "\(Genomes.sarsContig):1001-1500"])).first)
        XCTAssertEqual(windows.map { $0.bases.text }.joined(), expected.sequence)
    }

    func testBEDRegionsMatchSamtoolsFaidxWithRegionFile() throws {
        let folder = try temporaryFolder(self)
        let bed = folder.appendingPathComponent("regions.bed").path
        let regionList = folder.appendingPathComponent("regions.txt").path
        // 300 regions of 200 bp at fixed, scattered places on both genomes (a linear congruential sequence).
        var bedText = "track name=test\n# a comment\nbrowser position x\n\n"
        var regionText = ""
        var state: UInt64 = 12345
        for i in 0..<300 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let (contig, length) = i % 2 == 0 ? (Genomes.lambdaContig, Genomes.lambdaLength) : (Genomes.sarsContig, Genomes.sarsLength)
            let start = Int((state >> 33) % UInt64(length - 200))
            bedText += "\(contig)\t\(start)\t\(start + 200)\tpeak\(i)\t0\t+\n"
            regionText += "\(contig):\(start + 1)-\(start + 200)\n"
        }
        try bedText.write(toFile: bed, atomically: true, encoding: .utf8)
        try regionText.write(toFile: regionList, atomically: true, encoding: .utf8)
        // Both genomes in one bgzip FASTA, indexed in the temporary folder.
        let genome = folder.appendingPathComponent("both.fa.gz").path
        try runTool("bash", ["-c", "(bgzip -dc '\(Genomes.path("lambda_virus.fa.gz"))'; bgzip -dc '\(Genomes.path("sarscov2_NC_045512.2.fa.gz"))') | bgzip > '\(genome)'"])
        let regions = try BEDReader.read(path: bed)
        XCTAssertEqual(regions.count, 300)
        let windows = try allWindows(genome, regions, WindowOptions(window: 200))
        let expected = parseFasta(try runTool("samtools", ["faidx", genome, "-r", regionList]))
        XCTAssertEqual(expected.count, 300)
        XCTAssertEqual(windows.map { $0.bases.text }, expected.map { $0.sequence })
        XCTAssertEqual(windows.map { "\($0.sourceName):\($0.start + 1)-\($0.end)" }, expected.map { $0.header })
        XCTAssertTrue(FileManager.default.fileExists(atPath: genome + ".fai"), "the index is built next to the file")
        XCTAssertTrue(FileManager.default.fileExists(atPath: genome + ".gzi"))
    }

    func testBEDSkipsHeaderLinesAndReadsZeroBasedCoordinates() throws {
        let folder = try temporaryFolder(self)
        let bed = folder.appendingPathComponent("r.bed").path
        try "#chrom\tstart\tend\ntrack x\nbrowser y\n\nchr1\t0\t10\nchr2\t5\t6\tname\t0\t-\r\n".write(toFile: bed, atomically: true, encoding: .utf8)
        let regions = try BEDReader.read(path: bed)
        XCTAssertEqual(regions.map { "\($0.contig):\($0.start)-\($0.end!)" }, ["chr1:0-10", "chr2:5-6"])
        XCTAssertEqual(regions.map(\.origin), ["r.bed line 5", "r.bed line 6"])
    }

    func testMalformedBEDLinesNameTheFileAndLine() throws {
        let folder = try temporaryFolder(self)
        let cases: [(String, Int, String)] = [
            ("chr1\t0\t10\nchr1\t5\n", 2, "3 tab-separated columns"),
            ("# header\nchr1\tx\t10\n", 2, "start 'x'"),
            ("chr1\t1\t10\nchr1\t1\t10\nchr1\t20\t10\n", 3, "before start"),
            ("chr1\t-5\t10\n", 1, "negative"),
        ]
        for (index, (text, line, words)) in cases.enumerated() {
            let bed = folder.appendingPathComponent("bad\(index).bed").path
            try text.write(toFile: bed, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try BEDReader.read(path: bed)) { error in
                guard case .malformedBED? = error as? ReaderError else { return XCTFail("\(error)") }
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("\(bed): line \(line): "), message)
                XCTAssertTrue(message.contains(words), message)
            }
        }
    }

    func testUnknownContigIsAnErrorNamingFileAndOrigin() throws {
        let path = Genomes.path("lambda_virus.fa.gz")
        XCTAssertThrowsError(try WindowReader(path: path, regions: [try RegionParser.parse("chr1:1-10")])) { error in
            XCTAssertEqual("\(error)", "\(path): no sequence named 'chr1' (asked by --region chr1:1-10)")
        }
    }

    func testRegionPastTheEndIsClippedWithAWarning() throws {
        let path = Genomes.path("sarscov2_NC_045512.2.fa.gz")
        var warnings: [String] = []
        let windows = try allWindows(path, [try RegionParser.parse("\(Genomes.sarsContig):29801-30500")],
                                     WindowOptions(window: 200), warnings: { warnings.append($0) })
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings.first?.contains("clipped to \(Genomes.sarsContig):29801-29903") ?? false, "\(warnings)")
        // samtools clips the same way (with its own warning).
        let expected = try XCTUnwrap(parseFasta(try runTool("samtools", ["faidx", path, "\(Genomes.sarsContig):29801-30500"])).first)
        XCTAssertEqual(windows.map { $0.bases.text }, [expected.sequence])
        XCTAssertEqual(windows.first?.end, Genomes.sarsLength)
    }

    func testRegionsOnPlainGzipAskForBgzip() throws {
        let folder = try temporaryFolder(self)
        let gz = folder.appendingPathComponent("lambda.fa.gz").path
        try runTool("bash", ["-c", "bgzip -dc '\(Genomes.path("lambda_virus.fa.gz"))' | gzip > '\(gz)'"])
        XCTAssertThrowsError(try WindowReader(path: gz, regions: [try RegionParser.parse(Genomes.lambdaContig)])) { error in
            XCTAssertEqual(error as? ReaderError, .gzipNeedsBgzip(path: gz))
            XCTAssertTrue("\(error)".contains("bgzip"))
        }
    }

    func testIndexGoesToTheCacheFolderWhenItCannotBeWrittenNextToTheFile() throws {
        let folder = try temporaryFolder(self)
        let genome = folder.appendingPathComponent("sars.fa").path
        try runTool("bash", ["-c", "bgzip -dc '\(Genomes.path("sarscov2_NC_045512.2.fa.gz"))' > '\(genome)'"])
        // A folder where the .fai should go makes writing it there fail, even for root.
        try FileManager.default.createDirectory(atPath: genome + ".fai", withIntermediateDirectories: false)
        let cache = folder.appendingPathComponent("cache").path
        let previous = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"]
        setenv("XDG_CACHE_HOME", cache, 1)
        defer { if let previous { setenv("XDG_CACHE_HOME", previous, 1) } else { unsetenv("XDG_CACHE_HOME") } }
        let windows = try allWindows(genome, [try RegionParser.parse("\(Genomes.sarsContig):101-300")], WindowOptions(window: 200))
        let expected = try XCTUnwrap(parseFasta(try runTool("samtools", ["faidx", Genomes.path("sarscov2_NC_045512.2.fa.gz"), "\(Genomes.sarsContig):101-300"])).first)
        XCTAssertEqual(windows.first?.bases.text, expected.sequence)
        let cached = try FileManager.default.subpathsOfDirectory(atPath: cache + "/motifattn")
        XCTAssertTrue(cached.contains { $0.hasSuffix("sars.fa.fai") }, "\(cached)")
    }

    func testRegionsFromStandardInputAreRefused() throws {
        XCTAssertThrowsError(try WindowReader(path: "-", regions: [Region(contig: "x", start: 0, end: 1)])) { error in
            XCTAssertEqual(error as? ReaderError, .regionsNeedAFile(path: "-"))
        }
    }
}
