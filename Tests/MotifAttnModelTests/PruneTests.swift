import XCTest
import MotifAttnCore
import MotifAttnModel
import _TestSupport

/// Pruned models (format v2): the encoder against the numpy peer (`Benchmarks/peer/pruned_peer.py`), pruning
/// against zero-ablation of the same heads, and the config rules of v2.
final class PruneTests: XCTestCase {
    private let prunedCase = "k3c11_d32_h4_l2-pruned"
    /// The heads `pruned_peer.py prune` removed from `model-v1/k3c11_d32_h4_l2` to make the fixture.
    private let removedInFixture = [(layer: 0, head: 1), (layer: 1, head: 0), (layer: 1, head: 2)]

    func testPrunedModelLogitsAndAttentionMatchTheNumpyPeerWithin1e4() throws {
        let golden = try GoldenCase(prunedCase, set: "model-v2")
        let model = try AttentionModel(contentsOf: golden.modelPath)
        XCTAssertEqual(model.config.version, 2)
        XCTAssertEqual(model.config.keptHeads, [[0, 2, 3], [1, 3]])
        for threads in [1, 2] {
            let encoder = Encoder(model: model, threads: threads, batchSize: 3)
            let out = try encoder.forward(tokenRows: golden.tokens, keepAttention: true)
            let expected = try XCTUnwrap(golden.io["logits"]).values
            XCTAssertEqual(out.logits.count, expected.count)
            for (a, b) in zip(out.logits, expected) { XCTAssertEqual(a, b, accuracy: 1e-4, "logits, \(threads) threads") }
            let paddedT = golden.tokens.map(\.count).max()!
            var worst: Float = 0
            for (w, row) in golden.tokens.enumerated() {
                let n = row.count, maps = try XCTUnwrap(out.attention)[w]
                XCTAssertEqual(maps.probabilities.count, 5 * n * n, "3 + 2 heads")
                for (layer, heads) in model.config.keptHeads!.enumerated() {
                    let reference = try XCTUnwrap(golden.io["attention.\(layer)"]).values
                    for (position, head) in heads.enumerated() {
                        let map = Array(maps.map(layer: layer, head: head))
                        for q in 0..<n {
                            for k in 0..<paddedT {
                                let mine = k < n ? map[q * n + k] : 0
                                let theirs = reference[((w * heads.count + position) * paddedT + q) * paddedT + k]
                                worst = max(worst, abs(mine - theirs))
                            }
                        }
                    }
                }
            }
            XCTAssertLessThan(worst, 1e-4, "attention, \(threads) threads")
        }
    }

    func testSwiftPruningWritesTheTensorsThePeerWrote() throws {
        let unpruned = try AttentionModel(contentsOf: try GoldenCase("k3c11_d32_h4_l2").modelPath)
        let peer = try AttentionModel(contentsOf: try GoldenCase(prunedCase, set: "model-v2").modelPath)
        let mine = try unpruned.removingHeads(removedInFixture)
        XCTAssertEqual(mine.config, peer.config)
        XCTAssertEqual(mine.tensors.keys.sorted(), peer.tensors.keys.sorted())
        for name in peer.tensors.keys.sorted() { XCTAssertEqual(mine.tensors[name], peer.tensors[name], name) }
    }

    /// Removing a head must give the logits of the unpruned model with that head's output zeroed: the
    /// ablation of the analysis, through the unpruned weights, is the independent truth. Kept attention
    /// maps must be the unpruned model's maps of the kept heads.
    func testRemovingOneHeadGivesTheLogitsOfZeroingIt() throws {
        for name in ["k3c11_d32_h4_l2", "k3_d32_h4_l2", "k4s2_d16_h2_l3_o3"] {
            let golden = try GoldenCase(name)
            let model = try AttentionModel(contentsOf: golden.modelPath)
            let full = Encoder(model: model, threads: 2, batchSize: 3)
            let plain = try full.forward(tokenRows: golden.tokens, keepAttention: true)
            for (layer, head) in model.config.headLayout.allHeads {
                let ablated = try full.forward(tokenRows: golden.tokens, keepAttention: false, ablating: (layer, head))
                let pruned = try model.removingHeads([(layer, head)])
                XCTAssertEqual(pruned.config.headCount(layer: layer), model.config.nHeads - 1)
                let out = try Encoder(model: pruned, threads: 2, batchSize: 3).forward(tokenRows: golden.tokens, keepAttention: true)
                for (a, b) in zip(out.logits, ablated.logits) { XCTAssertEqual(a, b, accuracy: 2e-6, "\(name) L\(layer)H\(head)") }
                // Attention of the layers up to the pruned one is untouched by it, up to the rounding of a
                // narrower matrix product: OpenBLAS's kernels round a product of another shape differently
                // (up to 1.3e-6 on these maps with its Cooperlake kernels).
                var worst: Float = 0
                for (other, heads) in pruned.config.keptHeads!.enumerated() where other <= layer {
                    for h in heads {
                        for w in golden.tokens.indices {
                            for (a, b) in zip(out.attention![w].map(layer: other, head: h), plain.attention![w].map(layer: other, head: h)) {
                                worst = max(worst, abs(a - b))
                            }
                        }
                    }
                }
                XCTAssertLessThan(worst, 1e-5, "\(name): attention up to layer \(layer) after removing L\(layer)H\(head)")
            }
        }
    }

    /// Interventions on a pruned model name heads as before: zeroing a kept head of a pruned model equals
    /// pruning both heads at once.
    func testZeroingAKeptHeadOfAPrunedModelEqualsPruningBoth() throws {
        let golden = try GoldenCase("k3_d32_h4_l2")
        let model = try AttentionModel(contentsOf: golden.modelPath)
        let once = try model.removingHeads([(0, 2)])
        let ablated = try Encoder(model: once, threads: 1).forward(tokenRows: golden.tokens, keepAttention: false, ablating: (0, 3))
        let twice = try once.removingHeads([(0, 3)])
        XCTAssertEqual(twice.config.keptHeads, [[0, 1], [0, 1, 2, 3]])
        let both = try model.removingHeads([(0, 3), (0, 2)])
        XCTAssertEqual(both.tensors, twice.tensors)
        let logits = try Encoder(model: twice, threads: 1).forward(tokenRows: golden.tokens, keepAttention: false).logits
        for (a, b) in zip(logits, ablated.logits) { XCTAssertEqual(a, b, accuracy: 2e-6) }
        XCTAssertThrowsError(try Encoder(model: once, threads: 1).forward(tokenRows: golden.tokens, keepAttention: false, ablating: (0, 2))) {
            XCTAssertEqual("\($0)", "the model has no head 2 in layer 0")
        }
    }

    func testPrunedModelHasFewerParametersByFourDModelDHeadPlusThreeDHeadPerHead() throws {
        let model = try AttentionModel(contentsOf: try GoldenCase("k3c11_d32_h4_l2").modelPath)
        let pruned = try model.removingHeads(removedInFixture)
        let (d, dh) = (model.config.dModel, model.config.dHead)
        XCTAssertEqual(model.parameterCount - pruned.parameterCount, 3 * (4 * d * dh + 3 * dh))
    }

    func testSavedPrunedModelReadsBackAsVersion2AndUnprunedStaysVersion1() throws {
        let folder = try temporaryFolder(self)
        let model = try AttentionModel(contentsOf: try GoldenCase("k3_d32_h4_l2").modelPath)
        let path = folder.appendingPathComponent("p.safetensors").path
        try model.removingHeads([(1, 1)]).save(to: path)
        let back = try AttentionModel(contentsOf: path)
        XCTAssertEqual(back.config.version, 2)
        XCTAssertEqual(back.config.keptHeads, [[0, 1, 2, 3], [0, 2, 3]])
        let json = try XCTUnwrap(Safetensors.read(path: path).metadata["motifattn"])
        XCTAssertTrue(json.contains("\"heads_per_layer\":[4,3]") && json.contains("\"head_dim\":8") && json.contains("\"version\":2"), json)
        // Keeping every head is no pruning: the config stays v1, as PyTorch reads it.
        let all = model.config.keeping(heads: [[0, 1, 2, 3], [0, 1, 2, 3]])
        XCTAssertEqual(all, model.config)
        XCTAssertFalse(try all.jsonString().contains("kept_heads"))
    }

    func testUnknownHeadsAndEmptiedLayersAreRefused() throws {
        let model = try AttentionModel(contentsOf: try GoldenCase("k3_d32_h4_l2").modelPath)
        XCTAssertThrowsError(try model.removingHeads([(2, 0)], file: "m.safetensors")) {
            XCTAssertEqual("\($0)", "m.safetensors: the model has no head L2H0")
        }
        XCTAssertThrowsError(try model.removingHeads([(0, 4)], file: "m.safetensors")) {
            XCTAssertEqual("\($0)", "m.safetensors: the model has no head L0H4")
        }
        XCTAssertThrowsError(try model.removingHeads((0..<4).map { (1, $0) }, file: "m.safetensors")) {
            XCTAssertEqual("\($0)", "m.safetensors: removing these heads leaves layer 1 without any; every layer keeps at least one head")
        }
        XCTAssertThrowsError(try model.removingHeads([], file: "m.safetensors")) { XCTAssertEqual("\($0)", "m.safetensors: no head to remove") }
        let pruned = try model.removingHeads([(0, 1)])
        XCTAssertThrowsError(try pruned.removingHeads([(0, 1)], file: "p")) { XCTAssertEqual("\($0)", "p: the model has no head L0H1") }
    }

    func testVersion2ConfigsThatContradictThemselvesAreRejectedNamingTheKey() throws {
        let good = try model2JSON()
        func message(_ edit: (inout [String: Any]) -> Void) throws -> String {
            var object = good
            edit(&object)
            let json = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            do { _ = try ModelConfig.parse(json: json, file: "m"); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(try message { _ in }, "accepted")
        XCTAssertEqual(try message { $0["version"] = 1 }, "m: model config \"kept_heads\": only a version 2 (pruned) model lists kept heads")
        XCTAssertEqual(try message { $0["version"] = 3 },
                       "m: model config \"version\": 3 is not supported (only 1 and 2); a newer motifattn wrote it")
        XCTAssertEqual(try message { $0["heads_per_layer"] = [3, 3] }, "m: model config \"heads_per_layer\": [3, 3] does not match the counts of kept_heads")
        XCTAssertEqual(try message { $0["head_dim"] = 16 }, "m: model config \"head_dim\": 16 is not d_model / n_heads = 32 / 4")
        XCTAssertEqual(try message { $0["kept_heads"] = [[0, 2, 3]]; $0["heads_per_layer"] = [3] },
                       "m: model config \"kept_heads\": 1 layers listed, the model has 2")
        XCTAssertEqual(try message { $0["kept_heads"] = [[0, 2, 3], []]; $0["heads_per_layer"] = [3, 0] },
                       "m: model config \"kept_heads\": layer 1 keeps no head")
        XCTAssertEqual(try message { $0["kept_heads"] = [[0, 2, 4], [1, 3]] },
                       "m: model config \"kept_heads\": layer 0: [0, 2, 4] must be ascending head numbers below n_heads 4")
        XCTAssertEqual(try message { $0.removeValue(forKey: "kept_heads"); $0.removeValue(forKey: "heads_per_layer") },
                       "m: model config \"kept_heads\": missing (a version 2 model lists the heads each layer keeps)")
    }

    /// The fixture's config as a JSON object.
    private func model2JSON() throws -> [String: Any] {
        let path = try GoldenCase(prunedCase, set: "model-v2").modelPath
        let json = try XCTUnwrap(Safetensors.read(path: path).metadata["motifattn"])
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }
}
