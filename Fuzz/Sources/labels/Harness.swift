// Labels in a labelled FASTA header's description (`label=1`, `label=1,0,1`).
import FuzzSupport
import MotifAttnIO
import MotifAttnCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = Fuzz.text(data, size)
    do {
        let labels = try SequenceLabels.parse(description: text, record: "record")
        precondition(!labels.isEmpty && labels.allSatisfy { $0 == 0 || $0 == 1 }, "labels are 0 or 1")
    } catch {
        Fuzz.expected(error)
    }
    return 0
}
