import Foundation
import XCTest
import _TestSupport

/// The Snakemake workflow (`Pipelines/`) run with real Snakemake: a genome scanned in shards
/// (`scan --partial --shard`) and merged (`motifattn merge`) gives the files of one `scan`.
final class WorkflowTests: XCTestCase {
    private static let root = TestPaths.repositoryRoot
    private static let compared = ["scores.tsv.gz", "scores.bedgraph", "head_motifs.tsv", "motifs.meme", "motif_matches.tsv",
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
        let output = try runWorkflow(in: folder.appendingPathComponent("work"), config: [
            "genome=\(genome)", "regions=\(peaks)", "outdir=\(folder.appendingPathComponent("sharded").path)", "strand=plus",
            "chunk_size=300000", "threads=1", "scan_extra=\(limits.joined(separator: " "))"])
        let parts = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("sharded/parts").path)
        XCTAssertEqual(parts.count, 11, "\(parts) \(output)")
        try assertSameResults(folder.appendingPathComponent("single"), folder.appendingPathComponent("sharded"))
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("sharded/run.json"))) as! [String: Any]
        XCTAssertEqual((run["counts"] as! [String: Int])["parts"], 11)
        try interruptMerges(parts: folder.appendingPathComponent("sharded/parts"), complete: folder.appendingPathComponent("sharded"))
    }

    /// Runs the workflow with real Snakemake (2 jobs at once) in `work` with `config` overrides; fails the test
    /// when it fails. Returns its log.
    @discardableResult
    private func runWorkflow(in work: URL, config: [String], profile: Bool = false, dryRun: Bool = false) throws -> String {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = try snakemake()
        process.currentDirectoryURL = work
        process.arguments = [
            "-s", Self.root.appendingPathComponent("Pipelines/workflow/Snakefile").path,
            "--configfile", Self.root.appendingPathComponent("Pipelines/config/config.yaml").path,
            "--directory", work.path,
        ] + (profile ? ["--workflow-profile", Self.root.appendingPathComponent("Pipelines/profiles/slurm").path] : ["-j", "2"])
          + (dryRun ? ["--dry-run"] : ["--quiet"])
          + ["--config", "motifattn=\(try CLIRunner.binary().path)"] + config
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        return output
    }

    /// The files of a sharded scan equal those of a single scan: the same rows, numbers equal up to float rounding.
    private func assertSameResults(_ single: URL, _ sharded: URL, label: String = "", mayBeEmpty: Set<String> = []) throws {
        for name in Self.compared {
            let one = try CLIRunner.contentLines(single.appendingPathComponent(name))
            let merged = try CLIRunner.contentLines(sharded.appendingPathComponent(name))
            XCTAssertEqual(one.count, merged.count, "\(label) \(name)")
            if !mayBeEmpty.contains(name) { XCTAssertGreaterThan(one.count, 2, "\(label) \(name)") }
            for (a, b) in zip(one, merged) where a != b {
                // Same rows; numbers may differ by float rounding: sums added in another order, and a window scored
                // in a batch of other lengths (a shard edge) can differ in the last printed digit.
                let x = a.split(separator: "\t", omittingEmptySubsequences: false), y = b.split(separator: "\t", omittingEmptySubsequences: false)
                XCTAssertEqual(x.count, y.count, "\(label) \(name): \(a) vs \(b)")
                for (u, v) in zip(x, y) where u != v {
                    guard let p = Double(u), let q = Double(v) else { XCTFail("\(label) \(name): \(a) vs \(b)"); break }
                    XCTAssertEqual(p, q, accuracy: 1e-5 * max(1, abs(p)), "\(label) \(name): \(a) vs \(b)")
                }
            }
        }
        func counts(_ folder: URL) throws -> [String: Int] {
            let run = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("run.json"))) as! [String: Any]
            return run["counts"] as! [String: Int]
        }
        let one = try counts(single), merged = try counts(sharded)
        for key in ["windows_scored", "windows_skipped_for_n", "bound_windows", "background_windows"] {
            XCTAssertEqual(one[key], merged[key], "\(label) run.json \(key)")
        }
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

    /// The cluster profile (`Pipelines/profiles/slurm`, the SLURM executor plugin from PyPI) plans the workflow
    /// in both modes from the same config: a dry run needs no cluster, and fails when the profile or the plugin is broken.
    func testSLURMProfileDryRunPlansOneJobPerShardAndTheMerge() throws {
        _ = try snakemake()
        let folder = try CLIRunner.folder(for: self)
        let genome = "genome=\(Self.root.appendingPathComponent("Reference/demo/genome.fa.gz").path)"
        // 11 shards of 300 kb (as in the run above), one merge, the profile's SLURM resources on the jobs.
        let withRegions = try runWorkflow(in: folder.appendingPathComponent("regions"), config: [
            genome, "regions=\(Self.root.appendingPathComponent("Reference/demo/peaks.bed").path)",
            "outdir=\(folder.appendingPathComponent("out").path)", "chunk_size=300000"], profile: true, dryRun: true)
        XCTAssertNotNil(withRegions.range(of: #"scan_shard\s+11\b"#, options: .regularExpression), withRegions)
        XCTAssertNotNil(withRegions.range(of: #"merge\s+1\b"#, options: .regularExpression), withRegions)
        XCTAssertTrue(withRegions.contains("slurm_partition=general"), withRegions)
        // Without regions: 11 first-phase jobs, one threshold, 11 second-phase jobs, one merge.
        let withoutRegions = try runWorkflow(in: folder.appendingPathComponent("top"), config: [
            genome, "regions=", "outdir=\(folder.appendingPathComponent("out").path)", "chunk_size=300000"], profile: true, dryRun: true)
        for (rule, count) in [("score_shard", 11), ("threshold", 1), ("analyse_shard", 11), ("merge", 1)] {
            XCTAssertNotNil(withoutRegions.range(of: "\(rule)\\s+\(count)\\b", options: .regularExpression), "\(rule): \(withoutRegions)")
        }
        XCTAssertFalse(withoutRegions.contains("scan_shard"), withoutRegions)
        XCTAssertTrue(withoutRegions.contains("slurm_partition=general"), withoutRegions)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out").path), "a dry run writes nothing")
    }

    private static let lambda = root.appendingPathComponent("Tests/Fixtures/genomes/lambda_virus.fa.gz").path
    private static let lambdaName = "gi|9626243|ref|NC_001416.1|"

    /// The lambda genome (48,502 bases, both strands: 970 windows) scanned through the workflow in 1, 3 and 7
    /// shards, without regions (two phases and the threshold step; the top 10 % bound, sampled down to 40)
    /// and with regions (one phase), gives the files of one `motifattn scan`; the merged score table is
    /// bgzip-compressed and its tabix index finds a region's rows.
    func testShardedWorkflowsOfLambdaEqualOneScanWithAndWithoutRegions() throws {
        try CLIRunner.skipWholeGenomeScanUnderThreadSanitizer()
        _ = try snakemake()
        let folder = try CLIRunner.folder(for: self)
        let regions = folder.appendingPathComponent("regions.bed")
        try "\(Self.lambdaName)\t2000\t6000\n\(Self.lambdaName)\t30000\t36000\n".write(to: regions, atomically: true, encoding: .utf8)
        let limits = ["--max-bound", "40", "--max-background", "200", "--bound-fraction", "0.1"]
        for (mode, regionsPath) in [("top", ""), ("regions", regions.path)] {
            let single = folder.appendingPathComponent("single-\(mode)")
            let result = try CLIRunner.motifattn(["scan", Self.lambda, "--threads", "2", "--quiet", "--out", single.path] + limits
                                                 + (regionsPath.isEmpty ? [] : ["--regions", regionsPath]))
            XCTAssertEqual(result.status, 0, result.stderr)
            // Chunks of 60, 16.2 and 7 kb: 1, 3 and 7 shards.
            for (chunk, shards) in [(60_000, 1), (16_200, 3), (7_000, 7)] {
                let out = folder.appendingPathComponent("sharded-\(mode)-\(shards)")
                let log = try runWorkflow(in: folder.appendingPathComponent("work-\(mode)-\(shards)"), config: [
                    "genome=\(Self.lambda)", "regions=\(regionsPath)", "outdir=\(out.path)", "strand=both",
                    "chunk_size=\(chunk)", "threads=1", "scan_extra=\(limits.joined(separator: " "))"])
                let parts = (try? FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("parts").path)) ?? []
                XCTAssertEqual(parts.count, shards, "\(mode) \(parts) \(log)")
                // Lambda has no pair of motifs that co-attend significantly: interactions.tsv may hold its header only.
                try assertSameResults(single, out, label: "\(mode), \(shards) shards", mayBeEmpty: ["interactions.tsv"])
                // The report's score track marks the same bound bins as the single scan's.
                let marks = { (run: URL) throws -> [String] in
                    let page = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
                    guard let track = page.range(of: "<section id=\"track\">") else { return [] }
                    let section = page[track.lowerBound...].prefix { $0 != "§" }.components(separatedBy: "</section>")[0]
                    return section.components(separatedBy: "<rect").dropFirst().filter { $0.contains("#d62839") }
                }
                let singleMarks = try marks(single)
                XCTAssertFalse(singleMarks.isEmpty, "\(mode): the single scan marks bound bins")
                XCTAssertEqual(try marks(out), singleMarks, "\(mode), \(shards) shards: bound bins on the track")
            }
        }
        // The index: tabix reads the rows of 10,001-10,300 (1-based) back, as the whole table holds them.
        let table = folder.appendingPathComponent("sharded-top-7/scores.tsv.gz")
        XCTAssertTrue(FileManager.default.fileExists(atPath: table.path + ".tbi"))
        let tabix = try CLIRunner.execute(URL(fileURLWithPath: "/usr/bin/tabix"), [table.path, "\(Self.lambdaName):10001-10300"])
        XCTAssertEqual(tabix.status, 0, tabix.stderr)
        let expected = try CLIRunner.contentLines(table).dropFirst().filter { line in
            let row = line.split(separator: "\t")
            return row.count == 6 && Int(row[2])! > 10_000 && Int(row[1])! < 10_300
        }
        XCTAssertEqual(tabix.stdout.split(separator: "\n").map(String.init), expected)
        XCTAssertGreaterThan(expected.count, 4)
    }

    /// A sharded scan with analysis settings and a seed away from their defaults: `merge` reads every one back from
    /// the parts (the seed draws the epistasis test's random bases), so its `run.json` records what the single scan's
    /// does and its tables are the single scan's.
    func testMergeReadsBackTheAnalysisSettingsOfItsParts() throws {
        try CLIRunner.skipWholeGenomeScanUnderThreadSanitizer()
        let folder = try CLIRunner.folder(for: self)
        let regions = folder.appendingPathComponent("regions.bed")
        try "\(Self.lambdaName)\t2000\t6000\n\(Self.lambdaName)\t30000\t36000\n".write(to: regions, atomically: true, encoding: .utf8)
        let settings = ["--regions", regions.path, "--strand", "plus", "--max-bound", "40", "--max-background", "200",
                        "--epistasis-min-joint-share", "0.05", "--epistasis-fdr", "tested-pairs", "--echo-site-share", "0.5",
                        "--epistasis-windows", "20", "--co-attention", "raw", "--max-interaction-q", "0.5", "--max-motifs-per-head", "7",
                        "--analysis-setting", "site-p=5e-5", "--seed", "7", "--quiet"]
        let single = folder.appendingPathComponent("single")
        let one = try CLIRunner.motifattn(["scan", Self.lambda, "--out", single.path] + settings)
        XCTAssertEqual(one.status, 0, one.stderr)
        var parts: [String] = []
        for shard in ["1-24000", "24001-48502"] {
            let part = folder.appendingPathComponent("part-\(shard)").path
            let result = try CLIRunner.motifattn(["scan", Self.lambda, "--partial", "--shard", "\(Self.lambdaName):\(shard)", "--out", part] + settings)
            XCTAssertEqual(result.status, 0, result.stderr)
            parts.append(part)
        }
        let merged = folder.appendingPathComponent("merged")
        let merge = try CLIRunner.motifattn(["merge"] + parts + ["--quiet", "--out", merged.path])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        func parameters(_ run: URL) throws -> [String: String] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("run.json"))) as! [String: Any]
            return json["parameters"] as! [String: String]
        }
        let singleParameters = try parameters(single), mergedParameters = try parameters(merged)
        XCTAssertEqual(singleParameters["epistasis_min_joint_share"], "0.05")
        XCTAssertEqual(singleParameters["epistasis_family"], "tested-pairs")
        XCTAssertEqual(singleParameters["head_motifs.site-p"], "5e-05")
        XCTAssertEqual(singleParameters["head_motifs.max-motifs-per-head"], "7")
        XCTAssertEqual(singleParameters["seed"], "7")
        for (name, value) in singleParameters where name != "threads" {
            XCTAssertEqual(mergedParameters[name], value, "run.json parameter \(name)")
        }
        try assertSameResults(single, merged, label: "merged settings", mayBeEmpty: ["interactions.tsv"])
    }

    // MARK: bad input: one line naming the part, exit 1, nothing written

    private func assertRefused(_ arguments: [String], naming part: String, saying detail: String, out: URL,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try CLIRunner.motifattn(arguments + ["--quiet", "--out", out.path])
        XCTAssertEqual(result.status, 1, result.stderr, file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(part), "\(part) not named: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.contains(detail), "expected '\(detail)': \(result.stderr)", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(out.path) written", file: file, line: line)
    }

    /// Phase-1 parts of lambda (plus strand) in shards that overlap or leave a gap, parts of another phase,
    /// model or setting, and a phase 2 given another shard's part or another run's threshold: each refused.
    func testBadShardsAndPartsAreRefused() throws {
        let folder = try CLIRunner.folder(for: self)
        func phaseOne(_ name: String, _ shard: String, _ extra: [String] = []) throws -> String {
            let out = folder.appendingPathComponent(name).path
            let result = try CLIRunner.motifattn(["scan", Self.lambda, "--partial", "--shard", "\(Self.lambdaName):\(shard)",
                                                  "--strand", "plus", "--quiet", "--out", out] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            return out
        }
        let a = try phaseOne("a", "1-20000"), b = try phaseOne("b", "20001-48502")
        let overlapping = try phaseOne("overlapping", "10001-48502"), late = try phaseOne("late", "30001-48502")
        let otherModel = try phaseOne("other-model", "20001-48502",
                                      ["--model", Self.root.appendingPathComponent("Tests/Fixtures/models/sim-seed1-pytorch.safetensors").path])
        let otherSetting = try phaseOne("other-setting", "20001-48502", ["--bound-fraction", "0.2"])
        let out = folder.appendingPathComponent("out")
        try assertRefused(["merge", "--phase", "threshold", a, overlapping], naming: overlapping, saying: "overlaps part \(a)", out: out)
        try assertRefused(["merge", "--phase", "threshold", a, late], naming: late, saying: "gap: no part covers \(Self.lambdaName):20001-30000", out: out)
        try assertRefused(["merge", "--phase", "threshold", b], naming: b, saying: "gap: no part covers \(Self.lambdaName):1-20000", out: out)
        try assertRefused(["merge", "--phase", "threshold", a, otherModel], naming: otherModel, saying: "another model", out: out)
        try assertRefused(["merge", "--phase", "threshold", a, otherSetting], naming: otherSetting, saying: "settings", out: out)
        // A first-phase part where the final merge wants analysed parts.
        try assertRefused(["merge", a, b], naming: a, saying: "first-phase part", out: out)

        // The threshold of a and b, then phase 2 with the wrong part, the wrong settings, or an analysed part.
        let threshold = folder.appendingPathComponent("threshold")
        let made = try CLIRunner.motifattn(["merge", "--phase", "threshold", a, b, "--quiet", "--out", threshold.path])
        XCTAssertEqual(made.status, 0, made.stderr)
        let thresholdFile = threshold.appendingPathComponent("threshold.tsv").path
        func phaseTwo(_ shard: String, scored: String, _ extra: [String] = []) -> [String] {
            ["scan", Self.lambda, "--partial", "--shard", "\(Self.lambdaName):\(shard)", "--strand", "plus",
             "--threshold", thresholdFile, "--scored", scored] + extra
        }
        try assertRefused(phaseTwo("1-20000", scored: b), naming: b, saying: "holds shard", out: out)
        try assertRefused(phaseTwo("20001-48502", scored: otherSetting, ["--bound-fraction", "0.2"]), naming: thresholdFile,
                          saying: "another model, motif database or settings", out: out)
        let analysed = folder.appendingPathComponent("analysed-a").path
        let second = try CLIRunner.motifattn(phaseTwo("1-20000", scored: a) + ["--quiet", "--out", analysed])
        XCTAssertEqual(second.status, 0, second.stderr)
        try assertRefused(phaseTwo("1-20000", scored: analysed), naming: analysed, saying: "not a part for", out: out)
        // Parts analysed with different cut-offs (a threshold file of another run, here one edited by hand).
        let otherThreshold = folder.appendingPathComponent("other-threshold.tsv")
        let text = try String(contentsOfFile: thresholdFile, encoding: .utf8)
        let bound = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("bound_windows\t") })
        try text.replacingOccurrences(of: bound, with: "bound_windows\t\(Int(bound.split(separator: "\t")[1])! + 1)")
            .write(to: otherThreshold, atomically: true, encoding: .utf8)
        let analysedOther = folder.appendingPathComponent("analysed-b-other").path
        var otherArguments = phaseTwo("20001-48502", scored: b) + ["--quiet", "--out", analysedOther]
        otherArguments[otherArguments.firstIndex(of: thresholdFile)!] = otherThreshold.path
        let third = try CLIRunner.motifattn(otherArguments)
        XCTAssertEqual(third.status, 0, third.stderr)
        try assertRefused(["merge", analysed, analysedOther], naming: analysedOther, saying: "another threshold.tsv", out: out)
        try assertRefused(["merge", "--phase", "threshold", analysed, b], naming: analysed, saying: "not a part for the threshold step", out: out)
        // A shard that ends off the stride (and not at the sequence's end).
        try assertRefused(["scan", Self.lambda, "--partial", "--shard", "\(Self.lambdaName):1-20050", "--strand", "plus"],
                          naming: "\(Self.lambdaName):1-20050", saying: "multiple of --stride", out: out)
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
