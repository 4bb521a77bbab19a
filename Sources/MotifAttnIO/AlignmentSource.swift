import MotifAttnCore
import CHTSlib
import Foundation

/// Reads of a SAM, BAM or CRAM file through htslib, filtered by flag and mapping quality.
final class AlignmentSource {
    let path: String
    private let file: UnsafeMutablePointer<htsFile>
    private let header: UnsafeMutablePointer<sam_hdr_t>
    private let record: UnsafeMutablePointer<bam1_t>
    private var index: OpaquePointer?
    private var iterator: UnsafeMutablePointer<hts_itr_t>?
    private let excludeFlags: UInt16
    private let minMappingQuality: Int
    /// `=ACMGRSVTWYHKDBN`: the 4-bit base codes of BAM.
    private static let codes: [UInt8] = Array("=ACMGRSVTWYHKDBN".utf8)

    init(input: DetectedInput, path: String, options: WindowOptions) throws {
        self.path = path
        guard let file = hts_hopen(input.file, path, "r") else {
            _ = hclose(input.file)
            throw ReaderError.cannotOpen(path: path, reason: "htslib cannot read it as SAM/BAM/CRAM")
        }
        if let reference = options.reference, hts_set_fai_filename(file, reference) != 0 {
            _ = hts_close(file)
            throw ReaderError.badReference(path: reference, reason: "cannot open it or its index as the CRAM reference")
        }
        if options.threads > 1 { _ = hts_set_threads(file, Int32(options.threads)) }
        guard let header = sam_hdr_read(file) else {
            _ = hts_close(file)
            throw ReaderError.truncated(path: path, detail: "cannot read the header")
        }
        self.file = file
        self.header = header
        record = bam_init1()
        excludeFlags = UInt16(truncatingIfNeeded: options.excludeFlags)
        minMappingQuality = options.minMappingQuality
    }

    deinit {
        if let iterator { hts_itr_destroy(iterator) }
        if let index { hts_idx_destroy(index) }
        bam_destroy1(record)
        sam_hdr_destroy(header)
        _ = hts_close(file)
    }

    /// Length of `contig` in the header, or `nil` when the header has no such contig.
    func length(of contig: String) -> Int? {
        let tid = sam_hdr_name2tid(header, contig)
        guard tid >= 0 else { return nil }
        return Int(sam_hdr_tid2len(header, tid))
    }

    /// Restricts reading to reads overlapping `contig[start..<end]` (needs the index).
    func seek(contig: String, start: Int, end: Int) throws {
        if index == nil {
            guard let loaded = sam_index_load(file, path) else { throw ReaderError.missingAlignmentIndex(path: path) }
            index = loaded
        }
        if let iterator { hts_itr_destroy(iterator) }
        let tid = sam_hdr_name2tid(header, contig)
        iterator = sam_itr_queryi(index, tid, hts_pos_t(start), hts_pos_t(end))
        if iterator == nil { throw ReaderError.fetchFailed(path: path, region: "\(contig):\(start + 1)-\(end)") }
    }

    /// The next read passing the filters, as a window named by the read; `nil` at the end of the file or region.
    func next() throws -> Window? {
        while true {
            let status: Int32
            if let iterator {
                status = sam_itr_next(file, iterator, record)
            } else {
                status = sam_read1(file, header, record)
            }
            if status == -1 { return nil }
            if status < -1 { throw ReaderError.badAlignment(path: path, detail: "the file is damaged or truncated (htslib status \(status))") }
            let core = record.pointee.core
            if core.flag & excludeFlags != 0 || Int(core.qual) < minMappingQuality { continue }
            return window(of: record, core: core)
        }
    }

    private func window(of record: UnsafeMutablePointer<bam1_t>, core: bam1_core_t) -> Window {
        let length = Int(core.l_qseq)
        var bases = [UInt8](repeating: 0, count: length)
        if length > 0, let packed = motifattn_bam_get_seq(record) {
            Self.codes.withUnsafeBufferPointer { codes in
                for i in 0..<length { bases[i] = codes[Int(motifattn_bam_seqi(packed, Int32(i)))] }
            }
        }
        let name = String(cString: motifattn_bam_get_qname(record))
        let contig = core.tid >= 0 ? String(cString: sam_hdr_tid2name(header, core.tid)) : "*"
        let start = Int(core.pos)
        let end = core.flag & 0x4 == 0 ? Int(bam_endpos(record)) : start
        return Window(sourceName: contig, start: start, end: end,
                      strand: core.flag & 0x10 != 0 ? .minus : .plus, bases: bases, name: name)
    }
}
