import Foundation
import XCTest
@testable import MotifAttn

final class HTMLReportTests: XCTestCase {
    private let gata: ReportContent.Matrix = [[0.1, 0.1, 0.7, 0.1], [0.9, 0.03, 0.03, 0.04], [0.02, 0.02, 0.02, 0.94],
                                              [0.8, 0.1, 0.05, 0.05], [0.25, 0.25, 0.25, 0.25]]

    private func sampleContent() -> ReportContent {
        let mare: ReportContent.Matrix = [[0.05, 0.05, 0.05, 0.85], [0.05, 0.05, 0.85, 0.05], [0.85, 0.05, 0.05, 0.05]]
        var card = ReportContent.InteractionCard(labelA: "GATA: GATA5 +4 look-alikes", labelB: "Bach1::Mafk", matrixA: gata, matrixB: mare,
                                                 membersA: ["MA0766.3 GATA5", "MA0482.3 GATA4"], membersB: ["MA0591.2 Bach1::Mafk"],
                                                 heads: ["all", "L0H1"], boundSites: 323, effect: 0.71, epistasis: 1.2, qValue: 1e-9,
                                                 medianDistance: 24, orientation: "+-", example: sampleWindow())
        card.sampledDistances = [21, 24, 25, 38]
        return ReportContent(
            title: "motifattn scan <test> & more",
            summary: [("genome", "demo.fa.gz"), ("windows", "1000")],
            headMotifs: [.init(id: "L0H1_1", layer: 0, head: 1, consensus: "GATAN", sites: 42, qValue: 1e-6, matrix: gata,
                               matchID: "MA0766.3", matchName: "GATA5", matchQValue: 2e-4, matchMatrix: Array(gata.prefix(4)), matchOffset: 1)],
            unmatchedHeadMotifs: [["L1H0_2", "L1H0", "ACGTAC", "12", "1.00e+00"]],
            interactionCards: [card],
            headBars: [.init(label: "L0H0", entropy: 7.4, maxEntropy: 7.6, importance: 0.01, flags: "collapsed"),
                       .init(label: "L0H1", entropy: 4.2, maxEntropy: 7.6, importance: 0.8, flags: "")],
            interactionColumns: ["motif_a", "motif_b", "q_value"], interactionRows: [["MA0766.3", "MA0591.2", "1.0e-05"]],
            headColumns: ["layer", "head", "entropy_bits"], headRows: [["0", "1", "4.2"]],
            windows: [sampleWindow()])
    }

    private func sampleWindow() -> ReportContent.WindowMap {
        let spans = [0..<0] + (0..<38).map { $0..<($0 + 3) } + [40..<40]
        var attention = [Float](repeating: 1 / 40, count: 40 * 40)
        for q in 5..<10 { for k in 25..<30 { attention[q * 40 + k] = 0.2 } }
        return .init(label: "chr1:0-40(+)", probability: 0.97, layer: 0, head: 1, tokenSpans: spans, attention: attention,
                     instances: [.init(name: "GATA5", start: 5, end: 12), .init(name: "Bach1::Mafk", start: 25, end: 32)])
    }

    func testReportIsSelfContainedEscapedAndDrawsEveryLogoLetter() {
        let html = HTMLReport.render(sampleContent())
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("motifattn scan &lt;test&gt; &amp; more"))
        XCTAssertFalse(html.contains("<script"), "the page needs no script")
        XCTAssertFalse(html.contains("http://") && html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"),
                       "the page must not load anything from the network")
        // Columns with information draw one path per letter taller than 0.2 px; uniform columns draw none.
        XCTAssertGreaterThan(html.components(separatedBy: "<path").count - 1, 8)
        XCTAssertTrue(html.contains("GATA5"))
        XCTAssertTrue(html.contains("<title>Bach1::Mafk 25-32</title>"))
    }

    /// The page leads with what the reader must know, then the answer: cautions, the run's facts, the
    /// interactions, then the head motifs with a database match (the others only counted).
    func testReportLeadsWithCautionsThenInteractionsThenMatchedMotifs() throws {
        var content = sampleContent()
        content.cautions = ["no --regions: <bound> is the model's own top 1 %"]
        let html = HTMLReport.render(content)
        let caution = try XCTUnwrap(html.range(of: "<b>Caution:</b> no --regions: &lt;bound&gt; is the model's own top 1 %"))
        let summary = try XCTUnwrap(html.range(of: "<th>genome</th>"))
        let interactions = try XCTUnwrap(html.range(of: "Candidate TF–TF interactions"))
        let motifs = try XCTUnwrap(html.range(of: "Motifs the heads focus on"))
        XCTAssertLessThan(caution.lowerBound, summary.lowerBound)
        XCTAssertLessThan(summary.lowerBound, interactions.lowerBound)
        XCTAssertLessThan(interactions.lowerBound, motifs.lowerBound)
        XCTAssertTrue(html.contains("<summary>1 further head motifs match no database motif significantly</summary>"))
        // The interaction card: both classes, their members, the heads, an example window with both sites.
        let card = try XCTUnwrap(html.range(of: "<h3>1. GATA: GATA5 +4 look-alikes + Bach1::Mafk</h3>"))
        XCTAssertLessThan(card.lowerBound, motifs.lowerBound)
        XCTAssertTrue(html.contains("class: MA0766.3 GATA5, MA0482.3 GATA4"))
        XCTAssertTrue(html.contains("heads all L0H1"))
        XCTAssertTrue(html.contains("<title>20–29 bases: 3</title>"), "the distance histogram bins the sampled distances")
        XCTAssertTrue(html.contains("<title>L0H0 entropy 7.40 of 7.60 bits</title>"))
    }

    /// Renders the page in headless Chromium (Debian package `chromium`) when it is installed,
    /// and checks that it loads without console errors and produces a screenshot.
    func testReportRendersInHeadlessChromiumWithoutConsoleErrors() throws {
        let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        guard let chromium = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("headless Chromium is not installed (apt-get install chromium)")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("motifattn-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if ProcessInfo.processInfo.environment["MOTIFATTN_KEEP_REPORT"] == nil { try? FileManager.default.removeItem(at: folder) } }
        let page = folder.appendingPathComponent("report.html")
        try HTMLReport.render(sampleContent()).write(to: page, atomically: true, encoding: .utf8)
        let screenshot = folder.appendingPathComponent("report.png")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                             "--user-data-dir=\(folder.path)/profile", "--window-size=1200,1400",
                             "--screenshot=\(screenshot.path)", page.absoluteString]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, log)
        let consoleErrors = log.split(separator: "\n").filter { $0.contains("CONSOLE") && $0.localizedCaseInsensitiveContains("error") }
        XCTAssertTrue(consoleErrors.isEmpty, consoleErrors.joined(separator: "\n"))
        let size = (try FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? NSNumber)?.intValue ?? 0
        XCTAssertGreaterThan(size, 10_000, "the screenshot should show a rendered page")

        // The DOM as the browser parsed it: the sections in reading order, the card's SVGs intact.
        let dump = Process()
        dump.executableURL = URL(fileURLWithPath: chromium)
        dump.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(folder.path)/profile2",
                          "--dump-dom", page.absoluteString]
        let dom = Pipe()
        dump.standardOutput = dom
        dump.standardError = FileHandle.nullDevice
        try dump.run()
        let parsed = String(decoding: dom.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        dump.waitUntilExit()
        XCTAssertEqual(dump.terminationStatus, 0)
        let order = ["id=\"interactions\"", "id=\"motifs\"", "id=\"windows\"", "id=\"heads\""].map { parsed.range(of: $0)?.lowerBound }
        XCTAssertFalse(order.contains(nil), "every section is in the parsed page")
        XCTAssertEqual(order.compactMap { $0 }, order.compactMap { $0 }.sorted(), "sections in reading order")
        let card = try XCTUnwrap(parsed.range(of: "class=\"card\""))
        XCTAssertGreaterThanOrEqual(parsed[card.lowerBound...].components(separatedBy: "<svg").count - 1, 3,
                                    "a card draws both logos and its example window")
    }
}
