import ArgumentParser
import Foundation
import MotifAttn

extension HeadDiversityKind: ExpressibleByArgument {}

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
        4 heads, 2 layers, d_ff 128), trained for at least \(TrainingSettings.defaultMinimumSteps) steps (or exactly --epochs when given) \
        with reverse-complement augmentation (--no-reverse-complement turns it off) and, when training \
        reads each sequence more than \(TrainingSettings.shiftAboveEpochs) times, shift augmentation (--max-shift). The result is a v1 safetensors model that also loads in \
        PyTorch (motifattn_torch.py); training metrics and the command line are in its metadata. \
        The same --seed and --threads give a bit-identical model file. After every epoch a checkpoint \
        (weights, AdamW moments, step, shuffling state, best epoch so far, early-stopping counter, and \
        fingerprints of the settings and sequences) replaces the previous one, atomically; --resume \
        continues from it and gives the same model file as a run that never stopped. The checkpoint is \
        removed once the model is written. SIGINT or SIGTERM stop training with status 130 or 143, \
        leaving no partial files; the last checkpoint stays. \
        Fine-tuning: --init MODEL continues a model on new data (fresh AdamW state and schedule; a lower \
        --lr is usual); --forgetting OLD.fa measures each head's forgetting index (mean KL divergence of its \
        attention rows on the old sequences, before ‖ after) and the old task's AUROC before and after \
        (OUT.forgetting.tsv and the model's metadata); --orthogonal-updates keeps each update orthogonal \
        to the logit gradients of old-task sequences.
        """)

    private static let architectureDefaults = TrainingArchitecture()
    private static let trainerDefaults = TrainerSettings()
    private static let settingsDefaults = TrainingSettings(source: .labelledFASTA(train: "", valid: nil), outputPath: "")

    @Option(help: ArgumentHelp("Labelled FASTA of training sequences.", valueName: "FASTA")) var train: String?
    @Option(help: ArgumentHelp("Labelled FASTA of validation sequences.", valueName: "FASTA")) var valid: String?
    @Option(help: ArgumentHelp("Genome FASTA (with --peaks).", valueName: "FASTA")) var genome: String?
    @Option(help: ArgumentHelp("Bound regions: BED or narrowPeak (with --genome).", valueName: "BED")) var peaks: String?
    @Option(help: ArgumentHelp("Background with --genome: shuffle, genomic or a FASTA file.", valueName: "SOURCE"))
    var negatives: String = settingsDefaults.negatives.label
    @Option(name: .customLong("valid-chroms"), help: ArgumentHelp("Comma-separated chromosomes held out for validation.", valueName: "CHROMS"))
    var validChroms: String?
    @Option(name: .customLong("valid-fraction"), help: "Fraction of sequences held out for validation when no --valid or --valid-chroms is given.")
    var validFraction: Double = settingsDefaults.validationFraction

    // The architecture options are optional so that --init (which takes the model's own) can refuse them.
    @Option(help: "k-mer length of the tokenizer (default: \(architectureDefaults.k)).") var k: Int?
    @Option(name: .customLong("token-stride"), help: "Bases between k-mer starts (default: \(architectureDefaults.stride)).")
    var tokenStride: Int?
    @Option(name: .customLong("conv-width"), help: "Width of the convolutional stem in tokens (odd; 0 for none; default: \(architectureDefaults.convWidth)).")
    var convWidth: Int?
    @Option(name: .customLong("d-model"), help: "Model width (default: \(architectureDefaults.dModel)).") var dModel: Int?
    @Option(help: "Attention heads per layer (default: \(architectureDefaults.nHeads)).") var heads: Int?
    @Option(help: "Encoder layers (default: \(architectureDefaults.nLayers)).") var layers: Int?
    @Option(name: .customLong("d-ff"), help: "Feed-forward width (default: \(architectureDefaults.dFF)).") var dFF: Int?
    @Option(help: "Window length in bases (with --genome).") var window = settingsDefaults.window
    @Option(name: .customLong("max-len"), help: "Longest token row the model accepts (default: 256, or what the longest sequence needs).")
    var maxLen: Int?

    @Option(help: ArgumentHelp("Passes over the training set (default: \(trainerDefaults.epochs), or more until --min-steps steps).", valueName: "N"))
    var epochs: Int?
    @Option(name: .customLong("batch-size"), help: "Sequences per optimisation step.") var batchSize = trainerDefaults.batchSize
    @Option(name: .customLong("lr"), help: "Peak learning rate (AdamW; linear warm-up, cosine decay).")
    var learningRate: Float = trainerDefaults.optimiser.learningRate
    @Option(name: .customLong("weight-decay"), help: "AdamW decoupled weight decay.") var weightDecay: Float = trainerDefaults.optimiser.weightDecay
    @Option(help: "Fraction of steps spent warming up the learning rate.") var warmup: Double = trainerDefaults.warmupFraction
    @Option(name: .customLong("clip-norm"), help: "Largest global gradient norm (clipped above).") var clipNorm: Float = trainerDefaults.maxGradientNorm
    @Option(help: "Stop after this many epochs without a better validation AUROC.") var patience = trainerDefaults.patience
    @Option(name: .customLong("min-steps"), help: ArgumentHelp("Fewest optimisation steps: a small training set runs more epochs (default: \(TrainingSettings.defaultMinimumSteps) without --epochs, 0 with it).", valueName: "STEPS"))
    var minSteps: Int?
    @Option(name: .customLong("max-epochs"), help: "Most epochs --min-steps may plan.") var maxEpochs = trainerDefaults.maximumEpochs
    @Flag(name: .customLong("reverse-complement"), inversion: .prefixedNo,
          help: "Augment with reverse complements (each epoch, each sequence on a strand drawn from the seed).")
    var reverseComplement = true
    @Option(name: .customLong("max-shift"), help: ArgumentHelp("Shift augmentation: each epoch, each sequence loses up to this many k-mers at one end (0: off; default: \(TrainingSettings.defaultMaxShift) when training plans more than \(TrainingSettings.shiftAboveEpochs) epochs, else 0).", valueName: "K-MERS"))
    var maxShift: Int?
    @Option(help: "Dropout rate of each layer's attention and feed-forward outputs while training (0: off; the saved model has none).")
    var dropout: Float = trainerDefaults.dropout
    @Option(name: .customLong("valid-block"), help: "With --genome: validate on held-out contiguous blocks of this many bases (0: a random --valid-fraction).")
    var validBlock = settingsDefaults.validationBlockBases
    @Option(name: .customLong("head-diversity"), help: "Weight λ of the penalty on similar attention maps between heads (0: off).")
    var headDiversity: Float = trainerDefaults.headDiversity
    @Option(name: .customLong("head-diversity-kind"),
            help: "Penalty --head-diversity weighs: cosine (similar attention maps) or product (heads attending the same keys; slower).")
    var headDiversityKind: HeadDiversityKind = trainerDefaults.headDiversityKind
    @Option(name: .customLong("init"), help: ArgumentHelp("Fine-tune: start from this model (its architecture, tokenizer and max_len) instead of random weights.", valueName: "MODEL"))
    var initialModel: String?
    @Option(help: ArgumentHelp("With --init: labelled FASTA of the model's old task; writes each head's forgetting index and the old task's AUROC before and after.", valueName: "FASTA"))
    var forgetting: String?
    @Option(name: .customLong("forgetting-table"), help: ArgumentHelp("Where the forgetting table goes (default: OUT with .forgetting.tsv).", valueName: "TSV"))
    var forgettingTable: String?
    @Flag(name: .customLong("orthogonal-updates"), help: "With --forgetting: keep each update orthogonal to the logit gradients of old-task sequences (orthogonal gradient descent).")
    var orthogonalUpdates = false
    @Option(name: .customLong("orthogonal-examples"), help: "Old-task sequences whose logit gradients --orthogonal-updates keeps out of.")
    var orthogonalExamples = 64
    @Option(help: "Seed for initialisation, shuffling and sampling.") var seed: UInt64 = trainerDefaults.seed
    @Option(help: "Threads (the model is bit-identical for the same seed and thread count).")
    var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: [.short, .customLong("output"), .customLong("out")],
            help: ArgumentHelp("Model file to write (safetensors; - for standard output).", valueName: "OUT"))
    var output: String
    @Option(help: ArgumentHelp("Checkpoint written after each epoch (default: OUT with .checkpoint.safetensors in place of .safetensors).", valueName: "PATH"))
    var checkpoint: String?
    @Flag(help: "Continue the run whose checkpoint is at --checkpoint (same inputs and settings; --threads may differ).")
    var resume = false
    @Option(name: .customLong("stop-after"), help: ArgumentHelp("Stop after this many epochs in this run, keeping the checkpoint for --resume (for time-limited jobs).", valueName: "EPOCHS"))
    var stopAfter: Int?
    @Option(name: .customLong("write-split"),
            help: ArgumentHelp("Also write the training and validation sequences as labelled FASTA files PREFIX.train.fa and PREFIX.valid.fa (to reproduce the split or train another tool on the same data).", valueName: "PREFIX"))
    var writeSplit: String?
    @Flag(help: "No progress on standard error.") var quiet = false

    func validate() throws {
        switch (train, genome, peaks) {
        case (.some, nil, nil): break
        case (nil, .some, .some): break
        case (.some, _, _): throw ValidationError("give either --train or --genome with --peaks, not both")
        default: throw ValidationError("give --train FASTA, or --genome FASTA with --peaks BED")
        }
        if valid != nil && train == nil { throw ValidationError("--valid goes with --train") }
        if initialModel != nil {
            let given = [("--k", k), ("--token-stride", tokenStride), ("--conv-width", convWidth), ("--d-model", dModel),
                         ("--heads", heads), ("--layers", layers), ("--d-ff", dFF), ("--max-len", maxLen)]
                .filter { $0.1 != nil }.map(\.0)
            if !given.isEmpty {
                throw ValidationError("--init continues the model with its own architecture; leave out \(given.joined(separator: ", "))")
            }
        } else if forgetting != nil {
            throw ValidationError("--forgetting measures what fine-tuning changes: it needs --init MODEL")
        }
        if orthogonalUpdates && forgetting == nil {
            throw ValidationError("--orthogonal-updates keeps updates out of the old task's gradients: give its sequences with --forgetting FASTA")
        }
        guard orthogonalExamples > 0 else { throw ValidationError("--orthogonal-examples must be positive") }
        if forgetting != nil && output == "-" && forgettingTable == nil {
            throw ValidationError("with -o - and --forgetting, give --forgetting-table PATH")
        }
        let architecture = self.architecture
        let k = architecture.k, dModel = architecture.dModel, heads = architecture.nHeads
        guard k >= 1 && k <= 8 else { throw ValidationError("--k must be between 1 and 8") }
        guard architecture.convWidth == 0 || architecture.convWidth % 2 == 1 else { throw ValidationError("--conv-width must be odd (or 0)") }
        guard dModel > 0, heads > 0, dModel % heads == 0 else { throw ValidationError("--d-model must be a positive multiple of --heads") }
        guard architecture.nLayers > 0, architecture.dFF > 0, (epochs ?? 1) > 0, batchSize > 0, threads > 0, window > k, architecture.stride > 0 else {
            throw ValidationError("--layers, --d-ff, --epochs, --batch-size, --threads, --token-stride must be positive and --window longer than --k")
        }
        if let maxLen, maxLen < 2 { throw ValidationError("--max-len must be at least 2 ([CLS] and [SEP])") }
        guard validFraction >= 0 && validFraction < 1 else { throw ValidationError("--valid-fraction must be in [0, 1)") }
        guard learningRate > 0 else { throw ValidationError("--lr must be positive") }
        if let stopAfter, stopAfter <= 0 { throw ValidationError("--stop-after must be positive") }
        guard (minSteps ?? 0) >= 0, maxEpochs > 0, (maxShift ?? 0) >= 0, validBlock >= 0 else {
            throw ValidationError("--min-steps, --max-shift and --valid-block must be 0 or more, --max-epochs positive")
        }
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1)") }
        guard output != "-" || checkpoint != nil else { throw ValidationError("with -o - (the model to standard output), give --checkpoint PATH") }
    }

    /// The architecture the options ask for (defaults where not given).
    var architecture: TrainingArchitecture {
        let d = Self.architectureDefaults
        return TrainingArchitecture(k: k ?? d.k, stride: tokenStride ?? d.stride, dModel: dModel ?? d.dModel, nHeads: heads ?? d.nHeads,
                                    nLayers: layers ?? d.nLayers, dFF: dFF ?? d.dFF, maxLen: maxLen ?? 256, convWidth: convWidth ?? d.convWidth)
    }

    /// The library settings these options describe.
    func settings() -> TrainingSettings {
        let source: TrainingSource = train.map { .labelledFASTA(train: $0, valid: valid) } ?? .genome(path: genome!, peaks: peaks!)
        var settings = TrainingSettings(source: source, outputPath: output, checkpointPath: checkpoint)
        settings.negatives = NegativeSource(argument: negatives)
        settings.window = window
        settings.validationChromosomes = validChroms.map { $0.split(separator: ",").map(String.init) } ?? []
        settings.validationFraction = validFraction
        settings.validationBlockBases = validBlock
        settings.architecture = architecture
        settings.automaticMaxLen = maxLen == nil
        settings.initialModelPath = initialModel
        settings.forgettingPath = forgetting
        settings.forgettingTablePath = forgettingTable
        settings.orthogonalExamples = orthogonalUpdates ? orthogonalExamples : 0
        settings.trainer = TrainerSettings(batchSize: batchSize, epochs: epochs ?? Self.trainerDefaults.epochs, seed: seed, threads: threads,
                                           optimiser: AdamWSettings(learningRate: learningRate, weightDecay: weightDecay),
                                           warmupFraction: warmup, maxGradientNorm: clipNorm, patience: patience,
                                           headDiversity: headDiversity)
        settings.trainer.headDiversityKind = headDiversityKind
        // A step budget unless the epochs are given: --epochs N means N epochs.
        settings.trainer.minimumSteps = minSteps ?? (epochs == nil ? TrainingSettings.defaultMinimumSteps : 0)
        settings.trainer.maximumEpochs = maxEpochs
        settings.trainer.reverseComplement = reverseComplement
        settings.automaticMaxShift = maxShift == nil
        settings.trainer.maxShift = maxShift ?? 0
        settings.trainer.dropout = dropout
        settings.resume = resume
        settings.stopAfterEpochs = stopAfter
        settings.splitPrefix = writeSplit
        settings.quiet = quiet
        return settings
    }

    func run() throws {
        try reportingErrors("train") {
            try TrainingPipeline(settings: settings()).run()
        }
    }
}
