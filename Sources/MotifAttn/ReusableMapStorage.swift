import Foundation
import MotifAttnModel

/// Storage for attention maps copied out of the encoder, reused from batch to batch.
///
/// A window's maps are about a megabyte for the default model; a fresh array for each window costs a page
/// fault per page on the thread that copies them, which showed as seconds of system time in a scan. Maps
/// given back (`giveBack(_:)`) lend their storage to the next copies. Maps still held elsewhere (a report
/// window keeps its maps) are never overwritten: their storage is shared, so the next copy into it makes a
/// fresh array instead.
///
/// Safe to share between threads (`Encoder.forward(copyingAttention:)` copies from the encoder's threads): the
/// spare arrays are taken and given back under a lock, and each copy fills an array no other thread holds.
final class ReusableMapStorage: @unchecked Sendable {
    /// Most arrays kept for reuse.
    let capacity: Int
    private var spare: [[Float]] = []
    private let lock = NSLock()

    /// The default `capacity`: about 128 MB of maps for the default model. Keeping more would raise peak memory
    /// by more than the page faults it saves are worth.
    static let defaultCapacity = 128

    /// Storage that keeps at most `capacity` arrays for reuse.
    init(capacity: Int = ReusableMapStorage.defaultCapacity) {
        self.capacity = capacity
    }

    /// A copy of `view` that outlives the encoder's call, in reused storage when some was given back.
    func copy(_ view: AttentionMapsView) -> AttentionMaps {
        lock.lock()
        var storage = spare.popLast() ?? []
        lock.unlock()
        storage.removeAll(keepingCapacity: true)
        storage.append(contentsOf: view.probabilities)
        return AttentionMaps(tokens: view.tokens, layout: view.layout, probabilities: storage)
    }

    /// Gives back maps the caller no longer needs, so later copies reuse their storage.
    func giveBack(_ maps: [AttentionMaps]) {
        lock.lock()
        defer { lock.unlock() }
        for map in maps where spare.count < capacity { spare.append(map.probabilities) }
    }

    /// Frees the storage kept for reuse (when the maps' stream ends: what comes after should not pay for it).
    func release() {
        lock.lock()
        defer { lock.unlock() }
        spare = []
    }
}
