import Foundation
import XCTest
import _TestSupport
@testable import MotifAttn

/// A scan says when the model was trained on other data than the genome it scans, and when bound
/// windows were chosen by the model's own scores.
final class TrainingDataCheckTests: XCTestCase {
    private let lambda = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/genomes/lambda_virus.fa.gz").path
    private let ecoli = TestPaths.repositoryRoot.appendingPathComponent("Tests/Fixtures/genomes/ecoli_K12_MG1655.fa.gz").path

    /// A small model whose training record is what `train --genome lambda --peaks ...` writes.
    private func modelTrained(onGenome genome: String, folder: URL) throws -> String {
        let config = ModelConfig(tokenizer: TokenizerConfig(k: 3), dModel: 16, nHeads: 2, nLayers: 1, dFF: 32, maxLen: 64,
                                 nOutputs: 1, convWidth: 3)
        var record = RunRecord(command: "train", commandLine: ["motifattn", "train"])
        try record.addInput(role: "genome", path: genome)
        let metadata = TrainingMetadata(record: record, report: TrainingReport(epochs: [], bestEpoch: 1, stoppedEarly: false),
                                        genome: try GenomeSignature(genome: genome))
        let path = folder.appendingPathComponent("model.safetensors").path
        try AttentionModel(randomWeightsFor: config, seed: 1).save(to: path, extraMetadata: ["motifattn_training": try metadata.json()])
        return path
    }

    func testAModelTrainedOnTheScannedGenomeNeedsNoCaution() throws {
        let folder = try CLIRunner.folder(for: self)
        let model = try modelTrained(onGenome: lambda, folder: folder)
        let cautions = TrainingDataCheck.cautions(modelPath: model, genome: lambda, genomeSHA256: try SHA256.hex(ofFileAt: lambda),
                                                  hasRegions: true, boundFraction: 0.01)
        XCTAssertEqual(cautions, [])

        // The same assembly as plain FASTA: another file digest, the same sequence names and lengths.
        let plain = folder.appendingPathComponent("lambda.fa")
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gunzip.arguments = ["-c", "gzip -dc '\(lambda)' > '\(plain.path)'"]
        try gunzip.run(); gunzip.waitUntilExit()
        XCTAssertEqual(gunzip.terminationStatus, 0)
        XCTAssertEqual(TrainingDataCheck.cautions(modelPath: model, genome: plain.path, genomeSHA256: try SHA256.hex(ofFileAt: plain.path),
                                                  hasRegions: true, boundFraction: 0.01), [])
    }

    func testAModelTrainedOnAnotherGenomeOrWithoutRegionsIsCalledOut() throws {
        let folder = try CLIRunner.folder(for: self)
        let model = try modelTrained(onGenome: lambda, folder: folder)
        let cautions = TrainingDataCheck.cautions(modelPath: model, genome: ecoli, genomeSHA256: try SHA256.hex(ofFileAt: ecoli),
                                                  hasRegions: false, boundFraction: 0.01)
        XCTAssertEqual(cautions.count, 2, "\(cautions)")
        XCTAssertTrue(cautions[0].hasPrefix("the model was trained on the genome lambda_virus.fa.gz (1 sequences, 48502 bases), not on ecoli_K12_MG1655.fa.gz"),
                      cautions[0])
        XCTAssertTrue(cautions[1].hasPrefix("no --regions: the bound windows are the top 1 % of windows by this model's own score"), cautions[1])
    }

    /// The bundled model describes itself as trained on the simulated demo, and a scan of a real genome says so.
    func testTheBundledModelSaysItWasTrainedOnTheSimulatedDemo() throws {
        let model = try BundledData.path(of: BundledData.modelFile)
        let cautions = TrainingDataCheck.cautions(modelPath: model, genome: ecoli, genomeSHA256: try SHA256.hex(ofFileAt: ecoli),
                                                  hasRegions: true, boundFraction: 0.01)
        XCTAssertEqual(cautions.count, 1)
        XCTAssertTrue(cautions[0].contains("simulated demo"), cautions[0])
        // The demo genome comes from the simulation the model was trained on.
        let demo = TestPaths.repositoryRoot.appendingPathComponent("Reference/demo/genome.fa.gz").path
        XCTAssertEqual(TrainingDataCheck.cautions(modelPath: model, genome: demo, genomeSHA256: try SHA256.hex(ofFileAt: demo),
                                                  hasRegions: true, boundFraction: 0.01), [])
    }
}
