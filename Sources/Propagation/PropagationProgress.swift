import Foundation

/// `propagate`'s progress on stderr: images done, rate and ETA, as one line redrawn in place on a
/// terminal, or as plain lines (at most one every `plainInterval` seconds, and the last) when
/// stderr is a file, such as a Slurm job's log.
///
/// ```swift
/// let progress = PropagationProgress(title: "head 0/4", total: 250)
/// progress.update(done: 10)    // "head 0/4: 10/250 images, 2.1 images/s, ETA 1m54s"
/// progress.finish()
/// ```
public final class PropagationProgress: @unchecked Sendable {
    public let title: String
    public let total: Int
    private let interactive: Bool
    private let plainInterval: Double
    private let write: (String) -> Void
    private let lock = NSLock()
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var done = 0

    public init(title: String, total: Int, interactive: Bool = isatty(STDERR_FILENO) == 1, plainInterval: Double = 10,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.title = title
        self.total = total
        self.interactive = interactive
        self.plainInterval = plainInterval
        self.write = write
    }

    public func update(done: Int) {
        lock.lock()
        defer { lock.unlock() }
        self.done = max(self.done, done)
        let now = Date()
        let interval = interactive ? 0.2 : plainInterval
        guard now.timeIntervalSince(lastDraw) >= interval || self.done == total else { return }
        lastDraw = now
        write(interactive ? "\r" + line(now: now) + "\u{1B}[K" : line(now: now) + "\n")
    }

    /// Ends the redrawn line on a terminal.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if interactive { write("\n") }
    }

    /// "title: 10/250 images, 2.1 images/s, ETA 1m54s".
    func line(now: Date) -> String {
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : .nan
        return "\(title): \(done)/\(total) images, \(String(format: "%.2f", rate)) images/s, "
            + (done == total ? "took \(Self.clock(elapsed))" : "ETA \(Self.clock(eta))")
    }

    /// 75 -> "1m15s"; NaN -> "?".
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
