import Foundation

/// A safetensors file read whole for tests: 8-byte little-endian header length,
/// a JSON header naming each tensor's dtype, shape and byte range, then the data.
///
/// Test-only: it reads F32, F64 and I64 tensors and trusts the file (fixtures are committed).
public struct SafetensorsFixture {
    /// One tensor's dtype, shape and byte range inside the data section.
    public struct Entry {
        /// Data type as spelled in the header (`F32`, `I64`, ...).
        public var dtype: String
        /// Shape, outermost first.
        public var shape: [Int]
        /// Byte range relative to the start of the data section.
        public var byteRange: Range<Int>
    }

    /// Tensors by name.
    public private(set) var entries: [String: Entry] = [:]
    /// The `__metadata__` strings, if any.
    public private(set) var metadata: [String: String] = [:]
    private let data: Data
    private let dataStart: Int

    /// Reads the file at `url` (fails the test run with a clear message when malformed).
    public init(contentsOf url: URL) throws {
        data = try Data(contentsOf: url)
        guard data.count >= 8 else { throw FixtureError("\(url.lastPathComponent): shorter than the 8-byte header length") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        dataStart = 8 + Int(headerLength)
        guard dataStart <= data.count else { throw FixtureError("\(url.lastPathComponent): header runs past the end") }
        let header = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + dataStart))
        guard let json = try JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw FixtureError("\(url.lastPathComponent): header is not a JSON object")
        }
        for (name, value) in json {
            guard let object = value as? [String: Any] else { continue }
            if name == "__metadata__" {
                metadata = object.compactMapValues { $0 as? String }
                continue
            }
            guard let dtype = object["dtype"] as? String, let shape = object["shape"] as? [Int],
                  let offsets = object["data_offsets"] as? [Int], offsets.count == 2 else {
                throw FixtureError("\(url.lastPathComponent): tensor \(name) has an incomplete header entry")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, byteRange: offsets[0]..<offsets[1])
        }
    }

    /// Names of all tensors, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// The values of tensor `name` converted to Float (from F32, F64 or I64).
    public func floats(_ name: String) throws -> [Float] {
        guard let entry = entries[name] else { throw FixtureError("no tensor named \(name)") }
        let count = entry.shape.reduce(1, *)
        let start = dataStart + entry.byteRange.lowerBound
        return data.withUnsafeBytes { raw -> [Float] in
            let base = raw.baseAddress!.advanced(by: start)
            switch entry.dtype {
            case "F32": return (0..<count).map { base.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
            case "F64": return (0..<count).map { Float(base.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) }
            case "I64": return (0..<count).map { Float(base.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
            default: return []
            }
        }
    }

    /// The values of integer tensor `name` (I64).
    public func integers(_ name: String) throws -> [Int] {
        guard let entry = entries[name], entry.dtype == "I64" else { throw FixtureError("no I64 tensor named \(name)") }
        let count = entry.shape.reduce(1, *)
        let start = dataStart + entry.byteRange.lowerBound
        return data.withUnsafeBytes { raw in
            (0..<count).map { Int(raw.loadUnaligned(fromByteOffset: start + 8 * $0, as: Int64.self)) }
        }
    }

    /// The shape of tensor `name`.
    public func shape(_ name: String) throws -> [Int] {
        guard let entry = entries[name] else { throw FixtureError("no tensor named \(name)") }
        return entry.shape
    }
}

/// A malformed or missing test fixture.
public struct FixtureError: Error, CustomStringConvertible {
    /// What is wrong, naming the file or tensor.
    public var description: String
    /// Creates an error with its message.
    public init(_ description: String) { self.description = description }
}
