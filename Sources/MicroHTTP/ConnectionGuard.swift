import Foundation

/// Keeps slow or greedy clients from taking every connection (slowloris): a connection that has
/// not finished sending a request is *waiting*, and
/// - at most `maxWaiting` connections wait at once: a new one beyond that closes the one waiting
///   longest, so half-sent requests cannot fill the server while real requests, whose heads
///   arrive within milliseconds, still get through;
/// - a request head must arrive within `headerTimeout` seconds of the connection opening (or of
///   the previous response on a kept-alive connection);
/// - one client address may hold at most `perClient` connections, loopback excepted: every local
///   process shares 127.0.0.1, and the first two rules already bound what one of them can hold.
///
/// Deadlines are checked whenever a connection opens, which is when a free one is needed.
/// Pure bookkeeping: callers pass the clock and close the sockets it returns.
///
/// ```swift
/// let guard = ConnectionGuard(maxWaiting: 128, headerTimeout: 10, perClient: 64)
/// for fd in guard.opened(connection, fd: fd, client: address, now: Date()) { shutdownSocket(fd) }
/// ```
public final class ConnectionGuard: @unchecked Sendable {
    /// Most connections that may wait for (the rest of) a request at once.
    public let maxWaiting: Int
    /// Seconds a request head may take to arrive.
    public let headerTimeout: TimeInterval
    /// Most connections of one non-loopback client address.
    public let perClient: Int

    private struct Connection {
        let fd: Int32
        let client: UInt32
        /// When it started waiting for a request; nil while a request is being answered.
        var waitingSince: Date?
        /// Whether the waiting request's head has arrived (only its body is still coming).
        var headArrived = false
    }

    private let lock = NSLock()
    private var connections: [UInt: Connection] = [:]

    public init(maxWaiting: Int, headerTimeout: TimeInterval, perClient: Int) {
        self.maxWaiting = max(1, maxWaiting)
        self.headerTimeout = headerTimeout
        self.perClient = max(1, perClient)
    }

    /// A connection opened; returns the sockets to shut down (possibly this one).
    /// `client` is the IPv4 address in network byte order (0 when unknown).
    public func opened(_ id: UInt, fd: Int32, client: UInt32, now: Date) -> [Int32] {
        lock.lock()
        defer { lock.unlock() }
        var doomed = expired(now: now)
        let isLoopback = client == 0 || UInt32(bigEndian: client) >> 24 == 127
        if !isLoopback, connections.values.filter({ $0.client == client }).count >= perClient {
            return doomed + [fd]
        }
        connections[id] = Connection(fd: fd, client: client, waitingSince: now)
        let waiting = connections.filter { $0.value.waitingSince != nil }
        if waiting.count > maxWaiting,
           let oldest = waiting.min(by: { $0.value.waitingSince! < $1.value.waitingSince! }) {
            doomed.append(oldest.value.fd)
            connections[oldest.key]?.waitingSince = nil
        }
        return doomed
    }

    /// The head of the connection's request arrived (its body may still be coming).
    public func headArrived(_ id: UInt) {
        lock.lock()
        connections[id]?.headArrived = true
        lock.unlock()
    }

    /// The connection's request was read in full and is being answered.
    public func answering(_ id: UInt) {
        lock.lock()
        connections[id]?.waitingSince = nil
        lock.unlock()
    }

    /// The response was sent; a kept-alive connection now waits for its next request.
    public func finished(_ id: UInt, now: Date) {
        lock.lock()
        connections[id]?.waitingSince = now
        connections[id]?.headArrived = false
        lock.unlock()
    }

    /// The server closed the connection: it no longer counts.
    public func closed(_ id: UInt) {
        lock.lock()
        connections[id] = nil
        lock.unlock()
    }

    /// How many connections are open (opened and not yet closed by the server).
    public var openCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return connections.count
    }

    /// How many connections wait for (the rest of) a request.
    public var waitingCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return connections.values.filter { $0.waitingSince != nil }.count
    }

    /// Connections whose request head is overdue (the lock must be held); they stop counting as
    /// waiting so they are shut down once.
    private func expired(now: Date) -> [Int32] {
        var doomed: [Int32] = []
        for (id, connection) in connections {
            guard let since = connection.waitingSince, !connection.headArrived,
                  now.timeIntervalSince(since) > headerTimeout else { continue }
            doomed.append(connection.fd)
            connections[id]?.waitingSince = nil
        }
        return doomed
    }
}
