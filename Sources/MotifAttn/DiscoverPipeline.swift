import Foundation
import MotifAttnCore
import MotifAttnIO

/// Everything `motifattn discover` needs: a genome, its peaks, and where to write.
///
/// `training` and `scan` start from `DiscoverSettings.init`'s defaults and stay adjustable; `run()` keeps
/// the two consistent (the scan reads the trained model, the peaks as regions and the training window).
public struct DiscoverSettings: Sendable {
    /// The genome (plain or bgzip FASTA; indexed by faidx).
    public var genome: String
    /// The bound regions (BED or narrowPeak).
    public var peaks: String
    /// The folder for the model, the tables and the report.
    public var outputFolder: String
    /// How the model is trained.
    public var training: TrainingSettings
    /// How the genome is scanned with it.
    public var scan: ScanSettings
    /// Continue from the training checkpoint in the output folder (or skip training when the model is there).
    public var resume = false

    /// The model file in the output folder.
    public static let modelFileName = "model.safetensors"

    /// The defaults of `discover`:
    /// - background: genome windows outside the peaks matched to the peaks' GC (`NegativeSource.genomic`),
    ///   so the model learns what tells peaks from the same genome's DNA, not from shuffled DNA;
    /// - validation on held-out contiguous blocks of the genome (`TrainingSettings.validationBlockBases`):
    ///   it works on a one-chromosome genome and keeps overlapping windows on one side of the split;
    /// - reverse-complement augmentation (binding is strand-symmetric) and at least 6,000 optimisation
    ///   steps (`TrainerSettings.minimumSteps`), since a peak set is far smaller than a simulation's
    ///   training set; both measured on the benchmark panel (`Benchmarks/panel/README.md`); with them
    ///   shift augmentation (`TrainingSettings.automaticMaxShift`), since the budget reads a peak set many times;
    /// - the scan's regions are the peaks, its window the training window.
    public init(genome: String, peaks: String, outputFolder: String, analysis: AnalysisOptions) {
        self.genome = genome
        self.peaks = peaks
        self.outputFolder = outputFolder
        let modelPath = (outputFolder as NSString).appendingPathComponent(Self.modelFileName)
        training = TrainingSettings(source: .genome(path: genome, peaks: peaks), outputPath: modelPath)
        training.negatives = .genomic
        training.trainer.reverseComplement = true
        training.trainer.minimumSteps = TrainingSettings.defaultMinimumSteps
        scan = ScanSettings(genome: genome, regionsPath: peaks, modelPath: modelPath, windowOptions: ScanSettings.defaultWindowOptions,
                            analysis: analysis, outputFolder: outputFolder)
        scan.windowOptions.window = training.window
    }
}

/// `motifattn discover`: from peaks to candidate interactions in one process — trains a model on the
/// peaks (the library's `TrainingPipeline`), then scans the genome with the peaks as bound regions
/// (`ScanPipeline`), writing the model, the tables and the report into one folder.
public final class DiscoverPipeline {
    public let settings: DiscoverSettings

    public init(settings: DiscoverSettings) {
        self.settings = settings
    }

    /// Trains (or resumes, or reuses a finished model with `resume`), then scans; returns the scan's record.
    @discardableResult
    public func run(commandLine: [String] = CommandLine.arguments) throws -> RunRecord {
        var s = settings
        try FileManager.default.createDirectory(atPath: s.outputFolder, withIntermediateDirectories: true)
        s.training.outputPath = (s.outputFolder as NSString).appendingPathComponent(DiscoverSettings.modelFileName)
        s.training.checkpointPath = TrainingSettings.defaultCheckpointPath(forModel: s.training.outputPath)
        s.training.quiet = s.scan.quiet
        s.scan.modelPath = s.training.outputPath
        s.scan.regionsPath = s.peaks
        s.scan.windowOptions.window = s.training.window
        let progress = ProgressMeter(command: "discover", unit: "steps", quiet: s.scan.quiet)

        let fileManager = FileManager.default
        let finished = fileManager.fileExists(atPath: s.training.outputPath) && !fileManager.fileExists(atPath: s.training.checkpointPath)
        if s.resume && finished {
            progress.message("step 1 of 2: \(s.training.outputPath) is already trained (--resume)")
        } else {
            progress.message("step 1 of 2: training a model on \((s.peaks as NSString).lastPathComponent)")
            s.training.resume = s.resume && fileManager.fileExists(atPath: s.training.checkpointPath)
            let outcome = try TrainingPipeline(settings: s.training, commandLine: commandLine).run()
            if outcome.paused { return RunRecord(command: "discover", commandLine: commandLine) }
        }
        progress.message("step 2 of 2: scanning \((s.genome as NSString).lastPathComponent) with the peaks as bound regions")
        return try ScanPipeline(settings: s.scan, record: RunRecord(command: "discover", commandLine: commandLine)).run()
    }
}
