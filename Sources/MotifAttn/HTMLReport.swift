import Foundation
import MotifAttnCore

/// Everything the HTML report shows, in plain values (the pipeline fills it from the analysis).
public struct ReportContent: Sendable {
    /// A position frequency matrix: one row per position, columns A, C, G, T (rows sum to 1).
    public typealias Matrix = [[Double]]

    /// A motif a head focuses on, with its best database match.
    public struct HeadMotif: Sendable {
        public var id: String
        public var layer: Int
        public var head: Int
        public var consensus: String
        public var sites: Int
        public var qValue: Double
        public var matrix: Matrix
        /// Best database match, drawn under the head motif (already oriented and offset to align).
        public var matchID: String?
        public var matchName: String?
        public var matchQValue: Double?
        public var matchMatrix: Matrix?
        /// Offset of the match's first column relative to the head motif's first column.
        public var matchOffset: Int
        public init(id: String, layer: Int, head: Int, consensus: String, sites: Int, qValue: Double, matrix: Matrix,
                    matchID: String? = nil, matchName: String? = nil, matchQValue: Double? = nil,
                    matchMatrix: Matrix? = nil, matchOffset: Int = 0) {
            self.id = id; self.layer = layer; self.head = head; self.consensus = consensus; self.sites = sites
            self.qValue = qValue; self.matrix = matrix; self.matchID = matchID; self.matchName = matchName
            self.matchQValue = matchQValue; self.matchMatrix = matchMatrix; self.matchOffset = matchOffset
        }
    }

    /// A motif instance marked on a heat map.
    public struct Instance: Sendable {
        public var name: String
        /// 0-based half-open base range within the window.
        public var start: Int
        public var end: Int
        public init(name: String, start: Int, end: Int) { self.name = name; self.start = start; self.end = end }
    }

    /// One high-scoring window with one head's attention.
    public struct WindowMap: Sendable {
        public var label: String
        public var probability: Double
        public var layer: Int
        public var head: Int
        /// Bases covered by each token (specials: empty ranges).
        public var tokenSpans: [Range<Int>]
        /// Attention probabilities, row-major `[query][key]`, `tokenSpans.count` squared.
        public var attention: [Float]
        public var instances: [Instance]
        public init(label: String, probability: Double, layer: Int, head: Int, tokenSpans: [Range<Int>], attention: [Float], instances: [Instance]) {
            self.label = label; self.probability = probability; self.layer = layer; self.head = head
            self.tokenSpans = tokenSpans; self.attention = attention; self.instances = instances
        }
    }

    /// One candidate interaction (a motif pair, all its heads) as the report shows it.
    public struct InteractionCard: Sendable {
        /// The pair's two look-alike classes: label (`family: REP +N look-alikes`), representative's
        /// matrix, and members (`ID NAME`).
        public var labelA: String, labelB: String
        public var matrixA: Matrix?, matrixB: Matrix?
        public var membersA: [String], membersB: [String]
        /// Heads whose row of the pair passed (`L0H1`, `all`).
        public var heads: [String]
        public var boundSites: Int
        public var effect: Double
        public var epistasis: Double?
        public var qValue: Double
        public var medianDistance: Double
        public var orientation: String
        /// A top window holding sites of both classes, with only those sites marked.
        public var example: WindowMap?
        /// Distances in bases between the two sites in the bound windows sampled for the epistasis test.
        public var sampledDistances: [Int] = []
        public init(labelA: String, labelB: String, matrixA: Matrix?, matrixB: Matrix?, membersA: [String], membersB: [String],
                    heads: [String], boundSites: Int, effect: Double, epistasis: Double?, qValue: Double, medianDistance: Double,
                    orientation: String, example: WindowMap?) {
            self.labelA = labelA; self.labelB = labelB; self.matrixA = matrixA; self.matrixB = matrixB
            self.membersA = membersA; self.membersB = membersB; self.heads = heads; self.boundSites = boundSites
            self.effect = effect; self.epistasis = epistasis; self.qValue = qValue; self.medianDistance = medianDistance
            self.orientation = orientation; self.example = example
        }
    }

    /// One head's diagnostics as the chart shows them.
    public struct HeadBar: Sendable {
        public var label: String
        /// Mean attention entropy in bits, and its ceiling (log2 of the tokens).
        public var entropy: Double
        public var maxEntropy: Double
        /// Mean logit change when the head is zeroed (nil when not measured).
        public var importance: Double?
        public var flags: String
        public init(label: String, entropy: Double, maxEntropy: Double, importance: Double?, flags: String) {
            self.label = label; self.entropy = entropy; self.maxEntropy = maxEntropy; self.importance = importance; self.flags = flags
        }
    }

    /// The page title.
    public var title: String
    /// Run facts shown at the top (input, model, counts).
    public var summary: [(String, String)]
    /// What the reader must know before reading the results (`TrainingDataCheck`), shown first.
    public var cautions: [String]
    /// Head motifs, in the order shown.
    public var headMotifs: [HeadMotif]
    /// Head motifs no database motif matches significantly, as folded table rows (id, head, consensus, sites, q).
    public var unmatchedHeadMotifs: [[String]]
    /// The candidate interactions, most significant first, one card per motif pair.
    public var interactionCards: [InteractionCard]
    /// The head diagnostics chart.
    public var headBars: [HeadBar]
    /// Scores along the genome (scans), and what its marks show.
    public var track: ScoreTrack?
    public var trackNote = ""
    /// Column names and rows of the interaction table (first rows shown).
    public var interactionColumns: [String]
    public var interactionRows: [[String]]
    /// Column names and rows of the head diagnostics.
    public var headColumns: [String]
    public var headRows: [[String]]
    /// Attention heat maps of top windows.
    public var windows: [WindowMap]

    public init(title: String, summary: [(String, String)] = [], cautions: [String] = [], headMotifs: [HeadMotif] = [],
                unmatchedHeadMotifs: [[String]] = [], interactionCards: [InteractionCard] = [], headBars: [HeadBar] = [],
                interactionColumns: [String] = [],
                interactionRows: [[String]] = [], headColumns: [String] = [], headRows: [[String]] = [], windows: [WindowMap] = []) {
        self.title = title; self.summary = summary; self.cautions = cautions; self.headMotifs = headMotifs
        self.unmatchedHeadMotifs = unmatchedHeadMotifs; self.interactionCards = interactionCards; self.headBars = headBars
        self.interactionColumns = interactionColumns; self.interactionRows = interactionRows
        self.headColumns = headColumns; self.headRows = headRows; self.windows = windows
    }
}

/// A self-contained HTML page (inline SVG and CSS, no script, no network) showing a run's results:
/// sequence logos of head motifs beside their best database match, attention heat maps of top windows
/// with motif instances marked, the interaction table and the head diagnostics.
public enum HTMLReport {
    /// The page for `content`.
    public static func render(_ content: ReportContent) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(content.title))</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222;max-width:1200px}
        h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
        table{border-collapse:collapse;font-size:.85em}td,th{padding:.2em .6em;border-bottom:1px solid #eee;text-align:left}
        th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
        .motif{display:inline-block;vertical-align:top;margin:0 1.5em 1.5em 0;padding:.5em;border:1px solid #ddd;border-radius:4px}
        .motif .cap{font-size:.8em;color:#555}.map{display:inline-block;margin:0 1em 1em 0;vertical-align:top}
        .legend span{display:inline-block;width:.9em;height:.9em;margin:0 .2em 0 .8em;vertical-align:middle}
        .caution{background:#fff4d6;border-left:4px solid #e0a800;padding:.5em 1em;margin:0 0 1em 0}
        .card{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;margin:0 0 1.2em 0}
        .card h3{font-size:1.05em;margin:.2em 0 .5em 0}.card .logos{display:inline-block;vertical-align:top;margin-right:1.5em}
        .card .members{font-size:.8em;color:#444;max-width:60em}details{margin:.5em 0 1em 0}summary{cursor:pointer;color:#235}
        </style></head><body>
        <h1>\(escape(content.title))</h1>

        """
        for caution in content.cautions { html += "<p class=\"caution\"><b>Caution:</b> \(escape(caution))</p>\n" }
        if !content.summary.isEmpty {
            html += "<table>" + content.summary.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined() + "</table>\n"
        }

        html += "<section id=\"interactions\"><h2>Candidate TF–TF interactions</h2>\n"
        if content.interactionCards.isEmpty { html += "<p>No motif pair passed both tests.</p>\n" }
        for (rank, card) in content.interactionCards.enumerated() { html += interactionCard(card, rank: rank + 1) }
        if !content.interactionRows.isEmpty {
            html += "<details><summary>The same pairs as a table</summary>\n" + table(content.interactionColumns, content.interactionRows) + "</details>\n"
        }
        html += "</section>\n"

        html += "<section id=\"motifs\"><h2>Motifs the heads focus on, with their database match</h2>\n"
        if content.headMotifs.isEmpty { html += "<p>No head motif matches a database motif significantly.</p>\n" }
        for motif in content.headMotifs {
            html += "<div class=\"motif\"><div><b>\(escape(motif.id))</b> layer \(motif.layer) head \(motif.head) · \(escape(motif.consensus)) · \(motif.sites) sites · q = \(format(motif.qValue))</div>\n"
            html += logo(motif.matrix, offset: max(0, -motif.matchOffset), width: max(motif.matrix.count + max(0, -motif.matchOffset), (motif.matchMatrix?.count ?? 0) + max(0, motif.matchOffset)))
            if let match = motif.matchMatrix {
                html += "<div class=\"cap\">best match \(escape(motif.matchID ?? "")) \(escape(motif.matchName ?? ""))\(motif.matchQValue.map { " · q = \(format($0))" } ?? "")</div>\n"
                html += logo(match, offset: max(0, motif.matchOffset), width: max(motif.matrix.count + max(0, -motif.matchOffset), match.count + max(0, motif.matchOffset)))
            } else {
                html += "<div class=\"cap\">no database match</div>\n"
            }
            html += "</div>\n"
        }
        if !content.unmatchedHeadMotifs.isEmpty {
            html += "<details><summary>\(content.unmatchedHeadMotifs.count) further head motifs match no database motif significantly</summary>\n"
                + table(["id", "head", "consensus", "sites", "q_value"], content.unmatchedHeadMotifs) + "</details>\n"
        }
        html += "</section>\n"

        if let track = content.track, !track.sequences.isEmpty {
            html += "<section id=\"track\"><h2>Scores along the genome</h2>\n" + scoreTrack(track, note: content.trackNote) + "</section>\n"
        }
        html += "<section id=\"windows\"><h2>Attention in top-scoring windows</h2>\n"
        if content.windows.isEmpty { html += "<p>No window to show.</p>\n" }
        let names = Array(Set(content.windows.flatMap { $0.instances.map(\.name) })).sorted()
        if !names.isEmpty {
            html += "<div class=\"legend\">" + names.map { "<span style=\"background:\(instanceColor($0, among: names))\"></span>\(escape($0))" }.joined() + "</div>\n"
        }
        for window in content.windows { html += heatMap(window, names: names) }
        html += "</section>\n"
        html += "<section id=\"heads\"><h2>Head diagnostics</h2>\n" + headChart(content.headBars)
        html += "<details><summary>As a table</summary>\n" + table(content.headColumns, content.headRows) + "</details></section>\n"
        html += "<p class=\"cap\">Made by motifattn \(motifattnVersion). Coordinates are 0-based, half-open.</p>\n</body></html>\n"
        return html
    }

    // MARK: - Pieces

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        value == 0 ? "0" : (abs(value) < 1e-3 || abs(value) >= 1e4 ? String(format: "%.2e", value) : String(format: "%.3g", value))
    }

    private static func table(_ columns: [String], _ rows: [[String]]) -> String {
        guard !rows.isEmpty else { return "<p>None.</p>\n" }
        var out = "<table><tr>" + columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for row in rows {
            out += "<tr>" + row.map { cell in
                Double(cell) != nil ? "<td class=\"n\">\(escape(cell))</td>" : "<td>\(escape(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return out + "</table>\n"
    }

    /// Letter outlines in a 100×100 box (y down), filled with the usual nucleotide colours.
    static let glyphs: [(path: String, color: String)] = [
        ("M0 100L40 0L60 0L100 100L78 100L68 72L32 72L22 100ZM39 55L61 55L50 25Z", "#109648"),
        ("M93.3 25A50 50 0 1 0 93.3 75L77.7 66A32 32 0 1 1 77.7 34Z", "#255C99"),
        ("M93.3 25A50 50 0 1 0 100 62L100 50L56 50L56 64L80 64A32 32 0 1 1 77.7 34Z", "#F7B32B"),
        ("M0 0L100 0L100 18L59 18L59 100L41 100L41 18L0 18Z", "#D62839"),
    ]

    /// An information-content sequence logo (letters scaled by p × IC, 2 bits full height).
    static func logo(_ matrix: ReportContent.Matrix, offset: Int = 0, width: Int? = nil) -> String {
        let columnWidth = 24.0, height = 80.0
        let columns = max(width ?? matrix.count, matrix.count + offset)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Double(columns) * columnWidth + 24))\" height=\"\(Int(height + 8))\" role=\"img\">"
        svg += "<line x1=\"22\" y1=\"2\" x2=\"22\" y2=\"\(height + 2)\" stroke=\"#999\"/><text x=\"0\" y=\"12\" font-size=\"9\" fill=\"#666\">2 bits</text>"
        for (i, row) in matrix.enumerated() {
            let total = row.reduce(0, +)
            guard total > 0, row.count == 4 else { continue }
            let p = row.map { $0 / total }
            let information = Motif.columnInformation(p)
            var y = height + 2
            for letter in (0..<4).sorted(by: { p[$0] < p[$1] }) {
                let letterHeight = p[letter] * information / 2 * height
                guard letterHeight > 0.2 else { continue }
                y -= letterHeight
                let x = 24 + Double(i + offset) * columnWidth
                let glyph = glyphs[letter]
                svg += "<path d=\"\(glyph.path)\" fill=\"\(glyph.color)\" fill-rule=\"evenodd\" transform=\"translate(\(fmt(x)) \(fmt(y))) scale(\(fmt((columnWidth - 2) / 100)) \(fmt(letterHeight / 100)))\"/>"
            }
        }
        return svg + "</svg>\n"
    }

    private static func fmt(_ x: Double) -> String { String(format: "%.2f", x) }

    private static func instanceColor(_ name: String, among names: [String]) -> String {
        let palette = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#469990", "#800000"]
        return palette[(names.firstIndex(of: name) ?? 0) % palette.count]
    }

    /// One interaction: both classes' logos and members, the heads, the statistics, an example window.
    static func interactionCard(_ card: ReportContent.InteractionCard, rank: Int) -> String {
        var html = "<div class=\"card\"><h3>\(rank). \(escape(card.labelA)) + \(escape(card.labelB))</h3>\n"
        html += "<div class=\"cap\">q = \(format(card.qValue)) · \(card.boundSites) site pairs in bound windows · effect \(String(format: "%.2f", card.effect))"
        html += card.epistasis.map { " · epistasis \(String(format: "%.2f", $0)) logits" } ?? ""
        html += " · median distance \(String(format: "%.0f", card.medianDistance)) bases · orientation \(escape(card.orientation))"
        html += " · heads \(escape(card.heads.joined(separator: " ")))</div>\n"
        for (label, matrix, members) in [(card.labelA, card.matrixA, card.membersA), (card.labelB, card.matrixB, card.membersB)] {
            html += "<div class=\"logos\"><div class=\"cap\">\(escape(label))</div>"
            if let matrix { html += logo(matrix) }
            let shown = members.prefix(12).joined(separator: ", ")
            html += "<div class=\"members\">class: \(escape(shown))\(members.count > 12 ? " and \(members.count - 12) more" : "")</div></div>\n"
        }
        if !card.sampledDistances.isEmpty { html += distanceHistogram(card.sampledDistances) }
        if let example = card.example {
            let names = Array(Set(example.instances.map(\.name))).sorted()
            html += "<div class=\"cap\">example: the two sites marked along both axes</div>" + heatMap(example, names: names)
        }
        return html + "</div>\n"
    }

    /// The genome as one row of sequences, each bin's highest bound probability as a bar, bound bins marked below.
    static func scoreTrack(_ track: ScoreTrack, note: String) -> String {
        let bins = track.sequences.reduce(0) { $0 + $1.maxima.count }
        let width = 1100.0, height = 90.0, top = 14.0
        let binWidth = width / Double(max(bins, 1))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width + 40))\" height=\"\(Int(top + height + 34))\" role=\"img\">"
        svg += "<text x=\"0\" y=\"10\" font-size=\"10\" fill=\"#555\">probability (highest per \(track.binBases.formatted())-base bin)</text>"
        svg += "<line x1=\"30\" y1=\"\(top)\" x2=\"30\" y2=\"\(top + height)\" stroke=\"#999\"/>"
        svg += "<text x=\"0\" y=\"\(top + 8)\" font-size=\"9\">1</text><text x=\"0\" y=\"\(top + height)\" font-size=\"9\">0</text>"
        var x = 32.0
        for (index, sequence) in track.sequences.enumerated() {
            let start = x
            var path = ""
            for (bin, value) in sequence.maxima.enumerated() {
                if let value {
                    let p = logistic(value)
                    path += "M\(fmt(x + Double(bin) * binWidth)) \(fmt(top + height))v\(fmt(-p * height))"
                }
            }
            let color = index % 2 == 0 ? "#3b6ea8" : "#7d9cc4"
            if !path.isEmpty { svg += "<path d=\"\(path)\" stroke=\"\(color)\" stroke-width=\"\(fmt(max(binWidth, 0.6)))\"/>" }
            for (bin, bound) in sequence.bound.enumerated() where bound {
                svg += "<rect x=\"\(fmt(x + Double(bin) * binWidth))\" y=\"\(fmt(top + height + 3))\" width=\"\(fmt(max(binWidth, 1)))\" height=\"6\" fill=\"#d62839\"/>"
            }
            x += Double(sequence.maxima.count) * binWidth
            if x - start >= 40 {
                svg += "<text x=\"\(fmt(start))\" y=\"\(fmt(top + height + 22))\" font-size=\"10\">\(escape(String(sequence.name.prefix(Int((x - start) / 6)))))</text>"
            }
        }
        svg += "</svg>\n"
        return svg + "<div class=\"cap\">Red: \(escape(note)). Per-window scores: scores.tsv.gz and scores.bedgraph.</div>\n"
    }

    /// A histogram of site distances in 10-base bins.
    static func distanceHistogram(_ distances: [Int]) -> String {
        let binWidth = 10, bins = max(1, (distances.max() ?? 0) / binWidth + 1)
        var counts = [Int](repeating: 0, count: bins)
        for d in distances { counts[d / binWidth] += 1 }
        let largest = max(counts.max() ?? 1, 1), barWidth = 8.0, height = 50.0
        var svg = "<div class=\"logos\"><div class=\"cap\">distance between the sites, \(distances.count) sampled bound windows</div>"
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Double(bins) * barWidth + 40))\" height=\"\(Int(height + 26))\" role=\"img\">"
        for (bin, count) in counts.enumerated() where count > 0 {
            let h = Double(count) / Double(largest) * height
            svg += "<rect x=\"\(fmt(4 + Double(bin) * barWidth))\" y=\"\(fmt(4 + height - h))\" width=\"\(fmt(barWidth - 1))\" height=\"\(fmt(h))\" fill=\"#6a8caf\">"
                + "<title>\(bin * binWidth)–\(bin * binWidth + binWidth - 1) bases: \(count)</title></rect>"
        }
        svg += "<text x=\"4\" y=\"\(fmt(height + 18))\" font-size=\"9\">0</text>"
        svg += "<text x=\"\(fmt(Double(bins) * barWidth - 10))\" y=\"\(fmt(height + 18))\" font-size=\"9\">\(bins * binWidth) bases</text></svg></div>\n"
        return svg
    }

    /// Bars of each head's attention entropy (against its ceiling) and ablation importance.
    static func headChart(_ bars: [ReportContent.HeadBar]) -> String {
        guard !bars.isEmpty else { return "<p>None.</p>\n" }
        let row = 18.0, labelWidth = 60.0, barWidth = 260.0, gap = 40.0
        let largestImportance = max(bars.compactMap(\.importance).map(abs).max() ?? 0, 1e-9)
        let height = Double(bars.count) * row + 24
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + 2 * barWidth + gap + 140))\" height=\"\(Int(height))\" role=\"img\">"
        svg += "<text x=\"\(labelWidth)\" y=\"12\" font-size=\"11\">entropy (bits; full bar: uniform attention)</text>"
        svg += "<text x=\"\(labelWidth + barWidth + gap)\" y=\"12\" font-size=\"11\">importance (logit change when zeroed)</text>"
        for (i, bar) in bars.enumerated() {
            let y = 20 + Double(i) * row
            svg += "<text x=\"0\" y=\"\(fmt(y + 12))\" font-size=\"11\">\(escape(bar.label))</text>"
            let entropy = bar.maxEntropy > 0 ? min(1, bar.entropy / bar.maxEntropy) : 0
            svg += "<rect x=\"\(labelWidth)\" y=\"\(fmt(y + 2))\" width=\"\(fmt(barWidth * entropy))\" height=\"12\" fill=\"#8fa8d8\"><title>\(escape(bar.label)) entropy \(String(format: "%.2f", bar.entropy)) of \(String(format: "%.2f", bar.maxEntropy)) bits</title></rect>"
            if let importance = bar.importance {
                svg += "<rect x=\"\(labelWidth + barWidth + gap)\" y=\"\(fmt(y + 2))\" width=\"\(fmt(barWidth * abs(importance) / largestImportance))\" height=\"12\" fill=\"#d89a8f\"><title>\(escape(bar.label)) importance \(String(format: "%.4f", importance))</title></rect>"
            }
            svg += "<text x=\"\(fmt(labelWidth + 2 * barWidth + gap + 6))\" y=\"\(fmt(y + 12))\" font-size=\"11\" fill=\"#555\">\(escape(bar.flags))</text>"
        }
        return svg + "</svg>\n"
    }

    /// A heat map of one head's token-to-token attention, binned to at most 80 cells a side,
    /// with motif instances as coloured bands along both axes.
    static func heatMap(_ window: ReportContent.WindowMap, names: [String]) -> String {
        let tokens = window.tokenSpans.count
        guard tokens > 0, window.attention.count == tokens * tokens else { return "" }
        let bins = min(tokens, 120)
        var cells = [Double](repeating: 0, count: bins * bins)
        var counts = [Double](repeating: 0, count: bins * bins)
        for q in 0..<tokens {
            for k in 0..<tokens {
                let cell = (q * bins / tokens) * bins + k * bins / tokens
                cells[cell] += Double(window.attention[q * tokens + k])
                counts[cell] += 1
            }
        }
        for i in cells.indices where counts[i] > 0 { cells[i] /= counts[i] }
        let peak = max(cells.max() ?? 1, 1e-12)
        // The cells as a PNG (one pixel a cell, scaled up without smoothing), the site marks as SVG over it.
        let cellPixels = 240 / bins, margin = 14.0
        let size = Double(bins * cellPixels), cell = Double(cellPixels)
        let pixels = cells.map { UInt8(min(255, (($0 / peak).squareRoot() * 255).rounded())) }
        let palette = (0..<256).map { level -> (UInt8, UInt8, UInt8) in
            let shade = UInt8(255 - level)
            return (shade, shade, 255)
        }
        let png = PNGImage.indexed(width: bins, height: bins, pixels: pixels, palette: palette)
        var svg = "<div class=\"map\"><div class=\"cap\">\(escape(window.label)) · p = \(format(window.probability)) · layer \(window.layer) head \(window.head)</div>"
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(size + margin))\" height=\"\(Int(size + margin))\" role=\"img\">"
        svg += "<image x=\"\(Int(margin))\" y=\"\(Int(margin))\" width=\"\(Int(size))\" height=\"\(Int(size))\" style=\"image-rendering:pixelated\" "
            + "preserveAspectRatio=\"none\" href=\"data:image/png;base64,\(Data(png).base64EncodedString())\"/>"
        for instance in window.instances {
            let tokenRange = window.tokenSpans.indices.filter { !window.tokenSpans[$0].isEmpty && window.tokenSpans[$0].overlaps(instance.start..<instance.end) }
            guard let first = tokenRange.first, let last = tokenRange.last else { continue }
            let a = Double(first * bins / tokens) * cell, b = Double(last * bins / tokens + 1) * cell
            let color = instanceColor(instance.name, among: names)
            svg += "<rect x=\"\(fmt(margin + a))\" y=\"2\" width=\"\(fmt(b - a))\" height=\"9\" fill=\"\(color)\"><title>\(escape(instance.name)) \(instance.start)-\(instance.end)</title></rect>"
            svg += "<rect x=\"2\" y=\"\(fmt(margin + a))\" width=\"9\" height=\"\(fmt(b - a))\" fill=\"\(color)\"><title>\(escape(instance.name)) \(instance.start)-\(instance.end)</title></rect>"
        }
        svg += "<rect x=\"\(margin)\" y=\"\(margin)\" width=\"\(size)\" height=\"\(size)\" fill=\"none\" stroke=\"#999\"/></svg></div>\n"
        return svg
    }
}
