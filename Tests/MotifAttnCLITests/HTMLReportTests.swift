import Foundation
import XCTest
@testable import MotifAttn

final class HTMLReportTests: XCTestCase {
    private func sampleContent() -> ReportContent {
        let gata: ReportContent.Matrix = [[0.1, 0.1, 0.7, 0.1], [0.9, 0.03, 0.03, 0.04], [0.02, 0.02, 0.02, 0.94], [0.8, 0.1, 0.05, 0.05], [0.25, 0.25, 0.25, 0.25]]
        let spans = [0..<0] + (0..<38).map { $0..<($0 + 3) } + [40..<40]
        var attention = [Float](repeating: 1 / 40, count: 40 * 40)
        for q in 5..<10 { for k in 25..<30 { attention[q * 40 + k] = 0.2 } }
        return ReportContent(
            title: "motifattn scan <test> & more",
            summary: [("genome", "demo.fa.gz"), ("windows", "1000")],
            headMotifs: [.init(id: "L0H1_1", layer: 0, head: 1, consensus: "GATAN", sites: 42, qValue: 1e-6, matrix: gata,
                               matchID: "MA0766.3", matchName: "GATA5", matchQValue: 2e-4, matchMatrix: Array(gata.prefix(4)), matchOffset: 1)],
            interactionColumns: ["motif_a", "motif_b", "q_value"], interactionRows: [["MA0766.3", "MA0591.2", "1.0e-05"]],
            headColumns: ["layer", "head", "entropy_bits"], headRows: [["0", "1", "4.2"]],
            windows: [.init(label: "chr1:0-40(+)", probability: 0.97, layer: 0, head: 1, tokenSpans: spans, attention: attention,
                            instances: [.init(name: "GATA5", start: 5, end: 12), .init(name: "Bach1::Mafk", start: 25, end: 32)])])
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
        content.headMotifsWithoutMatch = 7
        let html = HTMLReport.render(content)
        let caution = try XCTUnwrap(html.range(of: "<b>Caution:</b> no --regions: &lt;bound&gt; is the model's own top 1 %"))
        let summary = try XCTUnwrap(html.range(of: "<th>genome</th>"))
        let interactions = try XCTUnwrap(html.range(of: "Candidate TF–TF interactions"))
        let motifs = try XCTUnwrap(html.range(of: "Motifs the heads focus on"))
        XCTAssertLessThan(caution.lowerBound, summary.lowerBound)
        XCTAssertLessThan(summary.lowerBound, interactions.lowerBound)
        XCTAssertLessThan(interactions.lowerBound, motifs.lowerBound)
        XCTAssertTrue(html.contains("7 further head motifs match no database motif significantly"))
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
    }
}
