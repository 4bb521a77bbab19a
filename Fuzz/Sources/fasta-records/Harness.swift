// Whole FASTA records (FastaRecordReader: plain, gzip or bgzip through htslib) and labelled FASTA files
// (TrainingData.readLabelledFASTA: records plus the labels in their headers).
import FuzzSupport
import MotifAttn

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = Fuzz.file(Fuzz.bytes(data, size), name: "records.fa")
    do {
        let reader = try FastaRecordReader(path: path)
        while let record = try reader.next() {
            precondition(record.bases.allSatisfy { $0 > 32 && !($0 >= 97 && $0 <= 122) }, "bases are upper-cased, whitespace dropped")
            precondition(reader.headerLine >= 1, "a record has a header line")
            _ = record.window.label
        }
    } catch {
        Fuzz.expected(error)
    }
    do {
        let sequences = try TrainingData.readLabelledFASTA(path: path)
        precondition(!sequences.isEmpty && Set(sequences.map(\.labels.count)).count == 1, "every record has the same number of labels")
    } catch {
        Fuzz.expected(error)
    }
    return 0
}
