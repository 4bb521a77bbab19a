import CZlib
import Foundation

/// A minimal PNG writer for the report's heat maps and logos: 8-bit indexed colour, compressed with zlib
/// (the deflate and CRC-32 of the zlib library htslib already links).
public enum PNGImage {
    /// The PNG bytes of a `width` × `height` image whose pixels (row-major) index `palette` (at most 256 RGB colours).
    public static func indexed(width: Int, height: Int, pixels: [UInt8], palette: [(UInt8, UInt8, UInt8)]) -> [UInt8] {
        precondition(width > 0 && height > 0 && pixels.count == width * height && !palette.isEmpty && palette.count <= 256)
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, 3, 0, 0, 0]  // bit depth 8, indexed colour, deflate, adaptive filtering, no interlace
        append(chunk: "IHDR", header, to: &png)
        append(chunk: "PLTE", palette.flatMap { [$0.0, $0.1, $0.2] }, to: &png)
        // Each row: filter type 0 (none), then its pixels.
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width + 1))
        for row in 0..<height {
            raw.append(0)
            raw += pixels[(row * width)..<((row + 1) * width)]
        }
        append(chunk: "IDAT", zlibCompressed(raw), to: &png)
        append(chunk: "IEND", [], to: &png)
        return png
    }

    /// A zlib stream (RFC 1950) of `data`, compressed at zlib's default level.
    static func zlibCompressed(_ data: [UInt8]) -> [UInt8] {
        var capacity = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                compress2(output.baseAddress, &capacity, input.baseAddress, uLong(data.count), Z_DEFAULT_COMPRESSION)
            }
        }
        // compressBound is enough by zlib's contract; Z_MEM_ERROR would mean the machine is out of memory.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        return Array(out.prefix(Int(capacity)))
    }

    /// CRC-32 (ISO 3309, as PNG uses it) of `bytes`, by zlib.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    private static func append(chunk type: String, _ data: [UInt8], to png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        png += bigEndian(UInt32(data.count)) + typeBytes + data
        png += bigEndian(crc32(typeBytes + data))
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
