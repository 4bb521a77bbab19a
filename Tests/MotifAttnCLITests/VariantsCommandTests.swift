import Foundation
import XCTest
import MotifAttn
import MotifAttnBenchmarking
import _TestSupport

/// `motifattn variants` run as a process on the demo genome and the bundled model: planted-site truth,
/// ONNX Runtime logits on windows cut by an independent script, VCF against BCF, and the data errors.
final class VariantsCommandTests: XCTestCase {
    private static let root = TestPaths.repositoryRoot
    private static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    private static let model = path("Reference/model/default.safetensors")
    private static let genome = path("Reference/demo/genome.fa.gz")
    private static let ortVCF = path("Tests/Fixtures/variants/ort.vcf")

    private func variants(_ vcf: String, out: URL, _ extra: [String] = []) throws -> CLIRunner.Result {
        try CLIRunner.motifattn(["variants", "--model", Self.model, "--genome", Self.genome, "--vcf", vcf, "--out", out.path, "--quiet"] + extra)
    }

    /// `variants.tsv` rows (after the provenance line) as fields by column name.
    private func table(_ folder: URL) throws -> [[String: String]] {
        let lines = try CLIRunner.contentLines(folder.appendingPathComponent("variants.tsv")).filter { !$0.isEmpty }
        let header = lines[0].split(separator: "\t").map(String.init)
        return lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
    }

    private func counts(_ folder: URL) throws -> [String: Int] {
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("run.json"))) as! [String: Any]
        return run["counts"] as! [String: Int]
    }

    /// The demo genome's header and `rows` (`chrom pos id ref alt`, POS 1-based) as a VCF.
    private func writeVCF(_ rows: [[String]], to url: URL, contigs: Bool = true) throws {
        var text = "##fileformat=VCFv4.2\n"
        if contigs {
            for (name, length) in try GenomeIndex.contigs(of: Self.genome) { text += "##contig=<ID=\(name),length=\(length)>\n" }
        }
        text += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        for row in rows { text += row.joined(separator: "\t") + "\t.\t.\t.\n" }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    private func tool(_ name: String) throws -> URL {
        for folder in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
            return URL(fileURLWithPath: "\(folder)/\(name)")
        }
        throw XCTSkip("\(name) is not installed")
    }

    /// SNVs at the most informative base of every `every`-th planted pair site (up to `limit`, in file order), each
    /// turned into the base the planted motif likes least; the planted motif of each (by VCF ID); and every planted base.
    private func plantedPairSiteSNVs(every: Int, limit: Int) throws -> (rows: [[String]], plantedMotif: [String: String], covered: Set<String>) {
        let genome = try ReferenceSequence(path: Self.genome)
        let motifs = try MEMEFormat.read(path: Self.path("Reference/jaspar/jaspar_core_vertebrates.meme"))
        let sitesFile = try TextLineReader(path: Self.path("Reference/demo/genome_sites.tsv.gz"))
        var sites: [[String]] = []
        while let line = try sitesFile.next() { sites.append(line.split(separator: "\t").map(String.init)) }
        let planted = sites.dropFirst()
        var covered = Set<String>()
        for s in planted { for p in Int(s[1])!..<Int(s[2])! { covered.insert("\(s[0]):\(p)") } }
        var rows: [[String]] = []
        var plantedMotif: [String: String] = [:]
        for (i, s) in planted.filter({ $0[6].hasPrefix("pair") }).enumerated() where i % every == 0 && rows.count < limit {
            let start = Int(s[1])!, end = Int(s[2])!, plus = s[3] == "+"
            let motif = motifs.motif(id: s[4])!
            let column = (0..<motif.width).max { Motif.columnInformation(motif.probabilities[$0]) < Motif.columnInformation(motif.probabilities[$1]) }!
            let position = plus ? start + column : end - 1 - column
            let probabilities = motif.probabilities[column]
            var least = (0..<4).min { probabilities[$0] < probabilities[$1] }!
            if !plus { least = 3 - least }
            let ref = try genome.bases(contig: s[0], start: position, end: position + 1)
            let alt = Nucleotides.letters[least]
            guard ref[0] != alt else { continue }
            let id = "site\(rows.count)"
            plantedMotif[id] = s[4]
            rows.append([s[0], "\(position + 1)", id, String(decoding: ref, as: UTF8.self), String(decoding: [alt], as: UTF8.self)])
        }
        return (rows, plantedMotif, covered)
    }

    /// One random SNV in each of `count` peaks (every 33rd), away from every planted base (a fixed linear
    /// congruential sequence).
    private func randomPeakSNVs(count: Int, avoiding covered: Set<String>) throws -> [[String]] {
        let genome = try ReferenceSequence(path: Self.genome)
        let peaks = try String(contentsOfFile: Self.path("Reference/demo/peaks.bed"), encoding: .utf8).split(separator: "\n")
        var state: UInt64 = 20261204
        func nextRandom(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        var rows: [[String]] = []
        for k in 0..<count {
            let f = peaks[k * 33].split(separator: "\t")
            let contig = String(f[0]), start = Int(f[1])!, end = Int(f[2])!
            var position = start + nextRandom(end - start)
            while covered.contains("\(contig):\(position)") { position = start + nextRandom(end - start) }
            let ref = try genome.bases(contig: contig, start: position, end: position + 1)[0]
            let choices = Nucleotides.letters.filter { $0 != ref }
            rows.append([contig, "\(position + 1)", "random\(k)", String(decoding: [ref], as: UTF8.self),
                         String(decoding: [choices[nextRandom(3)]], as: UTF8.self)])
        }
        return rows
    }

    /// SNVs at the most informative base of planted pair sites (turned into the base the motif likes least) change
    /// the model's score more than random SNVs inside peaks (AUROC of |delta_logit| ≥ 0.9), and motif_broken names
    /// the planted motif's TF family for most of them. Truth: simulate.py's genome_sites.tsv.gz and peaks.bed.
    func testSNVsBreakingPlantedPairSitesOutrankRandomSNVsInPeaks() throws {
        let folder = try CLIRunner.folder(for: self)
        let families = try TruthEvaluation.families(fromJasparTSV: Self.path("Reference/jaspar/jaspar_core_vertebrates.tsv"))
        // Every 66th pair site (up to 60 of 4,000), and one random SNV in each of 60 peaks.
        let planted = try plantedPairSiteSNVs(every: 66, limit: 60)
        let plantedMotif = planted.plantedMotif
        let rows = planted.rows + (try randomPeakSNVs(count: 60, avoiding: planted.covered))
        XCTAssertGreaterThanOrEqual(rows.filter { $0[2].hasPrefix("site") }.count, 50)
        let vcf = folder.appendingPathComponent("truth.vcf")
        try writeVCF(rows, to: vcf)
        let out = folder.appendingPathComponent("out")
        let result = try variants(vcf.path, out: out, ["--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let table = try table(out)
        XCTAssertEqual(table.count, rows.count)
        let site = table.filter { $0["id"]!.hasPrefix("site") }.map { abs(Double($0["delta_logit"]!)!) }
        let random = table.filter { $0["id"]!.hasPrefix("random") }.map { abs(Double($0["delta_logit"]!)!) }
        var wins = 0.0
        for a in site { for b in random { wins += a > b ? 1 : (a == b ? 0.5 : 0) } }
        let auroc = wins / Double(site.count * random.count)
        XCTAssertGreaterThanOrEqual(auroc, 0.9, "AUROC of |delta_logit|, planted-site SNVs against random SNVs in peaks")
        let named = table.filter { $0["id"]!.hasPrefix("site") }.filter { row in
            let plantedFamilies = Set(families[plantedMotif[row["id"]!]!]!.split(separator: ";"))
            return !plantedFamilies.isDisjoint(with: row["motif_broken_family"]!.split(separator: ";"))
        }
        XCTAssertGreaterThan(Double(named.count) / Double(site.count), 0.5, "site SNVs whose motif_broken is of the planted family")
        // Sorted by |delta_logit|, largest first.
        let magnitudes = table.map { abs(Double($0["delta_logit"]!)!) }
        XCTAssertEqual(magnitudes, magnitudes.sorted(by: >))
        print("variants truth: AUROC \(auroc), planted family named for \(named.count) of \(site.count) site SNVs")
    }

    /// With --scan (the committed reference scan of the demo): an SNV that breaks a planted pair site is tied to the
    /// reported pair whose look-alike class holds the planted motif (truth: simulate.py's sites and pairs), its site is
    /// flagged broken, and the co-attention of the two sites at the pair's head falls; random SNVs in peaks rarely
    /// touch a pair site. The INFO field MA_PAIR carries the pair. A folder without the scan's tables is an error.
    func testScanFolderTiesSiteBreakingVariantsToTheReportedPair() throws {
        let folder = try CLIRunner.folder(for: self)
        let planted = try plantedPairSiteSNVs(every: 50, limit: 60)
        let rows = planted.rows + (try randomPeakSNVs(count: 60, avoiding: planted.covered))
        let vcf = folder.appendingPathComponent("pairs.vcf")
        try writeVCF(rows, to: vcf)
        let scan = Self.path("Results/reference-run")
        let findings = try ScanFindings.read(folder: scan)
        XCTAssertGreaterThanOrEqual(findings.pairs.count, 3)
        let out = folder.appendingPathComponent("out")
        let result = try variants(vcf.path, out: out, ["--scan", scan, "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let table = try table(out)
        let sites = table.filter { $0["id"]!.hasPrefix("site") }, random = table.filter { $0["id"]!.hasPrefix("random") }
        // The reported pairs whose classes hold the planted motif.
        func expectedPairs(_ row: [String: String]) -> Set<String> {
            let motif = planted.plantedMotif[row["id"]!]!
            return Set(findings.pairs.filter { $0.membersA.contains(motif) || $0.membersB.contains(motif) }.map(\.label))
        }
        let tied = sites.filter { expectedPairs($0).contains($0["pair"]!) }
        let broken = tied.filter { $0["pair_site_broken"] == "yes" }
        let changes = broken.map { Double($0["pair_coattention_change"]!)! }
        let meanChange = changes.reduce(0, +) / Double(max(1, changes.count))
        let randomTied = random.filter { $0["pair"] != "." }
        print("variants --scan: \(tied.count) of \(sites.count) planted pair-site SNVs tied to their pair, \(broken.count) broken, "
              + "mean co-attention change \(meanChange); random SNVs on a pair site: \(randomTied.count) of \(random.count)")
        XCTAssertGreaterThan(Double(tied.count) / Double(sites.count), 0.6, "planted pair-site SNVs tied to the reported pair")
        XCTAssertGreaterThan(Double(broken.count) / Double(tied.count), 0.6, "of those, the site flagged broken")
        XCTAssertLessThan(Double(randomTied.count) / Double(random.count), 0.3, "random SNVs in peaks on a pair site")
        XCTAssertLessThan(meanChange, 0, "breaking one site lowers the co-attention of the pair at its head")
        XCTAssertTrue(table.allSatisfy { $0["pair"] == "." ? $0["pair_coattention_change"] == "." : Double($0["pair_coattention_change"]!) != nil })
        let records = try CLIRunner.execute(URL(fileURLWithPath: "/bin/bash"), ["-c", "gzip -dc '\(out.path)/variants.vcf.gz' | grep -v '^#'"])
        XCTAssertTrue(records.stdout.contains("MA_PAIR=-"), "a broken pair site is marked in the VCF")
        let counts = try counts(out)
        XCTAssertEqual(counts["alleles_breaking_pair_sites"], table.filter { $0["pair_site_broken"] == "yes" }.count)

        let empty = folder.appendingPathComponent("not-a-scan")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let failed = try variants(vcf.path, out: folder.appendingPathComponent("out2"), ["--scan", empty.path])
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stderr.contains("\(empty.path)/interactions.tsv: not found"), failed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out2").path))
    }

    /// --ism of the demo's first peak (200 bases, three planted sites): the bases the model depends on most are the
    /// planted ones (truth: simulate.py's sites), each change equals the same SNV scored from a VCF, and the report
    /// carries the plot. A region over 2 kb is a usage error.
    func testSaturationMutagenesisFindsThePlantedSitesAndAgreesWithSNVs() throws {
        let folder = try CLIRunner.folder(for: self)
        let out = folder.appendingPathComponent("ism")
        let snvs = folder.appendingPathComponent("snvs.vcf")
        let genome = try ReferenceSequence(path: Self.genome)
        let bases = try genome.bases(contig: "chr1", start: 1378, end: 1578)
        // Three SNVs of the region as a VCF: inside the ZBED4 site, inside TAL1::TCF3, and between sites.
        let picks = [1405, 1466, 1500].map { position -> [String] in
            let ref = bases[position - 1378]
            let alt = Nucleotides.letters.first { $0 != ref }!
            return ["chr1", "\(position + 1)", "p\(position)", String(decoding: [ref], as: UTF8.self), String(decoding: [alt], as: UTF8.self)]
        }
        try writeVCF(picks, to: snvs)
        let result = try variants(snvs.path, out: out, ["--ism", "chr1:1379-1578", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try CLIRunner.contentLines(out.appendingPathComponent("ism.tsv")).filter { !$0.isEmpty }
        XCTAssertEqual(lines.count, 201)
        let header = lines[0].split(separator: "\t").map(String.init)
        let rows = lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(header, line.split(separator: "\t").map(String.init)))
        }
        XCTAssertEqual(rows.map { $0["ref"]! }.joined(), String(decoding: bases, as: UTF8.self).uppercased())
        XCTAssertEqual(rows.first?["start"], "1378")
        let plantedRanges = [1403..<1413, 1462..<1472, 1556..<1568]
        let importance = rows.map { (position: Int($0["start"]!)!, value: Double($0["importance"]!)!) }
        let inside = importance.filter { p in plantedRanges.contains { $0.contains(p.position) } }.map(\.value)
        let outside = importance.filter { p in !plantedRanges.contains { $0.contains(p.position) } }.map(\.value)
        let meanInside = inside.reduce(0, +) / Double(inside.count), meanOutside = outside.reduce(0, +) / Double(outside.count)
        let top = importance.sorted { $0.value > $1.value }.prefix(10)
        let topInside = top.filter { p in plantedRanges.contains { $0.contains(p.position) } }.count
        print("ism: mean importance \(meanInside) in planted bases, \(meanOutside) elsewhere; \(topInside) of the top 10 bases planted")
        XCTAssertGreaterThan(meanInside, 3 * max(meanOutside, 0), "planted bases matter more to the model")
        XCTAssertGreaterThanOrEqual(topInside, 7, "the most important bases are planted ones")
        // Each SNV of the VCF: delta_logit equals the matrix entry for its ALT.
        for row in try table(out) {
            let position = Int(row["pos"]!)! - 1
            let entry = rows.first { Int($0["start"]!)! == position }!
            XCTAssertEqual(Double(row["delta_logit"]!)!, Double(entry[row["alt"]!]!)!, accuracy: 1e-5, row["id"]!)
        }
        let report = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(report.contains("<section id=\"ism\">") && report.contains("<svg") && report.contains("id=\"top-variants\""))
        XCTAssertFalse(report.contains("http://") && !report.contains("http://www.w3.org/2000/svg"), "self-contained")

        // --ism alone: the matrix and the report, no VCF outputs; the same rows as within the larger run.
        let alone = folder.appendingPathComponent("alone")
        let aloneRun = try CLIRunner.motifattn(["variants", "--model", Self.model, "--genome", Self.genome, "--ism", "chr1:1401-1420",
                                                 "--out", alone.path, "--quiet"])
        XCTAssertEqual(aloneRun.status, 0, aloneRun.stderr)
        let aloneLines = try CLIRunner.contentLines(alone.appendingPathComponent("ism.tsv")).filter { !$0.isEmpty }
        // Equal up to float rounding: the windows reach the encoder in other batches.
        XCTAssertEqual(aloneLines.count, 21)
        for (a, b) in zip(aloneLines.dropFirst(), lines[23...42]) {
            let x = a.split(separator: "\t"), y = b.split(separator: "\t")
            XCTAssertEqual(x[0...3], y[0...3])
            for (u, v) in zip(x[4...], y[4...]) { XCTAssertEqual(Double(u)!, Double(v)!, accuracy: 1e-5, a) }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: alone.appendingPathComponent("variants.tsv").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: alone.appendingPathComponent("report.html").path))

        let tooLong = try CLIRunner.motifattn(["variants", "--model", Self.model, "--genome", Self.genome, "--ism", "chr1:1-2001",
                                                "--out", folder.appendingPathComponent("long").path])
        XCTAssertEqual(tooLong.status, 64)
        XCTAssertTrue(tooLong.stderr.contains("at most 2000"), tooLong.stderr)
        let offContig = try CLIRunner.motifattn(["variants", "--model", Self.model, "--genome", Self.genome, "--ism", "chr1:1-100",
                                                  "--out", folder.appendingPathComponent("edge").path])
        XCTAssertEqual(offContig.status, 1)
        XCTAssertTrue(offContig.stderr.contains("would run off chr1"), offContig.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("edge").path))
    }

    /// REF and ALT logits (mean of both strands) and delta_logit equal, within 1e-4, ONNX Runtime's on windows cut by
    /// `make_ort_fixture.py` (SNVs, a multi-allelic record, an MNP, deletions and an insertion); a multi-allelic record
    /// gives one row per ALT; POS stays the VCF's 1-based POS.
    func testLogitsMatchOnnxRuntimeOnWindowsCutByAnIndependentScript() throws {
        let out = try CLIRunner.folder(for: self).appendingPathComponent("out")
        let result = try variants(Self.ortVCF, out: out)
        XCTAssertEqual(result.status, 0, result.stderr)
        let expectedLines = try String(contentsOfFile: Self.path("Tests/Fixtures/variants/ort.expected.tsv"), encoding: .utf8)
            .split(separator: "\n").dropFirst()
        var expected: [String: [Double]] = [:]
        for line in expectedLines {
            let f = line.split(separator: "\t").map(String.init)
            expected[f[0...3].joined(separator: " ")] = f[4...6].map { Double($0)! }
        }
        let table = try table(out)
        XCTAssertEqual(table.count, expected.count)
        XCTAssertEqual(table.filter { $0["id"] == "ma" }.map { $0["alt"]! }.sorted(), ["C", "T"])
        var worst = 0.0
        for row in table {
            let key = [row["chrom"]!, row["pos"]!, row["ref"]!, row["alt"]!].joined(separator: " ")
            guard let peer = expected[key] else { XCTFail("unexpected row \(key)"); continue }
            let mine = ["ref_logit", "alt_logit", "delta_logit"].map { Double(row[$0]!)! }
            for (a, b) in zip(mine, peer) { worst = max(worst, abs(a - b)) }
            let probability = { (z: Double) in 1 / (1 + exp(-z)) }
            XCTAssertEqual(Double(row["delta_probability"]!)!, probability(mine[1]) - probability(mine[0]), accuracy: 2e-6)
        }
        XCTAssertLessThan(worst, 1e-4, "largest logit difference to ONNX Runtime")
        print("variants against ONNX Runtime: largest difference \(worst)")
    }

    /// The same variants as VCF, bgzip VCF and BCF give the same variants.tsv and the same records in variants.vcf.gz
    /// (with MA_DLOGIT, MA_DPROB and MA_MOTIF), whatever --threads; the output VCF is indexed (tabix can query it).
    func testVCFAndBCFGiveIdenticalOutputsAndTheOutputIsIndexed() throws {
        let bcftools = try tool("bcftools"), tabix = try tool("tabix")
        let folder = try CLIRunner.folder(for: self)
        let bcf = folder.appendingPathComponent("ort.bcf").path
        XCTAssertEqual(try CLIRunner.execute(bcftools, ["view", "-Ob", "-o", bcf, Self.ortVCF]).status, 0)
        var tables: [[String]] = [], records: [[String]] = []
        for (name, input, threads) in [("vcf", Self.ortVCF, "1"), ("bcf", bcf, "2")] {
            let out = folder.appendingPathComponent(name)
            let result = try variants(input, out: out, ["--threads", threads])
            XCTAssertEqual(result.status, 0, result.stderr)
            tables.append(try CLIRunner.contentLines(out.appendingPathComponent("variants.tsv")))
            let vcf = out.appendingPathComponent("variants.vcf.gz").path
            XCTAssertTrue(FileManager.default.fileExists(atPath: vcf + ".tbi"))
            let body = try CLIRunner.execute(bcftools, ["view", "-H", vcf])
            XCTAssertEqual(body.status, 0, body.stderr)
            records.append(body.stdout.split(separator: "\n").map(String.init))
            let query = try CLIRunner.execute(tabix, [vcf, "chr4:399000-400010"])
            XCTAssertEqual(query.stdout.split(separator: "\n").map { $0.split(separator: "\t")[2] }, ["del1"])
        }
        XCTAssertEqual(tables[0], tables[1])
        XCTAssertEqual(records[0], records[1])
        XCTAssertEqual(records[0].count, 8)
        let positions = records[0].map { ($0.split(separator: "\t")[0], Int($0.split(separator: "\t")[1])!) }
        XCTAssertEqual(positions.map { "\($0.0)" }, ["chr1", "chr1", "chr1", "chr2", "chr2", "chr3", "chr4", "chr4"], "coordinate-sorted")
        XCTAssertTrue(records[0].allSatisfy { $0.contains("MA_DLOGIT=") && $0.contains("MA_DPROB=") && $0.contains("MA_MOTIF=") })
        XCTAssertTrue(records[0].contains { $0.hasPrefix("chr3\t300000\tma\tA\tC,T") && $0.contains("MA_DLOGIT=") && $0.split(separator: ";")[0].contains(",") })
    }

    /// A REF that differs from the genome stops the run with one line naming the VCF and its line, and nothing is
    /// written; with --skip-mismatch the record is skipped and counted (stderr and run.json).
    func testREFMismatchNamesFileAndLineAndWritesNothingUnlessSkipped() throws {
        let folder = try CLIRunner.folder(for: self)
        var lines = try String(contentsOfFile: Self.ortVCF, encoding: .utf8).split(separator: "\n").map(String.init)
        let index = lines.firstIndex { $0.hasPrefix("chr1\t1409\t") }!
        var fields = lines[index].split(separator: "\t").map(String.init)
        fields[3] = "T"
        fields[4] = "A"
        lines[index] = fields.joined(separator: "\t")
        let vcf = folder.appendingPathComponent("mismatch.vcf")
        try (lines.joined(separator: "\n") + "\n").write(to: vcf, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("out")
        let failed = try variants(vcf.path, out: out)
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stderr.contains("motifattn variants: \(vcf.path): line \(index + 1): REF T at chr1:1409"), failed.stderr)
        XCTAssertEqual(failed.stderr.split(separator: "\n").count, 1, failed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing is written")

        let skipped = try variants(vcf.path, out: out, ["--skip-mismatch"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("1 REF mismatches"), skipped.stderr)
        XCTAssertEqual(try counts(out)["skipped_ref_mismatch"], 1)
        XCTAssertEqual(try table(out).count, 8)
    }

    /// Symbolic and structural alleles (<DEL>, *, a breakend) and indels longer than --max-indel are skipped and
    /// counted while the record's other ALTs are scored; a contig the genome lacks is an error naming the line.
    func testSymbolicAllelesAndLongIndelsAreSkippedAndCountedAndUnknownContigsStop() throws {
        let folder = try CLIRunner.folder(for: self)
        let genome = try ReferenceSequence(path: Self.genome)
        let base = { (p: Int) in String(decoding: try genome.bases(contig: "chr2", start: p - 1, end: p), as: UTF8.self) }
        let long = String(decoding: try genome.bases(contig: "chr2", start: 9999, end: 10_060), as: UTF8.self)
        let snvAlt = try base(20_000) == "A" ? "C" : "A"
        let rows = [
            ["chr2", "5000", "sym", try base(5000), "<DEL>"],
            ["chr2", "10000", "long", long, String(long.prefix(1))],
            ["chr2", "20000", "mixed", try base(20_000), "\(snvAlt),*,\(try base(20_000))]chr3:100]"],
        ]
        let vcf = folder.appendingPathComponent("skips.vcf")
        try writeVCF(rows, to: vcf)
        let out = folder.appendingPathComponent("out")
        let result = try variants(vcf.path, out: out)
        XCTAssertEqual(result.status, 0, result.stderr)
        let counts = try counts(out)
        XCTAssertEqual(counts["skipped_symbolic"], 3)
        XCTAssertEqual(counts["skipped_long_indel"], 1)
        XCTAssertEqual(counts["alleles_scored"], 1)
        XCTAssertEqual(try table(out).map { $0["alt"]! }, [snvAlt])
        XCTAssertTrue(result.stderr.contains("3 symbolic or structural, 1 longer indels"), result.stderr)

        let unknown = folder.appendingPathComponent("unknown.vcf")
        let chr1Base = String(decoding: try genome.bases(contig: "chr1", start: 99, end: 100), as: UTF8.self)
        try writeVCF([["chr1", "100", ".", chr1Base, chr1Base == "A" ? "C" : "A"], ["chrUn", "100", ".", "A", "C"]], to: unknown, contigs: false)
        let failed = try variants(unknown.path, out: folder.appendingPathComponent("out2"))
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stderr.contains("\(unknown.path): line 4: contig 'chrUn' is not in the genome"), failed.stderr)
    }

    /// --region needs an index: on a plain VCF, or a bgzip VCF that is unsorted (tabix refuses to index it) and so
    /// has no index, it is a clear error; on a sorted, indexed VCF only the region's variants are scored.
    func testRegionNeedsAnIndexedVCF() throws {
        let bgzip = try tool("bgzip"), tabix = try tool("tabix"), bcftools = try tool("bcftools")
        let folder = try CLIRunner.folder(for: self)
        let failed = try variants(Self.ortVCF, out: folder.appendingPathComponent("a"), ["--region", "chr1:1-2000"])
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stderr.contains("--region needs a coordinate-sorted, bgzip-compressed and indexed VCF"), failed.stderr)
        let gz = folder.appendingPathComponent("ort.vcf.gz").path
        XCTAssertEqual(try CLIRunner.execute(URL(fileURLWithPath: "/bin/bash"), ["-c", "'\(bgzip.path)' -c '\(Self.ortVCF)' > '\(gz)'"]).status, 0)
        let unindexed = try variants(gz, out: folder.appendingPathComponent("b"), ["--region", "chr1:1-2000"])
        XCTAssertEqual(unindexed.status, 1)
        XCTAssertTrue(unindexed.stderr.contains("no .tbi or .csi index"), unindexed.stderr)
        XCTAssertNotEqual(try CLIRunner.execute(tabix, ["-p", "vcf", gz]).status, 0, "ort.vcf is not sorted")
        XCTAssertTrue(unindexed.stderr.contains("bcftools sort"), unindexed.stderr)
        let sorted = folder.appendingPathComponent("sorted.vcf.gz").path
        XCTAssertEqual(try CLIRunner.execute(bcftools, ["sort", "-Oz", "-o", sorted, Self.ortVCF]).status, 0)
        XCTAssertEqual(try CLIRunner.execute(tabix, ["-p", "vcf", sorted]).status, 0)
        let out = folder.appendingPathComponent("c")
        let result = try variants(sorted, out: out, ["--region", "chr1:1-2000", "--region", "chr4:400000-400001"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try table(out).map { $0["id"]! }.sorted(), ["del1", "s1", "s2"])
    }
}
