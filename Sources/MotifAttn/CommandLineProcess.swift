import MotifAttnCore
import MotifAttnKernels
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide setup of a command-line run of motifattn.
public enum CommandLineProcess {
    /// Installs the signal handlers that remove unfinished output files on SIGINT or SIGTERM (exit 130 or 143),
    /// keeps OpenBLAS on the calling thread (motifattn parallelises over batches itself) and fixes glibc's
    /// threshold for serving allocations by mmap at `largeAllocationBytes`.
    public static func prepare() {
        TemporaryFileRegistry.shared.installSignalHandlers()
        useSingleThreadedBLAS()
        #if canImport(Glibc)
        // glibc raises the threshold each time a large block is freed, after which blocks of a megabyte
        // (a window's attention maps, a batch's buffers) come from the heap, and a long scan fragments it:
        // peak memory then grew with the genome's length. Fixed, every large block is mapped and unmapped whole.
        fixMmapThreshold()
        #endif
    }

    #if canImport(Glibc)
    /// `mallopt(M_MMAP_THRESHOLD, largeAllocationBytes)`: malloc.h is not part of Swift's Glibc module, so the
    /// function is looked up in the process (M_MMAP_THRESHOLD is −3 in glibc's malloc.h). Without it (another
    /// C library) nothing changes.
    private static func fixMmapThreshold() {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3, Int32(largeAllocationBytes))
    }
    #endif

    /// Allocations from this size on are served by mmap and returned to the system when freed.
    public static let largeAllocationBytes = 128 * 1024
}
