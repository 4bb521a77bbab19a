import XCTest
@testable import MotifAttnAnalysis

/// The settings' names and values as `--analysis-setting`, fingerprints and run.json carry them.
final class HeadMotifSettingsTests: XCTestCase {
    func testEveryValueWrittenReadsBackToTheSameSettings() throws {
        var changed = HeadMotifSettings()
        changed.sitePValue = 3.5e-5
        changed.exactOneWordConsensus = false
        changed.extensionSupport = 0
        changed.maxMotifsPerHead = 7
        changed.shortMatrixRecall = 0
        var read = HeadMotifSettings()
        for (name, value) in changed.values { try read.set(name, to: value) }
        XCTAssertEqual(read, changed)
        XCTAssertNotEqual(read, HeadMotifSettings())
    }

    func testUnknownNamesAndBadValuesAreRefusedWithTheirName() {
        var settings = HeadMotifSettings()
        XCTAssertThrowsError(try settings.set("word-lenght", to: "6")) { error in
            XCTAssertTrue("\(error)".contains("no analysis setting 'word-lenght'"), "\(error)")
        }
        XCTAssertThrowsError(try settings.set("exact-one-word-consensus", to: "maybe"))
        XCTAssertThrowsError(try settings.set("extension-support", to: "1.5"))
        XCTAssertThrowsError(try settings.set("word-length", to: "2"))
        XCTAssertEqual(settings, HeadMotifSettings(), "a refused value leaves the settings unchanged")
    }
}
