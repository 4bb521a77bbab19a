import Benchmark
import Foundation
import MotifAttn

/// The repository root, from this file's place in it.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The demo genome (bgzip FASTA, 1.2 Mb) read and tiled as `scan` reads it: 200-base windows every 100 bases,
/// both strands; and 2,000 regions of 200 bases read through the index, as `scan --regions` reads peaks.
let benchmarks: @Sendable () -> Void = {
    let genome = repositoryRoot.appendingPathComponent("Reference/demo/genome.fa.gz").path
    let options = WindowOptions(window: 200, stride: 100, strand: .both)
    Benchmark("tile the demo genome, 200/100 both strands",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
                                   maxDuration: .seconds(10), maxIterations: 50)) { benchmark in
        for _ in benchmark.scaledIterations {
            let reader = try WindowReader(path: genome, options: options)
            var windows = 0
            while let window = try reader.next() { windows += 1; blackHole(window) }
            blackHole(windows)
        }
    }
    let peaks = try! BEDReader.read(path: repositoryRoot.appendingPathComponent("Reference/demo/peaks.bed").path)
    let peakOptions = WindowOptions(window: 200)
    Benchmark("read the demo's \(peaks.count) peaks through the index",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal],
                                   maxDuration: .seconds(10), maxIterations: 50)) { benchmark in
        for _ in benchmark.scaledIterations {
            let reader = try WindowReader(path: genome, regions: peaks, options: peakOptions)
            while let window = try reader.next() { blackHole(window) }
        }
    }
}
