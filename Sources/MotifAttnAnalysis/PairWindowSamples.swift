import MotifAttnCore

/// A bounded sample of bound windows for every motif pair, kept so that the pair can be tested in the
/// model itself (`EpistasisTest`): the window's bases, its logit and the two sites.
///
/// Each pair orders its windows (`EpistasisSample`) by the pair's co-attention in the window (`attended`, the
/// default), or by none, then by the window's priority: a stable hash of its label (`Window.label`: the record
/// name, or contig, start, end and strand), or its logit with the hash breaking ties (`strongest`); each pair keeps
/// the `capacity` windows that come first (bottom-k sampling). The sample is therefore the same whatever the
/// order windows arrive in, the thread count or the sharding of a scan, and two shards' samples merge into the
/// whole run's.
/// A window's bases are stored once however many pairs' samples hold it, and dropped when none does,
/// so memory is at most pairs × `capacity` site entries plus the windows they refer to. An entry is packed in
/// 16 bytes, its sites in one arena shared by all pairs (compacted when evicted entries' sites fill half of it):
/// a scan offers hundreds of pairs per bound window, and an entry with two arrays of its own took about 150.
public final class PairWindowSamples {
    /// One sampled window of a pair: the window (`window(_:)`) and the sites of the two motifs, as base ranges of it.
    public struct Entry: Sendable, Equatable {
        /// Identifier of the stored window.
        public var window: Int
        /// Every site of the pair's first motif (the smaller index) in the window; for a motif paired with itself,
        /// its first site.
        public var sitesA: [Range<Int>]
        /// Every site of the second motif; for a motif paired with itself, its later sites clear of the first.
        public var sitesB: [Range<Int>]
    }

    /// A stored window: bases and the model's first logit.
    public struct StoredWindow: Sendable {
        /// Sampling priority (stable hash of the label; for `EpistasisSample.strongest` led by the logit) and the
        /// label, which order a pair's windows after the entry's rank.
        public var priority: UInt64
        public var label: String
        public var bases: [UInt8]
        public var logit: Float
    }

    /// Most windows kept per pair.
    public let capacity: Int
    /// Which windows a pair keeps.
    public let order: EpistasisSample
    /// Number of motifs the instances refer to (pairs are keyed by `MotifPairKey`).
    public let motifCount: Int
    private var pairKeys: MotifPairKey { MotifPairKey(motifCount: motifCount) }
    private var windows: [Int: StoredWindow] = [:]
    private var references: [Int: Int] = [:]
    private var nextWindow = 0
    private var samples: [Int: [PackedEntry]] = [:]
    /// Site bounds of the entries, `lower, upper` per site, sites A then B of each entry.
    private var arena: [Int32] = []
    /// Arena values that live entries use (the rest belongs to evicted entries until `compact`).
    private var liveArena = 0
    /// Evicted entries' arena values tolerated beyond the live ones before compacting.
    var compactionSlack = 65_536
    /// Times the arena was compacted (for tests).
    private(set) var compactions = 0

    /// An entry as stored: its window and where its sites lie in `arena`.
    private struct PackedEntry {
        var window: Int32
        var offset: Int32
        var countA: UInt16
        var countB: UInt16
        /// The entry's rank in its pair's sampling order before its window's priority and label: 0 unless the
        /// order is `EpistasisSample.attended` (then the pair's co-attention in the window, highest first).
        var rank: UInt32
        var arenaLength: Int { 2 * (Int(countA) + Int(countB)) }
    }

    public init(motifCount: Int, capacity: Int, order: EpistasisSample = .random) {
        self.motifCount = motifCount
        self.capacity = capacity
        self.order = order
    }

    /// The sampling priority of a window with this label and first logit (smaller enters first).
    func priority(label: String, logit: Float) -> UInt64 {
        let hash = StableHash.mix(StableHash.fnv1a(label))
        switch order {
        case .random, .attended:
            return hash
        case .strongest:
            // Logits highest first in the upper 32 bits; the hash breaks ties below.
            return UInt64(Self.highestFirst(logit)) << 32 | hash >> 32
        }
    }

    /// The rank of a pair's entry whose two motifs co-attend with `score` in the window (`EpistasisSample.attended`):
    /// the score highest first; 0 for the other orders.
    func rank(coAttention score: Float?) -> UInt32 {
        order == .attended ? Self.highestFirst(score ?? -1) : 0
    }

    /// `value` in steps of 1/256 as a key that sorts the highest step first (values within one step tie).
    private static func highestFirst(_ value: Float) -> UInt32 {
        let step = Int32(clamping: Int64((Double(value) * 256).rounded(.down)))
        return ~(UInt32(bitPattern: step) ^ 0x8000_0000)
    }

    /// Whether an entry of rank `rank` in `window` comes before the stored entry `other` in the sampling order.
    private func precedes(rank: UInt32, _ window: StoredWindow, _ other: PackedEntry) -> Bool {
        let w = windows[Int(other.window)]!
        return (rank, window.priority, window.label) < (other.rank, w.priority, w.label)
    }

    /// The stored window `id` (from an `Entry`).
    public func window(_ id: Int) -> StoredWindow { windows[id]! }

    /// Windows currently stored (for tests of the memory bound).
    public var storedWindows: Int { windows.count }

    /// The sampled windows of the pair of motifs `a` and `b` (either order), in sampling order.
    public func entries(_ a: Int, _ b: Int) -> [Entry] { (samples[pairKeys.key(a, b)] ?? []).map(unpack) }

    /// How many windows the sample of the pair of motifs `a` and `b` holds (`entries(a, b).count`, without unpacking them).
    public func entryCount(_ a: Int, _ b: Int) -> Int { samples[pairKeys.key(a, b)]?.count ?? 0 }

    private func unpack(_ e: PackedEntry) -> Entry {
        func sites(_ first: Int, _ count: Int) -> [Range<Int>] {
            (0..<count).map { Int(arena[first + 2 * $0])..<Int(arena[first + 2 * $0 + 1]) }
        }
        let offset = Int(e.offset)
        return Entry(window: Int(e.window), sitesA: sites(offset, Int(e.countA)), sitesB: sites(offset + 2 * Int(e.countA), Int(e.countB)))
    }

    private func pack(_ entry: Entry, rank: UInt32) -> PackedEntry {
        let packed = PackedEntry(window: Int32(entry.window), offset: Int32(arena.count),
                                 countA: UInt16(entry.sitesA.count), countB: UInt16(entry.sitesB.count), rank: rank)
        for site in entry.sitesA + entry.sitesB { arena.append(Int32(site.lowerBound)); arena.append(Int32(site.upperBound)) }
        liveArena += packed.arenaLength
        return packed
    }

    /// Rewrites the arena with the live entries' sites only, pair by pair.
    private func compact() {
        var fresh: [Int32] = []
        fresh.reserveCapacity(liveArena)
        for key in samples.keys.sorted() {
            samples[key] = samples[key]!.map { e in
                var moved = e
                moved.offset = Int32(fresh.count)
                fresh.append(contentsOf: arena[Int(e.offset)..<(Int(e.offset) + e.arenaLength)])
                return moved
            }
        }
        arena = fresh
        compactions += 1
    }

    /// Adds a bound window with its first logit and motif instances (indices below `motifCount`): every
    /// pair of motifs with non-overlapping instances in the window offers it to its pair's sample, with
    /// all the sites of both motifs in the window (a motif is knocked out of a window as a whole). A motif with
    /// two or more non-overlapping sites pairs with itself: its first site is one side, the later sites clear of
    /// it the other. `coAttention` holds each pair's strongest co-attention in the window
    /// (`CoAttentionAccumulator.add`, keyed by `MotifPairKey`), which `EpistasisSample.attended` samples by.
    public func add(_ window: Window, logit: Float, instances: [MotifInstance], coAttention: [Int: Float] = [:]) {
        var sites: [Int: [Range<Int>]] = [:]
        for instance in instances { sites[instance.motifIndex, default: []].append(instance.start..<instance.end) }
        var keys = Set<Int>()
        for i in instances.indices {
            for j in instances.indices where j > i {
                let x = instances[i], y = instances[j]
                guard x.end <= y.start || y.end <= x.start else { continue }
                keys.insert(pairKeys.key(x.motifIndex, y.motifIndex))
            }
        }
        guard !keys.isEmpty else { return }
        let label = window.label
        let stored = StoredWindow(priority: priority(label: label, logit: logit), label: label, bases: window.bases, logit: logit)
        let id = nextWindow
        var accepted = false
        // Knocking one motif out must leave the other's sites whole: a site of one motif that overlaps a site of
        // the other is left to the other.
        func apart(_ own: [Range<Int>], from other: [Range<Int>]) -> [Range<Int>] { own.filter { s in !other.contains { $0.overlaps(s) } } }
        for key in keys.sorted() {
            let rank = rank(coAttention: coAttention[key])
            guard admits(stored, rank: rank, to: key) else { continue }
            let (first, second) = pairKeys.motifs(of: key)
            let a = sites[first]!, b = sites[second]!
            let sitesA: [Range<Int>], sitesB: [Range<Int>]
            if first == second {
                // Two sites of one motif: the first site in the window against the sites clear of it after it.
                let ordered = a.sorted { $0.lowerBound < $1.lowerBound }
                (sitesA, sitesB) = ([ordered[0]], ordered.dropFirst().filter { !$0.overlaps(ordered[0]) })
            } else {
                (sitesA, sitesB) = (apart(a, from: b), apart(b, from: a))
            }
            guard !sitesA.isEmpty && !sitesB.isEmpty else { continue }
            if offer(Entry(window: id, sitesA: sitesA, sitesB: sitesB), rank: rank, window: stored, to: key) { accepted = true }
        }
        if accepted { nextWindow += 1 }
    }

    /// Whether `window` would enter pair `key`'s sample: the sample has room, or the window comes before its last.
    /// Once a common pair's sample is full most windows fail this, so the caller checks it before building an entry.
    private func admits(_ window: StoredWindow, rank: UInt32, to key: Int) -> Bool {
        guard let last = samples[key]?.last, samples[key]!.count >= capacity else { return true }
        return precedes(rank: rank, window, last)
    }

    /// Puts `entry` into pair `key`'s sample if it is among the `capacity` first; stores the window on first use.
    private func offer(_ entry: Entry, rank: UInt32, window: StoredWindow, to key: Int) -> Bool {
        guard admits(window, rank: rank, to: key) else { return false }
        // The sample is in sampling order: the first entry whose window does not come before this one, by bisection.
        var low = 0, high = samples[key]?.count ?? 0
        while low < high {
            let middle = (low + high) / 2
            if !precedes(rank: rank, window, samples[key]![middle]) { low = middle + 1 } else { high = middle }
        }
        precondition(entry.window <= Int(Int32.max) && entry.sitesA.count <= Int(UInt16.max) && entry.sitesB.count <= Int(UInt16.max),
                     "pair sample entry too large to pack")
        if windows[entry.window] == nil { windows[entry.window] = window }
        references[entry.window, default: 0] += 1
        samples[key, default: []].insert(pack(entry, rank: rank), at: low)
        if samples[key]!.count > capacity {
            let evicted = samples[key]!.removeLast()
            liveArena -= evicted.arenaLength
            release(Int(evicted.window))
            if arena.count > 2 * liveArena + compactionSlack { compact() }
        }
        return true
    }

    private func release(_ id: Int) {
        references[id]! -= 1
        if references[id] == 0 { references[id] = nil; windows[id] = nil }
    }

    // MARK: - Partial state

    /// Writes the samples (the `scan --partial` state).
    public func encode(to writer: inout StateWriter) {
        let ids = windows.keys.sorted()
        writer.int(ids.count)
        for id in ids {
            let w = windows[id]!
            writer.int(id); writer.uint64(w.priority); writer.string(w.label); writer.data(w.bases); writer.float(w.logit)
        }
        let keys = samples.keys.sorted()
        writer.int(keys.count)
        for key in keys {
            writer.int(key)
            writer.int(samples[key]!.count)
            for packed in samples[key]! {
                let e = unpack(packed)
                writer.int(e.window)
                writer.uint64(UInt64(packed.rank))
                for sites in [e.sitesA, e.sitesB] {
                    writer.int(sites.count)
                    for site in sites { writer.int(site.lowerBound); writer.int(site.upperBound) }
                }
            }
        }
    }

    /// Adds samples written by `encode(to:)` (another shard of the same run).
    public func merge(from reader: inout StateReader) throws {
        var incoming: [Int: StoredWindow] = [:]
        for _ in 0..<(try reader.count()) {
            let id = try reader.int(), priority = try reader.uint64(), label = try reader.string()
            incoming[id] = StoredWindow(priority: priority, label: label, bases: try reader.data(), logit: try reader.float())
        }
        var renamed: [Int: Int] = [:]
        for _ in 0..<(try reader.count()) {
            let key = try reader.int()
            guard key >= 0, key < motifCount * motifCount else { throw PartialStateError.truncated(path: reader.path) }
            for _ in 0..<(try reader.count()) {
                let id = try reader.int(), rank = try reader.uint64()
                guard let window = incoming[id], rank <= UInt64(UInt32.max) else { throw PartialStateError.truncated(path: reader.path) }
                func sites() throws -> [Range<Int>] {
                    try (0..<(try reader.count())).map { _ in
                        let lower = try reader.int(), upper = try reader.int()
                        guard lower >= 0, lower <= upper, upper <= window.bases.count else { throw PartialStateError.truncated(path: reader.path) }
                        return lower..<upper
                    }
                }
                let sitesA = try sites(), sitesB = try sites()
                let local = renamed[id] ?? nextWindow
                if offer(Entry(window: local, sitesA: sitesA, sitesB: sitesB), rank: UInt32(rank), window: window, to: key), renamed[id] == nil {
                    renamed[id] = local
                    nextWindow += 1
                }
            }
        }
    }
}
