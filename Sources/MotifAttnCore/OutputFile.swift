import Foundation
import Dispatch

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
/// removed and the destination is untouched. A symbolic link is followed: the
/// file it points to is replaced, the link stays.
///
/// The path `-` writes to standard output, and an existing destination that is not a
/// regular file (`/dev/null`, `/dev/stdout`, a named pipe) is written in place: a
/// stream cannot be replaced atomically (errors on close are still reported).
public final class OutputFile {
    /// The destination path as given by the user (`-` for standard output).
    public let path: String
    /// Where the finished temporary file is renamed to: `path`, or the file a symbolic link at `path` points to.
    private let renameTarget: String
    private let temporaryPath: String?
    private var descriptor: Int32
    private let closesDescriptor: Bool
    // Allocated last in init: deinit (which frees it) does not run when init throws before that.
    private var buffer: ByteBuffer
    private var finished = false
    private static let flushThreshold = 1 << 16

    /// Opens a writer for `path` (`-` for standard output).
    public init(path: String) throws {
        self.path = path
        renameTarget = Self.followingLinks(path)
        var status = stat()
        if path == "-" {
            temporaryPath = nil
            descriptor = STDOUT_FILENO
            closesDescriptor = false
        } else if stat(renameTarget, &status) == 0 && (status.st_mode & S_IFMT) != S_IFREG
                    && (status.st_mode & S_IFMT) != S_IFDIR {
            // A device, FIFO or socket: renaming over it would replace, say, /dev/null with a file.
            let fd = open(renameTarget, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
            temporaryPath = nil
            descriptor = fd
            closesDescriptor = true
        } else {
            closesDescriptor = true
            let url = URL(fileURLWithPath: renameTarget)
            let folder = url.deletingLastPathComponent().path
            guard let (fd, temporary) = TemporaryFileRegistry.shared.create(template: "\(folder)/.\(url.lastPathComponent).tmp.XXXXXX") else {
                throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
            }
            fchmod(fd, 0o644)
            descriptor = fd
            temporaryPath = temporary
        }
        buffer = ByteBuffer(capacity: Self.flushThreshold * 2)
    }

    /// The file a symbolic link at `path` leads to (`path` itself when it is no link or a dangling one).
    private static func followingLinks(_ path: String) -> String {
        var status = stat()
        guard path != "-", lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK,
              let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    deinit {
        if !finished { abandon() }
        buffer.deallocate()
    }

    /// Appends UTF-8 text.
    public func write(_ text: String) throws {
        var text = text
        text.withUTF8 { append($0) }
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Appends raw bytes (the common case, without generic dispatch per call).
    public func write(bytes: [UInt8]) throws {
        bytes.withUnsafeBufferPointer { append($0) }
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Appends raw bytes.
    public func write<Bytes: Sequence>(bytes: Bytes) throws where Bytes.Element == UInt8 {
        let contiguous: Void? = bytes.withContiguousStorageIfAvailable { append($0) }
        if contiguous == nil { Array(bytes).withUnsafeBufferPointer { append($0) } }
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Lets `body` write at most `maximumCount` bytes straight into the output buffer; `body`
    /// returns how many it wrote. This spares a copy when records are built byte by byte.
    public func write(reserving maximumCount: Int, _ body: (UnsafeMutablePointer<UInt8>) throws -> Int) throws {
        let written = try body(buffer.reserveTail(maximumCount))
        precondition(written <= maximumCount, "wrote more than the reserved bytes")
        buffer.commitTail(written)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    private func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        buffer.reserveTail(bytes.count).update(from: base, count: bytes.count)
        buffer.commitTail(bytes.count)
    }

    /// Writes buffered bytes to the file descriptor.
    public func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let n = Foundation.write(descriptor, buffer.storage + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw OutputError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            offset += n
        }
        buffer.removeAll()
    }

    /// Flushes, closes and moves the finished file onto its destination.
    public func commit() throws {
        guard !finished else { return }
        try flush()
        finished = true
        guard let temporaryPath else {
            if closesDescriptor && close(descriptor) != 0 {
                throw OutputError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            return
        }
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
        var renameError: Int32 = 0
        TemporaryFileRegistry.shared.remove(temporaryPath) {
            if rename(temporaryPath, renameTarget) != 0 {
                renameError = errno
                unlink(temporaryPath)
            }
        }
        if renameError != 0 {
            throw OutputError.renameFailed(from: temporaryPath, to: path, reason: String(cString: strerror(renameError)))
        }
    }

    /// Discards everything written; the destination is left as it was.
    public func abandon() {
        guard !finished else { return }
        finished = true
        if let temporaryPath {
            close(descriptor)
            TemporaryFileRegistry.shared.remove(temporaryPath) { unlink(temporaryPath) }
        } else if closesDescriptor {
            close(descriptor)
        }
    }
}

/// Temporary output files still open, so that SIGINT or SIGTERM can remove them before the process exits.
///
/// Creating a temporary file and registering it, and renaming it into place and deregistering it, each
/// happen under one lock; the signal handler takes that lock and never releases it (it exits). So an
/// interrupted run ends with each output either complete under its final name or absent, and no temporaries.
public final class TemporaryFileRegistry: @unchecked Sendable {
    /// The process-wide registry.
    public static let shared = TemporaryFileRegistry()
    private let lock = NSLock()
    private var paths: Set<String> = []
    private var signalSources: [DispatchSourceSignal] = []

    /// Creates a unique file from `template` (ending in XXXXXX, as mkstemp) and registers it; nil with errno set on failure.
    public func create(template: String) -> (descriptor: Int32, path: String)? {
        lock.lock(); defer { lock.unlock() }
        var bytes = Array(template.utf8CString)
        let fd = bytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        let path = bytes.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        paths.insert(path)
        return (fd, path)
    }

    /// Registers a temporary file that another library creates under a name chosen here (an index beside a
    /// temporary file), so that a signal removes it too.
    public func register(_ path: String) {
        lock.lock(); defer { lock.unlock() }
        paths.insert(path)
    }

    /// Deregisters `path`, running `body` (the rename or unlink that ends its life) under the same lock.
    public func remove(_ path: String, while body: () -> Void = {}) {
        lock.lock(); defer { lock.unlock() }
        body()
        paths.remove(path)
    }

    /// Removes every temporary file still registered.
    public func removeAll() {
        lock.lock(); let all = paths; paths.removeAll(); lock.unlock()
        for path in all { unlink(path) }
    }

    /// Removes every registered temporary file and exits with `status`, holding the lock so that no file
    /// is created or renamed into place meanwhile.
    public func removeAllAndExit(status: Int32) -> Never {
        lock.lock()
        for path in paths { unlink(path) }
        _exit(status)
    }

    /// On SIGINT or SIGTERM, removes the temporary files and exits with status 128 + the signal (130, 143).
    ///
    /// The signals are ignored at the C level and handled by dispatch sources on their own queue, so the
    /// cleanup runs in an ordinary thread (it may lock and allocate), whatever the main thread is doing.
    public func installSignalHandlers() {
        lock.lock(); defer { lock.unlock() }
        guard signalSources.isEmpty else { return }
        let queue = DispatchQueue(label: "motifattn.signals")
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [unowned self] in self.removeAllAndExit(status: 128 + signalNumber) }
            source.resume()
            signalSources.append(source)
        }
    }
}
