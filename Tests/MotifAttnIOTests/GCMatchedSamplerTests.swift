import XCTest
@testable import MotifAttnIO
import MotifAttnCore

final class GCMatchedSamplerTests: XCTestCase {
    private func window(_ i: Int, gc: Int, of length: Int = 100) -> Window {
        let bases = Array(repeating: UInt8(ascii: "G"), count: gc) + Array(repeating: UInt8(ascii: "A"), count: length - gc)
        return Window(sourceName: "chr1", start: i * length, end: (i + 1) * length, strand: .plus, bases: bases)
    }

    func testChosenBackgroundHasTheBoundWindowsGCDistribution() {
        // Bound windows: 30 at 20% GC, 10 at 70% GC. Candidates: 1000 per GC level from 0% to 95% by 5%.
        let bound = Array(repeating: 0.20, count: 30) + Array(repeating: 0.70, count: 10)
        var sampler = GCMatchedSampler(boundGCFractions: bound, ratio: 2, bins: 20, seed: 5)
        var i = 0
        for _ in 0..<1000 { for gc in stride(from: 0, to: 100, by: 5) { sampler.offer(window(i, gc: gc)); i += 1 } }
        let chosen = sampler.chosen
        let gcs = chosen.map { GCMatchedSampler.gcFraction(of: $0.bases)! }
        XCTAssertEqual(gcs.filter { $0 >= 0.2 && $0 < 0.25 }.count, 60)
        XCTAssertEqual(gcs.filter { $0 >= 0.7 && $0 < 0.75 }.count, 20)
        XCTAssertEqual(chosen.count, 80)
        XCTAssertTrue(sampler.shortfalls.isEmpty)
        // Reservoir sampling draws from the whole stream, not just its start.
        XCTAssertGreaterThan(chosen.map(\.start).max()!, 50 * 20 * 100)
    }

    func testSamplingIsReproducibleForASeedAndReportsShortfalls() {
        let bound = Array(repeating: 0.5, count: 10)
        func run(seed: UInt64) -> [Int] {
            var sampler = GCMatchedSampler(boundGCFractions: bound, seed: seed)
            for i in 0..<500 { sampler.offer(window(i, gc: 50)) }
            return sampler.chosen.map(\.start)
        }
        XCTAssertEqual(run(seed: 1), run(seed: 1))
        XCTAssertNotEqual(run(seed: 1), run(seed: 2))
        var short = GCMatchedSampler(boundGCFractions: bound, seed: 1)
        for i in 0..<3 { short.offer(window(i, gc: 50)) }
        XCTAssertEqual(short.shortfalls.first?.wanted, 10)
        XCTAssertEqual(short.shortfalls.first?.available, 3)
        XCTAssertNil(GCMatchedSampler.gcFraction(of: Array("NNNN".utf8)))
    }
}
