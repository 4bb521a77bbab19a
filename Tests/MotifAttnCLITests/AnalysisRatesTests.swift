import Foundation
import XCTest
@testable import MotifAttn

/// How many windows a scan analyses: about `--max-bound` bound windows at most, and background windows at most
/// `--max-background` and at most `--background-per-bound` times the bound windows analysed.
final class AnalysisRatesTests: XCTestCase {
    func testTheDefaultIsTwoBackgroundWindowsPerBoundOne() {
        let s = ScanSettings(genome: "", regionsPath: nil, modelPath: "", windowOptions: ScanSettings.defaultWindowOptions,
                             analysis: AnalysisOptions(motifsPath: ""), outputFolder: "")
        XCTAssertEqual(s.analysisRates(bound: 928, background: 46_396).background * 46_396, 1_856, accuracy: 1e-9)
    }

    private func settings(maxBound: Int = 5_000, maxBackground: Int = 5_000, perBound: Double) -> ScanSettings {
        var s = ScanSettings(genome: "", regionsPath: nil, modelPath: "", windowOptions: ScanSettings.defaultWindowOptions,
                             analysis: AnalysisOptions(motifsPath: ""), outputFolder: "")
        (s.maxBound, s.maxBackground, s.backgroundPerBound) = (maxBound, maxBackground, perBound)
        return s
    }

    func testTheBackgroundSampleIsSizedToTheBoundOne() {
        // E. coli without regions: 928 bound windows (1 %), 46,396 in the bottom half. All bound windows are
        // analysed, and as many background ones per bound one as asked (not 5,000).
        var rates = settings(perBound: 1).analysisRates(bound: 928, background: 46_396)
        XCTAssertEqual(rates.bound, 1)
        XCTAssertEqual(rates.background * 46_396, 928, accuracy: 1e-9)
        rates = settings(perBound: 3).analysisRates(bound: 928, background: 46_396)
        XCTAssertEqual(rates.background * 46_396, 2_784, accuracy: 1e-9)
        // Many bound windows: both caps hold, and the ratio caps the background at the bound windows analysed, not present.
        rates = settings(perBound: 1).analysisRates(bound: 20_000, background: 100_000)
        XCTAssertEqual(rates.bound, 0.25, accuracy: 1e-12)
        XCTAssertEqual(rates.background, 0.05, accuracy: 1e-12)
        rates = settings(perBound: 0.5).analysisRates(bound: 20_000, background: 100_000)
        XCTAssertEqual(rates.background * 100_000, 2_500, accuracy: 1e-9)
        rates = settings(maxBackground: 300, perBound: 1).analysisRates(bound: 928, background: 46_396)
        XCTAssertEqual(rates.background * 46_396, 300, accuracy: 1e-9)
        // Fewer background windows than the cap: all of them.
        XCTAssertEqual(settings(perBound: 1).analysisRates(bound: 928, background: 500).background, 1)
    }
}
