import Foundation
import Dispatch
import MotifAttnCore
import MotifAttnKernels

/// One labelled sequence ready for training: its token row and one 0/1 label per output.
public struct TrainingExample: Sendable, Equatable {
    /// Token ids, `[CLS]` first and `[SEP]` last, no padding.
    public var tokenIDs: [Int32]
    /// One label per model output (0 or 1).
    public var labels: [Float]
    /// Token ids of the reverse complement, for reverse-complement augmentation (`TrainerSettings.reverseComplement`).
    public var reverseTokenIDs: [Int32]?

    /// Creates an example from its tokens and labels (and its reverse complement's tokens, for augmentation).
    public init(tokenIDs: [Int32], labels: [Float], reverseTokenIDs: [Int32]? = nil) {
        self.tokenIDs = tokenIDs
        self.labels = labels
        self.reverseTokenIDs = reverseTokenIDs
    }
}

/// How to train: batch size, epochs, optimiser, schedule, clipping, early stopping, seed and threads.
public struct TrainerSettings: Sendable, Equatable {
    /// Sequences per optimisation step.
    public var batchSize: Int = 64
    /// Passes over the training set (at most; early stopping may end sooner).
    public var epochs: Int = 4
    /// Seeds initialisation and the order of examples.
    public var seed: UInt64 = 1
    /// Worker threads; the result is the same for any count (fixed shards, fixed reduction order).
    public var threads: Int = 1
    /// Sequences per shard: a batch is cut into shards of this size whatever the thread count,
    /// and their gradients are summed in shard order, so results do not depend on `threads`.
    public var shardSize: Int = 8
    /// AdamW settings; `learningRate` is the schedule's peak.
    public var optimiser = AdamWSettings()
    /// Fraction of all steps spent in linear warm-up.
    public var warmupFraction: Double = 0.05
    /// Final learning rate of the cosine decay, as a fraction of the peak.
    public var floorFraction: Float = 0.01
    /// Clip the global gradient norm to this value (0: no clipping).
    public var maxGradientNorm: Float = 1
    /// Stop after this many epochs without a better validation AUROC (0: never stop early), counted only once
    /// the warm-up has ended: a run whose learning rate has not yet reached its peak is not judged stalled (on a
    /// small set with a step budget the warm-up spans several epochs, and stopping in it is a lottery on the seed).
    public var patience: Int = 2
    /// Weight λ of the head-diversity penalty (0: off); `headDiversityKind` says which penalty.
    public var headDiversity: Float = 0
    /// The head-diversity penalty λ weighs: cosine similarity of the heads' attention maps, or the
    /// overlap of the keys they attend (`HeadDiversityKind`).
    public var headDiversityKind: HeadDiversityKind = .cosine
    /// Fewest optimisation steps: a small training set runs more epochs than `epochs` until this many steps
    /// are planned (at most `maximumEpochs`); early stopping still ends it when validation stops improving.
    /// 0: `epochs` alone.
    public var minimumSteps = 0
    /// Most epochs `minimumSteps` may plan.
    public var maximumEpochs = 200
    /// Reverse-complement augmentation: in each epoch each example is read on a strand drawn from the seed,
    /// the epoch and its index (examples need `reverseTokenIDs`).
    public var reverseComplement = false
    /// Shift augmentation: in each epoch each example loses 0 to this many k-mer tokens at one end (drawn
    /// like the strand), so its sites move against the positions the model sees. 0: off.
    public var maxShift = 0
    /// Dropout rate of each layer's two residual branches (attention and feed-forward outputs) in training
    /// steps (`TrainingWorkspace.dropoutRate`); validation, `logits(of:)` and the saved model run without it.
    /// The masks come from the seed, the step and the example's place in the batch, so they do not depend on
    /// the thread count and replay after a resume. 0: off.
    public var dropout: Float = 0

    /// Epochs a run on `examples` training examples plans: `epochs`, or more when `minimumSteps` asks for them
    /// (at most `maximumEpochs`).
    public func plannedEpochs(examples: Int) -> Int {
        let perEpoch = Trainer.stepsPerEpoch(examples: examples, batchSize: batchSize)
        let forSteps = minimumSteps > 0 ? (minimumSteps + perEpoch - 1) / perEpoch : 0
        return max(1, epochs, min(maximumEpochs, forSteps))
    }

    /// Creates settings; unspecified values take the defaults above.
    public init(batchSize: Int = 64, epochs: Int = 4, seed: UInt64 = 1, threads: Int = 1, shardSize: Int = 8,
                optimiser: AdamWSettings = AdamWSettings(), warmupFraction: Double = 0.05, floorFraction: Float = 0.01,
                maxGradientNorm: Float = 1, patience: Int = 2, headDiversity: Float = 0) {
        self.batchSize = batchSize
        self.epochs = epochs
        self.seed = seed
        self.threads = threads
        self.shardSize = shardSize
        self.optimiser = optimiser
        self.warmupFraction = warmupFraction
        self.floorFraction = floorFraction
        self.maxGradientNorm = maxGradientNorm
        self.patience = patience
        self.headDiversity = headDiversity
    }
}

/// A penalty on heads that attend alike, added to the training loss with weight λ
/// (`TrainerSettings.headDiversity`), averaged over layers, sequences and head pairs.
public enum HeadDiversityKind: String, CaseIterable, Sendable, Codable {
    /// cos(P_h, P_h'): the cosine similarity of two heads' whole attention maps (non-[PAD] query rows).
    /// Cheap (H² dot products of T² numbers); zero only when the maps share no nonzero entry at the
    /// same query and key, so it also pushes apart heads that read the same key from different queries.
    case cosine
    /// ‖A_h A_h'ᵀ‖²_F / n² over the n non-[PAD] query rows: the mean square of the chance that a query of
    /// head h and a query of head h' (any positions) pick the same key; zero when the two heads read
    /// disjoint keys, whatever the queries. Costs 2H products of
    /// T × n × T per layer and sequence (several times the forward pass at 200 tokens) and H·T² floats
    /// per sequence and layer of memory.
    case product
}

/// What happened in one epoch, handed to the progress callback.
public struct EpochSummary: Sendable, Equatable {
    /// Epoch number, from 1.
    public var epoch: Int
    /// Optimisation steps in this epoch.
    public var steps: Int
    /// Steps per second of wall time (training only, validation excluded).
    public var stepsPerSecond: Double
    /// Training sequences per second of wall time.
    public var sequencesPerSecond: Double
    /// Mean training loss over the epoch's batches (head-diversity penalty included).
    public var trainingLoss: Double
    /// Mean pairwise cosine similarity between heads' attention maps over the epoch (only with a penalty weight > 0).
    public var headSimilarity: Double?
    /// Mean validation loss, when there is a validation set.
    public var validationLoss: Double?
    /// Validation AUROC (mean over outputs), when both classes are present.
    public var validationAUROC: Double?
    /// Validation AUPRC (mean over outputs), when positives are present.
    public var validationAUPRC: Double?
}

/// The outcome of `Trainer.train`.
public struct TrainingReport: Sendable, Equatable {
    /// Every epoch that ran.
    public var epochs: [EpochSummary]
    /// The epoch whose parameters were kept (best validation AUROC; the last epoch without validation).
    public var bestEpoch: Int
    /// Whether training stopped before `settings.epochs` for lack of improvement.
    public var stoppedEarly: Bool
    /// Whether `afterEpoch` asked to stop before the last epoch (the trainer then keeps the last
    /// epoch's parameters, not the best, and the checkpoint continues the run).
    public var paused: Bool = false

    public init(epochs: [EpochSummary], bestEpoch: Int, stoppedEarly: Bool, paused: Bool = false) {
        self.epochs = epochs; self.bestEpoch = bestEpoch; self.stoppedEarly = stoppedEarly; self.paused = paused
    }
}

/// Trains the encoder with the hand-written backward pass: seeded mini-batches, AdamW with
/// warm-up and cosine decay, gradient clipping, validation AUROC/AUPRC each epoch, early stopping.
///
/// Owns its per-thread workspaces and per-shard gradient buffers (planned once), so it is a class.
/// With the same seed the parameters are bit-identical whatever the thread count.
public final class Trainer {
    /// The encoder's shape.
    public let architecture: TrainingArchitecture
    /// Training settings.
    public let settings: TrainerSettings
    /// Current parameters (after `train`, those of the best epoch).
    public private(set) var parameters: ParameterStore
    /// Optimisation steps taken so far.
    public private(set) var stepCount = 0
    /// Mean pairwise cosine similarity between heads' attention maps in the last step (with a penalty weight > 0).
    public private(set) var lastHeadSimilarity = 0.0

    private var gradients: ParameterStore
    private var moments: AdamWMoments
    private var workspaces: [TrainingWorkspace] = []
    private var shardGradients: [UnsafeMutablePointer<Float>] = []
    private var schedule: LearningRateSchedule

    /// A trainer starting from `initialParameters`, or from PyTorch-style initialisation seeded by `settings.seed`.
    public init(architecture: TrainingArchitecture, settings: TrainerSettings, initialParameters: ParameterStore? = nil) {
        precondition(architecture.problem() == nil, architecture.problem() ?? "")
        precondition(settings.batchSize >= 1 && settings.shardSize >= 1 && settings.threads >= 1)
        self.architecture = architecture
        self.settings = settings
        parameters = initialParameters ?? ParameterStore.initialised(for: architecture, seed: settings.seed)
        gradients = ParameterStore(architecture: architecture)
        moments = AdamWMoments(count: gradients.values.count, decays: true)
        schedule = LearningRateSchedule(peak: settings.optimiser.learningRate, warmupSteps: 0, totalSteps: 1,
                                        floorFraction: settings.floorFraction)
        let shards = (settings.batchSize + settings.shardSize - 1) / settings.shardSize
        shardGradients = (0..<shards).map { _ in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: gradients.values.count)
            p.initialize(repeating: 0, count: gradients.values.count)
            return p
        }
    }

    deinit {
        for p in shardGradients { p.deallocate() }
    }

    /// Makes sure every thread has a workspace for shards of rows up to `tokens` long.
    private func planWorkspaces(tokens: Int) {
        let threads = min(settings.threads, shardGradients.count)
        if workspaces.count == threads, let first = workspaces.first, first.tokenCapacity >= tokens { return }
        useSingleThreadedBLAS()
        workspaces = (0..<threads).map { _ in
            let workspace = TrainingWorkspace(architecture: architecture, batchCapacity: settings.shardSize, tokenCapacity: tokens)
            workspace.headDiversityWeight = settings.headDiversity
            workspace.headDiversityKind = settings.headDiversityKind
            workspace.dropoutRate = settings.dropout
            return workspace
        }
    }

    /// Runs `body(shard, workspace)` for `shardCount` shards on the worker threads; shard s goes to thread s mod threads.
    private func forEachShard(_ shardCount: Int, _ body: (Int, TrainingWorkspace) -> Void) {
        let threads = min(workspaces.count, shardCount)
        if threads <= 1 {
            for s in 0..<shardCount { body(s, workspaces[0]) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for s in stride(from: t, to: shardCount, by: threads) { body(s, workspaces[t]) }
        }
    }

    /// One optimisation step on `batch` at learning rate `learningRate`; returns the batch's mean loss.
    ///
    /// With a ``gradientProjection`` the gradient loses its components along the kept directions before
    /// clipping and AdamW (so the moments never point along them), and so does AdamW's whole update
    /// (its per-coordinate scaling and weight decay would otherwise bring them back): the parameters move
    /// orthogonally to every kept direction.
    @discardableResult
    public func step(on batch: [TrainingExample], learningRate: Float) -> Double {
        let loss = accumulateGradient(on: batch, dropoutStep: stepCount + 1)
        let previous = gradientProjection == nil ? nil : parameters.values
        gradients.values.withUnsafeMutableBufferPointer { g in
            gradientProjection?.removeComponents(from: g)
            if settings.maxGradientNorm > 0 { GradientClipping.clip([g], maxNorm: settings.maxGradientNorm) }
            stepCount += 1
            parameters.values.withUnsafeMutableBufferPointer { p in
                moments.update(parameters: p, gradients: UnsafeBufferPointer(g), step: stepCount,
                               learningRate: learningRate, settings: settings.optimiser)
            }
        }
        if let previous, let gradientProjection {
            var update = zip(parameters.values, previous).map { $0 - $1 }
            update.withUnsafeMutableBufferPointer { gradientProjection.removeComponents(from: $0) }
            for i in update.indices { parameters.values[i] = previous[i] + update[i] }
        }
        return loss
    }

    /// The gradient of the mean loss on `batch` at the current parameters (no step is taken).
    public func lossGradient(on batch: [TrainingExample]) -> [Float] {
        _ = accumulateGradient(on: batch)
        return gradients.values
    }

    /// Directions the updates must not move along (fine-tuning with `--orthogonal-updates`); nil: none.
    public var gradientProjection: GradientProjection?

    /// Computes the gradient of the mean loss on `batch` into `gradients` (shards reduced in order) and
    /// returns the loss; with `dropoutStep` (a training step's number) and a dropout rate, with dropout.
    private func accumulateGradient(on batch: [TrainingExample], dropoutStep: Int? = nil) -> Double {
        precondition(!batch.isEmpty && batch.count <= settings.batchSize)
        planWorkspaces(tokens: batch.map(\.tokenIDs.count).max()!)
        let shardSize = settings.shardSize
        let shardCount = (batch.count + shardSize - 1) / shardSize
        let normaliser = Float(batch.count * architecture.nOutputs)
        let count = parameters.values.count
        var shardLosses = [Double](repeating: 0, count: shardCount)
        var shardSimilarities = [Double](repeating: 0, count: shardCount)
        let gradientBuffers = shardGradients
        parameters.values.withUnsafeBufferPointer { p in
            shardLosses.withUnsafeMutableBufferPointer { losses in
                shardSimilarities.withUnsafeMutableBufferPointer { similarities in
                    forEachShard(shardCount) { s, workspace in
                        let examples = batch[(s * shardSize)..<min(batch.count, (s + 1) * shardSize)]
                        workspace.load(rows: examples.map(\.tokenIDs), dropoutKeys: dropoutStep.flatMap { step in
                            settings.dropout > 0 ? examples.indices.map { dropoutKey(step: step, place: $0) } : nil
                        })
                        workspace.forward(parameters: p.baseAddress!)
                        losses[s] = workspace.loss(labels: examples.flatMap(\.labels), normaliser: normaliser)
                        similarities[s] = workspace.headSimilarity * Double(examples.count)
                        gradientBuffers[s].update(repeating: 0, count: count)
                        workspace.backward(parameters: p.baseAddress!, gradients: gradientBuffers[s])
                    }
                }
            }
        }
        lastHeadSimilarity = shardSimilarities.reduce(0, +) / Double(batch.count)
        // Reduce in shard order: the sum is the same whatever thread computed each shard.
        gradients.values.withUnsafeMutableBufferPointer { g in
            g.baseAddress!.update(from: gradientBuffers[0], count: count)
            for s in 1..<max(1, shardCount) {
                let source = gradientBuffers[s]
                for i in 0..<count { g[i] += source[i] }
            }
        }
        return shardLosses.reduce(0, +)
    }

    /// The key of the dropout masks of the example at `place` in the batch of training step `step`.
    private func dropoutKey(step: Int, place: Int) -> UInt64 {
        StableHash.mix(settings.seed ^ 0x4452_4F50_4F55_5421 ^ StableHash.mix(UInt64(step) << 24 | UInt64(place)))
    }

    /// Logits of `examples` with the current parameters, one row of `nOutputs` per example.
    public func logits(of examples: [TrainingExample]) -> [[Float]] {
        guard !examples.isEmpty else { return [] }
        planWorkspaces(tokens: examples.map(\.tokenIDs.count).max()!)
        let shardSize = settings.shardSize
        let shardCount = (examples.count + shardSize - 1) / shardSize
        var results = [[Float]](repeating: [], count: examples.count)
        parameters.values.withUnsafeBufferPointer { p in
            results.withUnsafeMutableBufferPointer { out in
                forEachShard(shardCount) { s, workspace in
                    let range = (s * shardSize)..<min(examples.count, (s + 1) * shardSize)
                    workspace.load(rows: examples[range].map(\.tokenIDs))
                    workspace.forward(parameters: p.baseAddress!)
                    let flat = workspace.logits, o = architecture.nOutputs
                    for (i, e) in range.enumerated() { out[e] = Array(flat[(i * o)..<((i + 1) * o)]) }
                }
            }
        }
        return results
    }

    /// Mean pairwise cosine similarity between the heads' attention maps of each layer, averaged over
    /// layers and `examples`: 1 when all heads attend alike (head redundancy).
    public func headSimilarity(of examples: [TrainingExample]) -> Double {
        guard !examples.isEmpty else { return 0 }
        planWorkspaces(tokens: examples.map(\.tokenIDs.count).max()!)
        let shardSize = settings.shardSize
        let shardCount = (examples.count + shardSize - 1) / shardSize
        var sums = [Double](repeating: 0, count: shardCount)
        for w in workspaces { w.computesEveryQueryInLastLayer = true }
        defer { for w in workspaces { w.computesEveryQueryInLastLayer = false } }
        parameters.values.withUnsafeBufferPointer { p in
            sums.withUnsafeMutableBufferPointer { out in
                forEachShard(shardCount) { s, workspace in
                    let range = (s * shardSize)..<min(examples.count, (s + 1) * shardSize)
                    workspace.load(rows: examples[range].map(\.tokenIDs))
                    workspace.forward(parameters: p.baseAddress!)
                    out[s] = workspace.meanHeadSimilarity() * Double(range.count)
                }
            }
        }
        return sums.reduce(0, +) / Double(examples.count)
    }

    /// Mean BCE loss, AUROC and AUPRC (each a mean over outputs) of the current parameters on `examples`.
    public func evaluate(_ examples: [TrainingExample]) -> (loss: Double, auroc: Double?, auprc: Double?) {
        let scores = logits(of: examples)
        var loss = 0.0
        for (row, example) in zip(scores, examples) {
            for (z32, y32) in zip(row, example.labels) {
                let z = Double(z32), y = Double(y32)
                loss += max(z, 0) - z * y + log1p(exp(-abs(z)))
            }
        }
        loss /= Double(max(1, examples.count * architecture.nOutputs))
        var aurocs: [Double] = [], auprcs: [Double] = []
        for o in 0..<architecture.nOutputs {
            let s = scores.map { $0[o] }, labels = examples.map { $0.labels[o] >= 0.5 }
            if let a = ClassificationMetrics.auroc(scores: s, labels: labels) { aurocs.append(a) }
            if let a = ClassificationMetrics.auprc(scores: s, labels: labels) { auprcs.append(a) }
        }
        return (loss, aurocs.isEmpty ? nil : aurocs.reduce(0, +) / Double(aurocs.count),
                auprcs.isEmpty ? nil : auprcs.reduce(0, +) / Double(auprcs.count))
    }

    /// Optimisation steps in one epoch over `examples` sequences.
    public static func stepsPerEpoch(examples: Int, batchSize: Int) -> Int { (examples + batchSize - 1) / batchSize }

    /// Epochs a run on `examples` training examples plans (`TrainerSettings.plannedEpochs(examples:)`).
    public func plannedEpochs(examples: Int) -> Int { settings.plannedEpochs(examples: examples) }

    /// The token row `example` (index `index` of the training set) is trained on in `epoch`: its own or its
    /// reverse complement's, shortened by the shift, both drawn from the seed, the epoch and the index (so
    /// the same whatever the thread count, and the same after a resume).
    func augmented(_ example: TrainingExample, index: Int, epoch: Int) -> TrainingExample {
        guard settings.reverseComplement || settings.maxShift > 0 else { return example }
        let draw = StableHash.mix(settings.seed ^ 0x4155_474D_454E_5421 ^ StableHash.mix(UInt64(epoch) << 32 | UInt64(index)))
        var ids = example.tokenIDs
        if settings.reverseComplement, let reverse = example.reverseTokenIDs, draw & 1 == 1 { ids = reverse }
        if settings.maxShift > 0 && ids.count > 3 {
            // Keep [CLS], [SEP] and at least one k-mer.
            let cut = min(Int((draw >> 8) % UInt64(settings.maxShift + 1)), ids.count - 3)
            if cut > 0 {
                if (draw >> 40) & 1 == 0 { ids.removeSubrange(1..<(1 + cut)) } else { ids.removeSubrange((ids.count - 1 - cut)..<(ids.count - 1)) }
            }
        }
        return TrainingExample(tokenIDs: ids, labels: example.labels)
    }

    /// The training order after `epochs` epochs of shuffling `count` examples with `seed`, and the shuffler
    /// ready for the next epoch (a resumed run replays the shuffles instead of storing the order).
    static func shuffledOrder(count: Int, seed: UInt64, epochs: Int) -> (order: [Int], generator: SeededGenerator) {
        var order = Array(0..<count)
        var shuffler = SeededGenerator(seed: seed ^ 0x5348_5546_464C_4521)
        for _ in 0..<epochs { shuffler.shuffle(&order) }
        return (order, shuffler)
    }

    /// Trains on `training` for up to `settings.epochs` epochs, validating on `validation` after each,
    /// and keeps the parameters of the epoch with the best validation AUROC.
    ///
    /// After each epoch `afterEpoch` receives a checkpoint of the whole state (before `progress` hears of
    /// the epoch); returning false pauses training there. Training from `resumingFrom` (a checkpoint of a
    /// run with the same settings and data, see `TrainingCheckpoint.mismatch`) continues that run and ends
    /// with bit-identical parameters and the same report as a run that never stopped.
    public func train(training: [TrainingExample], validation: [TrainingExample] = [],
                      resumingFrom checkpoint: TrainingCheckpoint? = nil,
                      progress: (EpochSummary) -> Void = { _ in },
                      afterEpoch: ((TrainingCheckpoint) -> Bool)? = nil) -> TrainingReport {
        precondition(!training.isEmpty, "no training examples")
        let tooLong = (training + validation).first { $0.tokenIDs.count > architecture.maxLen }
        precondition(tooLong == nil, "a token row is longer than max_len \(architecture.maxLen)")
        precondition((training + validation).allSatisfy { $0.labels.count == architecture.nOutputs },
                     "every example needs \(architecture.nOutputs) labels")
        let stepsPerEpoch = Self.stepsPerEpoch(examples: training.count, batchSize: settings.batchSize)
        let epochs = plannedEpochs(examples: training.count)
        let totalSteps = stepsPerEpoch * epochs
        schedule = LearningRateSchedule(peak: settings.optimiser.learningRate,
                                        warmupSteps: Int((settings.warmupFraction * Double(totalSteps)).rounded()),
                                        totalSteps: totalSteps, floorFraction: settings.floorFraction)
        planWorkspaces(tokens: (training + validation).map(\.tokenIDs.count).max()!)
        let settingsDescription = TrainingCheckpoint.settingsDescription(architecture: architecture, settings: settings)
        // Hashing the examples takes a moment on large sets: only when a checkpoint is made or read.
        let needsFingerprint = checkpoint != nil || afterEpoch != nil
        let dataSHA256 = needsFingerprint ? TrainingCheckpoint.dataFingerprint(training: training, validation: validation) : ""
        var summaries: [EpochSummary] = []
        var best: (epoch: Int, auroc: Double, parameters: ParameterStore)?
        var sinceImprovement = 0
        var (order, shuffler) = Self.shuffledOrder(count: training.count, seed: settings.seed, epochs: checkpoint?.completedEpochs ?? 0)
        if let checkpoint {
            precondition(checkpoint.settings == settingsDescription && checkpoint.dataSHA256 == dataSHA256
                         && checkpoint.shufflerState == shuffler.stateWords && checkpoint.parameters.count == parameters.values.count,
                         "the checkpoint belongs to another run (check TrainingCheckpoint.mismatch first)")
            parameters.values = checkpoint.parameters
            moments.firstMoment = checkpoint.firstMoment
            moments.secondMoment = checkpoint.secondMoment
            stepCount = checkpoint.stepCount
            summaries = checkpoint.epochs
            sinceImprovement = checkpoint.epochsSinceImprovement
            if let b = checkpoint.best {
                var store = parameters
                store.values = b.parameters
                best = (b.epoch, b.auroc, store)
            }
        }
        var stoppedEarly = false, paused = false
        var epoch = summaries.count + 1
        while epoch <= epochs {
            if settings.patience > 0 && sinceImprovement >= settings.patience && stepCount >= schedule.warmupSteps {
                stoppedEarly = true
                break
            }
            shuffler.shuffle(&order)
            let start = DispatchTime.now().uptimeNanoseconds
            var lossSum = 0.0, similaritySum = 0.0
            for s in 0..<stepsPerEpoch {
                let batch = order[(s * settings.batchSize)..<min(order.count, (s + 1) * settings.batchSize)].map {
                    augmented(training[$0], index: $0, epoch: epoch)
                }
                lossSum += step(on: batch, learningRate: schedule.learningRate(atStep: stepCount + 1))
                similaritySum += lastHeadSimilarity
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            var summary = EpochSummary(epoch: epoch, steps: stepsPerEpoch, stepsPerSecond: Double(stepsPerEpoch) / seconds,
                                       sequencesPerSecond: Double(training.count) / seconds,
                                       trainingLoss: lossSum / Double(stepsPerEpoch),
                                       headSimilarity: settings.headDiversity > 0 ? similaritySum / Double(stepsPerEpoch) : nil)
            if !validation.isEmpty {
                let result = evaluate(validation)
                summary.validationLoss = result.loss
                summary.validationAUROC = result.auroc
                summary.validationAUPRC = result.auprc
            }
            summaries.append(summary)
            if let auroc = summary.validationAUROC {
                if best == nil || auroc > best!.auroc {
                    best = (epoch, auroc, parameters)
                    sinceImprovement = 0
                } else {
                    sinceImprovement += 1
                }
            }
            let carryOn = afterEpoch?(TrainingCheckpoint(
                settings: settingsDescription, dataSHA256: dataSHA256, completedEpochs: epoch, stepCount: stepCount,
                parameters: parameters.values, firstMoment: moments.firstMoment, secondMoment: moments.secondMoment,
                shufflerState: shuffler.stateWords, best: best.map { ($0.epoch, $0.auroc, $0.parameters.values) },
                epochsSinceImprovement: sinceImprovement, epochs: summaries)) ?? true
            progress(summary)
            if !carryOn && epoch < epochs {
                paused = true
                break
            }
            epoch += 1
        }
        if let best, !paused { parameters = best.parameters }
        return TrainingReport(epochs: summaries, bestEpoch: best?.epoch ?? summaries.count, stoppedEarly: stoppedEarly, paused: paused)
    }
}
