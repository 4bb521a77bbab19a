import Foundation
import XCTest
import MotifAttn
import _TestSupport

/// Activation patching on a model where the truth is built in: a trained one-layer model with its head 1
/// cut off from the output (its columns of out_proj set to zero), so head 1 carries nothing and head 0
/// carries the signal.
final class HeadPatchingTests: XCTestCase {
    private static let motif = Array("CACGTG".utf8)

    private func sequences(count: Int, seed: UInt64) -> [(bases: [UInt8], bound: Bool)] {
        var generator = SeededGenerator(seed: seed)
        let alphabet = Array("ACGT".utf8)
        return (0..<count).map { i in
            var bases = (0..<60).map { _ in alphabet[generator.uniform(below: 4)] }
            if i % 2 == 0 {
                let at = generator.uniform(below: 60 - Self.motif.count + 1)
                bases.replaceSubrange(at..<(at + Self.motif.count), with: Self.motif)
            }
            return (bases, i % 2 == 0)
        }
    }

    func testOnlyTheHeadConnectedToTheOutputHasAPatchingEffect() throws {
        let dir = try CLIRunner.folder(for: self)
        let train = dir.appendingPathComponent("train.fa").path, path = dir.appendingPathComponent("m.safetensors").path
        try sequences(count: 2000, seed: 1).enumerated().map { ">s\($0.offset) label=\($0.element.bound ? 1 : 0)\n\(String(decoding: $0.element.bases, as: UTF8.self))\n" }
            .joined().write(toFile: train, atomically: true, encoding: .utf8)
        let trained = try CLIRunner.motifattn(["train", "--train", train, "--epochs", "3", "-o", path, "--d-model", "16", "--heads", "2",
                                               "--layers", "1", "--d-ff", "32", "--conv-width", "5", "--batch-size", "32", "--lr", "0.003",
                                               "--patience", "0", "--threads", "2", "--quiet"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        var model = try AttentionModel(contentsOf: path)
        let name = "encoder.layers.0.self_attn.out_proj.weight"
        var weight = try XCTUnwrap(model.tensors[name])
        let d = model.config.dModel, dh = d / 2
        for row in 0..<d { for column in dh..<d { weight.values[row * d + column] = 0 } }
        model.tensors[name] = weight
        let tokenizer = try model.makeTokenizer()
        let held = sequences(count: 200, seed: 2)
        let bound = held.filter(\.bound).map { tokenizer.encode($0.bases).ids }
        let background = held.filter { !$0.bound }.map { tokenizer.encode($0.bases).ids }
        let pairs = zip(bound, background).map { HeadPatching.Pair(bound: $0, background: $1) }
        let effects = try HeadPatching.measure(encoder: Encoder(model: model, threads: 2), pairs: pairs)
        let cut = try XCTUnwrap(effects[HeadIndex(layer: 0, head: 1)])
        XCTAssertEqual(cut.pairs, 100)
        XCTAssertEqual(cut.mean, 0, "head 1 reaches nothing: patching it changes no logit")
        XCTAssertEqual(cut.pValue, 1)
        let carrier = try XCTUnwrap(effects[HeadIndex(layer: 0, head: 0)])
        XCTAssertGreaterThan(carrier.ciLow, 0, "head 0's bound-state output raises background logits: \(carrier)")
        XCTAssertLessThan(carrier.pValue, 1e-6)
    }

    func testAnalyzeWritesThePatchingColumnsAndAShardedScanRefusesThem() throws {
        let dir = try CLIRunner.folder(for: self)
        let fasta = dir.appendingPathComponent("windows.fa").path
        try sequences(count: 200, seed: 3).enumerated().map { ">w\($0.offset) label=\($0.element.bound ? 1 : 0)\n\(String(decoding: $0.element.bases, as: UTF8.self))\n" }
            .joined().write(toFile: fasta, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("analysis").path
        let analysed = try CLIRunner.motifattn(["analyze", fasta, "--patch-pairs", "40", "--threads", "2", "--quiet", "-o", out])
        XCTAssertEqual(analysed.status, 0, analysed.stderr)
        let lines = try CLIRunner.contentLines(URL(fileURLWithPath: out).appendingPathComponent("heads.tsv")).filter { !$0.isEmpty }
        let header = lines[0].split(separator: "\t").map(String.init)
        XCTAssertEqual(Array(header.suffix(5)), ["patch_effect", "patch_ci_low", "patch_ci_high", "patch_p_value", "patch_pairs"])
        for row in lines.dropFirst() {
            let fields = row.split(separator: "\t").map(String.init)
            XCTAssertEqual(fields.last, "40", row)
            XCTAssertNotNil(Double(fields[header.firstIndex(of: "patch_p_value")!]), row)
        }
        let refused = try CLIRunner.motifattn(["scan", fasta, "--regions", fasta, "--partial", "--patch-pairs", "10", "-o", out + "2"])
        XCTAssertEqual(refused.status, 64, refused.stderr)
    }
}
