import Foundation

/// Progress of long work on standard error: a bar with rate and ETA when
/// stderr is a terminal, a plain line every few seconds otherwise, nothing when quiet.
public final class ProgressMeter: @unchecked Sendable {
    /// What is being counted, e.g. `windows` or `sequences`.
    public let unit: String
    /// Expected total, when known (enables the bar and ETA).
    public var total: Int?
    private let prefix: String
    private let quiet: Bool
    private let isTerminal: Bool
    private let started = Date()
    private var lastPrint = Date.distantPast
    private var done = 0
    private let lock = NSLock()
    private let interval: TimeInterval

    /// - Parameters:
    ///   - command: the subcommand name, printed as `motifattn <command>:`.
    ///   - unit: what is counted.
    ///   - total: expected total, if known.
    ///   - quiet: print nothing at all.
    public init(command: String, unit: String, total: Int? = nil, quiet: Bool = false) {
        self.prefix = "motifattn \(command):"
        self.unit = unit
        self.total = total
        self.quiet = quiet
        self.isTerminal = isatty(STDERR_FILENO) != 0
        self.interval = isatty(STDERR_FILENO) != 0 ? 0.2 : 10
    }

    /// Prints a caution the user must see even with `--quiet` (`motifattn <command>: caution: ...`).
    public func caution(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        write((isTerminal ? "\r\u{1B}[K" : "") + "\(prefix) caution: \(text)\n")
    }

    /// Counts `count` more units done.
    public func advance(by count: Int = 1) {
        lock.lock(); defer { lock.unlock() }
        done += count
        let now = Date()
        if !quiet && now.timeIntervalSince(lastPrint) >= interval {
            lastPrint = now
            emit(final: false, now: now)
        }
    }

    /// Prints the closing line (with the total count and mean rate).
    public func finish() {
        lock.lock(); defer { lock.unlock() }
        if !quiet { emit(final: true, now: Date()) }
    }

    /// Prints a message on its own line (after clearing the bar on a terminal).
    public func message(_ text: String) {
        guard !quiet else { return }
        lock.lock(); defer { lock.unlock() }
        write((isTerminal ? "\r\u{1B}[K" : "") + "\(prefix) \(text)\n")
    }

    /// Units counted so far.
    public var count: Int { lock.lock(); defer { lock.unlock() }; return done }

    private func emit(final: Bool, now: Date) {
        let elapsed = max(now.timeIntervalSince(started), 1e-9)
        let rate = Double(done) / elapsed
        var text = "\(prefix) \(done) \(unit)"
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            if isTerminal {
                let width = 24
                let filled = Int(fraction * Double(width))
                text = "\(prefix) [\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(Int(fraction * 100))% \(done)/\(total) \(unit)"
            } else {
                text += " of \(total) (\(Int(fraction * 100))%)"
            }
            if !final && rate > 0 { text += ", ETA \(Self.clock(Double(total - done) / rate))" }
        }
        text += rate >= 10 ? String(format: ", %.0f %@/s", rate, unit) : (rate >= 1 / 60.0 ? String(format: ", %.2g %@/min", rate * 60, unit) : "")
        if final { text += ", \(Self.clock(elapsed))" }
        if isTerminal { write("\r\u{1B}[K" + text + (final ? "\n" : "")) } else { write(text + "\n") }
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// `h:mm:ss` or `m:ss`.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
