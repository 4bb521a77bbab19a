import ArgumentParser
import Foundation
import MotifAttn

/// `motifattn prune`: a smaller model without some attention heads.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove attention heads from a model, writing a smaller model (format v2).",
        discussion: """
        The removed heads' rows of each layer's Q/K/V in-projection and their columns of the out-projection \
        are dropped, so the model is smaller and faster; its logits are those of the original model with \
        those heads' outputs set to zero (up to float rounding). Kept heads keep their names (L1H3 stays L1H3 in heads.tsv). \
        --heads names the heads to remove (L<layer>H<head>, comma-separated). --auto picks them: heads.tsv's \
        prune candidates (focused and redundant) first, then the others from the least to the most important \
        (ablation importance on the bound validation sequences), trying each once on top of those already \
        removed: it is removed when the validation AUROC stays within --max-loss of the original model's, \
        else kept. --auto needs --valid, a labelled FASTA as `train --valid` reads it (>id label=1). Every layer \
        keeps at least one head. The output is a format v2 model, which motifattn reads and PyTorch's v1 \
        reader does not (Benchmarks/peer/pruned_peer.py runs it); see docs/pruning.md. Prints a TSV of the \
        removed heads to standard output.
        """)

    @Option(help: ArgumentHelp("Model file (safetensors) to prune.", valueName: "M")) var model: String
    @Option(help: ArgumentHelp("Heads to remove, e.g. L0H1,L1H2 (numbers as in heads.tsv).", valueName: "HEADS")) var heads: String?
    @Flag(help: "Choose the heads from diagnostics and validation AUROC (needs --valid).") var auto = false
    @Option(help: ArgumentHelp("Labelled FASTA of validation sequences (>id label=1 or label=0).", valueName: "FASTA")) var valid: String?
    @Option(name: .customLong("max-loss"), help: "With --auto: largest drop of validation AUROC allowed, from the unpruned model's.")
    var maxLoss = AutomaticPruning.defaultMaxLoss
    @Option(help: "Threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: [.short, .customLong("output"), .customLong("out")], help: ArgumentHelp("Output model (safetensors).", valueName: "OUT"))
    var output: String
    @Flag(help: "No progress on standard error.") var quiet = false

    func validate() throws {
        guard (heads == nil) != !auto else { throw ValidationError("give --heads or --auto (one of them)") }
        if auto && valid == nil { throw ValidationError("--auto needs --valid FASTA (labelled validation sequences)") }
        if let heads { _ = try Self.parseHeads(heads) }
        guard maxLoss >= 0 && maxLoss <= 1 else { throw ValidationError("--max-loss must be in [0, 1]") }
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
        guard output != "-" else { throw ValidationError("--output must be a file (a model is not written to standard output)") }
    }

    /// `L0H1,L1H2` as (layer, head) pairs; a usage error for anything else.
    static func parseHeads(_ text: String) throws -> [HeadIndex] {
        var seen = Set<HeadIndex>()
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let name = item.trimmingCharacters(in: .whitespaces)
            let parts = name.dropFirst().split(separator: "H", omittingEmptySubsequences: false)
            guard name.hasPrefix("L"), parts.count == 2, let layer = Int(parts[0]), let head = Int(parts[1]), layer >= 0, head >= 0 else {
                throw ValidationError("--heads: \"\(name)\" is not a head name like L0H1")
            }
            let index = HeadIndex(layer: layer, head: head)
            guard seen.insert(index).inserted else { throw ValidationError("--heads: \(index) is named twice") }
            return index
        }
    }

    func run() throws {
        try reportingErrors("prune") {
            let loaded = try AttentionModel(contentsOf: model)
            let progress = ProgressMeter(command: "prune", unit: "heads", quiet: quiet)
            let result: PruningResult
            if let heads {
                let removed = try Self.parseHeads(heads)
                result = PruningResult(model: try loaded.removingHeads(removed.map { ($0.layer, $0.head) }, file: model),
                                       steps: removed.map { PruningResult.Step(head: $0, reason: "named", auroc: nil, removed: true) },
                                       validationAUROC: nil)
            } else {
                let sequences = try TrainingData.readLabelledFASTA(path: valid!, threads: threads)
                result = try AutomaticPruning.prune(loaded, file: model, validation: sequences, validationFile: valid!,
                                                    maxLoss: maxLoss, threads: threads, progress: { progress.message($0) })
            }
            // The source's other metadata (training settings, the genome it was trained on) stays with the model.
            var metadata = try Safetensors.read(path: model).metadata
            metadata["motifattn"] = nil
            metadata["motifattn_pruned"] = result.provenanceJSON(source: BundledData.displayPath(model))
            try result.model.save(to: output, extraMetadata: metadata)
            print(result.table(original: loaded, provenance: .thisProcess), terminator: "")
            let before = loaded.parameterCount, after = result.model.parameterCount
            progress.message(String(format: "%@: %d of %d heads kept, %d parameters (was %d, %.1f%% fewer)",
                                    output, result.model.config.headLayout.count, loaded.config.headLayout.count, after, before,
                                    100 * Double(before - after) / Double(before)))
        }
    }
}
