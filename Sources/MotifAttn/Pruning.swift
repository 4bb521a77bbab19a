import Foundation
import MotifAttnAnalysis
import MotifAttnCore
import MotifAttnModel
import MotifAttnTokenizers

/// Why heads cannot be chosen automatically.
public enum AutomaticPruningError: Error, CustomStringConvertible, Equatable {
    /// The validation sequences lack bound or background examples, so AUROC is undefined.
    case oneClassOnly(file: String)

    public var description: String {
        switch self {
        case .oneClassOnly(let file):
            return "\(file): validation AUROC needs sequences labelled 1 and 0 (in the first label of each record)"
        }
    }
}

/// A pruned model and how it was reached.
public struct PruningResult: Sendable {
    /// One head considered for removal.
    public struct Step: Sendable, Equatable {
        /// The head (its name in the unpruned model).
        public var head: HeadIndex
        /// Why it was considered: `named` (--heads), `prune_flag` (focused and redundant in heads.tsv) or
        /// `importance` (among the least important by ablation).
        public var reason: String
        /// Validation AUROC of the model with this head removed as well (with --auto).
        public var auroc: Double?
        /// Whether it was removed (false: removing it as well would have cost more than the allowed loss).
        public var removed: Bool

        public init(head: HeadIndex, reason: String, auroc: Double?, removed: Bool) {
            self.head = head; self.reason = reason; self.auroc = auroc; self.removed = removed
        }
    }

    /// The model without the removed heads.
    public var model: AttentionModel
    /// Heads considered, in order.
    public var steps: [Step]
    /// Validation AUROC of the unpruned model (with --auto).
    public var validationAUROC: Double?

    public init(model: AttentionModel, steps: [Step], validationAUROC: Double?) {
        self.model = model; self.steps = steps; self.validationAUROC = validationAUROC
    }

    /// What the model's `motifattn_pruned` metadata records: the source model, the removed heads in order, the
    /// validation AUROC before and after (with --auto) and the motifattn version.
    public func provenanceJSON(source: String) -> String {
        var object: [String: Any] = ["from": source, "removed": steps.filter(\.removed).map(\.head.description), "version": motifattnVersion]
        if let validationAUROC { object["validation_auroc_before"] = validationAUROC }
        if let last = steps.last(where: \.removed)?.auroc { object["validation_auroc_after"] = last }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The steps as TSV: a provenance line, a header, then a row for the original model (`head` `-`) and one
    /// per head considered, in order.
    public func table(original: AttentionModel, provenance: Provenance) -> String {
        func number(_ x: Double?) -> String { x.map { String(format: "%.6f", $0) } ?? "NA" }
        var text = provenance.line + "\n" + "step\thead\treason\tremoved\tvalidation_auroc\n"
        text += "0\t-\toriginal\tno\t\(number(validationAUROC))\n"
        for (i, step) in steps.enumerated() {
            text += "\(i + 1)\t\(step.head)\t\(step.reason)\t\(step.removed ? "yes" : "no")\t\(number(step.auroc))\n"
        }
        return text
    }
}

/// `prune --auto`: chooses heads from diagnostics and removes them greedily while validation AUROC holds.
///
/// On the validation sequences the heads are diagnosed as `heads.tsv` does (entropy, redundancy, the
/// focused-and-redundant `prune` flag) and their importance measured by ablation (mean drop of the bound
/// sequences' first logit when the head's output is zeroed). Candidates: flagged heads first, then the rest,
/// each group by increasing |importance|. Each candidate is tried once, in that order, on top of the heads
/// already removed (skipped when it is the last head of its layer): the validation sequences are scored again
/// and the head is removed when AUROC stays within `maxLoss` of the unpruned model's, else kept, and the search
/// goes on with the next candidate. Cost: one pass keeping attention, one ablated pass over the bound sequences
/// per head, one scoring pass per candidate.
public enum AutomaticPruning {
    /// Default `--max-loss`: the largest validation AUROC drop allowed.
    public static let defaultMaxLoss = 0.005
    /// Sequences whose attention feeds the diagnostics (the first ones of the file); AUROC uses all.
    public static let diagnosticSequences = 2000

    /// Validation AUROC of the first output (labels ≥ 0.5 are bound).
    static func auroc(_ encoder: Encoder, rows: [[Int32]], bound: [Bool]) throws -> Double {
        let logits = try encoder.score(tokenRows: rows).map { $0[0] }
        return ClassificationMetrics.auroc(scores: logits, labels: bound) ?? .nan
    }

    /// Prunes `model` on `validation` (read from `validationFile`) as described above.
    public static func prune(_ model: AttentionModel, file: String, validation: [LabelledSequence], validationFile: String,
                             maxLoss: Double = defaultMaxLoss, threads: Int, progress: (String) -> Void = { _ in }) throws -> PruningResult {
        let tokenizer = try model.makeTokenizer()
        let maxLen = model.config.maxLen
        var rows: [[Int32]] = [], spans: [[Range<Int>]] = []
        for sequence in validation {
            let tokens = tokenizer.encode(sequence.bases)
            guard tokens.ids.count <= maxLen else {
                throw ScoringError.recordTooLong(path: validationFile, record: sequence.name, bases: sequence.bases.count,
                                                 tokens: tokens.ids.count, maxLen: maxLen)
            }
            rows.append(tokens.ids)
            spans.append(tokens.spans.map { Int($0.start)..<Int($0.end) })
        }
        let bound = validation.map { $0.labels[0] >= 0.5 }
        guard bound.contains(true), bound.contains(false) else { throw AutomaticPruningError.oneClassOnly(file: validationFile) }

        let encoder = Encoder(model: model, threads: threads)
        let baseline = try auroc(encoder, rows: rows, bound: bound)
        progress(String(format: "validation AUROC of the unpruned model: %.4f (%d sequences)", baseline, rows.count))

        // Diagnostics as heads.tsv computes them, in batches so the maps of a few windows are held at a time.
        let diagnostics = HeadDiagnosticsAccumulator()
        let diagnosed = min(rows.count, diagnosticSequences)
        var first = 0
        while first < diagnosed {
            let range = first..<min(diagnosed, first + 64)
            let out = try encoder.forward(tokenRows: Array(rows[range]), keepAttention: true)
            for (k, i) in range.enumerated() {
                let window = Window(sourceName: validation[i].name, start: 0, end: validation[i].bases.count, strand: .plus,
                                    bases: validation[i].bases, name: validation[i].name)
                diagnostics.add(WindowAttention(window: window, label: bound[i] ? .bound : .background, tokenSpans: spans[i],
                                                layout: out.attention![k].layout, attention: out.attention![k].probabilities))
            }
            first = range.upperBound
        }
        let boundRows = rows.indices.filter { bound[$0] }.map { rows[$0] }
        let boundLogits = try encoder.score(tokenRows: boundRows).map { $0[0] }
        for (layer, head) in model.config.headLayout.allHeads {
            let ablated = try encoder.forward(tokenRows: boundRows, keepAttention: false, ablating: (layer, head))
            for k in boundRows.indices {
                diagnostics.addImportance(HeadIndex(layer: layer, head: head), change: Double(boundLogits[k] - ablated.logits(window: k).first!))
            }
        }
        let heads = diagnostics.diagnostics()
        let ordered = heads.filter(\.prune).sorted(by: leastImportantFirst) + heads.filter { !$0.prune }.sorted(by: leastImportantFirst)

        var current = model
        var steps: [PruningResult.Step] = []
        for candidate in ordered {
            let head = candidate.head
            guard current.config.headCount(layer: head.layer) > 1 else { continue }
            let trial = try current.removingHeads([(head.layer, head.head)], file: file)
            let score = try auroc(Encoder(model: trial, threads: threads), rows: rows, bound: bound)
            let kept = baseline - score <= maxLoss
            steps.append(.init(head: head, reason: candidate.prune ? "prune_flag" : "importance", auroc: score, removed: kept))
            progress(String(format: "%@: AUROC %.4f without it%@", head.description, score, kept ? ", removed" : ", kept"))
            if kept { current = trial }
        }
        return PruningResult(model: current, steps: steps, validationAUROC: baseline)
    }

    /// Smaller |importance| first (a head without a measure last), then by name: the order does not depend on threads.
    private static func leastImportantFirst(_ a: HeadDiagnostic, _ b: HeadDiagnostic) -> Bool {
        let x = a.importance.map(abs) ?? .infinity, y = b.importance.map(abs) ?? .infinity
        return x != y ? x < y : a.head < b.head
    }
}
