import Foundation
import MotifAttnCore

/// Why a partial analysis state cannot be read or merged.
public enum PartialStateError: Error, CustomStringConvertible {
    /// The file ends before the state does, or a length in it is impossible.
    case truncated(path: String)
    /// The file is not a motifattn partial state (or of another version).
    case notAPartialState(path: String)
    /// Two parts were made with different settings, models or motif databases.
    case mismatch(path: String, detail: String)

    public var description: String {
        switch self {
        case .truncated(let path): return "\(path): partial state is truncated or corrupt"
        case .notAPartialState(let path): return "\(path): not a motifattn partial state (made by `motifattn scan --partial` of this version?)"
        case .mismatch(let path, let detail): return "\(path): cannot be merged with the first part: \(detail)"
        }
    }
}

/// Appends little-endian values to a byte buffer (the partial-state format).
public struct StateWriter {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer.
    public init() {}

    /// Appends a 64-bit integer.
    public mutating func int(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 } }
    /// Appends a 64-bit unsigned integer.
    public mutating func uint64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    /// Appends a 32-bit unsigned integer.
    public mutating func uint32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    /// Appends a double (its IEEE bits).
    public mutating func double(_ value: Double) { uint64(value.bitPattern) }
    /// Appends a float (its IEEE bits).
    public mutating func float(_ value: Float) { uint32(value.bitPattern) }
    /// Appends a length-prefixed byte string.
    public mutating func data(_ value: [UInt8]) { int(value.count); bytes += value }
    /// Appends a length-prefixed UTF-8 string.
    public mutating func string(_ value: String) { data(Array(value.utf8)) }
    /// Appends a length-prefixed float array.
    public mutating func floats(_ values: [Float]) {
        int(values.count)
        for value in values { float(value) }
    }
}

/// Reads what `StateWriter` wrote, with bounds checks: a short or corrupt file is an error, never a crash.
public struct StateReader {
    private let bytes: [UInt8]
    private var offset = 0
    /// File name for messages.
    public let path: String

    /// A reader over `bytes` read from `path`.
    public init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Whether every byte has been read.
    public var atEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - offset else { throw PartialStateError.truncated(path: path) }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    /// Reads a 64-bit unsigned integer.
    public mutating func uint64() throws -> UInt64 {
        try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    /// Reads a 32-bit unsigned integer.
    public mutating func uint32() throws -> UInt32 {
        try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    /// Reads a 64-bit integer.
    public mutating func int() throws -> Int { Int(Int64(bitPattern: try uint64())) }
    /// Reads a count: an integer between 0 and `limit` (default: what the rest of the file could hold).
    public mutating func count(limit: Int? = nil) throws -> Int {
        let value = try int()
        guard value >= 0, value <= (limit ?? (bytes.count - offset)) else { throw PartialStateError.truncated(path: path) }
        return value
    }
    /// Reads a double.
    public mutating func double() throws -> Double { Double(bitPattern: try uint64()) }
    /// Reads a float.
    public mutating func float() throws -> Float { Float(bitPattern: try uint32()) }
    /// Reads a length-prefixed byte string.
    public mutating func data() throws -> [UInt8] { Array(try take(try count())) }
    /// Reads a length-prefixed UTF-8 string.
    public mutating func string() throws -> String { String(decoding: try data(), as: UTF8.self) }
    /// Reads a length-prefixed float array.
    public mutating func floats() throws -> [Float] {
        let n = try count(limit: (bytes.count - offset) / 4)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = try float() }
        return values
    }
}

/// `a + b`, or an error when a corrupt state's counts overflow (a sum of real counts never does).
func adding<T: FixedWidthInteger>(_ a: T, _ b: T, _ path: String) throws -> T {
    let (sum, overflow) = a.addingReportingOverflow(b)
    guard !overflow else { throw PartialStateError.truncated(path: path) }
    return sum
}

// Each accumulator writes its running statistics and adds a written state into itself. Adding the
// states of shards gives the state of one run over all their windows: counts and histograms exactly,
// sums of doubles up to rounding, samples exactly (they are bottom-k by hash, not by arrival order).

extension HeadIndex {
    func encode(to writer: inout StateWriter) { writer.int(layer); writer.int(head) }
    static func decode(from reader: inout StateReader) throws -> HeadIndex {
        HeadIndex(layer: try reader.count(limit: 1 << 16), head: try reader.count(limit: 1 << 16))
    }
}

extension HeadMotifDiscovery {
    /// Writes the word counters, the windows holding each word and the site samples.
    public func encode(to writer: inout StateWriter) {
        writer.int(boundWindows)
        writer.int(backgroundWindows)
        writer.int(counts.count)
        for head in counts.keys.sorted() {
            head.encode(to: &writer)
            let table = counts[head]!
            writer.int(table.count)
            for word in table.keys.sorted() {
                writer.uint32(word)
                writer.int(table[word]!.bound)
                writer.int(table[word]!.background)
            }
        }
        writer.int(presence.count)
        for word in presence.keys.sorted() {
            writer.uint32(word)
            writer.int(presence[word]!)
        }
        for head in regions.keys { pruneRegions(head) }
        writer.int(regions.count)
        for head in regions.keys.sorted() {
            head.encode(to: &writer)
            writer.int(regions[head]!.count)
            for region in regions[head]! {
                writer.uint64(region.hash)
                writer.data(region.codes)
                writer.uint64(region.source)
                writer.int(region.origin)
                writer.int(region.reversed ? 1 : 0)
            }
        }
    }

    /// Adds a state written by `encode(to:)`.
    public func merge(from reader: inout StateReader) throws {
        // A word is counted at most once per window, so no count may exceed this part's windows.
        let partBound = try reader.count(limit: Int.max), partBackground = try reader.count(limit: Int.max)
        boundWindows = try adding(boundWindows, partBound, reader.path)
        backgroundWindows = try adding(backgroundWindows, partBackground, reader.path)
        _ = try adding(boundWindows, backgroundWindows, reader.path)  // their sum is the tests' population
        for _ in 0..<(try reader.count()) {
            let head = try HeadIndex.decode(from: &reader)
            var table = counts[head, default: [:]]
            for _ in 0..<(try reader.count()) {
                let word = try reader.uint32()
                let bound = try reader.count(limit: partBound), background = try reader.count(limit: partBackground)
                var entry = table[word, default: (0, 0)]
                entry.bound = try adding(entry.bound, bound, reader.path)
                entry.background = try adding(entry.background, background, reader.path)
                guard entry.bound <= boundWindows, entry.background <= backgroundWindows else {
                    throw PartialStateError.truncated(path: reader.path)  // a word listed twice
                }
                table[word] = entry
            }
            counts[head] = table
        }
        for _ in 0..<(try reader.count()) {
            let word = try reader.uint32()
            let windows = try adding(presence[word, default: 0], try reader.count(limit: try adding(partBound, partBackground, reader.path)), reader.path)
            guard windows <= boundWindows + backgroundWindows else { throw PartialStateError.truncated(path: reader.path) }  // listed twice
            presence[word] = windows
        }
        for _ in 0..<(try reader.count()) {
            let head = try HeadIndex.decode(from: &reader)
            for _ in 0..<(try reader.count()) {
                let hash = try reader.uint64()
                let codes = try reader.data(), source = try reader.uint64(), origin = try reader.int(), reversed = try reader.count(limit: 1)
                guard codes.allSatisfy({ $0 <= 4 }) else { throw PartialStateError.truncated(path: reader.path) }  // base codes are 0...4
                regions[head, default: []].append(KeptRegion(hash: hash, codes: codes, source: source, origin: origin, reversed: reversed == 1))
            }
            pruneRegions(head)
        }
    }
}

extension HeadDiagnosticsAccumulator {
    /// Writes the sums of entropies and similarities.
    public func encode(to writer: inout StateWriter) {
        writer.int(windows)
        writer.int(layout.layers)
        for heads in layout.headsByLayer {
            writer.int(heads.count)
            for head in heads { writer.int(head) }
        }
        writer.int(entropySum.count)
        for head in entropySum.keys.sorted() {
            head.encode(to: &writer)
            writer.double(entropySum[head]!)
            writer.double(normalizedSum[head, default: 0])
            let similar = similaritySum[head] ?? [:]
            writer.int(similar.count)
            for other in similar.keys.sorted() {
                writer.int(other)
                writer.double(similar[other]!)
            }
        }
        writer.int(importanceCount.count)
        for head in importanceCount.keys.sorted() {
            head.encode(to: &writer)
            writer.int(importanceCount[head]!)
            writer.double(importanceSum[head, default: 0])
        }
    }

    /// Adds a state written by `encode(to:)`.
    public func merge(from reader: inout StateReader) throws {
        windows = try adding(windows, try reader.count(limit: Int.max), reader.path)
        // diagnostics() visits every head (the co-attention histograms allow fewer than 2^16 heads in all).
        var headsByLayer: [[Int]] = [], total = 0
        for _ in 0..<(try reader.count(limit: 1 << 16)) {
            let count = try reader.count(limit: 1 << 16)
            total += count
            guard total < 1 << 16 else { throw PartialStateError.truncated(path: reader.path) }
            var heads: [Int] = []
            for _ in 0..<count {
                let head = try reader.count(limit: 1 << 16)
                guard head > (heads.last ?? -1) else { throw PartialStateError.truncated(path: reader.path) }
                heads.append(head)
            }
            headsByLayer.append(heads)
        }
        if !headsByLayer.isEmpty { layout = HeadLayout(headsByLayer: headsByLayer) }
        for _ in 0..<(try reader.count()) {
            let head = try HeadIndex.decode(from: &reader)
            entropySum[head, default: 0] += try reader.double()
            normalizedSum[head, default: 0] += try reader.double()
            for _ in 0..<(try reader.count()) {
                let other = try reader.count(limit: 1 << 16)
                similaritySum[head, default: [:]][other, default: 0] += try reader.double()
            }
        }
        for _ in 0..<(try reader.count()) {
            let head = try HeadIndex.decode(from: &reader)
            importanceCount[head] = try adding(importanceCount[head, default: 0], try reader.count(limit: Int.max), reader.path)
            importanceSum[head, default: 0] += try reader.double()
        }
    }
}

extension CoAttentionAccumulator {
    /// Writes the per-pair histograms, the null histograms and the mutual-best counters.
    public func encode(to writer: inout StateWriter) {
        writer.int(motifs.count)
        writer.int(null.count)
        for value in null { writer.uint32(value) }
        for value in nullSum { writer.double(value) }
        for i in boundPairsPerSlot.indices {
            writer.int(boundPairsPerSlot[i])
            writer.int(mutualBestPerSlot[i])
        }
        writer.int(pairs.count)
        for key in pairs.keys.sorted() {
            let state = pairs[key]!
            writer.int(key)
            writer.int(state.bound.count)
            for cell in state.bound.keys.sorted() { writer.uint32(cell); writer.uint32(state.bound[cell]!) }
            for i in state.boundSum.indices {
                writer.double(state.boundSum[i])
                writer.uint32(state.ownBackground[i])
                writer.double(state.ownBackgroundSum[i])
                writer.uint32(state.mutualBest[i])
            }
            writer.int(state.distances.count)
            for distance in state.distances.keys.sorted() { writer.uint32(UInt32(distance)); writer.uint32(state.distances[distance]!) }
            for count in state.orientations { writer.int(count) }
        }
    }

    /// Adds a state written by `encode(to:)`; it must come from an accumulator of the same shape.
    public func merge(from reader: inout StateReader) throws {
        guard try reader.int() == motifs.count, try reader.int() == null.count else {
            throw PartialStateError.mismatch(path: reader.path, detail: "another motif database or model shape")
        }
        for i in null.indices { null[i] = try adding(null[i], try reader.uint32(), reader.path) }
        for i in nullSum.indices { nullSum[i] += try reader.double() }
        for i in boundPairsPerSlot.indices {
            boundPairsPerSlot[i] = try adding(boundPairsPerSlot[i], try reader.count(limit: Int.max), reader.path)
            mutualBestPerSlot[i] = try adding(mutualBestPerSlot[i], try reader.count(limit: Int.max), reader.path)
            // Their ratio is a probability (the chance rate of interactions()).
            guard mutualBestPerSlot[i] <= boundPairsPerSlot[i] else { throw PartialStateError.truncated(path: reader.path) }
        }
        let slots = boundPairsPerSlot.count
        for _ in 0..<(try reader.count()) {
            // interactions() indexes motifs with the key and histograms with the cells: both must fit.
            let key = try reader.count(limit: motifs.count * motifs.count - 1)
            var state = pairs[key] ?? PairState(boundSum: Array(repeating: 0, count: slots), ownBackground: Array(repeating: 0, count: slots),
                                                ownBackgroundSum: Array(repeating: 0, count: slots), mutualBest: Array(repeating: 0, count: slots))
            for _ in 0..<(try reader.count()) {
                let cell = try reader.uint32()
                guard Int(cell >> 16) < slots, Int(cell & 0xFFFF) < settings.scoreBins else { throw PartialStateError.truncated(path: reader.path) }
                state.bound[cell] = try adding(state.bound[cell, default: 0], try reader.uint32(), reader.path)
            }
            for i in 0..<slots {
                state.boundSum[i] += try reader.double()
                state.ownBackground[i] = try adding(state.ownBackground[i], try reader.uint32(), reader.path)
                state.ownBackgroundSum[i] += try reader.double()
                state.mutualBest[i] = try adding(state.mutualBest[i], try reader.uint32(), reader.path)
            }
            for _ in 0..<(try reader.count()) {
                let distance = try reader.uint32()
                // add(_:instances:) clamps distances to maxDistance; interactions() finds their null bins by them.
                guard distance <= UInt32(settings.maxDistance) else { throw PartialStateError.truncated(path: reader.path) }
                state.distances[UInt16(distance)] = try adding(state.distances[UInt16(distance), default: 0], try reader.uint32(), reader.path)
            }
            for i in 0..<4 { state.orientations[i] = try adding(state.orientations[i], try reader.count(limit: Int.max), reader.path) }
            pairs[key] = state
        }
    }
}
