import MotifAttnCore
import CHTSlib
import Foundation

/// Errors reading or writing VCF/BCF files.
public enum VariantFileError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist or cannot be opened.
    case cannotOpen(path: String, reason: String)
    /// The content is not VCF or BCF.
    case notVariants(path: String, detected: String)
    /// The header cannot be read.
    case badHeader(path: String, reason: String)
    /// A record cannot be parsed.
    case badRecord(path: String, location: String, reason: String)
    /// `--region` was asked of a file without an index (or of standard input, or of uncompressed VCF).
    case regionsNeedIndex(path: String, reason: String)
    /// Writing the annotated VCF or its index failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open: \(reason)"
        case let .notVariants(path, detected): return "\(path): not a VCF or BCF file (content looks like \(detected))"
        case let .badHeader(path, reason): return "\(path): cannot read the VCF header: \(reason)"
        case let .badRecord(path, location, reason): return "\(path): \(location): \(reason)"
        case let .regionsNeedIndex(path, reason):
            return "\(path): --region needs a coordinate-sorted, bgzip-compressed and indexed VCF or BCF (\(reason)); make one with `bcftools sort -Oz -o sorted.vcf.gz \(path) && bcftools index -t sorted.vcf.gz`"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        }
    }
}

/// One VCF/BCF record as read: position and alleles (samples and other fields are kept only for rewriting).
public struct VariantRecord: Sendable, Hashable {
    /// Order in which the record was read (0-based); names the record for `VariantFile.writeAnnotated`.
    public var serial: Int
    /// Contig (chromosome) name.
    public var contig: String
    /// 0-based position of the first REF base (the VCF's POS − 1).
    public var position: Int
    /// The ID column (`.` when missing).
    public var id: String
    /// REF allele as written (upper-cased).
    public var ref: String
    /// ALT alleles as written (upper-cased bases; symbolic alleles such as `<DEL>` and breakends unchanged).
    public var alts: [String]
    /// Where the record is, for messages: `line 57` (plain or gzip text read from the start), `record 12` (BCF) or
    /// `record at chr1:1234` (read through the index).
    public var location: String
}

/// A VCF or BCF read through htslib: plain, gzip or bgzip text, or BCF; `-` for standard input. With
/// regions, read through its index (`.tbi` or `.csi`).
///
/// Every record read is also kept (as htslib's record) so that `writeAnnotated` can write it again with
/// added INFO fields; memory grows with the number of records.
public final class VariantFile {
    /// The path as given.
    public let path: String
    private let file: UnsafeMutablePointer<htsFile>
    private let header: UnsafeMutablePointer<bcf_hdr_t>
    private let isBCF: Bool
    private var line = kstring_t(l: 0, m: 0, s: nil)
    private let record: UnsafeMutablePointer<bcf1_t>
    private var kept: [UnsafeMutablePointer<bcf1_t>] = []
    private var linesRead = 0
    private var pendingLine = false
    // Region reading.
    private var regions: [Region]
    private var regionIndex = 0
    private var tabix: UnsafeMutablePointer<tbx_t>?
    private var csi: OpaquePointer?
    private var iterator: UnsafeMutablePointer<hts_itr_t>?
    private var seen: Set<String> = []

    /// Opens `path`; with `regions`, only records overlapping them are read (each record once), through the index.
    public init(path: String, regions: [Region] = []) throws {
        self.path = path
        _ = InputFile.silenceHTSlibOnce
        guard let file = motifattn_hts_open(path, "r") else {
            throw VariantFileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        let format = hts_get_format(file).pointee
        guard format.format == vcf || format.format == bcf else {
            var f = format
            let detected = hts_format_description(&f).map { p -> String in defer { free(p) }; return String(cString: p) } ?? "unknown"
            _ = hts_close(file)
            throw VariantFileError.notVariants(path: path, detected: detected)
        }
        self.file = file
        self.isBCF = format.format == bcf
        self.regions = regions
        record = bcf_init()
        do {
            if regions.isEmpty && !isBCF {
                header = try Self.readTextHeader(file: file, path: path, line: &line, linesRead: &linesRead, pending: &pendingLine)
            } else {
                guard let h = bcf_hdr_read(file) else { throw VariantFileError.badHeader(path: path, reason: "htslib cannot parse it") }
                header = h
            }
        } catch {
            bcf_destroy(record)
            motifattn_ks_free(&line)
            _ = hts_close(file)
            throw error
        }
        if !regions.isEmpty { try loadIndex(format: format) }
    }

    deinit {
        if let iterator { hts_itr_destroy(iterator) }
        if let tabix { tbx_destroy(tabix) }
        if let csi { hts_idx_destroy(csi) }
        for r in kept { bcf_destroy(r) }
        bcf_destroy(record)
        motifattn_ks_free(&line)
        bcf_hdr_destroy(header)
        _ = hts_close(file)
    }

    /// Reads header lines ourselves, so that records can be named by their line in the file.
    private static func readTextHeader(file: UnsafeMutablePointer<htsFile>, path: String, line: inout kstring_t,
                                       linesRead: inout Int, pending: inout Bool) throws -> UnsafeMutablePointer<bcf_hdr_t> {
        var text = ""
        var sawColumns = false
        while hts_getline(file, Int32(KS_SEP_LINE), &line) >= 0 {
            linesRead += 1
            let s = String(cString: line.s)
            if s.hasPrefix("#") {
                text += s + "\n"
                if !s.hasPrefix("##") { sawColumns = true }
                continue
            }
            pending = true
            break
        }
        guard sawColumns else { throw VariantFileError.badHeader(path: path, reason: "no #CHROM header line") }
        guard let h = bcf_hdr_init("r") else { throw VariantFileError.badHeader(path: path, reason: "out of memory") }
        var bytes = Array(text.utf8CString)
        let status = bytes.withUnsafeMutableBufferPointer { bcf_hdr_parse(h, $0.baseAddress!) }
        guard status == 0 else {
            bcf_hdr_destroy(h)
            throw VariantFileError.badHeader(path: path, reason: "htslib cannot parse it")
        }
        return h
    }

    private func loadIndex(format: htsFormat) throws {
        guard path != "-" else { throw VariantFileError.regionsNeedIndex(path: path, reason: "standard input cannot be indexed") }
        guard format.compression == bgzf else {
            throw VariantFileError.regionsNeedIndex(path: path, reason: "it is not bgzip-compressed")
        }
        if isBCF {
            csi = hts_idx_load(path, Int32(HTS_FMT_CSI))
            if csi == nil { throw VariantFileError.regionsNeedIndex(path: path, reason: "no .csi index beside it") }
        } else {
            tabix = tbx_index_load(path)
            if tabix == nil { throw VariantFileError.regionsNeedIndex(path: path, reason: "no .tbi or .csi index beside it") }
        }
    }

    /// The next record; `nil` at the end of the file (or of the last region).
    public func next() throws -> VariantRecord? {
        while true {
            let location: String
            if regions.isEmpty {
                if isBCF {
                    let status = bcf_read(file, header, record)
                    if status == -1 { return nil }
                    linesRead += 1
                    location = "record \(linesRead)"
                    if status < -1 || record.pointee.errcode != 0 {
                        throw VariantFileError.badRecord(path: path, location: location, reason: "htslib cannot decode it (damaged or truncated file?)")
                    }
                } else {
                    if pendingLine {
                        pendingLine = false
                    } else {
                        let status = hts_getline(file, Int32(KS_SEP_LINE), &line)
                        if status == -1 { return nil }
                        if status < -1 { throw VariantFileError.badRecord(path: path, location: "line \(linesRead + 1)", reason: "damaged or truncated file") }
                        linesRead += 1
                    }
                    location = "line \(linesRead)"
                    if line.l == 0 { continue }
                    if vcf_parse(&line, header, record) != 0 || !Self.acceptable(record) {
                        throw VariantFileError.badRecord(path: path, location: location, reason: "not a valid VCF record")
                    }
                }
            } else {
                guard let status = try nextInRegions() else { return nil }
                location = status
            }
            guard bcf_unpack(record, Int32(BCF_UN_STR)) == 0 else {
                throw VariantFileError.badRecord(path: path, location: location, reason: "cannot unpack the alleles")
            }
            let contig = String(cString: motifattn_bcf_hdr_id2name(header, record.pointee.rid))
            let position = Int(record.pointee.pos)
            let n = Int(motifattn_bcf_n_allele(record))
            guard n >= 1 else { throw VariantFileError.badRecord(path: path, location: location, reason: "no REF allele") }
            let alleles = (0..<n).map { String(cString: motifattn_bcf_allele(record, Int32($0))).uppercased() }
            if !regions.isEmpty {
                // Overlapping regions return a record more than once.
                let key = "\(record.pointee.rid)\t\(position)\t\(alleles.joined(separator: ","))"
                if !seen.insert(key).inserted { continue }
            }
            let id = String(cString: motifattn_bcf_id(record))
            guard let copy = bcf_dup(record) else { throw VariantFileError.badRecord(path: path, location: location, reason: "out of memory") }
            // The contig was added to the header (above); bcf_write refuses a record still flagged.
            copy.pointee.errcode = 0
            kept.append(copy)
            return VariantRecord(serial: kept.count - 1, contig: contig, position: position, id: id, ref: alleles[0],
                                 alts: Array(alleles.dropFirst()), location: location)
        }
    }

    /// Whether htslib parsed the record: a contig missing from the header is not an error (htslib adds it to the
    /// header, as for a VCF without `##contig` lines); any other flag is.
    private static func acceptable(_ record: UnsafeMutablePointer<bcf1_t>) -> Bool {
        record.pointee.errcode & ~Int32(BCF_ERR_CTG_UNDEF) == 0
    }

    /// Advances through the regions; returns the record's location, or `nil` after the last region.
    private func nextInRegions() throws -> String? {
        while true {
            if iterator == nil {
                guard regionIndex < regions.count else { return nil }
                let r = regions[regionIndex]
                regionIndex += 1
                let text = r.end.map { "\(r.contig):\(r.start + 1)-\($0)" } ?? (r.start > 0 ? "\(r.contig):\(r.start + 1)" : r.contig)
                iterator = isBCF ? motifattn_bcf_itr_querys(csi, header, text) : motifattn_tbx_itr_querys(tabix, text)
                // No iterator: the index knows no such contig, so the file has no record there.
                if iterator == nil { continue }
            }
            let status: Int32
            if isBCF {
                status = motifattn_bcf_itr_next(file, iterator, record)
            } else {
                status = motifattn_tbx_itr_next(file, tabix, iterator, &line)
                if status >= 0 && (vcf_parse(&line, header, record) != 0 || !Self.acceptable(record)) {
                    throw VariantFileError.badRecord(path: path, location: "a record in \(regions[regionIndex - 1].origin)", reason: "not a valid VCF record")
                }
            }
            if status == -1 {
                hts_itr_destroy(iterator)
                iterator = nil
                continue
            }
            if status < -1 {
                throw VariantFileError.badRecord(path: path, location: "a record in \(regions[regionIndex - 1].origin)", reason: "damaged or truncated file")
            }
            let contig = String(cString: motifattn_bcf_hdr_id2name(header, record.pointee.rid))
            return "record at \(contig):\(record.pointee.pos + 1)"
        }
    }

    /// Reads every remaining record.
    public func readAll() throws -> [VariantRecord] {
        var records: [VariantRecord] = []
        while let r = try next() { records.append(r) }
        return records
    }

    /// Contig names in the order of the header (and of contigs first seen in records without a header line).
    public var contigOrder: [String] {
        (0..<Int(motifattn_bcf_hdr_ncontigs(header))).map { String(cString: motifattn_bcf_hdr_id2name(header, Int32($0))) }
    }
}

/// An INFO field added by `VariantFile.writeAnnotated`.
public struct VCFInfoField: Sendable {
    /// The key (`MA_DLOGIT`).
    public var id: String
    /// `Float` or `String`; one value per ALT allele (`Number=A`).
    public var isFloat: Bool
    /// The header's description.
    public var description: String

    /// Creates a field with one value per ALT allele.
    public init(id: String, isFloat: Bool, description: String) {
        self.id = id
        self.isFloat = isFloat
        self.description = description
    }
}

/// Values of the added INFO fields for one record: per field, one value per ALT allele (`nil` for none).
public enum VCFInfoValues {
    /// Floats, one per ALT.
    case floats([Float?])
    /// Strings (no spaces, commas, semicolons or equals signs), one per ALT.
    case strings([String?])
}

/// The bgzip-compressed, indexed VCF that `VariantFile.writeAnnotated` wrote to temporary files in the
/// destination's folder; `commit()` renames both into place, and they are removed unless committed.
public final class PendingVCF {
    /// The final path of the VCF.
    public let path: String
    /// The final path of the index (`path.tbi`, or `path.csi` when a contig is too long for tabix).
    public let indexPath: String
    private let temporary: String, temporaryIndex: String
    private var done = false

    init(path: String, indexPath: String, temporary: String, temporaryIndex: String) {
        self.path = path
        self.indexPath = indexPath
        self.temporary = temporary
        self.temporaryIndex = temporaryIndex
    }

    deinit { if !done { discard() } }

    private func discard() {
        for file in [temporary, temporaryIndex] { TemporaryFileRegistry.shared.remove(file) { unlink(file) } }
    }

    /// Moves the VCF and then its index into place (each rename under the temporary-file lock, so that an
    /// interrupting signal leaves each file either in place or removed).
    public func commit() throws {
        guard !done else { return }
        done = true
        var failure: (String, Int32)?
        for (from, to) in [(temporary, path), (temporaryIndex, indexPath)] {
            TemporaryFileRegistry.shared.remove(from) {
                if failure == nil && rename(from, to) != 0 { failure = (to, errno) }
                if failure != nil { unlink(from) }
            }
        }
        if let (to, code) = failure { throw VariantFileError.writeFailed(path: to, reason: String(cString: strerror(code))) }
    }
}

extension VariantFile {
    /// Writes every record read so far, sorted by contig (header order) and position, to a bgzip-compressed VCF
    /// with `fields` added to the header and the values `values(serial)` gives (records it gives `nil` for are
    /// written unchanged), plus `extraHeaderLines`; then indexes it (`.tbi`, or `.csi` when tabix cannot).
    ///
    /// Nothing appears at `path` until the result's `commit()`.
    public func writeAnnotated(to path: String, fields: [VCFInfoField], extraHeaderLines: [String] = [],
                               values: (Int) -> [String: VCFInfoValues]?) throws -> PendingVCF {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (folder.isEmpty ? "" : folder + "/") + ".\(name).\(getpid()).tmp.vcf.gz"
        guard let out = bcf_hdr_dup(header) else { throw VariantFileError.writeFailed(path: path, reason: "out of memory") }
        defer { bcf_hdr_destroy(out) }
        for field in fields {
            let line = "##INFO=<ID=\(field.id),Number=A,Type=\(field.isFloat ? "Float" : "String"),Description=\"\(field.description)\">"
            guard bcf_hdr_append(out, line) == 0 else { throw VariantFileError.writeFailed(path: path, reason: "cannot add \(field.id) to the header") }
        }
        for line in extraHeaderLines { _ = bcf_hdr_append(out, line) }
        guard bcf_hdr_sync(out) == 0 else { throw VariantFileError.writeFailed(path: path, reason: "cannot build the header") }
        // Registered before it exists, so that SIGINT or SIGTERM removes it (and its index) at any point.
        let registry = TemporaryFileRegistry.shared
        for file in [temporary, temporary + ".tbi", temporary + ".csi"] { registry.register(file) }
        func discard(_ files: [String]) { for file in files { registry.remove(file) { unlink(file) } } }
        guard let writer = motifattn_hts_open(temporary, "wz") else {
            let reason = String(cString: strerror(errno))
            discard([temporary, temporary + ".tbi", temporary + ".csi"])
            throw VariantFileError.writeFailed(path: path, reason: reason)
        }
        var closed = false
        defer { if !closed { _ = hts_close(writer); discard([temporary, temporary + ".tbi", temporary + ".csi"]) } }
        guard bcf_hdr_write(writer, out) == 0 else { throw VariantFileError.writeFailed(path: path, reason: "cannot write the header") }
        let order = kept.indices.sorted {
            let a = kept[$0].pointee, b = kept[$1].pointee
            return (a.rid, a.pos, $0) < (b.rid, b.pos, $1)
        }
        for serial in order {
            let r = kept[serial]
            if let annotation = values(serial) {
                for field in fields {
                    guard let value = annotation[field.id] else { continue }
                    let status: Int32
                    switch value {
                    case .floats(let xs):
                        var floats = xs.map { x -> Float in
                            var f: Float = 0
                            if let x { f = x } else { motifattn_float_set_missing(&f) }
                            return f
                        }
                        status = motifattn_bcf_update_info_float(out, r, field.id, &floats, Int32(floats.count))
                    case .strings(let xs):
                        status = motifattn_bcf_update_info_string(out, r, field.id, xs.map { $0 ?? "." }.joined(separator: ","))
                    }
                    guard status == 0 else { throw VariantFileError.writeFailed(path: path, reason: "cannot set \(field.id)") }
                }
            }
            guard bcf_write(writer, out, r) == 0 else { throw VariantFileError.writeFailed(path: path, reason: "cannot write a record") }
        }
        closed = true
        guard hts_close(writer) == 0 else {
            discard([temporary, temporary + ".tbi", temporary + ".csi"])
            throw VariantFileError.writeFailed(path: path, reason: "error closing the file")
        }
        // Tabix indexes positions up to 2^29; a longer contig needs CSI.
        if bcf_index_build3(temporary, temporary + ".tbi", 0, 1) == 0 {
            discard([temporary + ".csi"])
            return PendingVCF(path: path, indexPath: path + ".tbi", temporary: temporary, temporaryIndex: temporary + ".tbi")
        }
        if bcf_index_build3(temporary, temporary + ".csi", 14, 1) == 0 {
            discard([temporary + ".tbi"])
            return PendingVCF(path: path, indexPath: path + ".csi", temporary: temporary, temporaryIndex: temporary + ".csi")
        }
        discard([temporary, temporary + ".tbi", temporary + ".csi"])
        throw VariantFileError.writeFailed(path: path, reason: "htslib cannot index it")
    }
}
