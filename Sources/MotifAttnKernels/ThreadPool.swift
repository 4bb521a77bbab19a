import Foundation

/// A fixed set of worker threads that run numbered work items; the calling thread works too.
///
/// Each item is run by exactly one worker, which passes its own index (`0..<threadCount`)
/// so the item can use that worker's scratch memory. Which worker runs which item varies,
/// so items must compute the same result whichever worker runs them.
public final class ThreadPool: @unchecked Sendable {
    /// Number of threads that run items, the caller included.
    public let threadCount: Int
    private let state = PoolState()

    /// A pool of `threads` threads (at least 1); `threads − 1` are started now and live until deinit.
    public init(threads: Int) {
        threadCount = max(1, threads)
        for worker in 1..<threadCount {
            let state = self.state
            let thread = Thread { state.workerLoop(worker) }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    deinit { state.shutDown() }

    /// Runs `body(worker, item)` for every item in `0..<count` and returns when all are done.
    public func run(count: Int, _ body: @escaping (_ worker: Int, _ item: Int) -> Void) {
        guard count > 0 else { return }
        if threadCount == 1 || count == 1 {
            for item in 0..<count { body(0, item) }
            return
        }
        state.run(count: count, workers: threadCount - 1, body)
    }
}

/// The shared state of a pool; worker threads keep it alive until they leave.
private final class PoolState: @unchecked Sendable {
    private let condition = NSCondition()
    private var job: ((Int, Int) -> Void)?
    private var itemCount = 0
    private var nextItem = 0
    private var busyWorkers = 0
    private var generation = 0
    private var shuttingDown = false

    func shutDown() {
        condition.lock()
        shuttingDown = true
        condition.broadcast()
        condition.unlock()
    }

    func run(count: Int, workers: Int, _ body: @escaping (Int, Int) -> Void) {
        condition.lock()
        job = body
        itemCount = count
        nextItem = 0
        busyWorkers = workers
        generation += 1
        condition.broadcast()
        condition.unlock()
        drain(worker: 0, body)
        condition.lock()
        while busyWorkers > 0 { condition.wait() }
        job = nil
        condition.unlock()
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        guard nextItem < itemCount else { return nil }
        nextItem += 1
        return nextItem - 1
    }

    private func drain(worker: Int, _ body: (Int, Int) -> Void) {
        while let item = claim() { body(worker, item) }
    }

    func workerLoop(_ worker: Int) {
        var seen = 0
        while true {
            condition.lock()
            while generation == seen && !shuttingDown { condition.wait() }
            if shuttingDown { condition.unlock(); return }
            seen = generation
            let body = job!
            condition.unlock()
            drain(worker: worker, body)
            condition.lock()
            busyWorkers -= 1
            condition.broadcast()
            condition.unlock()
        }
    }
}
