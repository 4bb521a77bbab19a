// CustomTokenizer MODEL.safetensors SEQUENCE
//
// Scores one window with a k = 3 model through the codon tokenizer and maps each head's [CLS] attention
// back onto the bases. Prints tab-separated lines:
//   tokens  N                                 token count, [CLS] and [SEP] included
//   covered BASES                             bases covered by the codons' spans (each exactly once)
//   logit   OUTPUT  VALUE                     one line per model output
//   head    LAYER  HEAD  SUM  PEAK_BASE  PEAK  [CLS] attention on bases: its sum, the first base with the most
import Foundation
import MotifAttnModel
import MotifAttnTokenizers

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("CustomTokenizer: \(message)\n".utf8))
    exit(status)
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else { fail("usage: CustomTokenizer MODEL.safetensors SEQUENCE", status: 2) }
do {
    let model = try AttentionModel(contentsOf: arguments[1])
    guard model.config.tokenizer.k == 3 else {
        fail("\(arguments[1]): the codon tokenizer needs a k = 3 model (this one has k = \(model.config.tokenizer.k))", status: 1)
    }
    let bases = Array(arguments[2].utf8)
    let codons = CodonTokenizer()
    let tokens = codons.encode(bases)
    var cover = [Int](repeating: 0, count: bases.count)
    for span in tokens.spans { for b in Int(span.start)..<Int(span.end) { cover[b] += 1 } }

    let rows = Encoder.tokenRows([bases], tokenizer: codons)
    let output = try Encoder(model: model, threads: 1).forward(tokenRows: rows, keepAttention: true)
    print("tokens\t\(tokens.ids.count)")
    print("covered\t\(cover.filter { $0 == 1 }.count)")
    for (o, value) in output.logits(window: 0).enumerated() { print("logit\t\(o)\t" + String(format: "%.6f", value)) }
    let maps = output.attention![0]
    for layer in 0..<model.config.nLayers {
        for head in 0..<model.config.nHeads {
            let map = maps.map(layer: layer, head: head)
            let fromCLS = Array(map.prefix(maps.tokens))
            let onBases = BaseMapping.profileOnBases(fromCLS, spans: tokens.spans, baseCount: bases.count)
            let peak = onBases.indices.max { onBases[$0] < onBases[$1] } ?? 0
            print("head\t\(layer)\t\(head)\t" + String(format: "%.6f\t%d\t%.6f", onBases.reduce(0, +), peak, onBases[peak]))
        }
    }
} catch {
    fail("\(error)", status: 1)
}
