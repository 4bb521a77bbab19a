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

    /// Appends `window` as one record, newline included, to `bytes`.
    public func append(_ window: Window, to bytes: inout [UInt8]) {
        let tab = UInt8(ascii: "\t")
        switch self {
        case .fasta:
            bytes.append(UInt8(ascii: ">"))
            window.appendLabel(to: &bytes)
            bytes.append(10)
            bytes.append(contentsOf: window.bases)
        case .bed:
            appendInterval(window, to: &bytes)
            window.appendLabel(to: &bytes)
            bytes.append(contentsOf: [tab, UInt8(ascii: "0"), tab])
            bytes.append(window.strand.symbol)
        case .tsv:
            appendInterval(window, to: &bytes)
            bytes.append(window.strand.symbol)
            bytes.append(tab)
            window.appendLabel(to: &bytes)
            bytes.append(tab)
            bytes.append(contentsOf: window.bases)
        }
        bytes.append(10)
    }
}

/// `source<TAB>start<TAB>end<TAB>`, the first columns of both tables.
private func appendInterval(_ window: Window, to bytes: inout [UInt8]) {
    let tab = UInt8(ascii: "\t")
    bytes.append(contentsOf: window.sourceName.utf8)
    bytes.append(tab)
    appendDecimal(window.start, to: &bytes)
    bytes.append(tab)
    appendDecimal(window.end, to: &bytes)
    bytes.append(tab)
}

extension Strand {
    /// `+` or `-` as one ASCII byte.
    var symbol: UInt8 { self == .plus ? UInt8(ascii: "+") : UInt8(ascii: "-") }
}

extension Window {
    /// Appends `label` as UTF-8 to `bytes` (the same text, without building a `String`).
    public func appendLabel(to bytes: inout [UInt8]) {
        if let name {
            bytes.append(contentsOf: name.utf8)
            return
        }
        bytes.append(contentsOf: sourceName.utf8)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(start, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDecimal(end, to: &bytes)
        bytes.append(contentsOf: [UInt8(ascii: "("), strand.symbol, UInt8(ascii: ")")])
    }
}

/// "00", "01", ... "99": two digits per table lookup.
private let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

/// Appends the decimal digits of `value` (with a leading `-` when negative) to `bytes`.
public func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
    if value < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    let pairs = digitPairs.utf8Start
    // Digits are written right to left into 24 bytes on the stack (20 hold any 64-bit magnitude).
    var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
    withUnsafeMutableBytes(of: &scratch) { digits in
        var first = digits.count
        while magnitude >= 100 {
            let pair = Int(magnitude % 100) &* 2
            magnitude /= 100
            first -= 2
            digits[first] = pairs[pair]
            digits[first + 1] = pairs[pair + 1]
        }
        if magnitude >= 10 {
            let pair = Int(magnitude) &* 2
            first -= 2
            digits[first] = pairs[pair]
            digits[first + 1] = pairs[pair + 1]
        } else {
            first -= 1
            digits[first] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)
        }
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: digits[first...]))
    }
}
