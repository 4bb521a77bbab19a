import XCTest
@testable import MotifAttnAnalysis

/// The settings' names and values as `--analysis-setting`, fingerprints and run.json carry them.
final class HeadMotifSettingsTests: XCTestCase {
    func testEveryValueWrittenReadsBackToTheSameSettings() throws {
        var changed = HeadMotifSettings()
        changed.sitePValue = 3.5e-5
        changed.exactOneWordConsensus = false
        changed.extensionSupport = 0
        changed.maxMotifsPerHead = 7
        changed.shortMatrixRecall = 0.5
        changed.discoveredInstanceRecall = 0
        var read = HeadMotifSettings()
        for (name, value) in changed.values { try read.set(name, to: value) }
        XCTAssertEqual(read, changed)
        XCTAssertNotEqual(read, HeadMotifSettings())
    }

    func testUnknownNamesAndBadValuesAreRefusedWithTheirName() {
        var settings = HeadMotifSettings()
        XCTAssertThrowsError(try settings.set("word-lenght", to: "6")) { error in
            XCTAssertTrue("\(error)".contains("no analysis setting 'word-lenght'"), "\(error)")
        }
        XCTAssertThrowsError(try settings.set("exact-one-word-consensus", to: "maybe"))
        XCTAssertThrowsError(try settings.set("extension-support", to: "1.5"))
        XCTAssertThrowsError(try settings.set("word-length", to: "2"))
        XCTAssertEqual(settings, HeadMotifSettings(), "a refused value leaves the settings unchanged")
    }
}

/// The analysis options by name, as `run.json` records them and a sharded scan's merge reads them back.
final class AnalysisOptionsNamesTests: XCTestCase {
    private func changedOptions() -> AnalysisOptions {
        var options = AnalysisOptions(motifsPath: "db.meme")
        options.maxQValue = 0.01
        options.instancePValue = 5e-5
        options.instanceRecall = 0.5
        options.coAttention.score = .raw
        options.oneMotifPerSite = false
        options.motifClasses = .file("/data/classes.tsv")
        options.instances = .both
        options.pairSpecificity = .mutualBest
        options.epistasisWindows = 40
        options.epistasisFollowUpP = 0.05
        options.epistasisMorePairs = 30
        options.epistasisScale = .probability
        options.epistasisSample = .strongest
        options.epistasisFamily = .testedPairs
        options.echoSiteShare = 0
        options.epistasisMinimumJointShare = 0.05
        options.interactionMaxQValue = 1
        options.maxInteractionRows = 12
        options.headMotifs.sitePValue = 3.5e-5
        options.headMotifs.exactOneWordConsensus = false
        return options
    }

    func testEveryValueWrittenReadsBackToTheSameOptions() throws {
        let changed = changedOptions()
        var read = AnalysisOptions(motifsPath: "db.meme")
        for (name, value) in changed.values { try read.set(name, to: value) }
        XCTAssertEqual(read.values.map { "\($0.name)=\($0.value)" }, changed.values.map { "\($0.name)=\($0.value)" })
        let defaults = AnalysisOptions(motifsPath: "db.meme").values
        let differing = zip(changed.values, defaults).filter { $0.value != $1.value }.map(\.0.name)
        XCTAssertEqual(differing.count, 20, "\(differing)")
        XCTAssertTrue(differing.contains("head_motifs.site-p") && differing.contains("motif_classes"), "\(differing)")
    }

    /// Every stored setting is either named (so `run.json` records it and parts must agree on it) or left out on
    /// purpose: a new field that is not added to the names fails here.
    func testEveryStoredSettingIsNamedOrLeftOutOnPurpose() {
        // The seed is the run's --seed, recorded as "seed" by the pipelines that set it, as threads are.
        let leftOut: Set<String> = ["motifsPath", "annotationsPath", "threads", "epistasisSeed"]
        let recordedAs = [
            "maxQValue": "max_q_value", "headMotifs": "head_motifs.site-p", "instancePValue": "instance_p_value",
            "instanceRecall": "instance_recall", "instanceMaxPValue": "instance_max_p_value", "coAttention": "co_attention_score",
            "reportWindows": "report_windows", "ablationFraction": "ablation_fraction", "patchPairs": "patch_pairs",
            "oneMotifPerSite": "one_motif_per_site", "motifClasses": "motif_classes", "instances": "instances",
            "pairSpecificity": "specificity", "epistasisWindows": "epistasis_windows",
            "epistasisFollowUpWindows": "epistasis_follow_up_windows", "epistasisFollowUpP": "epistasis_follow_up_p",
            "epistasisPairs": "epistasis_pairs", "epistasisMorePairs": "epistasis_more_pairs", "epistasisScale": "epistasis_scale", "epistasisSample": "epistasis_sample",
            "epistasisMinimumJointShare": "epistasis_min_joint_share", "epistasisFamily": "epistasis_family",
            "echoSiteShare": "echo_site_share", "interactionMaxQValue": "max_interaction_q", "maxInteractionRows": "max_interaction_rows",
        ]
        let names = Set(AnalysisOptions.names)
        for child in Mirror(reflecting: AnalysisOptions(motifsPath: "")).children {
            let property = child.label!
            if leftOut.contains(property) { continue }
            guard let name = recordedAs[property] else {
                XCTFail("\(property) is neither named in AnalysisOptions.named nor left out on purpose")
                continue
            }
            XCTAssertTrue(names.contains(name), "\(property): no setting named \(name)")
        }
        XCTAssertEqual(names.count, recordedAs.count - 1 + HeadMotifSettings.names.count)
    }

    func testUnknownNamesAndBadValuesAreRefusedAndChangeNothing() {
        var options = AnalysisOptions(motifsPath: "db.meme")
        let before = options.values.map { "\($0.name)=\($0.value)" }
        XCTAssertThrowsError(try options.set("epistasis_min_joint_share", to: "1")) { error in
            XCTAssertEqual("\(error)", "analysis setting epistasis_min_joint_share: cannot use '1' (a number from 0 to below 1)")
        }
        XCTAssertThrowsError(try options.set("specificity", to: "sometimes"))
        XCTAssertThrowsError(try options.set("max_q_value", to: "0"))
        XCTAssertThrowsError(try options.set("epistasis_windows", to: "4"))
        XCTAssertThrowsError(try options.set("head_motifs.word-length", to: "2"))
        XCTAssertThrowsError(try options.set("max_interaction_q_value", to: "0.1")) { error in
            XCTAssertTrue("\(error)".hasPrefix("no analysis setting 'max_interaction_q_value'"), "\(error)")
        }
        XCTAssertEqual(options.values.map { "\($0.name)=\($0.value)" }, before)
    }

    func testValidateRefusesValuesMadeInCodeThatSetWouldRefuse() throws {
        XCTAssertNoThrow(try AnalysisOptions(motifsPath: "db.meme").validate())
        var options = AnalysisOptions(motifsPath: "db.meme")
        options.instancePValue = 1
        XCTAssertThrowsError(try options.validate()) { error in
            XCTAssertEqual(error as? AnalysisSettingError,
                           .badValue(name: "instance_p_value", value: "1.0", accepted: "a number above 0 and below 1"))
        }
        options = AnalysisOptions(motifsPath: "db.meme")
        options.headMotifs.wordLength = 2
        XCTAssertThrowsError(try options.validate()) { error in
            guard case let .badValue(name, _, _)? = error as? AnalysisSettingError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "head_motifs.word-length")
        }
        options = AnalysisOptions(motifsPath: "db.meme")
        options.epistasisFollowUpWindows = options.epistasisWindows
        XCTAssertThrowsError(try options.validate()) { error in
            guard case let .conflict(setting, _)? = error as? AnalysisSettingError else { return XCTFail("\(error)") }
            XCTAssertEqual(setting, "epistasis_follow_up_windows")
        }
    }
}
