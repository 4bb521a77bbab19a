import XCTest
import MotifAttn
import _TestSupport

/// The first example of docs/library.md, run as written (on the bundled lambda genome and default model).
final class LibraryExampleTests: XCTestCase {
    func testScoringAndAttentionOnBasesExample() throws {
        let root = TestPaths.repositoryRoot
        let model = try AttentionModel(contentsOf: root.appendingPathComponent("Reference/model/default.safetensors").path)
        let tokenizer = try KmerTokenizer(k: model.config.tokenizer.k)
        let genome = root.appendingPathComponent("Tests/Fixtures/genomes/lambda_virus.fa.gz").path
        let reader = try WindowReader(path: genome, regions: [Region(contig: "gi|9626243|ref|NC_001416.1|", start: 1_000, end: 2_000)],
                                      options: WindowOptions(window: 200, stride: 100))
        var windows: [[UInt8]] = []
        while let window = try reader.next() { windows.append(window.bases) }
        XCTAssertEqual(windows.count, 9)

        let rows = Encoder.tokenRows(windows, tokenizer: tokenizer)
        let output = try Encoder(model: model, threads: 2).forward(tokenRows: rows, keepAttention: true)
        for (w, bases) in windows.enumerated() {
            let tokens = tokenizer.encode(bases)
            let maps = try XCTUnwrap(output.attention)[w]
            let map = Array(maps.map(layer: 1, head: 2))
            let fromCLS = Array(map[0..<maps.tokens])
            let onBases = BaseMapping.profileOnBases(fromCLS, spans: tokens.spans, baseCount: bases.count)
            XCTAssertEqual(onBases.count, 200)
            XCTAssertTrue(output.logits(window: w).allSatisfy(\.isFinite))
            XCTAssertEqual(fromCLS.reduce(0, +), 1, accuracy: 1e-4)
        }
    }
}
