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
            bytes.append(contentsOf: window.sourceName.utf8)
            bytes.append(tab)
            appendDecimal(window.start, to: &bytes)
            bytes.append(tab)
            appendDecimal(window.end, to: &bytes)
            bytes.append(tab)
            window.appendLabel(to: &bytes)
            bytes.append(contentsOf: [tab, UInt8(ascii: "0"), tab])
            bytes.append(window.strand.symbol)
        case .tsv:
            bytes.append(contentsOf: window.sourceName.utf8)
            bytes.append(tab)
            appendDecimal(window.start, to: &bytes)
            bytes.append(tab)
            appendDecimal(window.end, to: &bytes)
            bytes.append(tab)
            bytes.append(window.strand.symbol)
            bytes.append(tab)
            window.appendLabel(to: &bytes)
            bytes.append(tab)
            bytes.append(contentsOf: window.bases)
        }
        bytes.append(10)
    }
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

/// Appends the decimal digits of `value` (with a leading `-` when negative) to `bytes`.
public func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
    if value < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    var digits = 1
    var power: UInt = 10
    while digits < 20 && magnitude >= power {
        digits += 1
        power = power.multipliedReportingOverflow(by: 10).partialValue
    }
    // Reserve the digits, then fill them from the right.
    let first = bytes.count
    for _ in 0..<digits { bytes.append(UInt8(ascii: "0")) }
    bytes.withUnsafeMutableBufferPointer { buffer in
        var i = first + digits
        repeat {
            i -= 1
            buffer[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
    }
}
