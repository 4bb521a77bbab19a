// BED files (BED3 and up, narrowPeak summits; plain, gzip or bgzip), read through htslib from a file.
import FuzzSupport
import MotifAttnIO
import MotifAttnCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = Fuzz.file(Fuzz.bytes(data, size), name: "regions.bed")
    do {
        for region in try BEDReader.read(path: path) {
            precondition(region.start >= 0 && region.end! >= region.start, "BED regions are checked")
            if let summit = region.summit { precondition(summit >= 0 && summit < region.end! - region.start, "summit inside the region") }
        }
    } catch {
        Fuzz.expected(error)
    }
    return 0
}
