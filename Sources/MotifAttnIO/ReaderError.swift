import MotifAttnCore

/// Errors raised while reading sequences, alignments or regions.
///
/// Each description is one line that names the file (and line, record or
/// contig) in words a biologist can act on.
public enum ReaderError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist or cannot be opened.
    case cannotOpen(path: String, reason: String)
    /// The content is neither FASTA nor SAM/BAM/CRAM.
    case unsupportedFormat(path: String, detected: String)
    /// The file holds no sequence at all.
    case emptyInput(path: String)
    /// Decompression or reading failed part-way (for example a truncated gzip or BGZF file).
    case truncated(path: String, detail: String)
    /// FASTA text that does not start with a `>` header.
    case notFasta(path: String, line: Int)
    /// Regions were asked of a gzip (not bgzip) FASTA, which cannot be indexed.
    case gzipNeedsBgzip(path: String)
    /// Regions were asked of standard input, which cannot be indexed.
    case regionsNeedAFile(path: String)
    /// The `.fai`/`.gzi` index could neither be loaded nor built.
    case indexFailed(path: String, reason: String)
    /// The `.fai` does not describe the FASTA beside it (built for another file, or the file changed since).
    case staleIndex(path: String, index: String, reason: String)
    /// Two records share a name, so region access (faidx) could reach only the first.
    case duplicateSequenceName(path: String, name: String)
    /// Regions were asked of an alignment file that has no index.
    case missingAlignmentIndex(path: String)
    /// A region names a contig that the input does not have.
    case unknownContig(path: String, contig: String, origin: String)
    /// A region string that cannot be parsed.
    case badRegion(text: String, reason: String)
    /// A BED line that cannot be parsed.
    case malformedBED(path: String, line: Int, reason: String)
    /// Fetching bases for a region failed.
    case fetchFailed(path: String, region: String)
    /// An alignment record could not be decoded.
    case badAlignment(path: String, detail: String)
    /// The CRAM reference could not be used.
    case badReference(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open: \(reason)"
        case let .unsupportedFormat(path, detected):
            return "\(path): not a FASTA, SAM, BAM or CRAM file (content looks like \(detected))"
        case let .emptyInput(path):
            return "\(path): contains no sequences"
        case let .truncated(path, detail):
            return "\(path): file is damaged or truncated (\(detail))"
        case let .notFasta(path, line):
            return "\(path): line \(line): FASTA sequence before any '>' header"
        case let .gzipNeedsBgzip(path):
            return "\(path): regions need random access, which plain gzip does not allow; recompress with `gzip -dc \(path) | bgzip > NEW.fa.gz`"
        case let .regionsNeedAFile(path):
            return "\(path): regions need an indexed file, not standard input"
        case let .indexFailed(path, reason):
            return "\(path): cannot load or build the FASTA index (.fai/.gzi): \(reason)"
        case let .staleIndex(path, index, reason):
            return "\(index): stale or mismatched index of \(path) (\(reason)); delete it or rebuild it with `samtools faidx \(path)`"
        case let .duplicateSequenceName(path, name):
            return "\(path): more than one record is named '\(name)'; regions need unique names (rename them, or read the file whole without regions)"
        case let .missingAlignmentIndex(path):
            return "\(path): regions need an index (.bai, .csi or .crai); create one with `samtools index \(path)`"
        case let .unknownContig(path, contig, origin):
            return "\(path): no sequence named '\(contig)' (asked by \(origin))"
        case let .badRegion(text, reason):
            return "region '\(text)': \(reason)"
        case let .malformedBED(path, line, reason):
            return "\(path): line \(line): \(reason)"
        case let .fetchFailed(path, region):
            return "\(path): cannot read the bases of \(region)"
        case let .badAlignment(path, detail):
            return "\(path): cannot read alignment record: \(detail)"
        case let .badReference(path, reason):
            return "\(path): cannot use the reference: \(reason)"
        }
    }
}
