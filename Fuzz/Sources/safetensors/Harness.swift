// Safetensors bytes: the header and tensor table (lengths, JSON, dtypes, shapes, offsets, overlaps), then
// loading a model as AttentionModel(contentsOf:) does (config, names, shapes) and, when that succeeds,
// scoring one short window with it.
import FuzzSupport
import Foundation
import MotifAttnModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Data(Fuzz.bytes(data, size))
    do { _ = try Safetensors.decode(bytes, file: "model.safetensors", skippingOtherDtypes: true) } catch { Fuzz.expected(error) }
    // The steps of AttentionModel(contentsOf:), on the bytes instead of a file.
    let model: AttentionModel
    do {
        let (tensors, metadata) = try Safetensors.decode(bytes, file: "model.safetensors")
        for tensor in tensors.values { precondition(tensor.shape.reduce(1, *) == tensor.values.count, "values fill the shape") }
        guard let json = metadata["motifattn"] else { throw ModelFileError.missingConfig(file: "model.safetensors") }
        let config = try ModelConfig.parse(json: json, file: "model.safetensors")
        model = try AttentionModel(config: config, tensors: tensors, file: "model.safetensors")
    } catch {
        Fuzz.expected(error)
        return 0
    }
    do {
        let tokens = try model.makeTokenizer().encode(Array("ACGTACGTAC".utf8))
        let encoder = Encoder(model: model, threads: 1, batchSize: 1)
        _ = try encoder.score(tokenRows: [tokens.ids])
    } catch {
        Fuzz.expected(error)
    }
    return 0
}
