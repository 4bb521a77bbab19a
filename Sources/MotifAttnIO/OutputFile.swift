import Foundation

/// Errors raised while writing results.
public enum OutputError: Error, CustomStringConvertible {
    case cannotCreate(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case renameFailed(from: String, to: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotCreate(path, reason): return "\(path): cannot create output file: \(reason)"
        case let .writeFailed(path, reason): return "\(path): write failed: \(reason)"
        case let .renameFailed(from, to, reason): return "\(to): cannot move finished output from \(from): \(reason)"
        }
    }
}

/// A buffered output that never leaves a half-written file behind.
///
/// Bytes go to a hidden temporary file in the destination's folder; `commit()`
/// flushes and renames it onto the destination in one step. If the writer is
/// dropped (or the process dies) before `commit()`, the temporary file is
/// removed and the destination is untouched. The path `-` writes to standard
/// output instead (which cannot be made atomic; errors on close are still reported).
public final class OutputFile {
    /// The destination path as given by the user (`-` for standard output).
    public let path: String
    private let temporaryPath: String?
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var finished = false
    private static let flushThreshold = 1 << 16

    /// Opens a writer for `path` (`-` for standard output).
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            temporaryPath = nil
            descriptor = STDOUT_FILENO
        } else {
            let url = URL(fileURLWithPath: path)
            let folder = url.deletingLastPathComponent().path
            var template = Array("\(folder)/.\(url.lastPathComponent).tmp.XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if fd < 0 {
                throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
            }
            fchmod(fd, 0o644)
            descriptor = fd
            temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            TemporaryFileRegistry.shared.add(temporaryPath!)
        }
        buffer.reserveCapacity(Self.flushThreshold * 2)
    }

    deinit {
        if !finished { abandon() }
    }

    /// Appends UTF-8 text.
    public func write(_ text: String) throws {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Appends raw bytes.
    public func write<Bytes: Sequence>(bytes: Bytes) throws where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Writes buffered bytes to the file descriptor.
    public func flush() throws {
        var offset = 0
        try buffer.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw OutputError.writeFailed(path: path, reason: String(cString: strerror(errno)))
                }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, closes and moves the finished file onto its destination.
    public func commit() throws {
        guard !finished else { return }
        try flush()
        finished = true
        guard let temporaryPath else { return }
        if fsync(descriptor) != 0 && errno != EINVAL {
            let reason = String(cString: strerror(errno))
            close(descriptor); unlink(temporaryPath)
            throw OutputError.writeFailed(path: path, reason: reason)
        }
        if close(descriptor) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw OutputError.writeFailed(path: path, reason: reason)
        }
        if rename(temporaryPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw OutputError.renameFailed(from: temporaryPath, to: path, reason: reason)
        }
        TemporaryFileRegistry.shared.remove(temporaryPath)
    }

    /// Discards everything written; the destination is left as it was.
    public func abandon() {
        guard !finished else { return }
        finished = true
        if let temporaryPath {
            close(descriptor)
            unlink(temporaryPath)
            TemporaryFileRegistry.shared.remove(temporaryPath)
        }
    }
}

/// Temporary output files still open, so that a signal handler can remove them.
public final class TemporaryFileRegistry: @unchecked Sendable {
    /// The process-wide registry.
    public static let shared = TemporaryFileRegistry()
    private let lock = NSLock()
    private var paths: Set<String> = []

    func add(_ path: String) { lock.lock(); paths.insert(path); lock.unlock() }
    func remove(_ path: String) { lock.lock(); paths.remove(path); lock.unlock() }

    /// Removes every temporary file still registered (for use on SIGINT/SIGTERM).
    public func removeAll() {
        lock.lock(); let all = paths; paths.removeAll(); lock.unlock()
        for path in all { unlink(path) }
    }
}
