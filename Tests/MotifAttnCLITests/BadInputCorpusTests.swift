import Foundation
import XCTest
import _TestSupport

/// Every row of the bad-input table (Tests/Fixtures/bad-inputs/README.md), run through the command a user
/// would run: the status, a one-line message that names the file (and line or tensor), and, on error,
/// no output file and no temporary left in the output folder. Inputs are copied to a temporary folder
/// first, so indexes built on the way never land in the repository.
final class BadInputCorpusTests: XCTestCase {
    private static let corpus = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/bad-inputs")
    private static let lambda = "gi|9626243|ref|NC_001416.1|"

    /// Copies `names` from the corpus into a fresh folder and returns it.
    private func stage(_ names: [String]) throws -> URL {
        let folder = try CLIRunner.folder(for: self)
        for name in names {
            try FileManager.default.copyItem(at: Self.corpus.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        return folder
    }

    /// Runs `motifattn command arguments... -o OUT` in `folder` and checks an error: status 1, one line on
    /// standard error starting `motifattn command:` and holding every string of `mentions`, no OUT, no temporaries.
    private func expectError(_ command: String, _ arguments: [String], in folder: URL, mentions: [String],
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let out = folder.appendingPathComponent("out.txt")
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        let result = try CLIRunner.motifattn([command] + arguments + ["-o", out.path])
        XCTAssertEqual(result.status, 1, result.stderr, file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "not one line: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("motifattn \(command): "), result.stderr, file: file, line: line)
        for mention in mentions {
            XCTAssertTrue(result.stderr.contains(mention), "'\(mention)' not in: \(result.stderr)", file: file, line: line)
        }
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        // Only index files faidx may have built are new; no output, no temporary.
        let added = after.subtracting(before).filter { !$0.hasSuffix(".fai") && !$0.hasSuffix(".gzi") }
        XCTAssertEqual(added, [], "left behind", file: file, line: line)
    }

    private func windows(_ arguments: [String]) throws -> CLIRunner.Result {
        try CLIRunner.motifattn(["windows"] + arguments)
    }

    func testDamagedAndUnreadableInputs() throws {
        let folder = try stage(["truncated.fa.gz", "truncated_bgzf.fa.gz", "corrupt_block_bgzf.fa.gz", "empty.fa",
                                "binary_garbage.bin", "no_header.fa", "truncated.bam"])
        for (name, words) in [("truncated.fa.gz", ["damaged or truncated"]), ("truncated_bgzf.fa.gz", ["damaged or truncated"]),
                              ("corrupt_block_bgzf.fa.gz", ["damaged or truncated"]), ("empty.fa", ["no sequences"]),
                              ("binary_garbage.bin", ["not a FASTA, SAM, BAM or CRAM file"]),
                              ("no_header.fa", ["not a FASTA"]), ("truncated.bam", ["damaged or truncated"])] {
            try expectError("windows", [folder.appendingPathComponent(name).path], in: folder, mentions: [name] + words)
        }
        try expectError("windows", [folder.appendingPathComponent("absent.fa").path], in: folder, mentions: ["absent.fa", "cannot open"])
    }

    func testIndexesThatDoNotFitTheirFasta() throws {
        let folder = try stage(["stale_index.fa", "stale_index.fa.fai", "duplicate_names.fa"])
        try expectError("windows", [folder.appendingPathComponent("stale_index.fa").path, "--region", "lambda:1-100"],
                        in: folder, mentions: ["stale_index.fa.fai", "stale or mismatched", "samtools faidx"])
        try expectError("windows", [folder.appendingPathComponent("duplicate_names.fa").path, "--region", "chrA:1-5", "--window", "5"],
                        in: folder, mentions: ["duplicate_names.fa", "more than one record is named 'chrA'"])
        // Read whole, without regions, both records are windows.
        let whole = try windows([folder.appendingPathComponent("duplicate_names.fa").path, "--window", "8", "--format", "bed"])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertEqual(whole.stdout.split(separator: "\n").map { $0.split(separator: "\t")[0] }, ["chrA", "chrA"])
    }

    func testBEDProblemsNameTheFileAndLine() throws {
        let folder = try stage(["good_small.fa", "end_before_start.bed", "negative_start.bed", "unknown_contig.bed", "malformed.bed", "past_end.bed"])
        let genome = folder.appendingPathComponent("good_small.fa").path
        for (bed, words) in [("end_before_start.bed", ["line 1", "before start"]), ("negative_start.bed", ["line 1", "negative start"]),
                             ("unknown_contig.bed", ["unknown_contig.bed line 1", "chrNope"]), ("malformed.bed", ["line 3", "'ten'"])] {
            try expectError("windows", [genome, "--regions", folder.appendingPathComponent(bed).path], in: folder, mentions: [bed] + words)
        }
        // Past the end: accepted, with a warning, as samtools.
        let past = try windows([genome, "--regions", folder.appendingPathComponent("past_end.bed").path])
        XCTAssertEqual(past.status, 0, past.stderr)
        XCTAssertTrue(past.stderr.contains("past_end.bed line 1") && past.stderr.contains("starts past the end"), past.stderr)
    }

    func testAcceptedOddities() throws {
        let folder = try stage(["crlf.fa", "good_small.fa", "non_utf8_header.fa", "zero_length_record.fa", "no_index.bam"])
        // CRLF: the same windows as the LF file.
        let crlf = try windows([folder.appendingPathComponent("crlf.fa").path])
        let lf = try windows([folder.appendingPathComponent("good_small.fa").path])
        XCTAssertEqual(crlf.status, 0, crlf.stderr)
        XCTAssertEqual(crlf.stdout, lf.stdout)
        XCTAssertFalse(crlf.stdout.contains("\r"))
        // Non-UTF-8 bytes in a header: read, the name kept up to the first space.
        let latin = try windows([folder.appendingPathComponent("non_utf8_header.fa").path, "--window", "12", "--format", "bed"])
        XCTAssertEqual(latin.status, 0, latin.stderr)
        XCTAssertTrue(latin.stdout.hasSuffix("\t0\t12\tseq\u{FFFD}\u{FFFD}:0-12(+)\t0\t+\n"), latin.stdout)
        // A record without bases: a warning naming it, no window; the next record is read.
        let empty = try windows([folder.appendingPathComponent("zero_length_record.fa").path, "--window", "10", "--format", "bed"])
        XCTAssertEqual(empty.status, 0, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("record 'empty' has no bases"), empty.stderr)
        XCTAssertEqual(empty.stdout, "next\t0\t10\tnext:0-10(+)\t0\t+\n")
        // A record without bases between two others does not make the index look stale to region access.
        let between = folder.appendingPathComponent("empty_between.fa")
        try ">a\nACGTACGTAC\n>empty\n>b\nTTGGCCAATT\n".write(to: between, atomically: true, encoding: .utf8)
        let region = try windows([between.path, "--region", "b:1-5", "--window", "5"])
        XCTAssertEqual(region.status, 0, region.stderr)
        XCTAssertEqual(region.stdout, ">b:0-5(+)\nTTGGC\n")
        // A BAM without its index: read whole, but regions are an error that says how to index it.
        let bam = folder.appendingPathComponent("no_index.bam").path
        let whole = try windows([bam, "--format", "bed"])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertGreaterThan(whole.stdout.split(separator: "\n").count, 100)
        try expectError("windows", [bam, "--region", "NC_045512.2:1-100"], in: folder, mentions: ["no_index.bam", "samtools index"])
    }

    func testAHundredMegabaseLine() throws {
        // One record on a single 100 Mb line (made here, not committed): streamed like any other.
        let folder = try CLIRunner.folder(for: self)
        let path = folder.appendingPathComponent("long_line.fa")
        var text = Data(">one_line\n".utf8)
        text.append(Data(String(repeating: "ACGTTGCA", count: 12_500_000).utf8))
        text.append(10)
        try text.write(to: path)
        let result = try windows([path.path, "--window", "1000000", "--format", "bed"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 100)
        XCTAssertEqual(lines.last.map(String.init), "one_line\t99000000\t100000000\tone_line:99000000-100000000(+)\t0\t+")
    }

    func testDamagedModels() throws {
        let models = ["wrong_shape", "wrong_dtype", "missing_tensor", "nan_weights", "unknown_config_key", "no_config",
                      "offsets_out_of_range", "overlapping_offsets", "huge_header_length", "truncated"].map { "\($0).safetensors" }
        let folder = try stage(models + ["good_small.fa"])
        let mentions: [String: [String]] = [
            "wrong_shape.safetensors": ["head.weight", "shape"], "wrong_dtype.safetensors": ["head.bias", "F64"],
            "missing_tensor.safetensors": ["encoder.norm.weight", "missing"], "nan_weights.safetensors": ["head.weight", "non-finite"],
            "unknown_config_key.safetensors": ["rotary"], "no_config.safetensors": ["no motifattn config"],
            "offsets_out_of_range.safetensors": ["head.bias", "offsets"], "overlapping_offsets.safetensors": ["head.weight", "overlap"],
            "huge_header_length.safetensors": ["header length"], "truncated.safetensors": ["truncated.safetensors"],
        ]
        for model in models {
            try expectError("score", ["--model", folder.appendingPathComponent(model).path,
                                      folder.appendingPathComponent("good_small.fa").path, "--window", "100"],
                            in: folder, mentions: [model] + mentions[model]!)
        }
    }

    /// A missing input is named with the system's reason on one line, whatever reads it first (the run record's
    /// checksum, a FASTA reader, the model loader), never as a Foundation error dump.
    func testAMissingInputIsNamedWithTheSystemsReason() throws {
        let folder = try CLIRunner.folder(for: self)
        let absent = folder.appendingPathComponent("absent.fa").path
        let model = TestPaths.repositoryRoot.appendingPathComponent("Reference/model/default.safetensors").path
        let runs: [(String, [String])] = [
            ("analyze", ["analyze", absent, "--out", folder.appendingPathComponent("analyze").path]),
            ("scan", ["scan", absent, "--out", folder.appendingPathComponent("scan").path]),
            ("train", ["train", "--train", absent, "-o", folder.appendingPathComponent("m.safetensors").path]),
            ("score", ["score", "--model", model, absent, "-o", folder.appendingPathComponent("s.tsv").path]),
        ]
        for (command, arguments) in runs {
            let result = try CLIRunner.motifattn(arguments)
            XCTAssertEqual(result.status, 1, "\(command): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(command): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("motifattn \(command): "), result.stderr)
            XCTAssertTrue(result.stderr.contains("absent.fa"), result.stderr)
            XCTAssertFalse(result.stderr.contains("Domain="), result.stderr)
            XCTAssertTrue(result.stderr.contains("No such file or directory") || result.stderr.contains("cannot open"), result.stderr)
        }
    }
}
