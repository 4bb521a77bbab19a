/// Reported interaction pairs that repeat a stronger reported pair through a look-alike of one of its motifs.
///
/// A factor's sites are often called by a look-alike motif that is not in its class (the classes are measured on
/// the database at the instance threshold, and a sampled site can score best under a motif of a neighbouring
/// class): an IRF6 site as an IRF8-class site, an E-box of TCF4 as an ARNT2-class E-box. The model's joint use
/// of the two planted sites is then seen again as a second pair, the look-alike with the same partner, with a
/// weaker test because only some of its windows hold the true site. Such a pair is an echo: its rows stay in
/// `interactions.tsv`, marked `echo_of` with the stronger pair, so each interaction is counted once.
///
/// Two motifs are look-alikes by their matrices (the database comparison) or by their sites (`siteShare`): a set
/// share of the echo's sites of one motif are also sites of the stronger pair's motif, so the echo's windows hold
/// the stronger pair's sites, called by the look-alike where it happens to score best.
public enum LookAlikeEchoes {
    /// Marks every row (in the order given: strongest first) whose pair is an echo of an earlier pair that is not
    /// itself an echo: the two pairs share one motif and the other two are look-alikes, or both motifs of one are
    /// look-alikes of the other's. `alike(motif, rootMotif, pair)` says whether `motif`, one of the later pair's
    /// motifs (`pair`, as `motif_a`, `motif_b`), is a look-alike of `rootMotif` of the earlier pair (instance-motif
    /// ids; a motif is a look-alike of itself without asking).
    /// Every row of an echo pair gets `Interaction.echoOf` = the stronger pair's `motif_a+motif_b`; other rows nil.
    public static func mark(_ rows: inout [Interaction], alike: (_ motif: String, _ rootMotif: String, _ pair: (a: String, b: String)) -> Bool) {
        var roots: [(a: String, b: String)] = []
        var decided: [String: String?] = [:]
        for i in rows.indices {
            let a = rows[i].motifA, b = rows[i].motifB, key = a + "\t" + b
            if let known = decided[key] { rows[i].echoOf = known; continue }
            func like(_ x: String, _ root: String) -> Bool { x == root || alike(x, root, (a, b)) }
            let root = roots.first { r in
                (a == r.a && like(b, r.b)) || (a == r.b && like(b, r.a)) || (b == r.a && like(a, r.b)) || (b == r.b && like(a, r.a))
                    || (like(a, r.a) && like(b, r.b)) || (like(a, r.b) && like(b, r.a))
            }
            let echo = root.map { $0.a + "+" + $0.b }
            decided[key] = .some(echo)
            if echo == nil { roots.append((a, b)) }
            rows[i].echoOf = echo
        }
    }

    /// The fraction of `motif`'s sites in the first `windows` sampled windows of the pair (`a`, `b`) (`samples`,
    /// motif indices as the samples key them) that `rootMotif` also calls: an instance of `rootMotif` is at the same
    /// site (`MotifInstance.sameSite`). `instances(bases, site)` gives the instances overlapping `site` in a window, labelled as the samples
    /// are (by class). nil when the pair has no sampled site of `motif`.
    public static func siteShare(of motif: Int, inPair a: Int, _ b: Int, calledBy rootMotif: Int, samples: PairWindowSamples, windows: Int,
                                 instances: (_ bases: [UInt8], _ site: Range<Int>) -> [MotifInstance]) -> Double? {
        guard motif == a || motif == b else { return nil }
        var sites = 0, shared = 0
        for entry in samples.entries(a, b).prefix(windows) {
            // The samples keep the smaller index's sites first; a motif paired with itself has both sides.
            let own = a == b ? entry.sitesA + entry.sitesB : (motif == min(a, b) ? entry.sitesA : entry.sitesB)
            let bases = samples.window(entry.window).bases
            for site in own {
                sites += 1
                let called = instances(bases, site).contains { x in
                    x.motifIndex == rootMotif && MotifInstance.sameSite(x.start..<x.end, site)
                }
                if called { shared += 1 }
            }
        }
        return sites > 0 ? Double(shared) / Double(sites) : nil
    }
}
