import Foundation

/// An owned, 64-byte aligned run of `Float`s that keeps its address for its whole life.
///
/// Hot loops take `pointer` once and work on it; nothing in the batch loop allocates.
/// The buffer can grow (`reserve`) between batches, never inside one.
public final class FloatBuffer: @unchecked Sendable {
    /// First element; valid for `capacity` floats.
    public private(set) var pointer: UnsafeMutablePointer<Float>
    /// Number of floats the buffer holds.
    public private(set) var capacity: Int

    /// A zero-filled buffer of `count` floats.
    public init(count: Int) {
        capacity = max(count, 1)
        pointer = FloatBuffer.allocate(capacity)
    }

    /// A buffer holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: src.count) }
        }
    }

    deinit { free(pointer) }

    /// Grows the buffer to at least `count` floats (contents are not kept; the new memory is zero unless
    /// `zeroed` is false, for outputs written whole before they are read: zeroing costs as much as filling).
    public func reserve(_ count: Int, zeroed: Bool = true) {
        guard count > capacity else { return }
        free(pointer)
        capacity = count
        pointer = FloatBuffer.allocate(count, zeroed: zeroed)
    }

    /// The first `count` floats as an array (a copy).
    public func array(count: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    private static func allocate(_ count: Int, zeroed: Bool = true) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        let bytes = (count * MemoryLayout<Float>.stride + 63) / 64 * 64
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else { fatalError("out of memory for \(count) floats") }
        if zeroed { memset(raw, 0, bytes) }
        return raw.bindMemory(to: Float.self, capacity: count)
    }
}
