import XCTest
import _TestSupport
@testable import MotifAttnCore

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 example digests.
    func testDigestsOfTheStandardExamples() {
        XCTAssertEqual(SHA256.hex(of: Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: [UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// The checksum of a committed fixture equals the one `sha256sum` recorded in Tests/Fixtures/SHA256SUMS.
    func testFileDigestMatchesSha256sum() throws {
        let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures")
        let sums = try String(contentsOf: fixtures.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        let line = try XCTUnwrap(sums.split(separator: "\n").first { $0.hasSuffix("lambda_virus.fa.gz") })
        let expected = String(line.prefix(64))
        XCTAssertEqual(try SHA256.hex(ofFileAt: fixtures.appendingPathComponent("genomes/lambda_virus.fa.gz").path), expected)
    }
}
