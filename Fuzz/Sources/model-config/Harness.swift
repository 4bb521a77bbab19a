// The model config JSON stored under the safetensors metadata key `motifattn`: parsed and validated,
// then what the loader derives from it (tensor shapes, vocabulary, tokenizer) and a write/read round trip.
import FuzzSupport
import MotifAttnModel

let bases = Array("ACGTNACGTTGCAacgtRYACGTACGGTACCATGACCGTAGCTAGCATCG".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let json = Fuzz.text(data, size)
    let config: ModelConfig
    do { config = try ModelConfig.parse(json: json, file: "config.json") } catch { Fuzz.expected(error); return 0 }
    _ = config.dHead
    _ = config.vocabularySize
    _ = config.expectedTensorShapes
    do {
        let tokens = try config.makeTokenizer().encode(bases)
        precondition(tokens.ids.allSatisfy { $0 >= 0 && Int($0) < config.vocabularySize }, "token ids inside the vocabulary")
    } catch {
        Fuzz.expected(error)
    }
    guard let written = try? config.jsonString() else { preconditionFailure("an accepted config can be written") }
    guard let again = try? ModelConfig.parse(json: written, file: "again.json") else { preconditionFailure("a written config can be read: \(written)") }
    precondition(again == config, "the config survives a write and read")
    return 0
}
