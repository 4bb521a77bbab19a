import Foundation

/// Helpers shared by the harnesses: the input as text or bytes, and a private scratch folder for the
/// readers that take a path (htslib opens files, so their harnesses write each input to a file first).
public enum Fuzz {
    /// The input as bytes.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// The input as text (invalid UTF-8 replaced, as `String(decoding:)` does).
    public static func text(_ data: UnsafePointer<UInt8>?, _ size: Int) -> String {
        String(decoding: bytes(data, size), as: UTF8.self)
    }

    /// A folder of this process, emptied by `reset()` and removed at exit.
    public static let scratch: String = {
        // Memory-backed when possible: the writers fsync, and a busy disk would look like a hang.
        let base = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        var template = Array((base + "/motifattn-fuzz-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("cannot create a scratch folder") }
        let folder = String(cString: made)
        // FastaIndex falls back to $XDG_CACHE_HOME/motifattn when it cannot write next to the file;
        // keep that inside the scratch folder too.
        setenv("XDG_CACHE_HOME", folder + "/cache", 1)
        // CRAM: never fetch reference sequences from the network.
        setenv("REF_PATH", folder + "/no-ref", 1)
        setenv("REF_CACHE", folder + "/no-ref", 1)
        scratchForExit = folder
        atexit { if let folder = scratchForExit { try? FileManager.default.removeItem(atPath: folder) } }
        return folder
    }()

    /// Writes `bytes` to `name` in the scratch folder (after emptying it) and returns the path.
    public static func file(_ bytes: [UInt8], name: String = "input") -> String {
        reset()
        let path = scratch + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fatalError("cannot write \(path)") }
        return path
    }

    /// Removes everything in the scratch folder (inputs, `.fai`/`.gzi` indexes, cache folders).
    public static func reset() {
        let manager = FileManager.default
        for name in (try? manager.contentsOfDirectory(atPath: scratch)) ?? [] where name != "fixed" {
            try? manager.removeItem(atPath: scratch + "/" + name)
        }
    }

    /// An error is the expected outcome of bad input; its message must still be printable.
    public static func expected(_ error: Error) {
        _ = "\(error)".utf8.count
    }
}

nonisolated(unsafe) private var scratchForExit: String?
