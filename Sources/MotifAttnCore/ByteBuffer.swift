/// Shared by the readers and the output files of this package; not part of the public API.
/// A growable byte buffer that can drop bytes from its front cheaply.
package struct ByteBuffer {
    package private(set) var storage: UnsafeMutablePointer<UInt8>
    package private(set) var capacity: Int
    package private(set) var count = 0

    package init(capacity: Int) {
        self.capacity = max(capacity, 16)
        storage = .allocate(capacity: self.capacity)
    }

    package func deallocate() { storage.deallocate() }

    /// Makes room for `extra` more bytes and returns where they go.
    package mutating func reserveTail(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
        if count + extra > capacity {
            var newCapacity = capacity * 2
            while newCapacity < count + extra { newCapacity *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: storage, count: count)
            storage.deallocate()
            storage = grown
            capacity = newCapacity
        }
        return storage + count
    }

    /// Counts `n` bytes written after `reserveTail` as part of the buffer.
    package mutating func commitTail(_ n: Int) { count += n }

    /// Drops the first `n` bytes.
    package mutating func removeFirst(_ n: Int) {
        precondition(n <= count)
        if n == count { count = 0; return }
        (storage).update(from: storage + n, count: count - n)
        count -= n
    }

    package mutating func removeAll() { count = 0 }
}
