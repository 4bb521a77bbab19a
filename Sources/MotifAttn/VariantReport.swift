import Foundation
import MotifAttnCore

/// The self-contained `report.html` of `motifattn variants` (inline CSS and SVG, no script, no network): what was
/// scored and skipped, the variants that change the score most, and the saturation-mutagenesis plot of `--ism`.
public enum VariantReport {
    /// Rows of the top-variants table.
    public static let topRows = 30

    /// The page.
    public static func render(effects: [VariantEffect], ism: SaturationMutagenesis?, summary: VariantRunSummary,
                              scanFolder: String?, command: String) -> String {
        let e = HTMLReport.escape
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>motifattn variants</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222;max-width:1200px}
        h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
        table{border-collapse:collapse;font-size:.85em}td,th{padding:.2em .6em;border-bottom:1px solid #eee;text-align:left}
        th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}.cap{font-size:.8em;color:#555}
        .scroll{overflow-x:auto;border:1px solid #ddd;padding:.3em}
        </style></head><body>
        <h1>Variant effects</h1>
        <p class="cap">\(e(command))</p>
        <table><tr><th>records read</th><td>\(summary.records)</td></tr><tr><th>alleles scored</th><td>\(summary.scored)</td></tr>
        <tr><th>skipped</th><td>\(e(summary.skipped.total == 0 ? "none" : "\(summary.skipped.symbolic) symbolic or structural, \(summary.skipped.longIndel) longer indels, \(summary.skipped.refMismatch) REF mismatches, \(summary.skipped.nearContigEnd) too near a contig end"))</td></tr>
        <tr><th>windows scored</th><td>\(summary.windows)</td></tr></table>

        """
        if !effects.isEmpty || ism == nil {
            html += "<section id=\"top-variants\"><h2>Variants that change the score most</h2>\n"
            html += "<p>Sorted by |Δlogit| (ALT − REF, mean of both strands); the full list is <code>variants.tsv</code>. "
                + "Positions are the VCF's 1-based POS.\(scanFolder.map { " Pairs are those reported by the scan in \(e($0))." } ?? "")</p>\n"
            if effects.isEmpty {
                html += "<p>No allele was scored.</p>\n"
            } else {
                var columns = ["chrom", "pos", "id", "ref", "alt", "Δlogit", "Δprobability", "motif broken", "motif created", "head (Δattention)"]
                if scanFolder != nil { columns += ["head motif broken", "pair site", "Δco-attention"] }
                html += "<table><tr>" + columns.map { "<th>\(e($0))</th>" }.joined() + "</tr>\n"
                for effect in effects.prefix(topRows) {
                    let r = effect.record
                    var cells = [r.contig, "\(r.position + 1)", r.id, short(r.ref), short(effect.alt)].map { "<td>\(e($0))</td>" }
                    cells += [String(format: "%+.3f", effect.deltaLogit), String(format: "%+.3f", effect.deltaProbability)].map { "<td class=\"n\">\($0)</td>" }
                    cells += [effect.motifBroken, effect.motifCreated].map { m in
                        "<td>\(m.map { e("\($0.name) (\(String(format: "%+.1f", $0.scoreChange)) bits)") } ?? "")</td>"
                    }
                    cells.append("<td>\(effect.headAttentionChange.map { e("\($0.head) (\(String(format: "%+.3f", $0.change)))") } ?? "")</td>")
                    if scanFolder != nil {
                        cells.append("<td>\(effect.headMotifBroken.map { e($0.motifID) } ?? "")</td>")
                        cells.append("<td>\(effect.pair.map { e("\($0.pair)\($0.siteBroken ? ", site broken" : "")") } ?? "")</td>")
                        cells.append("<td class=\"n\">\(effect.pair.map { String(format: "%+.3f", $0.change) } ?? "")</td>")
                    }
                    html += "<tr>" + cells.joined() + "</tr>\n"
                }
                html += "</table>\n"
            }
            html += "</section>\n"
        }
        if let ism {
            html += "<section id=\"ism\"><h2>Saturation mutagenesis of \(e(ism.contig)):\(ism.start + 1)-\(ism.start + ism.reference.count)</h2>\n"
            html += "<p>Top: each reference base drawn as high as the mean score loss when it is changed (above the line: the base "
                + "supports the score; below: changing it raises the score). Bottom: Δlogit of each change, blue lowers the score, "
                + "red raises it. The full matrix is <code>ism.tsv</code> (0-based, half-open coordinates).</p>\n"
            html += "<div class=\"scroll\">" + plot(ism) + "</div>\n</section>\n"
        }
        html += "<p class=\"cap\">Made by motifattn \(motifattnVersion).</p>\n</body></html>\n"
        return html
    }

    private static func short(_ allele: String) -> String { allele.count > 12 ? String(allele.prefix(10)) + "…" : allele }

    /// Letters scaled by importance over a four-row heat map of the changes, one column per base.
    static func plot(_ ism: SaturationMutagenesis) -> String {
        let column = 8.0, logoHalf = 50.0, cell = 8.0, top = 14.0
        let n = ism.reference.count
        let scale = max(1e-6, (0..<n).compactMap { ism.importance($0).map(abs) }.max() ?? 0)
        let largestChange = max(1e-6, ism.deltaLogit.compactMap { $0?.map { abs(Double($0)) }.max() }.max() ?? 0)
        let width = 30 + Double(n) * column, axis = top + logoHalf
        let heatTop = top + 2 * logoHalf + 6
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(heatTop + 4 * cell + 18))\" role=\"img\">"
        svg += "<line x1=\"30\" y1=\"\(f(axis))\" x2=\"\(f(width))\" y2=\"\(f(axis))\" stroke=\"#999\"/>"
        svg += "<text x=\"0\" y=\"\(f(top + 8))\" font-size=\"9\" fill=\"#666\">\(String(format: "%.2f", scale))</text>"
        for i in 0..<n {
            let x = 30 + Double(i) * column
            if i % 50 == 0 {
                svg += "<text x=\"\(f(x))\" y=\"10\" font-size=\"9\" fill=\"#666\">\(ism.start + i + 1)</text>"
            }
            guard let importance = ism.importance(i), let code = Nucleotides.code(ism.reference[i]) else { continue }
            let height = abs(importance) / scale * logoHalf
            if height > 0.2 {
                let glyph = HTMLReport.glyphs[Int(code)]
                let y = importance >= 0 ? axis - height : axis
                // A letter below the axis is drawn upside down, as logos of negative importance usually are.
                let transform = importance >= 0
                    ? "translate(\(f(x)) \(f(y))) scale(\(f((column - 1) / 100)) \(f(height / 100)))"
                    : "translate(\(f(x)) \(f(axis + height))) scale(\(f((column - 1) / 100)) \(f(-height / 100)))"
                svg += "<path d=\"\(glyph.path)\" fill=\"\(glyph.color)\" fill-rule=\"evenodd\" transform=\"\(transform)\"/>"
            }
            if let row = ism.deltaLogit[i] {
                for b in 0..<4 where b != Int(code) {
                    let t = Double(row[b]) / largestChange
                    let shade = Int(255 * (1 - min(1, abs(t))))
                    let color = t < 0 ? "rgb(\(shade),\(shade),255)" : "rgb(255,\(shade),\(shade))"
                    svg += "<rect x=\"\(f(x))\" y=\"\(f(heatTop + Double(b) * cell))\" width=\"\(f(column))\" height=\"\(f(cell))\" fill=\"\(color)\"><title>\(ism.contig):\(ism.start + i + 1) \(String(UnicodeScalar(ism.reference[i])))>\(String(UnicodeScalar(Nucleotides.letters[b]))) Δlogit \(String(format: "%+.3f", row[b]))</title></rect>"
                }
            }
        }
        for (b, letter) in ["A", "C", "G", "T"].enumerated() {
            svg += "<text x=\"18\" y=\"\(f(heatTop + Double(b) * cell + cell - 1))\" font-size=\"8\" fill=\"#444\">\(letter)</text>"
        }
        svg += "<text x=\"30\" y=\"\(f(heatTop + 4 * cell + 14))\" font-size=\"9\" fill=\"#666\">Δlogit colour scale ±\(String(format: "%.2f", largestChange))</text>"
        return svg + "</svg>\n"
    }

    private static func f(_ x: Double) -> String { String(format: "%.2f", x) }
}
