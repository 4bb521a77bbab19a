import XCTest
import MotifAttnIO
import MotifAttnCore
@testable import MotifAttnAnalysis

final class MotifComparisonTests: XCTestCase {
    nonisolated(unsafe) static let comparator = MotifComparator(targets: TestData.jaspar.motifs)

    func testColumnCorrelationIsPearson() {
        // numpy.corrcoef([0.7,0.1,0.1,0.1],[0.4,0.3,0.2,0.1])[0,1] = 0.7745966692414834
        XCTAssertEqual(MotifComparator.columnCorrelation([0.7, 0.1, 0.1, 0.1], [0.4, 0.3, 0.2, 0.1]), 0.7745966692414834, accuracy: 1e-12)
        XCTAssertEqual(MotifComparator.columnCorrelation([0.25, 0.25, 0.25, 0.25], [0.4, 0.3, 0.2, 0.1]), 0)
    }

    func testEveryJASPARMotifMatchesItselfAtOffsetZeroWithTheSmallestP() {
        let database = TestData.jaspar.motifs
        var failures: [String] = []
        for (index, motif) in database.enumerated() {
            let matches = Self.comparator.compare(motif)
            guard let own = matches.first(where: { $0.targetIndex == index }) else { failures.append("\(motif.id): no self match"); continue }
            let smallest = matches[0].pValue
            // A perfect match of 7 or fewer positions cannot reach q ≤ 0.05 among 1,019 targets
            // (p ≈ 1e-4 after the offset correction), so significance is asked of wider motifs only.
            if own.offset != 0 || own.overlap != motif.width || own.pValue > smallest || (motif.width >= 8 && own.qValue > 0.05) {
                failures.append("\(motif.id): offset \(own.offset) overlap \(own.overlap) p \(own.pValue) best \(matches[0].targetID) p \(smallest)")
            }
        }
        XCTAssertEqual(failures, [], "\(failures.count) motifs fail")
    }

    func testReverseComplementMatchesInMinusOrientation() throws {
        let database = TestData.jaspar.motifs
        for id in ["MA0002.3", "MA0766.3", "MA0136.4", "MA0651.3"] {
            let index = try XCTUnwrap(database.firstIndex { $0.id.hasPrefix(id.prefix(6)) })
            var query = database[index].reverseComplement
            query.id = "rc"
            let best = try XCTUnwrap(Self.comparator.compare(query).first { $0.targetIndex == index })
            XCTAssertEqual(best.orientation, .minus, database[index].id)
            XCTAssertEqual(best.offset, 0)
            XCTAssertLessThan(best.qValue, 0.05)
            XCTAssertEqual(best.targetConsensus, query.consensus)
        }
    }

    func testTruncatedNoisyMotifStillMatchesItsSource() throws {
        var generator = TestData.Generator(seed: 5)
        let database = TestData.jaspar.motifs
        let sources = database.indices.filter { database[$0].width >= 12 }.prefix(40)
        var hits = 0
        for index in sources {
            let source = database[index]
            // Drop two positions at the left end and one at the right, then mix each column with 20 % noise.
            let kept = source.probabilities[2..<(source.width - 1)].map { column -> [Double] in
                let noise = (0..<4).map { _ in Double(generator.next() % 1000) / 1000 }
                let total = noise.reduce(0, +)
                return zip(column, noise).map { 0.8 * $0 + 0.2 * $1 / total }
            }
            let query = Motif(id: "noisy", probabilities: Array(kept))
            let matches = Self.comparator.compare(query)
            let own = try XCTUnwrap(matches.first { $0.targetIndex == index })
            XCTAssertEqual(own.offset, 2, source.id)
            XCTAssertEqual(own.orientation, .plus, source.id)
            XCTAssertLessThan(own.qValue, 0.05, source.id)
            if matches.prefix(3).contains(where: { $0.targetIndex == index }) { hits += 1 }
        }
        // Near-duplicate matrices (versions, family members) can outrank the source, but rarely.
        XCTAssertGreaterThanOrEqual(hits, sources.count * 9 / 10)
    }

    func testUnrelatedRandomMotifsAreNotSignificant() {
        var generator = TestData.Generator(seed: 9)
        var significant = 0
        for n in 0..<20 {
            let columns = (0..<10).map { _ -> [Double] in
                let raw = (0..<4).map { _ in Double(generator.next() % 1000) + 1 }
                let total = raw.reduce(0, +)
                return raw.map { $0 / total }
            }
            let matches = Self.comparator.compare(Motif(id: "random\(n)", probabilities: columns))
            if let first = matches.first, first.qValue <= 0.05 { significant += 1 }
        }
        XCTAssertLessThanOrEqual(significant, 2)
    }
}

/// A motif database of 10^5 matrices (docs/analysis.md, "Limits"): read, annotated and searched in time and
/// memory linear in its size. The JASPAR matrices are mixed into 10^5 − 1,019 random ones; each JASPAR query must
/// still find itself first, and a random one must be found too.
final class LargeMotifDatabaseTests: XCTestCase {
    func testHundredThousandMotifs() throws {
        let jaspar = TestData.jaspar.motifs
        var generator = SeededGenerator(seed: 17)
        var motifs: [Motif] = []
        motifs.reserveCapacity(100_000)
        for n in 0..<(100_000 - jaspar.count) {
            let width = Int.random(in: 6...20, using: &generator)
            let rows: [[Double]] = (0..<width).map { _ in
                let raw = (0..<4).map { _ in Double.random(in: 0.01...1, using: &generator) }
                let total = raw.reduce(0, +)
                return raw.map { ($0 / total * 1e6).rounded() / 1e6 }
            }
            motifs.append(Motif(id: "RND\(n)", name: "random\(n)", probabilities: rows))
        }
        // JASPAR's matrices sit in the middle, so nothing depends on being first.
        motifs.insert(contentsOf: jaspar, at: 50_000)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-large-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let memePath = folder.appendingPathComponent("large.meme").path
        try MEMEFormat.write(MotifDatabase(motifs: motifs), to: memePath)
        var table = "matrix_id\tname\ttf_class\ttf_family\n"
        for motif in motifs { table += "\(motif.id)\t\(motif.name)\tclass\tfamily \(motif.id.hasPrefix("RND") ? "r" : "j")\n" }
        let tablePath = folder.appendingPathComponent("large.tsv").path
        try table.write(toFile: tablePath, atomically: false, encoding: .utf8)

        let database = try MEMEFormat.read(path: memePath)
        XCTAssertEqual(database.motifs.count, 100_000)
        XCTAssertEqual(database.motifs[50_000].id, jaspar[0].id)
        let annotations = try MotifAnnotations.readJASPAR(path: tablePath)
        XCTAssertEqual(annotations.byID.count, 100_000)

        let comparator = MotifComparator(targets: database.motifs)
        for query in [jaspar[0], jaspar[500], database.motifs[99_999]] {
            let matches = comparator.compare(query)
            XCTAssertEqual(matches.count, 100_000)
            XCTAssertEqual(matches.first?.targetID, query.id, "\(query.id) did not find itself first")
            XCTAssertEqual(matches.first?.offset, 0)
        }
    }
}
