import Foundation
import MotifAttnCore
import MotifAttnIO
import MotifAttnModel

/// The sequences of a genome as a model's training record keeps them: how many, how many bases, and a
/// SHA-256 of their names and lengths (`name<TAB>length<LF>` in file order, from the `.fai`).
///
/// The digest identifies an assembly independently of its file's compression, so a scan of the same
/// genome as plain FASTA or bgzip is recognised as the genome the model was trained on.
public struct GenomeSignature: Codable, Sendable, Equatable {
    public var sequences: Int
    public var bases: Int
    public var sha256: String

    /// The signature of an indexable FASTA (its `.fai` is built when missing).
    public init(genome path: String) throws {
        let contigs = try GenomeIndex.contigs(of: path)
        sequences = contigs.count
        bases = contigs.reduce(0) { $0 + $1.length }
        sha256 = SHA256.hex(of: Array(contigs.map { "\($0.name)\t\($0.length)\n" }.joined().utf8))
    }
}

/// What a scan tells its user about the model and the bound windows before its statistics can be read:
/// one line each on standard error, at the top of the report and in `run.json` (`cautions`).
///
/// - The model was trained on other data than the genome being scanned: its scores say how much a
///   window looks like the positives of its training data, nothing about binding in this genome.
/// - No regions were given: "bound" means "scored high by this model", so the interaction test compares
///   the model's high- and low-scoring windows, not bound and unbound DNA.
public enum TrainingDataCheck {
    /// Safetensors metadata key of a noun phrase saying what the model was trained on, for models whose
    /// training record cannot say it (the bundled model: `Reference/scripts/describe_model.py`).
    public static let trainedOnKey = "motifattn_trained_on"
    /// Safetensors metadata key of the `GenomeSignature` (JSON) of the genome the training data came from.
    public static let trainedOnGenomeKey = "motifattn_trained_on_genome"

    /// The cautions for a scan of `genome` (whose file digest is `genomeSHA256`) with the model at `modelPath`.
    public static func cautions(modelPath: String, genome: String, genomeSHA256: String,
                                hasRegions: Bool, boundFraction: Double) -> [String] {
        var cautions: [String] = []
        if let trainedOn = otherTrainingData(modelPath: modelPath, genome: genome, genomeSHA256: genomeSHA256) {
            cautions.append("the model was trained on \(trainedOn), not on \((genome as NSString).lastPathComponent): "
                            + "its scores say how much a window resembles the positives it was trained on, not where factors bind in this genome")
        }
        if !hasRegions {
            cautions.append("no --regions: the bound windows are the top \(percent(boundFraction)) of windows by this model's own score, "
                            + "so the interaction test compares the model's high- and low-scoring windows, not bound and unbound DNA")
        }
        return cautions
    }

    /// What the model was trained on when that is not `genome`; nil when it was trained on this genome.
    static func otherTrainingData(modelPath: String, genome: String, genomeSHA256: String) -> String? {
        guard let metadata = try? Safetensors.read(path: modelPath).metadata else { return "unknown data" }
        let training = metadata["motifattn_training"].flatMap { try? TrainedOn.decode(json: $0) }
        let trainingGenome = training?.inputs.first { $0.role == "genome" }
        if let trainingGenome, trainingGenome.sha256 == genomeSHA256 { return nil }
        let signature = metadata[trainedOnGenomeKey].flatMap { try? JSONDecoder().decode(GenomeSignature.self, from: Data($0.utf8)) }
            ?? training?.genome
        if let signature, let scanned = try? GenomeSignature(genome: genome), scanned == signature { return nil }
        if let phrase = metadata[trainedOnKey] { return phrase }
        if let trainingGenome {
            return "the genome \((trainingGenome.path as NSString).lastPathComponent)"
                + (signature.map { " (\($0.sequences) sequences, \($0.bases) bases)" } ?? "")
        }
        if let sequences = training?.inputs.first(where: { $0.role == "train" }) {
            return "labelled sequences (\((sequences.path as NSString).lastPathComponent))"
        }
        return "unknown data (the model file has no motifattn training record)"
    }

    private static func percent(_ fraction: Double) -> String {
        let value = fraction * 100
        return value == value.rounded() ? "\(Int(value)) %" : "\(value) %"
    }

    /// The part of a model's training record (`TrainingMetadata`) that says what it was trained on.
    private struct TrainedOn: Decodable {
        var inputs: [RunRecord.InputFile]
        var genome: GenomeSignature?

        static func decode(json: String) throws -> TrainedOn {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(TrainedOn.self, from: Data(json.utf8))
        }
    }
}
