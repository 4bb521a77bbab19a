import Foundation
import MotifAttnAnalysis
import MotifAttnCore

/// The `scan --partial` state of an analysis: its accumulators and report candidates, written by one shard
/// and added up by `merge`.
extension AttentionAnalysis {
    /// Writes everything accumulated so far (the `scan --partial` state): motif discovery, head
    /// diagnostics, co-attention and the report's candidate windows.
    public func encodeState(to writer: inout StateWriter) throws {
        try ablatePending()
        discovery.encode(to: &writer)
        diagnostics.encode(to: &writer)
        coAttention.encode(to: &writer)
        pairSamples?.encode(to: &writer)
        writer.int(topWindows.count)
        for entry in topWindows {
            let w = entry.attention.window
            writer.double(entry.probability)
            writer.string(w.sourceName); writer.int(w.start); writer.int(w.end); writer.string(w.strand.rawValue)
            writer.data(w.bases); writer.string(w.name ?? "")
            writer.int(entry.attention.tokenSpans.count)
            for span in entry.attention.tokenSpans { writer.int(span.lowerBound); writer.int(span.upperBound) }
            writer.int(entry.attention.layers); writer.int(entry.attention.layout.count)
            writer.floats(entry.attention.attention)
            writer.int(entry.map.instances.count)
            for instance in entry.map.instances { writer.string(instance.name); writer.int(instance.start); writer.int(instance.end) }
        }
    }

    /// Adds a state written by `encodeState(to:)` (another shard of the same run).
    public func mergeState(from reader: inout StateReader) throws {
        try discovery.merge(from: &reader)
        try diagnostics.merge(from: &reader)
        try coAttention.merge(from: &reader)
        try pairSamples?.merge(from: &reader)
        for _ in 0..<(try reader.count()) {
            let probability = try reader.double()
            let sourceName = try reader.string(), start = try reader.int(), end = try reader.int()
            guard let strand = Strand(rawValue: try reader.string()) else { throw PartialStateError.truncated(path: reader.path) }
            let bases = try reader.data(), name = try reader.string()
            var spans: [Range<Int>] = []
            for _ in 0..<(try reader.count()) {
                let lower = try reader.int(), upper = try reader.int()
                guard lower <= upper else { throw PartialStateError.truncated(path: reader.path) }
                spans.append(lower..<upper)
            }
            // results() cuts one head's map out of these: they must be the model's layers and heads (all layers' heads).
            let layers = try reader.count(limit: 1 << 16), heads = try reader.count(limit: 1 << 16)
            let attention = try reader.floats()
            let (perHead, overflow) = spans.count.multipliedReportingOverflow(by: spans.count)
            let layout = config.headLayout
            guard layers == config.nLayers, heads == layout.count, spans.count <= config.maxLen, !overflow,
                  attention.count == heads * perHead else { throw PartialStateError.truncated(path: reader.path) }
            var instances: [ReportContent.Instance] = []
            for _ in 0..<(try reader.count()) {
                let name = try reader.string(), start = try reader.int(), end = try reader.int()
                guard start <= end else { throw PartialStateError.truncated(path: reader.path) }  // the report draws start..<end
                instances.append(.init(name: name, start: start, end: end))
            }
            let window = Window(sourceName: sourceName, start: start, end: end, strand: strand, bases: bases, name: name.isEmpty ? nil : name)
            let attended = WindowAttention(window: window, label: .bound, tokenSpans: spans, layout: layout, attention: attention)
            let map = ReportContent.WindowMap(label: window.label, probability: probability, layer: 0, head: 0, tokenSpans: spans,
                                              attention: [], instances: instances)
            keepForReport((probability, map, attended))
        }
    }
}
