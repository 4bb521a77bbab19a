import XCTest
@testable import MotifAttnIO
import MotifAttnCore

/// The vectorised byte loops of the reader and the window text writer, each against a plain
/// byte-by-byte (or `String`-based) version of the same rule.
final class ByteKernelTests: XCTestCase {
    /// The rule `copyBases` implements, written the obvious way.
    private func plainCopy(_ bytes: [UInt8]) -> [UInt8] {
        bytes.filter { $0 > 32 }.map { (97...122).contains($0) ? $0 - 32 : $0 }
    }

    func testCopyBasesMatchesThePlainRuleOnEveryLengthAndMixture() {
        var generator = SeededGenerator(seed: 7)
        let alphabet = Array("ACGTNacgtnRYkm \t\r\n".utf8)
        for length in Array(0..<70) + [100, 151, 200, 333] {
            for whitespaceRate in [0.0, 0.05, 0.3] {
                let bytes: [UInt8] = (0..<length).map { _ in
                    Double.random(in: 0..<1, using: &generator) < whitespaceRate
                        ? alphabet[14 + Int.random(in: 0..<4, using: &generator)]
                        : alphabet[Int.random(in: 0..<14, using: &generator)]
                }
                var copied = [UInt8](repeating: 0, count: max(length, 1))
                var newlines = 0
                let kept = bytes.withUnsafeBufferPointer { source in
                    copied.withUnsafeMutableBufferPointer {
                        copyBases(source.baseAddress ?? UnsafePointer(bitPattern: 1)!, length, to: $0.baseAddress!, newlines: &newlines)
                    }
                }
                XCTAssertEqual(Array(copied.prefix(kept)), plainCopy(bytes), "length \(length): \(String(decoding: bytes, as: UTF8.self))")
                XCTAssertEqual(newlines, bytes.filter { $0 == 10 }.count, "line feeds, length \(length)")
            }
        }
    }

    func testCountOccurrencesPastTheLaneOverflowPoint() {
        var generator = SeededGenerator(seed: 11)
        // 255 chunks of 16 bytes is where an unflushed 8-bit lane counter would wrap.
        for length in [0, 1, 15, 16, 17, 200, 255 * 16, 255 * 16 + 1, 9_000] {
            for nRate in [0.0, 0.3, 1.0] {
                let bytes: [UInt8] = (0..<length).map { _ in
                    Double.random(in: 0..<1, using: &generator) < nRate ? UInt8(ascii: "N") : UInt8(ascii: "A")
                }
                let counted = bytes.withUnsafeBufferPointer {
                    countOccurrences(of: UInt8(ascii: "N"), in: $0.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: length)
                }
                XCTAssertEqual(counted, bytes.filter { $0 == UInt8(ascii: "N") }.count, "length \(length), N rate \(nRate)")
            }
        }
    }

    func testDecimalDigitsMatchSwiftsOwnFormatting() {
        for value in [0, 7, -7, 10, 199, 1_000_000, 21_146_708, Int.max, Int.min] {
            var bytes: [UInt8] = []
            appendDecimal(value, to: &bytes)
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(value))
        }
    }

    func testEveryTextFormatAgreesWithTheWindowsFields() {
        let tile = Window(sourceName: "chr2R", start: 1_999_800, end: 2_000_000, strand: .minus, bases: Array("ACGTN".utf8))
        let read = Window(sourceName: "NC_045512.2", start: 5, end: 10, strand: .plus, bases: Array("TTTTT".utf8), name: "SRR1.7")
        for window in [tile, read] {
            func text(_ format: WindowTextFormat) -> String {
                var bytes: [UInt8] = []
                format.append(window, to: &bytes)
                return String(decoding: bytes, as: UTF8.self)
            }
            let bases = String(decoding: window.bases, as: UTF8.self)
            let strand = window.strand.rawValue
            XCTAssertEqual(text(.fasta), ">\(window.label)\n\(bases)\n")
            XCTAssertEqual(text(.bed), "\(window.sourceName)\t\(window.start)\t\(window.end)\t\(window.label)\t0\t\(strand)\n")
            XCTAssertEqual(text(.tsv), "\(window.sourceName)\t\(window.start)\t\(window.end)\t\(strand)\t\(window.label)\t\(bases)\n")
        }
        XCTAssertEqual(tile.label, "chr2R:1999800-2000000(-)")
    }
}
