import ArgumentParser
import Foundation
import MotifAttn
import MotifAttnKernels

/// Runs a subcommand's body, turning a data error into one line on standard
/// error (`motifattn <command>: message`) and exit status 1.
func reportingErrors(_ command: String, _ body: () throws -> Void) throws {
    installSignalCleanup()
    useSingleThreadedBLAS()
    keepLargeBuffersInTheHeap()
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        printError("motifattn \(command): \(error)")
        throw ExitCode(1)
    }
}

/// Lets glibc reuse freed large blocks instead of returning them to the system.
///
/// The analysis allocates the attention maps of every batch afresh (about 1.3 MB a window with the
/// default model); above glibc's mmap threshold each of them was a new mapping whose pages the kernel
/// faulted in and zeroed, about 8% of an analysis. Fixed thresholds keep such blocks in the heap.
/// Peak memory is unchanged: the blocks are reused, not added.
func keepLargeBuffersInTheHeap() {
    #if os(Linux)
    let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3   // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD (malloc.h)
    _ = glibcMallopt(mmapThreshold, 512 << 20)
    _ = glibcMallopt(trimThreshold, 1 << 30)
    #endif
}

#if os(Linux)
/// glibc's `mallopt` (declared in malloc.h, which Swift's Glibc module does not export).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// On SIGINT or SIGTERM, removes unfinished output files and exits with status 130 or 143.
func installSignalCleanup() {
    TemporaryFileRegistry.shared.installSignalHandlers()
}
