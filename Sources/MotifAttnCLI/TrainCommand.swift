import ArgumentParser
import Foundation
import MotifAttn

/// `motifattn train`: train the encoder on bound and background sequences.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the attention encoder on bound (1) and background (0) sequences.",
        discussion: """
        Inputs: a labelled FASTA (--train; headers carry label=0|1, or label=1,0,1 for several \
        outputs) with an optional --valid FASTA, or a genome with bound regions (--genome, --peaks; \
        BED or narrowPeak, windows centred on the summit when column 10 is set) and background from \
        --negatives: shuffle (dinucleotide shuffle of each bound window), genomic (windows outside \
        the peaks matched to their GC content) or a FASTA file. Validation: --valid, --valid-chroms \
        or a random --valid-fraction. The defaults are a CPU-friendly model (k=3, conv 11, d_model 64, \
        4 heads, 2 layers, d_ff 128). The result is a v1 safetensors model that also loads in \
        PyTorch (motifattn_torch.py); training metrics and the command line are in its metadata. \
        The same --seed and --threads give a bit-identical model file. After every epoch a checkpoint \
        (weights, AdamW moments, step, shuffling state, best epoch so far, early-stopping counter, and \
        fingerprints of the settings and sequences) replaces the previous one, atomically; --resume \
        continues from it and gives the same model file as a run that never stopped. The checkpoint is \
        removed once the model is written. SIGINT or SIGTERM stop training with status 130 or 143, \
        leaving no partial files; the last checkpoint stays.
        """)

    @Option(help: ArgumentHelp("Labelled FASTA of training sequences.", valueName: "FASTA")) var train: String?
    @Option(help: ArgumentHelp("Labelled FASTA of validation sequences.", valueName: "FASTA")) var valid: String?
    @Option(help: ArgumentHelp("Genome FASTA (with --peaks).", valueName: "FASTA")) var genome: String?
    @Option(help: ArgumentHelp("Bound regions: BED or narrowPeak (with --genome).", valueName: "BED")) var peaks: String?
    @Option(help: ArgumentHelp("Background with --genome: shuffle, genomic or a FASTA file.", valueName: "SOURCE"))
    var negatives: String = "shuffle"
    @Option(name: .customLong("valid-chroms"), help: ArgumentHelp("Comma-separated chromosomes held out for validation.", valueName: "CHROMS"))
    var validChroms: String?
    @Option(name: .customLong("valid-fraction"), help: "Fraction of sequences held out for validation when no --valid or --valid-chroms is given.")
    var validFraction: Double = 0.1

    @Option(help: "k-mer length of the tokenizer.") var k = 3
    @Option(name: .customLong("token-stride"), help: "Bases between k-mer starts.") var tokenStride = 1
    @Option(name: .customLong("conv-width"), help: "Width of the convolutional stem in tokens (odd; 0 for none).") var convWidth = 11
    @Option(name: .customLong("d-model"), help: "Model width.") var dModel = 64
    @Option(help: "Attention heads per layer.") var heads = 4
    @Option(help: "Encoder layers.") var layers = 2
    @Option(name: .customLong("d-ff"), help: "Feed-forward width.") var dFF = 128
    @Option(help: "Window length in bases (with --genome).") var window = 200
    @Option(name: .customLong("max-len"), help: "Longest token row the model accepts (default: 256, or what the longest sequence needs).")
    var maxLen: Int?

    @Option(help: "Passes over the training set.") var epochs = 4
    @Option(name: .customLong("batch-size"), help: "Sequences per optimisation step.") var batchSize = 64
    @Option(name: .customLong("lr"), help: "Peak learning rate (AdamW; linear warm-up, cosine decay).") var learningRate: Float = 1e-3
    @Option(name: .customLong("weight-decay"), help: "AdamW decoupled weight decay.") var weightDecay: Float = 0.01
    @Option(help: "Fraction of steps spent warming up the learning rate.") var warmup: Double = 0.05
    @Option(name: .customLong("clip-norm"), help: "Largest global gradient norm (clipped above).") var clipNorm: Float = 1
    @Option(help: "Stop after this many epochs without a better validation AUROC.") var patience = 2
    @Option(name: .customLong("head-diversity"), help: "Weight λ of the penalty on similar attention maps between heads (0: off).")
    var headDiversity: Float = 0
    @Option(help: "Seed for initialisation, shuffling and sampling.") var seed: UInt64 = 1
    @Option(help: "Threads (the model is bit-identical for the same seed and thread count).")
    var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Model file to write (safetensors).", valueName: "OUT"))
    var output: String
    @Option(help: ArgumentHelp("Checkpoint written after each epoch (default: OUT with .checkpoint.safetensors in place of .safetensors).", valueName: "PATH"))
    var checkpoint: String?
    @Flag(help: "Continue the run whose checkpoint is at --checkpoint (same inputs and settings; --threads may differ).")
    var resume = false
    @Option(name: .customLong("stop-after"), help: ArgumentHelp("Stop after this many epochs in this run, keeping the checkpoint for --resume (for time-limited jobs).", valueName: "EPOCHS"))
    var stopAfter: Int?
    @Flag(help: "No progress on standard error.") var quiet = false

    /// Where the checkpoint goes: --checkpoint, or the output's name with `.checkpoint.safetensors`.
    var checkpointPath: String {
        if let checkpoint { return checkpoint }
        let stem = output.hasSuffix(".safetensors") ? String(output.dropLast(".safetensors".count)) : output
        return stem + ".checkpoint.safetensors"
    }

    /// The command line without the options that only steer the run (they do not change the model),
    /// so that an interrupted and resumed run writes the same file as one that never stopped.
    static func modelDefiningArguments(_ arguments: [String]) -> [String] {
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

    func validate() throws {
        switch (train, genome, peaks) {
        case (.some, nil, nil): break
        case (nil, .some, .some): break
        case (.some, _, _): throw ValidationError("give either --train or --genome with --peaks, not both")
        default: throw ValidationError("give --train FASTA, or --genome FASTA with --peaks BED")
        }
        if valid != nil && train == nil { throw ValidationError("--valid goes with --train") }
        guard k >= 1 && k <= 8 else { throw ValidationError("--k must be between 1 and 8") }
        guard convWidth == 0 || convWidth % 2 == 1 else { throw ValidationError("--conv-width must be odd (or 0)") }
        guard dModel > 0, heads > 0, dModel % heads == 0 else { throw ValidationError("--d-model must be a positive multiple of --heads") }
        guard layers > 0, dFF > 0, epochs > 0, batchSize > 0, threads > 0, window > k, tokenStride > 0 else {
            throw ValidationError("--layers, --d-ff, --epochs, --batch-size, --threads, --token-stride must be positive and --window longer than --k")
        }
        guard validFraction >= 0 && validFraction < 1 else { throw ValidationError("--valid-fraction must be in [0, 1)") }
        guard learningRate > 0 else { throw ValidationError("--lr must be positive") }
        if let stopAfter, stopAfter <= 0 { throw ValidationError("--stop-after must be positive") }
        guard output != "-" || checkpoint != nil else { throw ValidationError("with -o - (the model to standard output), give --checkpoint PATH") }
    }

    func run() throws {
        try reportingErrors("train") {
            let progress = ProgressMeter(command: "train", unit: "epochs", total: epochs, quiet: quiet)
            var record = RunRecord(command: "train", commandLine: Self.modelDefiningArguments(CommandLine.arguments))
            let warn: (String) -> Void = { progress.message($0) }
            if resume && !FileManager.default.fileExists(atPath: checkpointPath) {
                throw CheckpointError.missing(file: checkpointPath)
            }

            // Sequences.
            var training: [LabelledSequence], validation: [LabelledSequence]
            if let train {
                try record.addInput(role: "train", path: train)
                let all = try TrainingData.readLabelledFASTA(path: train)
                if let valid {
                    try record.addInput(role: "valid", path: valid)
                    (training, validation) = (all, try TrainingData.readLabelledFASTA(path: valid))
                } else {
                    (training, validation) = try TrainingData.split(all, validationChromosomes: [], validationFraction: validFraction, seed: seed)
                }
            } else {
                try record.addInput(role: "genome", path: genome!)
                try record.addInput(role: "peaks", path: peaks!)
                let regions = try BEDReader.read(path: peaks!)
                let source = NegativeSource(argument: negatives)
                if case .file(let path) = source { try record.addInput(role: "negatives", path: path) }
                let all = try TrainingData.fromPeaks(genome: genome!, peaks: regions, window: window, negatives: source,
                                                     seed: seed, threads: threads, warning: warn)
                let chroms = validChroms.map { $0.split(separator: ",").map(String.init) } ?? []
                (training, validation) = try TrainingData.split(all, validationChromosomes: chroms, validationFraction: validFraction, seed: seed)
            }
            let source = train ?? genome!
            try TrainingData.checkBothClasses(training, source: source)
            let outputs = training[0].labels.count

            // Architecture and examples.
            let tokenizer = try KmerTokenizer(k: k, stride: tokenStride)
            let longest = (training + validation).map { tokenizer.tokenCount(forLength: $0.bases.count) }.max() ?? 2
            let architecture = TrainingArchitecture(k: k, stride: tokenStride, dModel: dModel, nHeads: heads, nLayers: layers, dFF: dFF,
                                                    maxLen: maxLen ?? max(256, longest), nOutputs: outputs, convWidth: convWidth)
            if let problem = architecture.problem() { throw ValidationError(problem) }
            let trainingExamples = try TrainingData.examples(training, tokenizer: tokenizer, maxLen: architecture.maxLen, source: source)
            let validationExamples = try TrainingData.examples(validation, tokenizer: tokenizer, maxLen: architecture.maxLen, source: valid ?? source)
            progress.message("\(trainingExamples.count) training and \(validationExamples.count) validation sequences, \(outputs) output(s)")

            // Training.
            let settings = TrainerSettings(batchSize: batchSize, epochs: epochs, seed: seed, threads: threads,
                                           optimiser: AdamWSettings(learningRate: learningRate, weightDecay: weightDecay),
                                           warmupFraction: warmup, maxGradientNorm: clipNorm, patience: patience,
                                           headDiversity: headDiversity)
            var resumed: TrainingCheckpoint?
            let checkpointPath = self.checkpointPath
            if resume {
                let saved = try TrainingCheckpoint.read(path: checkpointPath)
                if let reason = saved.mismatch(architecture: architecture, settings: settings,
                                               training: trainingExamples, validation: validationExamples) {
                    throw CheckpointError.mismatch(file: checkpointPath, reason: reason)
                }
                resumed = saved
                progress.message("resuming after epoch \(saved.completedEpochs) of \(epochs) from \(checkpointPath)")
            } else if FileManager.default.fileExists(atPath: checkpointPath) {
                progress.message("\(checkpointPath) from an earlier run will be replaced (--resume continues it)")
            }
            let firstEpoch = resumed?.completedEpochs ?? 0
            let trainer = Trainer(architecture: architecture, settings: settings)
            var checkpointError: Error?
            let report = record.time("train") {
                trainer.train(training: trainingExamples, validation: validationExamples, resumingFrom: resumed, progress: { epoch in
                    let auroc = epoch.validationAUROC.map { String(format: "%.4f", $0) } ?? "n/a"
                    let auprc = epoch.validationAUPRC.map { String(format: "%.4f", $0) } ?? "n/a"
                    progress.message(String(format: "epoch %d: loss %.4f, validation AUROC %@, AUPRC %@, %.0f sequences/s, %.1f steps/s",
                                            epoch.epoch, epoch.trainingLoss, auroc, auprc, epoch.sequencesPerSecond, epoch.stepsPerSecond))
                    progress.advance()
                }, afterEpoch: { state in
                    do { try state.write(to: checkpointPath) } catch {
                        checkpointError = error
                        return false
                    }
                    return stopAfter.map { state.completedEpochs - firstEpoch < $0 } ?? true
                })
            }
            progress.finish()
            if let checkpointError { throw checkpointError }
            if report.paused {
                progress.message("stopped after epoch \(report.epochs.count) of \(epochs); continue with --resume from \(checkpointPath)")
                return
            }

            // The model file.
            record.parameters = [
                "k": "\(k)", "token_stride": "\(tokenStride)", "conv_width": "\(convWidth)", "d_model": "\(dModel)",
                "heads": "\(heads)", "layers": "\(layers)", "d_ff": "\(dFF)", "max_len": "\(architecture.maxLen)",
                "epochs": "\(epochs)", "batch_size": "\(batchSize)", "lr": "\(learningRate)", "weight_decay": "\(weightDecay)",
                "warmup": "\(warmup)", "clip_norm": "\(clipNorm)", "patience": "\(patience)", "head_diversity": "\(headDiversity)",
                "seed": "\(seed)", "threads": "\(threads)", "negatives": negatives, "window": "\(window)",
            ]
            record.counts = ["training_sequences": trainingExamples.count, "validation_sequences": validationExamples.count,
                             "best_epoch": report.bestEpoch]
            let model = try AttentionModel(architecture: architecture, parameters: trainer.parameters)
            try model.save(to: output, extraMetadata: ["motifattn_training": TrainingMetadata(record: record, report: report).json()])
            let best = report.epochs.first { $0.epoch == report.bestEpoch }
            if unlink(checkpointPath) != 0 && errno != ENOENT {
                progress.message("\(checkpointPath): cannot remove the checkpoint (\(String(cString: strerror(errno))))")
            }
            progress.message("wrote \(output) (best epoch \(report.bestEpoch)\(best?.validationAUROC.map { String(format: ", validation AUROC %.4f", $0) } ?? ""))")
        }
    }
}
