/// Reported interaction pairs that repeat a stronger reported pair through a look-alike of one of its motifs.
///
/// A factor's sites are often called by a look-alike motif that is not in its class (the classes are measured on
/// the database at the instance threshold, and a sampled site can score best under a motif of a neighbouring
/// class): an IRF6 site as an IRF8-class site, an E-box of TCF4 as an ARNT2-class E-box. The model's joint use
/// of the two planted sites is then seen again as a second pair, the look-alike with the same partner, with a
/// weaker test because only some of its windows hold the true site. Such a pair is an echo: its rows stay in
/// `interactions.tsv`, marked `echo_of` with the stronger pair, so each interaction is counted once.
public enum LookAlikeEchoes {
    /// Marks every row (in the order given: strongest first) whose pair is an echo of an earlier pair that is not
    /// itself an echo: the two pairs share one motif and the other two are look-alikes, or both motifs of one are
    /// look-alikes of the other's (`similar`, called with instance-motif ids; a motif is a look-alike of itself).
    /// Every row of an echo pair gets `Interaction.echoOf` = the stronger pair's `motif_a+motif_b`; other rows nil.
    public static func mark(_ rows: inout [Interaction], similar: (String, String) -> Bool) {
        func alike(_ x: String, _ y: String) -> Bool { x == y || similar(x, y) }
        var roots: [(a: String, b: String)] = []
        var decided: [String: String?] = [:]
        for i in rows.indices {
            let a = rows[i].motifA, b = rows[i].motifB, key = a + "\t" + b
            if let known = decided[key] { rows[i].echoOf = known; continue }
            let root = roots.first { r in
                (a == r.a && alike(b, r.b)) || (a == r.b && alike(b, r.a)) || (b == r.a && alike(a, r.b)) || (b == r.b && alike(a, r.a))
                    || (alike(a, r.a) && alike(b, r.b)) || (alike(a, r.b) && alike(b, r.a))
            }
            let echo = root.map { $0.a + "+" + $0.b }
            decided[key] = .some(echo)
            if echo == nil { roots.append((a, b)) }
            rows[i].echoOf = echo
        }
    }
}
