import Foundation
import XCTest
import _TestSupport
@testable import MotifAttnTokenizers

/// The built-in tokenizer against the token ids PyTorch's reference (`kmer_tokens` in motifattn_torch.py) wrote into each fixture.
final class KmerTokenizerFixtureTests: XCTestCase {
    private struct Case: Decodable {
        struct Config: Decodable { struct Tok: Decodable { let k: Int; let stride: Int }; let tokenizer: Tok }
        let config: Config
        let sequences: [String]
        let tokens: [[Int32]]
    }

    func testTokensEqualThePyTorchReferenceInEveryFixture() throws {
        let root = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/model-v1")
        let cases = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        XCTAssertEqual(cases.count, 4)
        for name in cases {
            let data = try Data(contentsOf: root.appendingPathComponent(name).appendingPathComponent("case.json"))
            let fixture = try JSONDecoder().decode(Case.self, from: data)
            let tokenizer = try KmerTokenizer(k: fixture.config.tokenizer.k, stride: fixture.config.tokenizer.stride)
            for (sequence, expected) in zip(fixture.sequences, fixture.tokens) {
                let encoded = tokenizer.encode(sequence)
                XCTAssertEqual(encoded.ids, expected, "\(name): \(sequence)")
                XCTAssertEqual(encoded.spans.count, expected.count)
                // Every k-mer token covers k bases starting at its stride position; specials cover none.
                XCTAssertTrue(encoded.spans.first!.isEmpty && encoded.spans.last!.isEmpty)
                for (i, span) in encoded.spans.dropFirst().dropLast().enumerated() {
                    XCTAssertEqual(Int(span.start), i * fixture.config.tokenizer.stride)
                    XCTAssertEqual(Int(span.end - span.start), fixture.config.tokenizer.k)
                }
            }
        }
    }
}

/// The built-in tokenizer's letter rules, checked by hand.
final class KmerTokenizerLetterTests: XCTestCase {
    func testLowerCaseIsUpperCasedAndAnyKmerWithNIsUnknown() throws {
        let tokenizer = try KmerTokenizer(k: 2)
        // AC=5+1, CG=5+6, GN→[UNK], NT→[UNK], TA=5+12
        XCTAssertEqual(tokenizer.encode("ACGNTA").ids, [2, 6, 11, 1, 1, 17, 3])
        XCTAssertEqual(tokenizer.encode("acgnta").ids, tokenizer.encode("ACGNTA").ids)
        XCTAssertEqual(tokenizer.encode("AcGRta").ids, [2, 6, 11, 1, 1, 17, 3], "IUPAC codes other than ACGT are unknown too")
        XCTAssertEqual(tokenizer.encode("A").ids, [2, 3], "a window shorter than k gives [CLS] [SEP]")
    }
}
