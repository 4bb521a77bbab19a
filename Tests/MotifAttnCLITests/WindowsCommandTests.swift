import Foundation
import XCTest
import _TestSupport

/// `motifattn windows` run as a process: outputs against samtools, exit codes and no partial files.
final class WindowsCommandTests: XCTestCase {
    private typealias Result = CLIRunner.Result

    private static let genomes = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/genomes")
    private static let lambdaContig = "gi|9626243|ref|NC_001416.1|"
    private func genome(_ name: String) -> String { Self.genomes.appendingPathComponent(name).path }

    /// The built `motifattn` (see `CLIRunner.binary`).
    private func binary() throws -> URL { try CLIRunner.binary() }

    private func execute(_ executable: URL, _ arguments: [String], shellStdin: String? = nil) throws -> Result {
        try CLIRunner.execute(executable, arguments, shellStdin: shellStdin)
    }

    private func motifattn(_ arguments: [String], stdin: String? = nil) throws -> Result {
        try execute(try binary(), ["windows"] + arguments, shellStdin: stdin)
    }

    private func samtools(_ arguments: [String]) throws -> String {
        let result = try execute(URL(fileURLWithPath: "/usr/bin/samtools"), arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout
    }

    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func sequences(_ fasta: String) -> [(String, String)] {
        var records: [(String, String)] = []
        for line in fasta.split(separator: "\n") {
            if line.hasPrefix(">") { records.append((String(line.dropFirst()), "")) } else { records[records.count - 1].1 += line }
        }
        return records
    }

    func testFastaOutputHasZeroBasedHeadersAndSamtoolsSequences() throws {
        let path = genome("lambda_virus.fa.gz")
        let out = try folder().appendingPathComponent("w.fa").path
        let result = try motifattn([path, "--region", "\(Self.lambdaContig):1001-1400", "--window", "200", "-o", out])
        XCTAssertEqual(result.status, 0, result.stderr)
        let written = sequences(try String(contentsOfFile: out, encoding: .utf8))
        XCTAssertEqual(written.map(\.0), ["\(Self.lambdaContig):1000-1200(+)", "\(Self.lambdaContig):1200-1400(+)"])
        let first = sequences(try samtools(["faidx", path, "\(Self.lambdaContig):1001-1200"]))[0].1
        let second = sequences(try samtools(["faidx", path, "\(Self.lambdaContig):1201-1400"]))[0].1
        XCTAssertEqual(written.map(\.1), [first, second])
        XCTAssertTrue(result.stderr.contains("2 windows written, 0 skipped"), result.stderr)
    }

    func testBedOutputIsBED6AndTsvHasProvenanceThenHeader() throws {
        let path = genome("sarscov2_NC_045512.2.fa.gz")
        let bed = try motifattn([path, "--region", "NC_045512.2:1-400", "--window", "200", "--strand", "both", "--format", "bed"])
        XCTAssertEqual(bed.status, 0, bed.stderr)
        XCTAssertEqual(bed.stdout, """
        NC_045512.2\t0\t200\tNC_045512.2:0-200(+)\t0\t+
        NC_045512.2\t0\t200\tNC_045512.2:0-200(-)\t0\t-
        NC_045512.2\t200\t400\tNC_045512.2:200-400(+)\t0\t+
        NC_045512.2\t200\t400\tNC_045512.2:200-400(-)\t0\t-

        """)
        let tsv = try motifattn([path, "--region", "NC_045512.2:1-200", "--window", "200", "--format", "tsv"])
        let lines = tsv.stdout.split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("##motifattn version="))
        XCTAssertEqual(lines[1], "source\tstart\tend\tstrand\tname\tsequence")
        let expected = sequences(try samtools(["faidx", path, "NC_045512.2:1-200"]))[0].1
        XCTAssertEqual(lines[2], "NC_045512.2\t0\t200\t+\tNC_045512.2:0-200(+)\t\(expected)")
    }

    func testStandardInputStreamsLikeTheFile() throws {
        let path = genome("lambda_virus.fa.gz")
        let fromFile = try motifattn([path, "--format", "bed", "--window", "500", "--stride", "250"])
        let fromStdin = try motifattn(["-", "--format", "bed", "--window", "500", "--stride", "250"], stdin: "bgzip -dc '\(path)'")
        XCTAssertEqual(fromStdin.status, 0, fromStdin.stderr)
        XCTAssertEqual(fromStdin.stdout, fromFile.stdout)
        XCTAssertEqual(fromFile.stdout.split(separator: "\n").count, (48_502 - 500) / 250 + 1 + 1)  // + the 252 bp tail
    }

    func testThreadCountDoesNotChangeTheOutput() throws {
        let path = genome("hg19_GM12878_CTCF_top500_200bp.fa.gz")
        let one = try motifattn([path, "--window", "100", "--strand", "both"])
        let two = try motifattn([path, "--window", "100", "--strand", "both", "--threads", "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(one.stdout, two.stdout)
        XCTAssertEqual(one.stdout.split(separator: "\n").count, 2 * 2 * 2 * 500)  // 2 windows × 2 strands × 2 lines
    }

    func testReadsOfABAMAreNamedWindows() throws {
        let bam = genome("sarscov2_SRR11728627.sorted.bam")
        let result = try motifattn([bam, "--min-mapq", "20", "--exclude-flags", "1796"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let written = sequences(result.stdout)
        let expected = try samtools(["view", "-q", "20", "-F", "1796", bam]).split(separator: "\n").map { row -> (String, String) in
            let f = row.split(separator: "\t")
            return (String(f[0]), String(f[9]))
        }
        XCTAssertEqual(written.map(\.0), expected.map(\.0))
        XCTAssertEqual(written.map(\.1), expected.map(\.1))
    }

    func testBadInputsExitOneWithOneLineNamingTheFileAndNoOutput() throws {
        let dir = try folder()
        func file(_ name: String, _ text: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let lambda = genome("lambda_virus.fa.gz")
        let lambdaData = try Data(contentsOf: URL(fileURLWithPath: lambda))
        let truncated = dir.appendingPathComponent("truncated.fa.gz").path
        try lambdaData.prefix(lambdaData.count / 2).write(to: URL(fileURLWithPath: truncated))
        let plainGzip = dir.appendingPathComponent("plain.fa.gz").path
        _ = try execute(URL(fileURLWithPath: "/bin/bash"), ["-c", "bgzip -dc '\(lambda)' | gzip > '\(plainGzip)'"])
        let truncatedGzip = dir.appendingPathComponent("truncated-gzip.fa.gz").path
        let gzipData = try Data(contentsOf: URL(fileURLWithPath: plainGzip))
        try gzipData.prefix(gzipData.count / 2).write(to: URL(fileURLWithPath: truncatedGzip))
        let unindexedBAM = dir.appendingPathComponent("noindex.bam").path
        try FileManager.default.copyItem(atPath: genome("sarscov2_SRR11728627.sorted.bam"), toPath: unindexedBAM)
        let badBED = try file("bad.bed", "# regions\n\(Self.lambdaContig)\t10\t20\n\(Self.lambdaContig)\t30\n")

        let cases: [(arguments: [String], names: String)] = [
            ([dir.appendingPathComponent("absent.fa").path], "absent.fa"),
            ([try file("notes.txt", "just some words\n")], "notes.txt"),
            ([try file("empty.fa", "")], "empty.fa"),
            ([truncated], "truncated.fa.gz"),
            ([truncatedGzip], "truncated-gzip.fa.gz"),
            ([plainGzip, "--region", Self.lambdaContig], "plain.fa.gz"),
            ([unindexedBAM, "--region", "NC_045512.2:1-100"], "noindex.bam"),
            ([lambda, "--region", "chrZ:1-100"], "chrZ"),
            ([lambda, "--regions", badBED], "bad.bed: line 3"),
        ]
        for (arguments, names) in cases {
            let out = dir.appendingPathComponent("out.fa").path
            let result = try motifattn(arguments + ["-o", out])
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(lines.first?.hasPrefix("motifattn windows: ") ?? false, result.stderr)
            XCTAssertTrue(result.stderr.contains(names), "\(arguments): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(arguments) left \(out) behind")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".out.fa") }
            XCTAssertEqual(leftovers, [], "temporary output left behind")
        }
    }

    func testRegionPastTheEndWarnsAndClipsLikeSamtools() throws {
        let path = genome("sarscov2_NC_045512.2.fa.gz")
        let result = try motifattn([path, "--region", "NC_045512.2:29701-31000", "--window", "400"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("clipped to NC_045512.2:29701-29903"), result.stderr)
        let expected = sequences(try samtools(["faidx", path, "NC_045512.2:29701-31000"]))[0].1
        XCTAssertEqual(sequences(result.stdout).map(\.1), [expected])
    }

    func testUsageErrorsExitWithUsageStatus() throws {
        let path = genome("lambda_virus.fa.gz")
        for arguments in [["--window", "0"], ["--stride", "-1"], ["--max-n", "2"], ["--exclude-flags", "NOPE"],
                          ["--strand", "minus"], ["--region", "chr1:9-3"], ["--format", "gff"], ["--threads", "0"]] {
            let result = try motifattn([path] + arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.isEmpty)
        }
    }
}
