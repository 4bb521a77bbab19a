import XCTest
@testable import MotifAttnAnalysis

final class StatisticsTests: XCTestCase {
    func testBinomialUpperTailMatchesScipy() {
        // scipy 1.17.1: scipy.stats.binom.sf(k - 1, n, p)
        XCTAssertEqual(Statistics.binomialUpperTail(observed: 35, trials: 88, probability: 0.1) / 1.8829724517775394e-13, 1, accuracy: 1e-9)
        XCTAssertEqual(Statistics.binomialUpperTail(observed: 130, trials: 1000, probability: 0.1), 0.0013413983708734428, accuracy: 1e-12)
        XCTAssertEqual(Statistics.binomialUpperTail(observed: 30, trials: 57, probability: 0.08) / 1.9773485155030166e-18, 1, accuracy: 1e-9)
        XCTAssertEqual(Statistics.binomialUpperTail(observed: 10, trials: 10, probability: 0.5), 0.0009765625, accuracy: 1e-15)
        XCTAssertEqual(Statistics.binomialUpperTail(observed: 0, trials: 20, probability: 0.3), 1)
        XCTAssertEqual(Statistics.binomialUpperTail(observed: 21, trials: 20, probability: 0.3), 0)
    }

    func testHypergeometricUpperTailMatchesScipy() {
        // scipy 1.17.1: scipy.stats.hypergeom.sf(29, 1000, 100, 50) = 1.3217037116365617e-19
        XCTAssertEqual(Statistics.hypergeometricUpperTail(observed: 30, population: 1000, marked: 100, draws: 50) / 1.3217037116365617e-19, 1, accuracy: 1e-9)
        // hypergeom.sf(4, 1000, 100, 50) = 0.5730845672762301
        XCTAssertEqual(Statistics.hypergeometricUpperTail(observed: 5, population: 1000, marked: 100, draws: 50), 0.5730845672762301, accuracy: 1e-12)
        // hypergeom.logsf(199, 4000, 2000, 300) = -20.696799491106784
        XCTAssertEqual(Statistics.logHypergeometricUpperTail(observed: 200, population: 4000, marked: 2000, draws: 300), -20.696799491106784, accuracy: 1e-9)
        // hypergeom.sf(0, 10, 3, 4) = 0.8333333333333334 and hypergeom.sf(2, 10, 3, 4) = 0.03333333333333333
        XCTAssertEqual(Statistics.hypergeometricUpperTail(observed: 1, population: 10, marked: 3, draws: 4), 0.8333333333333334, accuracy: 1e-14)
        XCTAssertEqual(Statistics.hypergeometricUpperTail(observed: 3, population: 10, marked: 3, draws: 4), 0.03333333333333333, accuracy: 1e-14)
        XCTAssertEqual(Statistics.hypergeometricUpperTail(observed: 0, population: 10, marked: 3, draws: 4), 1)
        XCTAssertEqual(Statistics.hypergeometricUpperTail(observed: 4, population: 10, marked: 3, draws: 4), 0)
    }

    func testMannWhitneyWithTiesMatchesScipy() {
        // r = scipy.stats.mannwhitneyu(a, b, alternative='greater', method='asymptotic') with
        // a=[0.3,0.5,0.5,0.7,0.9,0.9,1.2], b=[0.1,0.3,0.3,0.5,0.2,0.4,0.6,0.1]: U=49.0, p=0.008335504401877719
        let r = Statistics.mannWhitneyGreater([0.3, 0.5, 0.5, 0.7, 0.9, 0.9, 1.2], [0.1, 0.3, 0.3, 0.5, 0.2, 0.4, 0.6, 0.1])
        XCTAssertEqual(r.u, 49)
        XCTAssertEqual(r.p, 0.008335504401877719, accuracy: 1e-14)
        XCTAssertEqual(r.effect, 49.0 / 56, accuracy: 1e-14)
        // mannwhitneyu([1,2,3], [4,5,6,7], alternative='greater', method='asymptotic'): U=0.0, p=0.9892218666199918
        let low = Statistics.mannWhitneyGreater([1, 2, 3], [4, 5, 6, 7])
        XCTAssertEqual(low.u, 0)
        XCTAssertEqual(low.p, 0.9892218666199918, accuracy: 1e-14)
    }

    func testMannWhitneyOnHistogramsMatchesScipyOnExpandedValues() {
        // x = np.repeat(np.arange(12), xc); y = np.repeat(np.arange(12), yc);
        // mannwhitneyu(x, y, alternative='greater', method='asymptotic') → U=3168.5, p=0.00011605814670762818
        let xc = [0, 0, 1, 2, 3, 5, 8, 6, 4, 2, 1, 0], yc = [5, 9, 14, 20, 25, 22, 18, 12, 8, 4, 2, 1]
        let r = Statistics.mannWhitneyGreater(firstCounts: xc, secondCounts: yc)
        XCTAssertEqual(r.u, 3168.5)
        XCTAssertEqual(r.p / 0.00011605814670762818, 1, accuracy: 1e-9)
        // Same y, x counts [0]*8+[30,30,20,10]: U=12075.0, p=1.983303770853058e-32 (far tail stays accurate)
        let far = Statistics.mannWhitneyGreater(firstCounts: [0, 0, 0, 0, 0, 0, 0, 0, 30, 30, 20, 10], secondCounts: yc)
        XCTAssertEqual(far.u, 12075)
        XCTAssertEqual(far.p / 1.983303770853058e-32, 1, accuracy: 1e-6)
        // The value-list version agrees with the histogram version.
        let xs = xc.enumerated().flatMap { Array(repeating: Double($0.offset), count: $0.element) }
        let ys = yc.enumerated().flatMap { Array(repeating: Double($0.offset), count: $0.element) }
        XCTAssertEqual(Statistics.mannWhitneyGreater(xs, ys).p, r.p, accuracy: 1e-15)
    }

    func testBenjaminiHochbergMatchesScipy() {
        // scipy.stats.false_discovery_control([0.01,0.04,0.03,0.005,0.5,0.2,0.04,0.9])
        let expected = [0.04, 0.064, 0.064, 0.04, 0.5714285714285714, 0.26666666666666666, 0.064, 0.9]
        let q = Statistics.benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.5, 0.2, 0.04, 0.9])
        for (a, b) in zip(q, expected) { XCTAssertEqual(a, b, accuracy: 1e-14) }
        XCTAssertEqual(Statistics.benjaminiHochberg([]), [])
    }

    func testNormalUpperTail() {
        // scipy.stats.norm.sf(1.96) = 0.024997895148220435; norm.sf(10) = 7.61985302416047e-24
        XCTAssertEqual(Statistics.normalUpperTail(1.96), 0.024997895148220435, accuracy: 1e-15)
        XCTAssertEqual(Statistics.normalUpperTail(10) / 7.61985302416047e-24, 1, accuracy: 1e-9)
    }
}
