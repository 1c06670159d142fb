import Foundation

/// A server-sent-events body (`text/event-stream`): the handler returns `response`, keeps the
/// stream, and calls `send` from any thread as events happen.
///
/// ```swift
/// let events = EventStream()
/// predictions.subscribe(events)
/// return events.response
/// // later, on another thread:
/// events.send(event: "prediction", data: #"{"id": 3}"#)
/// ```
public final class EventStream: HTTPBodyStream, @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var closed = false
    /// A comment line is sent after this long without events, so proxies and browsers keep the
    /// connection open and a vanished client is noticed.
    private let keepAlive: TimeInterval
    /// A client that stops reading must not make the server buffer without end: past this many
    /// unsent bytes the stream is closed (the browser's EventSource reconnects).
    private let maxPendingBytes: Int
    private var clientGone: (@Sendable () -> Bool)?
    /// How often a waiting `read` checks that the client is still there.
    private let clientCheckInterval: TimeInterval = 0.5

    public init(keepAlive: TimeInterval = 15, maxPendingBytes: Int = 16 << 20) {
        self.keepAlive = keepAlive
        self.maxPendingBytes = maxPendingBytes
    }

    public var response: HTTPResponse {
        HTTPResponse(status: 200, headers: [
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("X-Accel-Buffering", "no"),
        ], body: .stream(self))
    }

    public var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed
    }

    /// Queues one event. Multi-line data is split into several `data:` lines as the format requires.
    /// Returns false once the stream is closed (the client went away or the server stopped).
    @discardableResult
    public func send(event: String? = nil, data: String, id: String? = nil) -> Bool {
        var text = ""
        if let event { text += "event: \(Self.singleLine(event))\n" }
        if let id { text += "id: \(Self.singleLine(id))\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line)\n"
        }
        text += "\n"
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        guard pending.count + text.utf8.count <= maxPendingBytes else {
            closed = true
            pending = []
            condition.broadcast()
            return false
        }
        pending.append(contentsOf: text.utf8)
        condition.broadcast()
        return true
    }

    public func read(maxBytes: Int) -> [UInt8]? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: keepAlive)
        while pending.isEmpty && !closed {
            let slice = Date(timeIntervalSinceNow: clientCheckInterval)
            if !condition.wait(until: min(slice, deadline)) {
                if let clientGone, clientGone() {
                    closed = true
                    return nil
                }
                if Date() >= deadline { return Array(": keep-alive\n\n".utf8) }
            }
        }
        if pending.isEmpty { return nil }
        let count = min(maxBytes, pending.count)
        let chunk = Array(pending[..<count])
        pending.removeFirst(count)
        return chunk
    }

    public func watchClient(_ isGone: @escaping @Sendable () -> Bool) {
        condition.lock()
        clientGone = isGone
        condition.unlock()
    }

    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private static func singleLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }
}
