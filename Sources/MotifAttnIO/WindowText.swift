import MotifAttnCore

/// The text forms a window is written in by `motifattn windows`.
///
/// Records are built straight into a byte buffer (no `String` per window), so writing
/// costs little next to reading: a whole chromosome's windows go out at the speed of decompression.
public enum WindowTextFormat: String, CaseIterable, Sendable {
    /// `>label` on one line, the bases on the next (`label` as `Window.label`).
    case fasta
    /// BED6: source, start, end, label, score `0`, strand (0-based, half-open).
    case bed
    /// Tab-separated source, start, end, strand, label, bases (the header line is the caller's).
    case tsv

    /// The column header line of `.tsv` output (with its newline).
    public static let tsvHeader = "source\tstart\tend\tstrand\tname\tsequence\n"

    /// The most bytes one record of `window` can take (its exact length or a little more).
    func maximumRecordLength(_ window: BorrowedWindow) -> Int {
        let name = window.name?.utf8.count ?? (window.sourceName.utf8.count + 2 * 20 + 5)
        let fixed = window.sourceName.utf8.count + 2 * 20 + name + 16
        return self == .bed ? fixed : fixed + window.bases.count
    }

    /// Writes `window` as one record, newline included, at `destination` (which has room for
    /// `maximumRecordLength(window)` bytes) and returns the number of bytes written.
    func writeRecord(_ window: BorrowedWindow, at destination: UnsafeMutablePointer<UInt8>) -> Int {
        var cursor = ByteCursor(destination)
        let tab = UInt8(ascii: "\t")
        switch self {
        case .fasta:
            cursor.put(UInt8(ascii: ">"))
            cursor.putLabel(of: window)
            cursor.put(10)
            cursor.put(window.bases)
        case .bed:
            cursor.putInterval(of: window)
            cursor.putLabel(of: window)
            cursor.put(tab); cursor.put(UInt8(ascii: "0")); cursor.put(tab)
            cursor.put(window.strand.symbol)
        case .tsv:
            cursor.putInterval(of: window)
            cursor.put(window.strand.symbol)
            cursor.put(tab)
            cursor.putLabel(of: window)
            cursor.put(tab)
            cursor.put(window.bases)
        }
        cursor.put(10)
        return destination.distance(to: cursor.position)
    }

    /// Appends `window` as one record, newline included, to `bytes`.
    public func append(_ window: Window, to bytes: inout [UInt8]) {
        window.withBorrowed { window in
            let oldCount = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: maximumRecordLength(window)))
            let written = bytes.withUnsafeMutableBufferPointer { writeRecord(window, at: $0.baseAddress! + oldCount) }
            bytes.removeLast(bytes.count - oldCount - written)
        }
    }

    /// Writes `window` as one record, newline included, to `output` (straight into its buffer:
    /// this is the fast path of `motifattn windows`).
    public func write(_ window: Window, to output: OutputFile) throws {
        try window.withBorrowed { try write($0, to: output) }
    }

    /// Writes a borrowed window as one record, newline included, to `output`.
    public func write(_ window: BorrowedWindow, to output: OutputFile) throws {
        try output.write(reserving: maximumRecordLength(window)) { writeRecord(window, at: $0) }
    }
}

extension Strand {
    /// `+` or `-` as one ASCII byte.
    var symbol: UInt8 { self == .plus ? UInt8(ascii: "+") : UInt8(ascii: "-") }
}

/// Writes bytes forward from a pointer into memory the caller has reserved (no bounds checks).
struct ByteCursor {
    private(set) var position: UnsafeMutablePointer<UInt8>

    init(_ start: UnsafeMutablePointer<UInt8>) { position = start }

    @inline(__always) mutating func put(_ byte: UInt8) {
        position.pointee = byte
        position += 1
    }

    @inline(__always) mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        position.update(from: base, count: bytes.count)
        position += bytes.count
    }

    /// The UTF-8 bytes of `text` (copied whole when the string is stored contiguously, as native strings are).
    @inline(__always) mutating func put(_ text: String) {
        let copied: Bool? = text.utf8.withContiguousStorageIfAvailable { source in
            position.update(from: source.baseAddress!, count: source.count)
            position += source.count
            return true
        }
        if copied == nil { for byte in text.utf8 { put(byte) } }
    }

    /// `source<TAB>start<TAB>end<TAB>`, the first columns of both tables.
    mutating func putInterval(of window: BorrowedWindow) {
        let tab = UInt8(ascii: "\t")
        put(window.sourceName); put(tab)
        putDecimal(window.start); put(tab)
        putDecimal(window.end); put(tab)
    }

    /// `Window.label` (the same text, without building a `String`).
    mutating func putLabel(of window: BorrowedWindow) {
        if let name = window.name {
            put(name)
            return
        }
        put(window.sourceName)
        put(UInt8(ascii: ":"))
        putDecimal(window.start)
        put(UInt8(ascii: "-"))
        putDecimal(window.end)
        put(UInt8(ascii: "(")); put(window.strand.symbol); put(UInt8(ascii: ")"))
    }

    /// The decimal digits of `value`, with a leading `-` when negative.
    mutating func putDecimal(_ value: Int) {
        if value < 0 { put(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits = 1
        var power: UInt = 10
        while digits < 20 && magnitude >= power {
            digits += 1
            if power > UInt.max / 10 { break }
            power *= 10
        }
        let pairs = digitPairs.utf8Start
        // Digits are written right to left, two per table lookup.
        var last = position + digits
        while magnitude >= 100 {
            let pair = Int(magnitude % 100) &* 2
            magnitude /= 100
            last -= 2
            last[0] = pairs[pair]
            last[1] = pairs[pair + 1]
        }
        if magnitude >= 10 {
            let pair = Int(magnitude) &* 2
            last -= 2
            last[0] = pairs[pair]
            last[1] = pairs[pair + 1]
        } else {
            last -= 1
            last[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)
        }
        position += digits
    }
}

/// "00", "01", ... "99": two digits per table lookup.
private let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

/// Appends the decimal digits of `value` (with a leading `-` when negative) to `bytes`.
public func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
    let oldCount = bytes.count
    bytes.append(contentsOf: repeatElement(0, count: 21))
    let written = bytes.withUnsafeMutableBufferPointer { buffer in
        var cursor = ByteCursor(buffer.baseAddress! + oldCount)
        cursor.putDecimal(value)
        return buffer.baseAddress!.distance(to: cursor.position) - oldCount
    }
    bytes.removeLast(bytes.count - oldCount - written)
}
