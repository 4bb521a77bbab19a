import MotifAttnCore

/// Errors in the labels of a labelled FASTA header.
public enum LabelError: Error, CustomStringConvertible, Equatable {
    /// The header has no `label=` field.
    case missing(record: String)
    /// A value in `label=` is not 0 or 1.
    case notBinary(record: String, value: String)
    /// The record has a different number of labels from the model's outputs or the first record.
    case wrongCount(record: String, found: Int, expected: Int)

    public var description: String {
        switch self {
        case let .missing(record):
            return "record '\(record)' has no label= field in its header (expected e.g. '>\(record) label=1')"
        case let .notBinary(record, value):
            return "record '\(record)': label value '\(value)' is not 0 or 1"
        case let .wrongCount(record, found, expected):
            return "record '\(record)' has \(found) labels, expected \(expected)"
        }
    }
}

/// Class labels carried in FASTA headers, as `simulate.py` writes them:
/// `>seq1 label=1` for one output, `>seq1 label=1,0,1` for several.
public enum SequenceLabels {
    /// The labels in a header's description (the text after the record name).
    ///
    /// - Parameters:
    ///   - description: header text after the name, e.g. `label=1,0`.
    ///   - record: the record name, for error messages.
    public static func parse(description: String, record: String) throws -> [Float] {
        for field in description.split(whereSeparator: { $0 == " " || $0 == "\t" }) where field.hasPrefix("label=") {
            let values = field.dropFirst("label=".count).split(separator: ",", omittingEmptySubsequences: false)
            return try values.map { value -> Float in
                switch value {
                case "0": return 0
                case "1": return 1
                default: throw LabelError.notBinary(record: record, value: String(value))
                }
            }
        }
        throw LabelError.missing(record: record)
    }

    /// The header field that `parse(description:record:)` reads back: `label=1` or `label=1,0,1`.
    public static func field(_ labels: [Float]) -> String {
        "label=" + labels.map { $0 == 0 ? "0" : "1" }.joined(separator: ",")
    }
}
