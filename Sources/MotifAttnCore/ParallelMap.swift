import Foundation

/// `(0..<count).map(transform)` on up to `threads` threads: item `i` goes to thread `i % threads`, and the
/// results come back in order, so the result does not depend on the thread count when `transform` does not.
/// `transform` runs concurrently and must be safe to call from several threads at once.
public func parallelMap<T>(count: Int, threads: Int, _ transform: (Int) throws -> T) rethrows -> [T] {
    let workers = max(1, min(threads, count))
    guard workers > 1 else { return try (0..<count).map(transform) }
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    defer { results.deinitialize(); results.deallocate() }
    var failure: [Error?] = Array(repeating: nil, count: workers)
    try withoutActuallyEscaping(transform) { transform in
        failure.withUnsafeMutableBufferPointer { failures in
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                do {
                    for i in stride(from: worker, to: count, by: workers) { results[i] = try transform(i) }
                } catch {
                    failures[worker] = error
                }
            }
        }
        if let error = failure.compactMap({ $0 }).first { throw error }
    }
    return results.map { $0! }
}
