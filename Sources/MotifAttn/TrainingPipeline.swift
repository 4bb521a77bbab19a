import Foundation
import MotifAttnCore
import MotifAttnIO
import MotifAttnModel
import MotifAttnTokenizers

/// Where `motifattn train` takes its labelled sequences from.
public enum TrainingSource: Sendable, Equatable {
    /// A labelled FASTA (`label=0|1` in each header), with an optional labelled validation FASTA.
    case labelledFASTA(train: String, valid: String?)
    /// A genome and its bound regions (BED or narrowPeak); background from `TrainingSettings.negatives`.
    case genome(path: String, peaks: String)

    /// The file the training sequences are read from (named in errors).
    public var path: String {
        switch self {
        case .labelledFASTA(let train, _): return train
        case .genome(let path, _): return path
        }
    }
}

/// Everything `motifattn train` needs: data, validation split, architecture, optimisation and where to write.
public struct TrainingSettings: Sendable {
    /// The training sequences.
    public var source: TrainingSource
    /// Background with a genome source: dinucleotide shuffles, GC-matched genome windows or a FASTA file.
    public var negatives: NegativeSource = .shuffle
    /// Window length in bases with a genome source.
    public var window = 200
    /// Chromosomes held out for validation (genome source).
    public var validationChromosomes: [String] = []
    /// Fraction held out for validation when neither a validation FASTA nor chromosomes are given: held-out
    /// blocks of the genome with a genome source (`validationBlockBases`), at random with a labelled FASTA.
    public var validationFraction = 0.1
    /// Size of the genome blocks held out for validation with a genome source (0: a random fraction instead).
    /// Contiguous blocks keep overlapping windows and a peak's shuffled copy on one side of the split, and
    /// work on a genome of one chromosome, where held-out chromosomes cannot.
    public var validationBlockBases = 1_000_000
    /// The network's shape; `maxLen` is raised to the longest sequence's token count when `automaticMaxLen` is set.
    public var architecture = TrainingArchitecture()
    /// Whether `architecture.maxLen` becomes max(256, the longest sequence's token count).
    public var automaticMaxLen = true
    /// Optimisation: batch size, epochs, learning rate, schedule, early stopping, seed, threads.
    /// `maxShift` is replaced by the read-count rule when `automaticMaxShift` is set.
    public var trainer = TrainerSettings()
    /// Whether shift augmentation follows how often training reads each sequence
    /// (`trainer(forTrainingExamples:)`): on, by `defaultMaxShift` tokens, when the run plans more than
    /// `shiftAboveEpochs` epochs; off otherwise. When false, `trainer.maxShift` is used as set.
    public var automaticMaxShift = true
    /// The model file to write (safetensors; `-` for standard output).
    public var outputPath: String
    /// The checkpoint written after every epoch.
    public var checkpointPath: String
    /// Continue the run whose checkpoint is at `checkpointPath`.
    public var resume = false
    /// Pause after this many epochs of this run, keeping the checkpoint.
    public var stopAfterEpochs: Int?
    /// With a value, the training and validation sequences are also written as labelled FASTA files
    /// `PREFIX.train.fa` and `PREFIX.valid.fa` before training (one strand each: reverse-complement
    /// augmentation draws strands while training), so the split can be reproduced or given to another tool.
    public var splitPrefix: String?
    /// No progress on standard error.
    public var quiet = false
    /// A model to start from instead of random weights (fine-tuning, `--init`): its architecture, tokenizer
    /// and `max_len` replace `architecture`; its outputs must match the labels.
    public var initialModelPath: String?
    /// A labelled FASTA of the task the initial model was trained on (`--forgetting`): the old task's AUROC
    /// before and after and each head's forgetting index are measured on it. Needs `initialModelPath`.
    public var forgettingPath: String?
    /// Where the forgetting table goes (default: the model's path with `.forgetting.tsv` for `.safetensors`).
    public var forgettingTablePath: String?
    /// Keep updates orthogonal to the logit gradients of this many `forgettingPath` sequences (drawn with
    /// the seed), so that to first order every step leaves their logits unchanged (`--orthogonal-updates`;
    /// 0: off).
    public var orthogonalExamples = 0

    /// Settings with the default architecture and optimisation.
    public init(source: TrainingSource, outputPath: String, checkpointPath: String? = nil) {
        self.source = source
        self.outputPath = outputPath
        self.checkpointPath = checkpointPath ?? Self.defaultCheckpointPath(forModel: outputPath)
    }

    /// Fewest optimisation steps `motifattn train` and `discover` plan when no epoch count is given
    /// (`TrainerSettings.minimumSteps`): a fixed 4 epochs is about 1,100 steps on 18,000 sequences and a
    /// few dozen on a real peak set, too few for the model to learn the planted pairs jointly (the panel:
    /// pairs 1 of 12 found with 4 epochs, 7 of 12 with at least 3,000 steps and reverse-complement
    /// augmentation). With 3,000 steps most of the 18,000-sequence members were still improving at the
    /// last planned epoch; 6,000 raised the test AUROC of every development member and the planted pairs
    /// found from 17 to 18 of 20 (`docs/training.md`). Early stopping still ends training when validation
    /// stops improving.
    /// Cost: up to 5.5 × the training time of 4 epochs on 18,000 sequences, 2 × on 54,000.
    public static let defaultMinimumSteps = 6_000

    /// The largest shift (k-mer tokens dropped at one end, `TrainerSettings.maxShift`) the read-count rule
    /// turns on. Shift augmentation moves every site against the positions the model sees, so a model
    /// that reads each sequence many times cannot fit its sites' absolute places; 10 tokens (10 bases with
    /// the default stride 1) is about a motif's length. On the panel's 18,000-sequence members, where the
    /// 3,000-step budget read each sequence about 11 times, it raised the test AUROC on every member
    /// (÷ oracle 0.977 → 1.001 over the quick development members) and the share of planted pairs the
    /// model uses jointly; on sets read 4 times (60,000 sequences, the demo's 54,150) it lowered the
    /// AUROC by about 0.01, hence the rule (`docs/training.md`). Cost: none in time.
    public static let defaultMaxShift = 10

    /// The automatic shift turns on when a run plans more epochs than this: 4 is the default epoch count,
    /// so the rule follows the step budget (`defaultMinimumSteps`) on small sets, and an explicit
    /// `--epochs` above 4 also counts as many readings.
    public static let shiftAboveEpochs = 4

    /// The optimisation settings a run on `examples` training examples uses: `trainer`, with `maxShift`
    /// set by the read-count rule when `automaticMaxShift` is on (`defaultMaxShift` when the planned epochs
    /// exceed `shiftAboveEpochs`, 0 otherwise).
    public func trainer(forTrainingExamples examples: Int) -> TrainerSettings {
        var resolved = trainer
        if automaticMaxShift {
            resolved.maxShift = trainer.plannedEpochs(examples: examples) > Self.shiftAboveEpochs ? Self.defaultMaxShift : 0
        }
        return resolved
    }

    /// `OUT.forgetting.tsv` beside a model file `OUT.safetensors`.
    public static func defaultForgettingTablePath(forModel output: String) -> String {
        let stem = output.hasSuffix(".safetensors") ? String(output.dropLast(".safetensors".count)) : output
        return stem + ".forgetting.tsv"
    }

    /// `OUT.checkpoint.safetensors` beside a model file `OUT.safetensors`.
    public static func defaultCheckpointPath(forModel output: String) -> String {
        let stem = output.hasSuffix(".safetensors") ? String(output.dropLast(".safetensors".count)) : output
        return stem + ".checkpoint.safetensors"
    }

    /// What a model trained with these settings tells apart, in words, for its metadata.
    public func taskDescription(outputs: Int) -> String {
        switch source {
        case .labelledFASTA(let train, _):
            return "the labels of \((train as NSString).lastPathComponent) (\(outputs) output\(outputs == 1 ? "" : "s"))"
        case .genome(let genome, let peaks):
            let background: String
            switch negatives {
            case .shuffle: background = "dinucleotide shuffles of them"
            case .genomic: background = "GC-matched windows of \((genome as NSString).lastPathComponent) outside the peaks"
            case .file(let path): background = "the sequences of \((path as NSString).lastPathComponent)"
            }
            return "\(window)-base windows centred on the peaks of \((peaks as NSString).lastPathComponent) (1) against \(background) (0)"
        }
    }

    /// The settings as recorded in the model's metadata (`motifattn_training.parameters`).
    var recordedParameters: [String: String] {
        let a = architecture, t = trainer
        var parameters = [
            "k": "\(a.k)", "token_stride": "\(a.stride)", "conv_width": "\(a.convWidth)", "d_model": "\(a.dModel)",
            "heads": "\(a.nHeads)", "layers": "\(a.nLayers)", "d_ff": "\(a.dFF)", "max_len": "\(a.maxLen)",
            "epochs": "\(t.epochs)", "batch_size": "\(t.batchSize)", "lr": "\(t.optimiser.learningRate)",
            "weight_decay": "\(t.optimiser.weightDecay)", "warmup": "\(t.warmupFraction)", "clip_norm": "\(t.maxGradientNorm)",
            "patience": "\(t.patience)", "head_diversity": "\(t.headDiversity)", "seed": "\(t.seed)", "threads": "\(t.threads)",
            "negatives": negatives.label, "window": "\(window)",
            "min_steps": "\(t.minimumSteps)", "max_epochs": "\(t.maximumEpochs)", "reverse_complement": "\(t.reverseComplement)",
            "max_shift": "\(t.maxShift)", "validation_block_bases": "\(validationBlockBases)",
        ]
        if t.headDiversityKind != .cosine { parameters["head_diversity_kind"] = t.headDiversityKind.rawValue }
        if t.dropout != 0 { parameters["dropout"] = "\(t.dropout)" }
        return parameters
    }
}

/// Errors of the training pipeline that are not about one input file.
public enum TrainingPipelineError: Error, CustomStringConvertible, Equatable {
    /// The architecture's numbers do not fit together.
    case architecture(String)
    /// The model to fine-tune has another number of outputs than the sequences have labels.
    case initialModelOutputs(file: String, modelOutputs: Int, labels: Int, labelsFile: String)
    /// The model to fine-tune is pruned (format v2); the trainer runs whole layers only.
    case prunedInitialModel(file: String)

    public var description: String {
        switch self {
        case .prunedInitialModel(let file):
            return "\(file): a pruned (format v2) model cannot be fine-tuned; fine-tune the unpruned model, then prune it"

        case .architecture(let reason): return "cannot build the model: \(reason)"
        case .initialModelOutputs(let file, let outputs, let labels, let labelsFile):
            return "\(file): the model has \(outputs) output(s) but \(labelsFile) has \(labels) label(s) per sequence; "
                + "fine-tuning continues a model on data of the same shape"
        }
    }
}

/// What a finished (or paused) training run did.
public struct TrainingOutcome: Sendable {
    /// The epochs, best epoch and early-stopping state.
    public var report: TrainingReport
    /// Training and validation sequences.
    public var trainingSequences: Int
    public var validationSequences: Int
    /// Whether the run paused (`stopAfterEpochs`) instead of writing the model.
    public var paused: Bool { report.paused }
}

/// `motifattn train` as a library call: reads and splits the sequences, tokenizes them, trains with
/// checkpoints after every epoch (resumable), and writes the model with its training metadata.
///
/// The model file records no clock times or speeds, and its command line leaves out the options that
/// only steer the run (`--resume`, `--stop-after`, `--quiet`), so the same settings, seed and thread count
/// write a byte-identical file, interrupted and resumed or not.
public final class TrainingPipeline {
    public let settings: TrainingSettings
    private var record: RunRecord

    /// - Parameters:
    ///   - settings: what to train and how.
    ///   - commandLine: the command line recorded in the model's metadata.
    public init(settings: TrainingSettings, commandLine: [String] = CommandLine.arguments) {
        self.settings = settings
        record = RunRecord(command: "train", commandLine: Self.modelDefiningArguments(commandLine))
    }

    /// The command line without the options that only steer the run (they do not change the model).
    public static func modelDefiningArguments(_ arguments: [String]) -> [String] {
        var kept: [String] = [], i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--resume" || a == "--quiet" || a.hasPrefix("--stop-after=") { i += 1; continue }
            if a == "--stop-after" { i += 2; continue }
            kept.append(a)
            i += 1
        }
        return kept
    }

    /// Trains and writes the model (unless paused); progress and notes go to standard error unless quiet.
    @discardableResult
    public func run() throws -> TrainingOutcome {
        let s = settings
        let progress = ProgressMeter(command: "train", unit: "epochs", quiet: s.quiet)
        if s.resume && !FileManager.default.fileExists(atPath: s.checkpointPath) {
            throw CheckpointError.missing(file: s.checkpointPath)
        }
        let (training, validation) = try readSequences(warning: { progress.message($0) })
        let source = s.source.path
        try TrainingData.checkBothClasses(training, source: source)
        if let prefix = s.splitPrefix {
            try TrainingData.writeLabelledFASTA(training, path: prefix + ".train.fa")
            try TrainingData.writeLabelledFASTA(validation, path: prefix + ".valid.fa")
        }

        // Architecture and examples: the initial model's when fine-tuning.
        var architecture = s.architecture
        architecture.nOutputs = training[0].labels.count
        var initialParameters: ParameterStore?
        if let path = s.initialModelPath {
            try record.addInput(role: "init", path: path)
            let model = try AttentionModel(contentsOf: path)
            guard model.config.keptHeads == nil else { throw TrainingPipelineError.prunedInitialModel(file: path) }
            guard model.config.nOutputs == architecture.nOutputs else {
                throw TrainingPipelineError.initialModelOutputs(file: path, modelOutputs: model.config.nOutputs,
                                                                labels: architecture.nOutputs, labelsFile: source)
            }
            architecture = model.config.trainingArchitecture
            initialParameters = model.parameterStore()
        }
        let tokenizer = try KmerTokenizer(k: architecture.k, stride: architecture.stride)
        if s.automaticMaxLen && initialParameters == nil {
            let longest = (training + validation).map { tokenizer.tokenCount(forLength: $0.bases.count) }.max() ?? 2
            architecture.maxLen = max(256, longest)
        }
        if let problem = architecture.problem() { throw TrainingPipelineError.architecture(problem) }
        let validationSource: String
        if case .labelledFASTA(_, let valid?) = s.source { validationSource = valid } else { validationSource = source }
        let trainingExamples = try TrainingData.examples(training, tokenizer: tokenizer, maxLen: architecture.maxLen, source: source,
                                                         withReverseComplements: s.trainer.reverseComplement)
        let validationExamples = try TrainingData.examples(validation, tokenizer: tokenizer, maxLen: architecture.maxLen,
                                                           source: validationSource)
        progress.message("\(trainingExamples.count) training and \(validationExamples.count) validation sequences, "
                         + "\(architecture.nOutputs) output(s)")
        let trainerSettings = s.trainer(forTrainingExamples: trainingExamples.count)
        if s.automaticMaxShift && trainerSettings.maxShift > 0 {
            progress.message("shift augmentation up to \(trainerSettings.maxShift) k-mers: each sequence is read up to "
                             + "\(trainerSettings.plannedEpochs(examples: trainingExamples.count)) times (--max-shift 0 turns it off)")
        }

        // The old task, when fine-tuning: its AUROC now, and the directions updates must keep out of.
        var old: (examples: [TrainingExample], aurocBefore: Double?, directions: Int)?
        var projection: GradientProjection?
        if let path = s.forgettingPath, let initialParameters {
            try record.addInput(role: "forgetting", path: path)
            let oldSequences = try TrainingData.readLabelledFASTA(path: path)
            let examples = try TrainingData.examples(oldSequences, tokenizer: tokenizer, maxLen: architecture.maxLen, source: path)
            if let first = examples.first, first.labels.count != architecture.nOutputs {
                throw TrainingPipelineError.initialModelOutputs(file: s.initialModelPath!, modelOutputs: architecture.nOutputs,
                                                                labels: first.labels.count, labelsFile: path)
            }
            let start = Trainer(architecture: architecture, settings: trainerSettings, initialParameters: initialParameters)
            let before = start.evaluate(examples).auroc
            if s.orthogonalExamples > 0 {
                var order = Array(examples.indices)
                var shuffler = SeededGenerator(seed: s.trainer.seed ^ 0x4F52_5448_4F47_4F4E)
                shuffler.shuffle(&order)
                // One example's loss gradient is (σ(z) − y)·∇z: its direction is that of its logit's gradient.
                projection = GradientProjection(gradients: order.prefix(s.orthogonalExamples).map { start.lossGradient(on: [examples[$0]]) })
            }
            old = (examples, before, projection?.directions.count ?? 0)
            progress.message("old task: \(examples.count) sequences of \((path as NSString).lastPathComponent), AUROC "
                             + (before.map { String(format: "%.4f", $0) } ?? "n/a") + " before fine-tuning"
                             + (projection.map { ", updates kept orthogonal to \($0.directions.count) of its gradients" } ?? ""))
        }

        // Training, with a checkpoint after every epoch.
        let trainer = Trainer(architecture: architecture, settings: trainerSettings, initialParameters: initialParameters)
        trainer.gradientProjection = projection
        let planned = trainer.plannedEpochs(examples: trainingExamples.count)
        progress.total = planned
        var resumed: TrainingCheckpoint?
        if s.resume {
            let saved = try TrainingCheckpoint.read(path: s.checkpointPath)
            if let reason = saved.mismatch(architecture: architecture, settings: trainerSettings,
                                           training: trainingExamples, validation: validationExamples) {
                throw CheckpointError.mismatch(file: s.checkpointPath, reason: reason)
            }
            resumed = saved
            progress.message("resuming after epoch \(saved.completedEpochs) of \(planned) from \(s.checkpointPath)")
        } else if FileManager.default.fileExists(atPath: s.checkpointPath) {
            progress.message("\(s.checkpointPath) from an earlier run will be replaced (--resume continues it)")
        }
        let firstEpoch = resumed?.completedEpochs ?? 0
        var checkpointError: Error?
        let report = record.time("train") {
            trainer.train(training: trainingExamples, validation: validationExamples, resumingFrom: resumed, progress: { epoch in
                progress.message(epoch.progressLine)
                progress.advance()
            }, afterEpoch: { state in
                do { try state.write(to: s.checkpointPath) } catch {
                    checkpointError = error
                    return false
                }
                return s.stopAfterEpochs.map { state.completedEpochs - firstEpoch < $0 } ?? true
            })
        }
        progress.finish()
        if let checkpointError { throw checkpointError }
        let outcome = TrainingOutcome(report: report, trainingSequences: trainingExamples.count,
                                      validationSequences: validationExamples.count)
        if report.paused {
            progress.message("stopped after epoch \(report.epochs.count) of \(planned); continue with --resume from \(s.checkpointPath)")
            return outcome
        }

        // The model file, then the checkpoint is no longer needed.
        var finalSettings = s
        finalSettings.architecture = architecture
        finalSettings.trainer = trainerSettings
        record.parameters = finalSettings.recordedParameters
        record.counts = ["training_sequences": trainingExamples.count, "validation_sequences": validationExamples.count,
                         "best_epoch": report.bestEpoch]
        let model = try AttentionModel(architecture: architecture, parameters: trainer.parameters)
        var genome: GenomeSignature?
        if case .genome(let path, _) = s.source { genome = try GenomeSignature(genome: path) }
        var metadata = TrainingMetadata(record: record, report: report, genome: genome,
                                        task: finalSettings.taskDescription(outputs: architecture.nOutputs))
        var forgettingTable: OutputFile?
        if let old, let initialParameters, let path = s.forgettingPath {
            let heads = ForgettingIndex.measure(architecture: architecture, before: initialParameters, after: trainer.parameters,
                                                examples: old.examples, threads: s.trainer.threads)
            let after = trainer.evaluate(old.examples).auroc
            let summary = TrainingMetadata.ForgettingSummary(
                oldTask: (path as NSString).lastPathComponent, oldSequences: old.examples.count,
                oldAUROCBefore: old.aurocBefore, oldAUROCAfter: after, orthogonalDirections: old.directions,
                heads: heads.map { .init(layer: $0.layer, head: $0.head, meanKL: $0.meanKL) })
            metadata.forgetting = summary
            forgettingTable = try Self.writeForgettingTable(summary, path: s.forgettingTablePath
                                                            ?? TrainingSettings.defaultForgettingTablePath(forModel: s.outputPath),
                                                            provenance: Provenance(command: record.commandLine.joined(separator: " ")))
            let auroc = { (v: Double?) in v.map { String(format: "%.4f", $0) } ?? "n/a" }
            let most = heads.max { $0.meanKL < $1.meanKL }
            progress.message("old task AUROC \(auroc(old.aurocBefore)) before, \(auroc(after)) after fine-tuning"
                             + (most.map { String(format: "; most changed head L%dH%d (forgetting index %.3f nats)", $0.layer, $0.head, $0.meanKL) } ?? ""))
        }
        do {
            try model.save(to: s.outputPath, extraMetadata: ["motifattn_training": metadata.json()])
        } catch {
            forgettingTable?.abandon()
            throw error
        }
        try forgettingTable?.commit()
        if unlink(s.checkpointPath) != 0 && errno != ENOENT {
            progress.message("\(s.checkpointPath): cannot remove the checkpoint (\(String(cString: strerror(errno))))")
        }
        let best = report.epochs.first { $0.epoch == report.bestEpoch }
        progress.message("wrote \(s.outputPath) (best epoch \(report.bestEpoch)"
                         + "\(best?.validationAUROC.map { String(format: ", validation AUROC %.4f", $0) } ?? ""))")
        return outcome
    }

    /// The forgetting table, written but not yet committed (it appears with the model or not at all):
    /// one row per head with its forgetting index, then the old task's AUROC before and after.
    private static func writeForgettingTable(_ summary: TrainingMetadata.ForgettingSummary, path: String,
                                             provenance: Provenance) throws -> OutputFile {
        let file = try OutputFile(path: path)
        do {
            let auroc = { (v: Double?) in v.map { String(format: "%.6f", $0) } ?? "NA" }
            var text = provenance.line + "\n"
            text += "##old_task=\(summary.oldTask) sequences=\(summary.oldSequences) auroc_before=\(auroc(summary.oldAUROCBefore)) "
                + "auroc_after=\(auroc(summary.oldAUROCAfter)) orthogonal_directions=\(summary.orthogonalDirections)\n"
            text += "head\tlayer\thead_index\tforgetting_index_nats\n"
            for h in summary.heads {
                text += "L\(h.layer)H\(h.head)\t\(h.layer)\t\(h.head)\t\(String(format: "%.6g", h.meanKL))\n"
            }
            try file.write(text)
            return file
        } catch {
            file.abandon()
            throw error
        }
    }

    /// The training and validation sequences, with the inputs recorded for the model's metadata.
    private func readSequences(warning: @escaping (String) -> Void) throws -> ([LabelledSequence], [LabelledSequence]) {
        let s = settings
        switch s.source {
        case .labelledFASTA(let train, let valid):
            try record.addInput(role: "train", path: train)
            let all = try TrainingData.readLabelledFASTA(path: train)
            if let valid {
                try record.addInput(role: "valid", path: valid)
                return (all, try TrainingData.readLabelledFASTA(path: valid))
            }
            return try TrainingData.split(all, validationChromosomes: [], validationFraction: s.validationFraction, seed: s.trainer.seed)
        case .genome(let genome, let peaks):
            try record.addInput(role: "genome", path: genome)
            try record.addInput(role: "peaks", path: peaks)
            let regions = try BEDReader.read(path: peaks)
            if case .file(let path) = s.negatives { try record.addInput(role: "negatives", path: path) }
            let all = try TrainingData.fromPeaks(genome: genome, peaks: regions, window: s.window, negatives: s.negatives,
                                                 seed: s.trainer.seed, threads: s.trainer.threads, warning: warning)
            return try TrainingData.split(all, validationChromosomes: s.validationChromosomes,
                                          validationFraction: s.validationFraction, blockBases: s.validationBlockBases, seed: s.trainer.seed,
                                          warning: warning)
        }
    }
}

extension EpochSummary {
    /// The epoch's one-line progress report: loss, validation metrics and speed.
    public var progressLine: String {
        let auroc = validationAUROC.map { String(format: "%.4f", $0) } ?? "n/a"
        let auprc = validationAUPRC.map { String(format: "%.4f", $0) } ?? "n/a"
        return String(format: "epoch %d: loss %.4f, validation AUROC %@, AUPRC %@, %.0f sequences/s, %.1f steps/s",
                      epoch, trainingLoss, auroc, auprc, sequencesPerSecond, stepsPerSecond)
    }
}

extension NegativeSource {
    /// `shuffle`, `genomic` or the file's path, as given on the command line (`init(argument:)` reads it back).
    public var label: String {
        switch self {
        case .shuffle: return "shuffle"
        case .genomic: return "genomic"
        case .file(let path): return path
        }
    }
}
