import ArgumentParser
import MotifAttn

/// The PWM instance thresholds shared by `scan`, `analyze`, `classes` and `site-claims`.
struct InstanceThresholdOptions: ParsableArguments {
    private static let defaults = AnalysisOptions(motifsPath: "")

    @Option(name: .customLong("instance-p"), help: "Largest p-value of a motif instance (PWM scan), for motifs long enough to reach it.")
    var instanceP = defaults.instancePValue
    @Option(name: .customLong("instance-recall"),
            help: "A short motif whose own sites mostly miss --instance-p gets the threshold this fraction of its sites reach (0: --instance-p for all, as FIMO).")
    var instanceRecall = defaults.instanceRecall
    @Option(name: .customLong("instance-max-p"), help: "Loosest instance threshold a short motif gets.") var instanceMaxP = defaults.instanceMaxPValue

    /// Checks the thresholds against the ranges `AnalysisOptions` enforces.
    func validate() throws {
        var options = AnalysisOptions(motifsPath: "")
        options.instancePValue = instanceP
        options.instanceRecall = instanceRecall
        options.instanceMaxPValue = instanceMaxP
        try validating { try options.validate() }
    }

    /// The per-motif threshold rule these options describe.
    var threshold: InstanceThreshold { InstanceThreshold(pValue: instanceP, recall: instanceRecall, ceiling: instanceMaxP) }
}
