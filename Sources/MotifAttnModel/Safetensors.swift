import Foundation
import MotifAttnCore

/// Why a safetensors file or a model in it could not be read or written.
public enum ModelFileError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read.
    case unreadable(file: String, reason: String)
    /// Shorter than the 8-byte header length.
    case truncated(file: String)
    /// The header length exceeds the file (or a sane bound).
    case headerTooLong(file: String, length: UInt64, fileSize: Int)
    /// The JSON header is malformed.
    case badHeader(file: String, reason: String)
    /// A tensor's dtype is not the float32 motifattn needs.
    case wrongDtype(file: String, tensor: String, dtype: String)
    /// A tensor's byte range lies outside the data section or does not match its shape.
    case badOffsets(file: String, tensor: String, reason: String)
    /// Two tensors claim the same bytes.
    case overlapping(file: String, tensor: String, other: String)
    /// A tensor the model needs is absent.
    case missingTensor(file: String, tensor: String)
    /// A tensor has the wrong shape for the model's config.
    case wrongShape(file: String, tensor: String, expected: [Int], found: [Int])
    /// A tensor the model does not have.
    case unexpectedTensor(file: String, tensor: String)
    /// A weight is NaN or infinite (a diverged training run, or a damaged file).
    case nonFiniteWeight(file: String, tensor: String, index: Int, value: Float)
    /// No `motifattn` config in the metadata.
    case missingConfig(file: String)
    /// The config has a key motifattn does not know.
    case unknownConfigKey(file: String, key: String)
    /// The config has a value motifattn does not support.
    case badConfigValue(file: String, key: String, reason: String)
    /// The file could not be written.
    case unwritable(file: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let f, let r): return "\(f): cannot read the model file (\(r))"
        case .truncated(let f): return "\(f): not a safetensors file (shorter than its 8-byte header length)"
        case .headerTooLong(let f, let n, let s): return "\(f): safetensors header length \(n) bytes does not fit in the \(s)-byte file"
        case .badHeader(let f, let r): return "\(f): safetensors header is not valid (\(r))"
        case .wrongDtype(let f, let t, let d): return "\(f): tensor \(t) has dtype \(d), expected F32"
        case .badOffsets(let f, let t, let r): return "\(f): tensor \(t) has bad data offsets (\(r))"
        case .overlapping(let f, let t, let o): return "\(f): tensors \(t) and \(o) overlap in the file"
        case .missingTensor(let f, let t): return "\(f): tensor \(t) is missing"
        case .wrongShape(let f, let t, let e, let s): return "\(f): tensor \(t) has shape \(s), expected \(e)"
        case .unexpectedTensor(let f, let t): return "\(f): tensor \(t) is not part of a motifattn v1 model with this config"
        case .nonFiniteWeight(let f, let t, let i, let v):
            return "\(f): tensor \(t) holds a non-finite weight (\(v) at flat index \(i)); the model cannot be used"
        case .missingConfig(let f): return "\(f): no motifattn config in the safetensors metadata (key \"motifattn\")"
        case .unknownConfigKey(let f, let k): return "\(f): unknown model config key \"\(k)\""
        case .badConfigValue(let f, let k, let r): return "\(f): model config \"\(k)\": \(r)"
        case .unwritable(let f, let r): return "\(f): cannot write the model file (\(r))"
        }
    }
}

/// One float32 tensor: its shape and values (row-major).
public struct NamedTensor: Sendable, Equatable {
    /// Sizes of the axes, outermost first.
    public var shape: [Int]
    /// Values in row-major order; `values.count` is the product of `shape`.
    public var values: [Float]

    /// A tensor from its shape and values.
    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "values must fill the shape")
        self.shape = shape
        self.values = values
    }
}

/// Reads and writes the safetensors format: 8-byte little-endian header length, a JSON header
/// (`dtype`, `shape`, `data_offsets` per tensor, optional `__metadata__` of strings), then the data.
public enum Safetensors {
    /// Largest JSON header accepted (guards against a corrupt length field).
    public static let maxHeaderBytes = 100_000_000

    /// The tensors and metadata of a safetensors file whose tensors are all F32.
    ///
    /// Checks the header length against the file, offsets inside the data section and matching the
    /// shape, no overlaps, and the dtype; errors name `file` and the tensor.
    /// With `skippingOtherDtypes`, tensors of other dtypes are range-checked but left out instead of rejected.
    public static func read(path: String, skippingOtherDtypes: Bool = false) throws -> (tensors: [String: NamedTensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw ModelFileError.unreadable(file: path, reason: (error as NSError).localizedDescription)
        }
        return try decode(data, file: path, skippingOtherDtypes: skippingOtherDtypes)
    }

    /// Decodes the bytes of a safetensors file (`file` names it in errors).
    public static func decode(_ data: Data, file: String, skippingOtherDtypes: Bool = false) throws -> (tensors: [String: NamedTensor], metadata: [String: String]) {
        guard data.count >= 8 else { throw ModelFileError.truncated(file: file) }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | (UInt64($1.element) << (8 * UInt64($1.offset))) }
        guard headerLength <= UInt64(data.count - 8), headerLength <= UInt64(maxHeaderBytes) else {
            throw ModelFileError.headerTooLong(file: file, length: headerLength, fileSize: data.count)
        }
        let headerStart = data.startIndex + 8
        let dataStart = headerStart + Int(headerLength)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data[headerStart..<dataStart]) } catch {
            throw ModelFileError.badHeader(file: file, reason: "not JSON")
        }
        guard let header = json as? [String: Any] else { throw ModelFileError.badHeader(file: file, reason: "not a JSON object") }
        var metadata: [String: String] = [:]
        if let meta = header["__metadata__"] {
            guard let m = meta as? [String: String] else { throw ModelFileError.badHeader(file: file, reason: "__metadata__ must map strings to strings") }
            metadata = m
        }
        let dataSize = data.count - 8 - Int(headerLength)
        var ranges: [(name: String, begin: Int, end: Int)] = []
        var tensors: [String: NamedTensor] = [:]
        for (name, entry) in header where name != "__metadata__" {
            guard let e = entry as? [String: Any], let dtype = e["dtype"] as? String,
                  let shapeAny = e["shape"] as? [Any], let offsetsAny = e["data_offsets"] as? [Any] else {
                throw ModelFileError.badHeader(file: file, reason: "entry \(name) lacks dtype, shape or data_offsets")
            }
            let elementBytes = ["F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1][dtype]
            guard dtype == "F32" || (skippingOtherDtypes && elementBytes != nil) else {
                throw ModelFileError.wrongDtype(file: file, tensor: name, dtype: dtype)
            }
            let shape = shapeAny.compactMap { ($0 as? NSNumber)?.intValue }
            let offsets = offsetsAny.compactMap { ($0 as? NSNumber)?.intValue }
            guard shape.count == shapeAny.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw ModelFileError.badHeader(file: file, reason: "tensor \(name) has a bad shape")
            }
            guard offsets.count == 2 else { throw ModelFileError.badOffsets(file: file, tensor: name, reason: "need two offsets") }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw ModelFileError.badOffsets(file: file, tensor: name, reason: "bytes \(begin)..<\(end) outside the \(dataSize)-byte data section")
            }
            // Products checked for overflow: a corrupt shape must be an error, not a trap.
            var count = 1
            for size in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: size)
                guard !overflow else { throw ModelFileError.badHeader(file: file, reason: "tensor \(name) has a bad shape") }
                count = product
            }
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: elementBytes!)
            guard !overflow, end - begin == byteCount else {
                throw ModelFileError.badOffsets(file: file, tensor: name, reason: "\(end - begin) bytes for \(count) \(dtype) values")
            }
            ranges.append((name, begin, end))
            guard dtype == "F32" else { continue }
            var values = [Float](repeating: 0, count: count)
            _ = values.withUnsafeMutableBytes { dst in
                data.copyBytes(to: dst, from: (dataStart + begin)..<(dataStart + end))
            }
            for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
            tensors[name] = NamedTensor(shape: shape, values: values)
        }
        // Empty tensors own no bytes; each other range must start after every earlier one ends (comparing
        // with the previous range alone missed an overlap across an empty tensor between them).
        ranges = ranges.filter { $0.end > $0.begin }.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var furthest: (name: String, end: Int)?
        for range in ranges {
            if let furthest, range.begin < furthest.end {
                throw ModelFileError.overlapping(file: file, tensor: range.name, other: furthest.name)
            }
            if range.end > furthest?.end ?? 0 { furthest = (range.name, range.end) }
        }
        return (tensors, metadata)
    }

    /// The bytes of a safetensors file holding `tensors` (F32, in name order, contiguous) and `metadata`.
    public static func encode(tensors: [String: NamedTensor], metadata: [String: String]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + t.values.count * 4]] as [String: Any]
            offset += t.values.count * 4
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            tensors[name]!.values.withUnsafeBufferPointer { buffer in
                for v in buffer { var bits = v.bitPattern.littleEndian; withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) } }
            }
        }
        return out
    }

    /// Writes `tensors` and `metadata` to `path` atomically: through `OutputFile` (a registered temporary
    /// file, renamed when complete), so an interrupted write leaves neither a partial file nor the temporary.
    public static func write(tensors: [String: NamedTensor], metadata: [String: String], path: String) throws {
        let data = try encode(tensors: tensors, metadata: metadata)
        do {
            let output = try OutputFile(path: path)
            try output.write(bytes: data)
            try output.commit()
        } catch let error as OutputError {
            throw ModelFileError.unwritable(file: path, reason: "\(error)")
        }
    }
}
