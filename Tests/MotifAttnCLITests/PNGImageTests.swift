import Foundation
import XCTest
@testable import MotifAttn

/// The report's PNG writer, checked against known CRC-32 values and decoded by Python's zlib.
final class PNGImageTests: XCTestCase {
    func testCRCAndAdlerOfKnownInputs() {
        // Every PNG ends with IEND, whose CRC is AE 42 60 82; the CRC-32 check value of "123456789" is CBF43926.
        XCTAssertEqual(PNGImage.crc32(Array("IEND".utf8)), 0xAE42_6082)
        XCTAssertEqual(PNGImage.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        // A zlib stream ends with the Adler-32 of its data; that of "Wikipedia" is 11E60398.
        XCTAssertEqual(Array(PNGImage.zlibCompressed(Array("Wikipedia".utf8)).suffix(4)), [0x11, 0xE6, 0x03, 0x98])
    }

    func testAnImageDecodesToItsPixelsInPythonsZlib() throws {
        let width = 300, height = 250
        let pixels = (0..<(width * height)).map { UInt8(($0 * 7 + $0 / width) % 256) }
        let palette = (0..<256).map { (UInt8($0), UInt8(255 - $0), UInt8(128)) }
        let png = PNGImage.indexed(width: width, height: height, pixels: pixels, palette: palette)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-png-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("image.png")
        try Data(png).write(to: file)
        let script = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat, chunks = 8, b'', []
        while pos < len(data):
            (n,) = struct.unpack('>I', data[pos:pos + 4]); kind = data[pos + 4:pos + 8]; body = data[pos + 8:pos + 8 + n]
            (crc,) = struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])
            assert zlib.crc32(kind + body) == crc, kind
            chunks.append(kind); idat += body if kind == b'IDAT' else b''
            if kind == b'IHDR': w, h, depth, colour = struct.unpack('>IIBB', body[:10])
            pos += 12 + n
        raw = zlib.decompress(idat)
        rows = [raw[r * (w + 1) + 1:(r + 1) * (w + 1)] for r in range(h)]
        assert all(raw[r * (w + 1)] == 0 for r in range(h))
        print(w, h, depth, colour, b','.join(chunks).decode(), sum(sum(row) for row in rows))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, file.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, errors)
        let sum = pixels.reduce(0) { $0 + Int($1) }
        XCTAssertEqual(printed.trimmingCharacters(in: .whitespacesAndNewlines), "300 250 8 3 IHDR,PLTE,IDAT,IEND \(sum)")
    }
}
