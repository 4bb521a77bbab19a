import Foundation
import XCTest
import _TestSupport
@testable import MotifAttnCore

/// Where `OutputFile` puts finished bytes: regular files atomically, streams in place, links followed.
final class OutputFileTests: XCTestCase {
    private func fileType(_ path: String, following: Bool = true) -> mode_t {
        var status = stat()
        XCTAssertEqual(following ? stat(path, &status) : lstat(path, &status), 0, path)
        return status.st_mode & S_IFMT
    }

    func testRegularFileAppearsOnlyOnCommit() throws {
        let path = try temporaryFolder(self).appendingPathComponent("out.txt").path
        let out = try OutputFile(path: path)
        try out.write("first\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "visible before commit")
        try out.commit()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "first\n")
    }

    func testDevNullStaysACharacterDevice() throws {
        // Renaming a finished temporary file onto /dev/null would replace the device with a file (as root).
        let out = try OutputFile(path: "/dev/null")
        try out.write(bytes: [UInt8](repeating: 65, count: 200_000))
        try out.commit()
        XCTAssertEqual(fileType("/dev/null"), S_IFCHR)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/dev").filter { $0.hasPrefix(".null.tmp") }
        XCTAssertEqual(leftovers, [])
    }

    func testNamedPipeIsWrittenInPlace() throws {
        let fifo = try temporaryFolder(self).appendingPathComponent("pipe").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // The reading end, on its own thread (opening a FIFO blocks until both ends are open).
        final class Reader: @unchecked Sendable { var text = "" }
        let reader = Reader()
        let received = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let handle = FileHandle(forReadingAtPath: fifo)
            reader.text = handle.map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? "<unreadable>"
            received.signal()
        }
        let out = try OutputFile(path: fifo)
        try out.write("through the pipe\n")
        try out.commit()
        XCTAssertEqual(received.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(reader.text, "through the pipe\n")
        XCTAssertEqual(fileType(fifo), S_IFIFO)
    }

    func testSymbolicLinkIsFollowedAndKept() throws {
        let folder = try temporaryFolder(self)
        let target = folder.appendingPathComponent("real.txt").path
        let link = folder.appendingPathComponent("link.txt").path
        try "old\n".write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let out = try OutputFile(path: link)
        try out.write("new\n")
        try out.commit()
        XCTAssertEqual(fileType(link, following: false), S_IFLNK)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "new\n")
    }

    func testAbandonedStreamLeavesTheFolderClean() throws {
        let folder = try temporaryFolder(self)
        let path = folder.appendingPathComponent("never.txt").path
        do {
            let out = try OutputFile(path: path)
            try out.write("partial")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    }
}
