import Foundation

/// A progress bar with elapsed time and ETA on stderr, safe to advance from several threads.
/// Redraws at most every 0.2 s; `finish()` ends the line.
///
/// ```swift
/// let progress = ProgressReporter(title: "experiment 1", total: 760)
/// progress.advance()      // from any worker
/// progress.finish()
/// ```
public final class ProgressReporter: @unchecked Sendable {
    public let title: String
    public let total: Int
    private let enabled: Bool
    private let lock = NSLock()
    private var done = 0
    private let start = Date()
    private var lastDraw = Date.distantPast

    public init(title: String, total: Int, enabled: Bool = true) {
        self.title = title
        self.total = max(1, total)
        self.enabled = enabled
    }

    public func advance(by units: Int = 1) {
        lock.lock()
        defer { lock.unlock() }
        done = min(total, done + units)
        let now = Date()
        if now.timeIntervalSince(lastDraw) >= 0.2 || done == total {
            lastDraw = now
            draw(now: now, final: false)
        }
    }

    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        draw(now: Date(), final: true)
    }

    /// Seconds since the reporter was made.
    public var elapsed: Double { Date().timeIntervalSince(start) }

    private func draw(now: Date, final: Bool) {
        guard enabled else { return }
        let fraction = Double(done) / Double(total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let elapsed = now.timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : .nan
        let line = "\r\(title) [\(bar)] \(Int(fraction * 100))% \(done)/\(total) elapsed \(Self.clock(elapsed))"
            + (final ? "" : " ETA \(Self.clock(eta))") + (final ? "\n" : "   ")
        FileHandle.standardError.write(line.data(using: .utf8)!)
    }

    /// 75 -> "1m15s"; NaN -> "?".
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
