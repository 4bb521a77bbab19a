import XCTest
@testable import MotifAttnAnalysis

/// Inputs the fuzzers in Fuzz/ found crashing the motif file reader; each must now be a typed error.
final class MotifFileFuzzRegressionTests: XCTestCase {
    func testVersionLineWithoutANumberIsAnErrorNotACrash() {
        // Fuzz/corpus/meme/finding-version-dot: "." splits into no parts, which was indexed.
        for text in ["MEME version .", "MEME version ..", "MEME version .5"] {
            XCTAssertThrowsError(try MEMEFormat.parse(text + "\n", path: "v.meme"), text) { error in
                XCTAssertEqual("\(error)", "v.meme, line 1: cannot read the MEME version number")
            }
        }
        XCTAssertEqual(try MEMEFormat.parse("MEME version 5.5.4\n").version, 5)
    }
}
