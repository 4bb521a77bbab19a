import Crypto
import Foundation

/// SHA-256 (FIPS 180-4) of bytes and files, for provenance (`run.json`), fingerprints and checkpoints:
/// a thin streaming wrapper over swift-crypto's implementation with the hex helpers motifattn uses.
public struct SHA256 {
    private var hasher = Crypto.SHA256()

    /// An empty hash state.
    public init() {}

    /// Adds bytes to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    /// Adds bytes to the message.
    public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        hasher.update(data: Array(bytes))
    }

    /// The 32-byte digest of everything added.
    public mutating func finalize() -> [UInt8] {
        Array(hasher.finalize())
    }

    /// Lower-case hexadecimal digest of `bytes`.
    public static func hex<Bytes: Collection>(of bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hash = SHA256()
        hash.update(bytes)
        return hexString(hash.finalize())
    }

    /// Lower-case hexadecimal digest of a file's contents, read in 1 MiB pieces.
    public static func hex(ofFileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw OutputError.cannotCreate(path: path, reason: "cannot open to compute its SHA-256")
        }
        defer { try? handle.close() }
        var hash = SHA256()
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { hash.update($0) }
        }
        return hexString(hash.finalize())
    }

    private static func hexString(_ digest: [UInt8]) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
