// Region strings as given to --region and --shard: `chr`, `chr:start`, `chr:start-end` (1-based, inclusive).
import FuzzSupport
import MotifAttnIO
import MotifAttnCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = Fuzz.text(data, size)
    do {
        let region = try RegionParser.parse(text)
        precondition(!region.contig.isEmpty && region.start >= 0, "a parsed region starts at 0 or later on a named contig")
        if let end = region.end { precondition(end > region.start, "a parsed region is not empty") }
    } catch {
        Fuzz.expected(error)
    }
    return 0
}
