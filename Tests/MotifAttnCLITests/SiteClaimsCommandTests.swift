import Foundation
import XCTest
import _TestSupport

/// `motifattn site-claims`: who claims each motif's drawn sites.
final class SiteClaimsCommandTests: XCTestCase {
    /// A MEME file of two look-alikes (nearly fixed cores; the last column's leading bases swapped) and an
    /// unrelated motif.
    private var meme: String {
        func rows(_ consensus: String) -> [String] {
            consensus.map { base in "ACGT".map { $0 == base ? "0.97" : "0.01" }.joined(separator: " ") }
        }
        func motif(_ id: String, _ columns: [String]) -> String {
            "MOTIF \(id) \(id.lowercased())\nletter-probability matrix: alength= 4 w= \(columns.count) nsites= 20 E= 0\n"
                + columns.joined(separator: "\n") + "\n\n"
        }
        return "MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n"
            + motif("A", rows("GATAAGCTTGCA") + ["0.58 0.40 0.01 0.01"])
            + motif("B", rows("GATAAGCTTGCA") + ["0.40 0.58 0.01 0.01"])
            + motif("C", rows("CCGCGTACTGTACG"))
    }

    func testRowsCountEachMotifsKeptAndLostSites() throws {
        let folder = try CLIRunner.folder(for: self)
        let motifs = folder.appendingPathComponent("three.meme")
        try meme.write(to: motifs, atomically: true, encoding: .utf8)
        let result = try CLIRunner.motifattn(["site-claims", "--motifs", motifs.path, "--sites", "100", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = result.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.first, ["motif_id", "name", "width", "sites_drawn", "kept_own", "unclaimed", "claimed_by_others"])
        XCTAssertEqual(rows.count, 4)
        let byID = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[0], $0) })
        // Kept + unclaimed + claimed by others = drawn.
        for row in byID.values {
            let others = row[6] == "." ? 0 : row[6].split(separator: ",").reduce(0) { $0 + Int($1.split(separator: ":")[1])! }
            XCTAssertEqual(Int(row[4])! + Int(row[5])! + others, 100, "\(row)")
        }
        let c = try XCTUnwrap(byID["C"]), a = try XCTUnwrap(byID["A"])
        XCTAssertEqual(c[2], "14")
        XCTAssertGreaterThanOrEqual(Int(c[4])!, 90)
        XCTAssertTrue(a[6].hasPrefix("B:"), "A's sites are lost to its look-alike first: \(a)")
        XCTAssertFalse(a[6].contains("C:"))

        // Same seed, other thread count, into a file: the same table.
        let out = folder.appendingPathComponent("claims.tsv")
        let again = try CLIRunner.motifattn(["site-claims", "--motifs", motifs.path, "--sites", "100", "--threads", "1", "--out", out.path])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try String(contentsOf: out, encoding: .utf8), result.stdout)
    }

    func testClassesJoinTheLookAlikesAndLeaveTheUnrelatedMotifAlone() throws {
        let folder = try CLIRunner.folder(for: self)
        let motifs = folder.appendingPathComponent("three.meme")
        try meme.write(to: motifs, atomically: true, encoding: .utf8)
        let result = try CLIRunner.motifattn(["classes", "--motifs", motifs.path, "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let sha = try CLIRunner.execute(URL(fileURLWithPath: "/usr/bin/sha256sum"), [motifs.path]).stdout.prefix(64)
        XCTAssertTrue(lines[0].hasPrefix("##fingerprint=classes-1;sha256=\(sha);instance_p=0.0001;"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("##motifattn version="), lines[1])
        let rows = lines.filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t").map(String.init) }
        XCTAssertEqual(rows.first, ["motif_id", "name", "representative_id", "class_size"])
        let byID = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[0], $0) })
        XCTAssertEqual(byID["A"]?[2], byID["B"]?[2])
        XCTAssertEqual(byID["A"]?[3], "2")
        XCTAssertEqual(byID["C"]?[2], "C")
        XCTAssertEqual(byID["C"]?[3], "1")
    }

    func testAnalyzeMeasuresClassesOnceAndThenReadsTheCompanionFile() throws {
        let folder = try CLIRunner.folder(for: self)
        let motifs = folder.appendingPathComponent("three.meme")
        try meme.write(to: motifs, atomically: true, encoding: .utf8)
        // 300 labelled records of the demo's test set.
        let sequences = folder.appendingPathComponent("some.fa").path
        let test = TestPaths.repositoryRoot.appendingPathComponent("Reference/demo/test.fa.gz").path
        _ = try CLIRunner.execute(URL(fileURLWithPath: "/bin/bash"), ["-c", "gzip -dc '\(test)' | head -600 > '\(sequences)'"])
        func analyze(_ name: String, _ extra: [String] = []) throws -> (CLIRunner.Result, URL) {
            let out = folder.appendingPathComponent(name)
            let result = try CLIRunner.motifattn(["analyze", sequences, "--motifs", motifs.path, "--threads", "2", "--out", out.path] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            return (result, out)
        }
        let (measured, first) = try analyze("measured")
        XCTAssertTrue(measured.stderr.contains("measuring the look-alike classes of 3 motifs (no three.classes.tsv"), measured.stderr)
        let classes = try CLIRunner.motifattn(["classes", "--motifs", motifs.path, "--out", folder.appendingPathComponent("three.classes.tsv").path])
        XCTAssertEqual(classes.status, 0, classes.stderr)
        let (read, second) = try analyze("read")
        XCTAssertFalse(read.stderr.contains("measuring the look-alike classes"), read.stderr)
        let table = { (url: URL) in try CLIRunner.contentLines(url.appendingPathComponent("interactions.tsv")) }
        XCTAssertEqual(try table(second), try table(first))
        XCTAssertTrue(try table(first)[0].contains("\tclass_a\tclass_b\t"))
        // A file made for other thresholds is not used.
        let (other, _) = try analyze("other", ["--instance-p", "5e-5"])
        XCTAssertTrue(other.stderr.contains("measuring the look-alike classes"), other.stderr)
        let (_, none) = try analyze("none", ["--motif-classes", "none", "--quiet"])
        for row in try table(none).dropFirst() where !row.isEmpty {
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false)
            XCTAssertEqual(fields[20], fields[0])
            XCTAssertEqual(fields[21], fields[2])
        }
    }

    func testAMissingDatabaseIsAOneLineDataError() throws {
        let result = try CLIRunner.motifattn(["site-claims", "--motifs", "/nonexistent/motifs.meme"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("motifattn site-claims: "), result.stderr)
        XCTAssertTrue(result.stderr.contains("/nonexistent/motifs.meme"), result.stderr)
        let usage = try CLIRunner.motifattn(["site-claims", "--sites", "0"])
        XCTAssertEqual(usage.status, 64)
    }
}
