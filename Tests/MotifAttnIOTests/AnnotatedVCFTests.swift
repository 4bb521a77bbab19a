import Foundation
import XCTest
import MotifAttnCore
import MotifAttnIO

/// The annotated VCF `variants` writes: sorted, indexed, and all-or-nothing.
final class AnnotatedVCFTests: XCTestCase {
    private func folderWithVCF() throws -> (folder: String, vcf: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("annotated-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let vcf = folder + "/calls.vcf"
        try """
        ##fileformat=VCFv4.2
        ##contig=<ID=chr1,length=1000>
        #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
        chr1\t300\tb\tC\tT\t.\tPASS\t.
        chr1\t100\ta\tA\tG,T\t.\tPASS\t.

        """.write(toFile: vcf, atomically: true, encoding: .utf8)
        return (folder, vcf)
    }

    private func listing(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    func testTheVCFAppearsSortedAndIndexedOnlyOnCommit() throws {
        let (folder, vcf) = try folderWithVCF()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = try VariantFile(path: vcf)
        let records = try input.readAll()
        let pending = try input.writeAnnotated(to: folder + "/out.vcf.gz", fields: [VCFInfoField(id: "MA_X", isFloat: true, description: "x")]) { serial in
            ["MA_X": .floats(records[serial].alts.map { _ in Float(serial) + 0.5 })]
        }
        XCTAssertEqual(try listing(folder).filter { !$0.hasPrefix(".") }, ["calls.vcf"], "nothing under a final name before commit")
        try pending.commit()
        XCTAssertEqual(try listing(folder), ["calls.vcf", "out.vcf.gz", "out.vcf.gz.tbi"])
        let written = try VariantFile(path: folder + "/out.vcf.gz", regions: [Region(contig: "chr1", start: 0, end: 1000)]).readAll()
        XCTAssertEqual(written.map(\.position), records.map(\.position).sorted())
    }

    /// SIGINT and SIGTERM remove every registered temporary file before exiting (`TemporaryFileRegistry`):
    /// the annotated VCF and its index are registered from the start, so nothing of them is left.
    func testAnInterruptedWriteLeavesNoFile() throws {
        let (folder, vcf) = try folderWithVCF()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = try VariantFile(path: vcf)
        _ = try input.readAll()
        let pending = try input.writeAnnotated(to: folder + "/out.vcf.gz", fields: []) { _ in nil }
        XCTAssertEqual(try listing(folder).filter { $0.hasPrefix(".") }.count, 2, "the temporary VCF and its index")
        TemporaryFileRegistry.shared.removeAll()  // what the signal handler does before it exits
        XCTAssertEqual(try listing(folder), ["calls.vcf"])
        XCTAssertThrowsError(try pending.commit())
        XCTAssertEqual(try listing(folder), ["calls.vcf"])
    }
}
