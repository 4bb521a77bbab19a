import Foundation
import XCTest
import _TestSupport

/// The Snakemake workflow (`Pipelines/`) run with real Snakemake: a genome scanned in shards
/// (`scan --partial --shard`) and merged (`motifattn merge`) gives the files of one `scan`.
final class WorkflowTests: XCTestCase {
    private static let root = TestPaths.repositoryRoot
    private static let compared = ["scores.tsv", "scores.bedgraph", "head_motifs.tsv", "motifs.meme", "motif_matches.tsv",
                                   "interactions.tsv", "heads.tsv"]

    private func snakemake() throws -> URL {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/local/bin", "/root/.pyenv/shims"]
        for folder in folders {
            let candidate = URL(fileURLWithPath: folder).appendingPathComponent("snakemake")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw XCTSkip("snakemake is not installed (make test installs it with pip)")
    }

    func testShardedWorkflowEqualsOneScan() throws {
        try CLIRunner.skipWholeGenomeScanUnderThreadSanitizer()
        let snakemake = try snakemake()
        let folder = try CLIRunner.folder(for: self)
        let genome = Self.root.appendingPathComponent("Reference/demo/genome.fa.gz").path
        let peaks = Self.root.appendingPathComponent("Reference/demo/peaks.bed").path
        let limits = ["--max-bound", "1000", "--max-background", "1000"]
        let single = try CLIRunner.motifattn(["scan", genome, "--regions", peaks, "--strand", "plus", "--threads", "2", "--quiet",
                                              "--out", folder.appendingPathComponent("single").path] + limits)
        XCTAssertEqual(single.status, 0, single.stderr)

        // Chunks of 300 kb: 11 shards; chr1 (601,715 bases) makes three, one of them 1,715 bases.
        let work = folder.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = snakemake
        process.currentDirectoryURL = work
        process.arguments = [
            "-s", Self.root.appendingPathComponent("Pipelines/workflow/Snakefile").path,
            "--configfile", Self.root.appendingPathComponent("Pipelines/config/config.yaml").path,
            "-j", "2", "--directory", work.path, "--quiet",
            "--config", "genome=\(genome)", "regions=\(peaks)", "motifattn=\(try CLIRunner.binary().path)",
            "outdir=\(folder.appendingPathComponent("sharded").path)", "strand=plus", "chunk_size=300000", "threads=1",
            "scan_extra=\(limits.joined(separator: " "))",
        ]
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        let parts = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("sharded/parts").path)
        XCTAssertEqual(parts.count, 11, "\(parts)")

        for name in Self.compared {
            let one = try CLIRunner.contentLines(folder.appendingPathComponent("single/\(name)"))
            let merged = try CLIRunner.contentLines(folder.appendingPathComponent("sharded/\(name)"))
            XCTAssertEqual(one.count, merged.count, name)
            XCTAssertGreaterThan(one.count, 2, name)
            for (a, b) in zip(one, merged) where a != b {
                // Same rows; numbers may differ by float rounding: sums added in another order, and a window scored
                // in a batch of other lengths (a shard edge) can differ in the last printed digit.
                let x = a.split(separator: "\t", omittingEmptySubsequences: false), y = b.split(separator: "\t", omittingEmptySubsequences: false)
                XCTAssertEqual(x.count, y.count, "\(name): \(a) vs \(b)")
                for (u, v) in zip(x, y) where u != v {
                    guard let p = Double(u), let q = Double(v) else { XCTFail("\(name): \(a) vs \(b)"); break }
                    XCTAssertEqual(p, q, accuracy: 1e-5 * max(1, abs(p)), "\(name): \(a) vs \(b)")
                }
            }
        }
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("sharded/run.json"))) as! [String: Any]
        XCTAssertEqual((run["counts"] as! [String: Int])["parts"], 11)
        try interruptMerges(parts: folder.appendingPathComponent("sharded/parts"), complete: folder.appendingPathComponent("sharded"))
    }

    /// SIGTERM at several moments of `merge`: it exits 143 (or, before its handlers exist, dies of the signal),
    /// leaves no temporary file, and every file it did leave is complete (equal to the uninterrupted merge's).
    private func interruptMerges(parts: URL, complete: URL) throws {
        let partFolders = try FileManager.default.contentsOfDirectory(atPath: parts.path).sorted().map { parts.appendingPathComponent($0).path }
        var interrupted = 0
        for delay in [0.05, 0.2, 0.4, 0.8, 1.5] {
            let out = try CLIRunner.folder(for: self).appendingPathComponent("merged")
            let process = Process()
            process.executableURL = try CLIRunner.binary()
            process.arguments = ["merge"] + partFolders + ["--out", out.path, "--quiet"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            process.terminate()
            process.waitUntilExit()
            let status = process.terminationStatus
            let killedBeforeHandlers = process.terminationReason == .uncaughtSignal && status == SIGTERM
            XCTAssertTrue(status == 143 || status == 0 || killedBeforeHandlers, "merge after \(delay) s: status \(status)")
            if status == 143 || killedBeforeHandlers { interrupted += 1 }
            let left = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
            XCTAssertEqual(left.filter { $0.hasPrefix(".") }, [], "temporary files after SIGTERM at \(delay) s")
            for name in left where Self.compared.contains(name) {
                XCTAssertEqual(try CLIRunner.contentLines(out.appendingPathComponent(name)),
                               try CLIRunner.contentLines(complete.appendingPathComponent(name)), "\(name) after SIGTERM at \(delay) s")
            }
        }
        XCTAssertGreaterThan(interrupted, 0, "no merge was still running when SIGTERM came; the test checked nothing")
    }

    /// The cluster profile (`Pipelines/profiles/slurm`, the SLURM executor plugin from PyPI) plans the workflow:
    /// a dry run needs no cluster, and fails when the profile or the plugin is broken.
    func testSLURMProfileDryRunPlansOneJobPerShardAndTheMerge() throws {
        let snakemake = try snakemake()
        let folder = try CLIRunner.folder(for: self)
        let process = Process()
        process.executableURL = snakemake
        process.currentDirectoryURL = folder
        process.arguments = [
            "-s", Self.root.appendingPathComponent("Pipelines/workflow/Snakefile").path,
            "--configfile", Self.root.appendingPathComponent("Pipelines/config/config.yaml").path,
            "--workflow-profile", Self.root.appendingPathComponent("Pipelines/profiles/slurm").path,
            "--dry-run", "--directory", folder.path,
            "--config", "genome=\(Self.root.appendingPathComponent("Reference/demo/genome.fa.gz").path)",
            "regions=\(Self.root.appendingPathComponent("Reference/demo/peaks.bed").path)", "motifattn=\(try CLIRunner.binary().path)",
            "outdir=\(folder.appendingPathComponent("out").path)", "chunk_size=300000",
        ]
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        // 11 shards of 300 kb (as in the run above), one merge, the profile's SLURM resources on the jobs.
        XCTAssertNotNil(output.range(of: #"scan_shard\s+11\b"#, options: .regularExpression), output)
        XCTAssertNotNil(output.range(of: #"merge\s+1\b"#, options: .regularExpression), output)
        XCTAssertTrue(output.contains("slurm_partition=general"), output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out").path), "a dry run writes nothing")
    }

    func testPartialWithoutRegionsIsRefused() throws {
        let folder = try CLIRunner.folder(for: self)
        let genome = Self.root.appendingPathComponent("Tests/Fixtures/genomes/lambda_virus.fa.gz").path
        let result = try CLIRunner.motifattn(["scan", genome, "--partial", "--quiet", "--out", folder.appendingPathComponent("p").path])
        XCTAssertEqual(result.status, 64, result.stderr)  // a usage error, found before any work
        XCTAssertTrue(result.stderr.contains("--partial needs --regions"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("p").path))
    }

    func testMisalignedShardIsRefused() throws {
        let folder = try CLIRunner.folder(for: self)
        let genome = Self.root.appendingPathComponent("Reference/demo/genome.fa.gz").path
        let peaks = Self.root.appendingPathComponent("Reference/demo/peaks.bed").path
        let result = try CLIRunner.motifattn(["scan", genome, "--regions", peaks, "--partial", "--shard", "chr1:51-1000", "--quiet",
                                              "--out", folder.appendingPathComponent("p").path])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("multiple of --stride"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("p").path))
    }
}
