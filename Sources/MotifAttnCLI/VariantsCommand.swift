import ArgumentParser
import Foundation
import MotifAttn

/// `motifattn variants`: how each SNV and short indel of a VCF changes the model's score, and why.
struct VariantsCommand: ParsableCommand {
    private static let defaults = VariantEffectSettings(modelPath: "", genomePath: "", vcfPath: "", outputFolder: "")

    static let configuration = CommandConfiguration(
        commandName: "variants",
        abstract: "Score each SNV and short indel of a VCF/BCF: the model's logit change, motifs broken or created, attention change.",
        discussion: """
        For each ALT allele (multi-allelic records give one row per ALT), a window of the model's training length \
        (its metadata; else 200) is centred on the REF allele and one on the ALT allele, both scored on both strands \
        and averaged. Writes into --out: variants.tsv (sorted by |delta_logit|; pos is the VCF's 1-based POS), \
        variants.vcf.gz (INFO MA_DLOGIT, MA_DPROB, MA_MOTIF, and MA_PAIR with --scan; coordinate-sorted, with a .tbi \
        index), report.html (the variants that change the score most) and run.json; with --ism, ism.tsv (every base \
        changed to the three others) and its plot in the report. With --scan DIR, the scan's head motifs broken or created and, when the allele overlaps a \
        site of a pair the scan reported and a partner site is in the window, the change of their co-attention. \
        Symbolic alleles (<DEL>, breakends, *), indels longer than --max-indel and alleles whose window runs off a \
        contig are skipped and counted. A REF that differs from the genome, or a contig the genome lacks, is an \
        error naming the VCF line (nothing is written). Results do not depend on --threads.
        """)

    @Option(help: ArgumentHelp("Model file (safetensors).", valueName: "M")) var model: String
    @Option(help: ArgumentHelp("Genome FASTA the VCF was called against (plain or bgzip).", valueName: "G")) var genome: String
    @Option(help: ArgumentHelp("Variants: VCF (plain, gzip or bgzip) or BCF; - for standard input.", valueName: "VCF")) var vcf: String?
    @Option(help: ArgumentHelp("Saturation mutagenesis of a region of at most 2,000 bases (chr:start-end, 1-based inclusive): every base to each other base; writes ism.tsv and a plot in report.html.", valueName: "REGION"))
    var ism: String?
    @Option(name: .customLong("region"),
            help: ArgumentHelp("Only variants in chr, chr:start or chr:start-end (1-based inclusive); repeatable; needs an indexed VCF/BCF.", valueName: "R"))
    var regionStrings: [String] = []
    @Option(help: ArgumentHelp("Output folder.", valueName: "DIR")) var out: String
    @Option(help: "Window length in bases (default: the model's training window, else 200).") var window: Int?
    @Option(name: .customLong("max-indel"), help: "Longest indel scored, in bases; longer ones are skipped and counted.")
    var maxIndel = defaults.maxIndel
    @Flag(name: .customLong("skip-mismatch"), help: "Skip (and count) records whose REF differs from the genome instead of stopping.")
    var skipMismatch = false
    @Option(help: ArgumentHelp("Motif database (MEME) for motif_broken/motif_created (default: bundled JASPAR 2026 CORE vertebrates).", valueName: "MEME"))
    var motifs: String?
    @Option(help: ArgumentHelp("A finished scan's --out folder: its head motifs and reported pairs are checked too (give the --motifs the scan used).", valueName: "DIR"))
    var scan: String?
    @OptionGroup var instances: InstanceThresholdOptions
    @Option(help: "Threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "No progress on standard error.") var quiet = false

    func validate() throws {
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
        guard maxIndel >= 0 else { throw ValidationError("--max-indel must be 0 or more") }
        guard vcf != nil || ism != nil else { throw ValidationError("give --vcf, --ism, or both") }
        if let ism {
            let region: Region
            do { region = try RegionParser.parse(ism) } catch { throw ValidationError("--ism: \(error)") }
            guard let end = region.end else { throw ValidationError("--ism \(ism): give an end (chr:start-end), at most 2,000 bases") }
            guard end - region.start <= SaturationMutagenesis.maxLength else {
                throw ValidationError("--ism \(ism): \(end - region.start) bases; saturation mutagenesis takes at most \(SaturationMutagenesis.maxLength)")
            }
        }
        if !regionStrings.isEmpty && vcf == nil { throw ValidationError("--region limits the VCF's records: give --vcf") }
        if scan != nil && vcf == nil { throw ValidationError("--scan checks the VCF's variants against a scan: give --vcf") }
        if let window, window < 2 * (maxIndel + 1) {
            throw ValidationError("--window \(window) is too short for --max-indel \(maxIndel): it must hold twice the longest allele")
        }
        for text in regionStrings {
            do { _ = try RegionParser.parse(text) } catch { throw ValidationError("--region: \(error)") }
        }
    }

    func run() throws {
        try reportingErrors("variants") {
            var settings = VariantEffectSettings(modelPath: model, genomePath: genome, vcfPath: vcf, outputFolder: out)
            settings.regions = try regionStrings.map { try RegionParser.parse($0) }
            settings.window = window
            settings.maxIndel = maxIndel
            settings.skipMismatch = skipMismatch
            settings.motifsPath = motifs
            settings.scanFolder = scan
            settings.ismRegion = try ism.map { try RegionParser.parse($0) }
            settings.instanceThreshold = instances.threshold
            settings.threads = threads
            let pipeline = try VariantEffectsPipeline(settings: settings)
            guard pipeline.window >= 2 * (maxIndel + 1) else {
                throw ValidationError("the model's window \(pipeline.window) is too short for --max-indel \(maxIndel)")
            }
            let progress = ProgressMeter(command: "variants", unit: "windows", quiet: quiet)
            let summary = try pipeline.run(progress: progress)
            progress.finish()
            // The counts are shown even with --quiet: skipped alleles are missing from the outputs.
            printError("motifattn variants: \(summary.line)")
            if !quiet { printError("motifattn variants: results in \(out)/") }
        }
    }
}
