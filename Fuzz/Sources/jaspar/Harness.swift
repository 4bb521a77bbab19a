// JASPAR annotation tables (matrix_id, name, tf_class, tf_family, ...; tab-separated with a header), as read
// for motif names and families (MotifAnnotations.readJASPAR) and by `evaluate` (TruthEvaluation.families).
import FuzzSupport
import MotifAttn

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = Fuzz.file(Fuzz.bytes(data, size), name: "jaspar.tsv")
    do {
        let annotations = try MotifAnnotations.readJASPAR(path: path)
        let ids = Array(annotations.byID.keys.sorted().prefix(4))
        for a in ids { for b in ids { _ = annotations.sameFamily(a, b) } }
    } catch {
        Fuzz.expected(error)
    }
    do { _ = try TruthEvaluation.families(fromJasparTSV: path) } catch { Fuzz.expected(error) }
    return 0
}
