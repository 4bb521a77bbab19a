import MotifAttnCore
import MotifAttnKernels

/// Process-wide setup of a command-line run of motifattn.
public enum CommandLineProcess {
    /// Installs the signal handlers that remove unfinished output files on SIGINT or SIGTERM (exit 130 or 143)
    /// and keeps OpenBLAS on the calling thread (motifattn parallelises over batches itself).
    public static func prepare() {
        TemporaryFileRegistry.shared.installSignalHandlers()
        useSingleThreadedBLAS()
    }
}
