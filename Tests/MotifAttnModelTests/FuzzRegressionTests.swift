import Foundation
import XCTest
@testable import MotifAttnModel

/// Model files that crashed the loader (found by review of the Fuzz/ harnesses' targets and reproduced with
/// them); each must now be a typed error naming the key or tensor.
final class ModelFileFuzzRegressionTests: XCTestCase {
    private func configJSON(_ changes: [String: Any]) throws -> String {
        var object: [String: Any] = [
            "activation": "gelu", "d_ff": 4, "d_model": 2, "format": "motifattn-model", "layer_norm_eps": 1e-5,
            "max_len": 6, "n_heads": 1, "n_layers": 1, "n_outputs": 1, "norm_first": true, "pooling": "cls",
            "positional": "learned", "tokenizer": ["k": 1, "kind": "kmer", "stride": 1], "version": 1,
        ]
        for (key, value) in changes { object[key] = value }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    func testHugeDimensionsAreRejectedBeforeTensorSizesAreComputed() throws {
        XCTAssertNoThrow(try ModelConfig.parse(json: try configJSON([:]), file: "c.json").expectedTensorShapes)
        // 3 · d_model overflowed Int in expectedTensorShapes (Fuzz/corpus/model-config/finding-d-model-overflow).
        let cases: [(String, Any, String)] = [
            ("d_model", 3_074_457_345_618_258_603, "must be between 1 and 1048576"),
            ("d_ff", 1 << 40, "must be between 1 and 1048576"),
            ("max_len", Int.max, "must be between 2 and 1048576"),
            ("n_outputs", 1 << 21, "must be between 1 and 1048576"),
            ("n_layers", 1_000_000_000_000, "must be between 0 and 4096"),  // a loop over every layer
            ("conv_width", 1 << 40 | 1, "\(1 << 40 | 1) must be 0 or odd (at most 1023)"),
        ]
        for (key, value, reason) in cases {
            XCTAssertThrowsError(try ModelConfig.parse(json: try configJSON([key: value]), file: "c.json"), key) { error in
                XCTAssertEqual(error as? ModelFileError, .badConfigValue(file: "c.json", key: key, reason: reason))
            }
        }
    }

    func testTensorShapeWhoseSizeOverflowsIsABadHeader() throws {
        // Fuzz/corpus/safetensors/finding-shape-overflow: the product of the shape overflowed Int.
        for shape in [[1 << 62, 4], [1 << 61, 1]] {
            var json = Array(#"{"t":{"dtype":"F32","shape":[\#(shape[0]),\#(shape[1])],"data_offsets":[0,0]}}"#.utf8)
            while json.count % 8 != 0 { json.append(0x20) }
            let bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json
            XCTAssertThrowsError(try Safetensors.decode(Data(bytes), file: "m.safetensors")) { error in
                XCTAssertTrue([ModelFileError.badHeader(file: "m.safetensors", reason: "tensor t has a bad shape"),
                               .badOffsets(file: "m.safetensors", tensor: "t", reason: "0 bytes for \(shape[0]) F32 values")]
                    .contains(error as? ModelFileError), "\(error)")
            }
        }
    }

    func testOverlapAcrossAnEmptyTensorIsFound() throws {
        // Found reading Safetensors.decode for the safetensors harness: only neighbouring ranges were compared,
        // so an empty tensor sorted between two overlapping ones hid the overlap.
        var json = Array(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"c":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        let bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json + [UInt8](repeating: 0, count: 8)
        XCTAssertThrowsError(try Safetensors.decode(Data(bytes), file: "m.safetensors")) { error in
            XCTAssertEqual(error as? ModelFileError, .overlapping(file: "m.safetensors", tensor: "c", other: "a"))
        }
    }
}
