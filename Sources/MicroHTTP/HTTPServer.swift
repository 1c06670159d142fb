import CMicroHTTPD
import CMicroHTTPDShims
import Foundation

/// Why the server could not start.
public enum HTTPServerError: Error, CustomStringConvertible, Equatable {
    case invalidAddress(String)
    /// `MHD_start_daemon` returned NULL: usually the port is taken or the address is not local.
    case startFailed(host: String, port: UInt16)

    public var description: String {
        switch self {
        case .invalidAddress(let host):
            return "invalid IPv4 address '\(host)': use a literal such as 127.0.0.1 (loopback) or 0.0.0.0 (all interfaces)"
        case let .startFailed(host, port):
            return "MHD_start_daemon failed on \(host):\(port): the port may be in use (try --port 0 for a free one) or the address is not on this machine"
        }
    }
}

/// An HTTP/1.1 server on libmicrohttpd: one polling thread plus one thread per connection, so
/// handlers may block (a prediction, a stream waiting for its next event).
///
/// This file is the only one that calls libmicrohttpd.
///
/// ```swift
/// var router = Router()
/// router.add("GET", "/api/health") { _, _ in .json(["status": "ok"]) }
/// let server = try HTTPServer(configuration: .init(port: 8080), router: router)
/// print(server.url)   // http://127.0.0.1:8080/
/// server.stop()
/// ```
public final class HTTPServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// IPv4 literal to bind; loopback by default so nothing off this machine can connect.
        public var host: String
        /// 0 picks a free port.
        public var port: UInt16
        /// Larger request bodies are answered with 413 without being kept.
        public var maxBodyBytes: Int
        public var connectionLimit: Int
        /// Idle connections are closed after this many seconds.
        public var connectionTimeout: Int
        /// Host, Origin and token checks run on every request before its body is read.
        public var accessControl: AccessControl
        /// Seconds a client has to send a request's head (slowloris); see `ConnectionGuard`.
        public var headerTimeout: Int
        /// Most connections one (non-loopback) client address may hold.
        public var connectionsPerClient: Int

        public init(host: String = "127.0.0.1", port: UInt16 = 0, maxBodyBytes: Int = 256 << 20,
                    connectionLimit: Int = 256, connectionTimeout: Int = 120,
                    accessControl: AccessControl = AccessControl(), headerTimeout: Int = 10,
                    connectionsPerClient: Int = 64) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.connectionLimit = connectionLimit
            self.connectionTimeout = connectionTimeout
            self.accessControl = accessControl
            self.headerTimeout = headerTimeout
            self.connectionsPerClient = connectionsPerClient
        }
    }

    public let configuration: Configuration
    /// The port actually bound (differs from the configuration's when that was 0).
    public let port: UInt16
    private let router: Router
    private let lock = NSLock()
    private var daemon: OpaquePointer?
    private var openStreams: [ObjectIdentifier: any HTTPBodyStream] = [:]
    /// Half the connections at most may wait for a request, so slow clients leave room for others.
    public let connectionGuard: ConnectionGuard

    public var url: String { "http://\(configuration.host):\(port)/" }

    public init(configuration: Configuration = .init(), router: Router) throws {
        self.configuration = configuration
        self.router = router
        connectionGuard = ConnectionGuard(maxWaiting: max(1, configuration.connectionLimit / 2),
                                          headerTimeout: TimeInterval(configuration.headerTimeout),
                                          perClient: configuration.connectionsPerClient)
        var address = in_addr()
        guard inet_pton(AF_INET, configuration.host, &address) == 1 else {
            throw HTTPServerError.invalidAddress(configuration.host)
        }
        // The callbacks reach `self` through a box holding it weakly, set once the daemon runs;
        // `stop()` (also run by deinit) joins every MHD thread before the box can go away.
        let box = ServerBox()
        guard let started = mvs_mhd_start(
            address.s_addr, configuration.port,
            accessHandler, Unmanaged.passUnretained(box).toOpaque(),
            requestCompleted, Unmanaged.passUnretained(box).toOpaque(),
            UInt32(1 << 20), UInt32(configuration.connectionTimeout), UInt32(configuration.connectionLimit),
            connectionNotified, Unmanaged.passUnretained(box).toOpaque())
        else {
            throw HTTPServerError.startFailed(host: configuration.host, port: configuration.port)
        }
        daemon = started
        port = mvs_mhd_bound_port(started)
        box.server = self
        self.box = box
    }

    private var box: ServerBox?

    /// Ends open streams, then stops listening and joins every connection thread. Idempotent.
    public func stop() {
        lock.lock()
        let streams = Array(openStreams.values)
        openStreams.removeAll()
        let running = daemon
        daemon = nil
        lock.unlock()
        for stream in streams { stream.close() }
        if let running { MHD_stop_daemon(running) }
    }

    deinit { stop() }

    // MARK: Called from libmicrohttpd's threads

    fileprivate func handle(
        connection: OpaquePointer, url: String, method: String,
        upload: UnsafePointer<CChar>?, uploadSize: UnsafeMutablePointer<Int>,
        state statePointer: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        let connectionID = UInt(bitPattern: connection)
        guard let raw = statePointer.pointee else {
            // First call: only the headers have arrived. Refuse a request from elsewhere, or a
            // declared oversized body, at once, before any of the body is read.
            connectionGuard.headArrived(connectionID)
            let state = PendingRequest()
            statePointer.pointee = Unmanaged.passRetained(state).toOpaque()
            let collected = collect(connection, .HEADER_KIND)
            let head = HTTPRequest(method: method, path: url, query: values(connection, .GET_ARGUMENT_KIND),
                                   headers: collected.values)
            // Only the first of several Host headers would be checked, and without one the
            // DNS-rebinding check has nothing to check: HTTP/1.1 demands exactly one (RFC 9112 §3.2).
            let hosts = collected.counts["host", default: 0]
            let refusal = hosts == 1 ? configuration.accessControl.screen(head, boundHost: configuration.host, port: port)
                : .error(.badRequest("a request needs exactly one Host header naming this server; this one had \(hosts)"))
            if let refusal {
                state.responded = true
                connectionGuard.answering(connectionID)
                return queue(refusal, on: connection)
            }
            if let length = lookup(connection, .HEADER_KIND, "Content-Length").flatMap(Int.init),
               length > configuration.maxBodyBytes {
                state.responded = true
                connectionGuard.answering(connectionID)
                return queue(.error(.payloadTooLarge(limit: configuration.maxBodyBytes)), on: connection)
            }
            return .YES
        }
        let state = Unmanaged<PendingRequest>.fromOpaque(raw).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            if !state.tooLarge && !state.responded, let upload {
                if state.body.count + uploadSize.pointee > configuration.maxBodyBytes {
                    state.tooLarge = true
                    state.body = []
                } else {
                    upload.withMemoryRebound(to: UInt8.self, capacity: uploadSize.pointee) {
                        state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: uploadSize.pointee))
                    }
                }
            }
            uploadSize.pointee = 0
            return .YES
        }
        guard !state.responded else { return .YES }
        state.responded = true
        connectionGuard.answering(connectionID)
        if state.tooLarge {
            return queue(.error(.payloadTooLarge(limit: configuration.maxBodyBytes)), on: connection)
        }
        let request = HTTPRequest(
            method: method, path: url,
            query: values(connection, .GET_ARGUMENT_KIND),
            headers: values(connection, .HEADER_KIND),
            body: state.body)
        state.body = []
        var response = router.respond(to: request)
        if method == "HEAD" { response.body = .bytes([]) }
        return queue(response, on: connection)
    }

    private func lookup(_ connection: OpaquePointer, _ kind: MHD_ValueKind, _ key: String) -> String? {
        MHD_lookup_connection_value(connection, kind, key).map { String(cString: $0) }
    }

    private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [String: String] {
        collect(connection, kind).values
    }

    /// The first value of each name, and how often each name (lowercased) occurs.
    private func collect(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> ValueCollector {
        let collector = ValueCollector()
        _ = MHD_get_connection_values(connection, kind, { context, _, key, value in
            guard let context, let key else { return .YES }
            let collector = Unmanaged<ValueCollector>.fromOpaque(context).takeUnretainedValue()
            let name = String(cString: key)
            if collector.values[name] == nil {
                collector.values[name] = value.map { String(cString: $0) } ?? ""
            }
            collector.counts[name.lowercased(), default: 0] += 1
            return .YES
        }, Unmanaged.passUnretained(collector).toOpaque())
        return collector
    }

    fileprivate func connectionStarted(_ connection: OpaquePointer) {
        let doomed = connectionGuard.opened(UInt(bitPattern: connection), fd: mvs_mhd_connection_fd(connection),
                                            client: mvs_mhd_client_ipv4(connection), now: Date())
        for fd in doomed { mvs_socket_shutdown(fd) }
    }

    fileprivate func connectionClosed(_ connection: OpaquePointer) {
        connectionGuard.closed(UInt(bitPattern: connection))
    }

    fileprivate func requestFinished(_ connection: OpaquePointer) {
        connectionGuard.finished(UInt(bitPattern: connection), now: Date())
    }

    private func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
        let handle: OpaquePointer?
        switch response.body {
        case .bytes(let bytes):
            handle = bytes.withUnsafeBytes {
                MHD_create_response_from_buffer(bytes.count, UnsafeMutableRawPointer(mutating: $0.baseAddress),
                                                .RESPMEM_MUST_COPY)
            }
        case .stream(let stream):
            lock.lock()
            openStreams[ObjectIdentifier(stream)] = stream
            let stopped = daemon == nil
            lock.unlock()
            if stopped { stream.close() }
            // The stream's reads run on this connection's thread while the connection, and so
            // its socket, is open.
            let fd = mvs_mhd_connection_fd(connection)
            stream.watchClient { mvs_socket_peer_closed(fd) != 0 }
            let context = Unmanaged.passRetained(StreamContext(stream: stream, server: self)).toOpaque()
            handle = MHD_create_response_from_callback(MVS_MHD_SIZE_UNKNOWN, 16 << 10, streamReader, context, streamFinished)
        }
        guard let handle else { return .NO }
        defer { MHD_destroy_response(handle) }
        for (name, value) in response.headers {
            _ = MHD_add_response_header(handle, name, value)
        }
        // Every answer, errors included: no sniffing, no framing by other sites (clickjacking), no
        // Referer with a token to other sites, no reading of our bodies from other origins.
        for (name, value) in Self.securityHeaders where response.header(name) == nil {
            _ = MHD_add_response_header(handle, name, value)
        }
        return MHD_queue_response(connection, UInt32(response.status), handle)
    }

    static let securityHeaders: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]

    fileprivate func forget(_ stream: any HTTPBodyStream) {
        lock.lock()
        openStreams[ObjectIdentifier(stream)] = nil
        lock.unlock()
    }
}

/// Per-request state kept by libmicrohttpd between the calls of one request.
private final class PendingRequest {
    var body: [UInt8] = []
    var tooLarge = false
    var responded = false
}

private final class ValueCollector {
    var values: [String: String] = [:]
    var counts: [String: Int] = [:]
}

/// Holds the server for the C callbacks; set once the daemon is running.
private final class ServerBox: @unchecked Sendable {
    weak var server: HTTPServer?
}

private final class StreamContext {
    let stream: any HTTPBodyStream
    weak var server: HTTPServer?
    init(stream: any HTTPBodyStream, server: HTTPServer) {
        self.stream = stream
        self.server = server
    }
}

private let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, _, upload, uploadSize, state in
    guard let context, let connection, let url, let method, let uploadSize, let state else { return .NO }
    let box = Unmanaged<ServerBox>.fromOpaque(context).takeUnretainedValue()
    guard let server = box.server else { return .NO }
    return server.handle(connection: connection, url: String(cString: url), method: String(cString: method),
                         upload: upload, uploadSize: uploadSize, state: state)
}

private let requestCompleted: MHD_RequestCompletedCallback = { context, connection, state, _ in
    if let context, let connection {
        Unmanaged<ServerBox>.fromOpaque(context).takeUnretainedValue().server?.requestFinished(connection)
    }
    guard let state, let raw = state.pointee else { return }
    Unmanaged<PendingRequest>.fromOpaque(raw).release()
    state.pointee = nil
}

private let streamReader: MHD_ContentReaderCallback = { context, _, buffer, maxBytes in
    guard let context, let buffer else { return MVS_MHD_END_WITH_ERROR }
    let stream = Unmanaged<StreamContext>.fromOpaque(context).takeUnretainedValue().stream
    guard let chunk = stream.read(maxBytes: maxBytes) else { return MVS_MHD_END_OF_STREAM }
    let count = min(chunk.count, maxBytes)
    chunk.withUnsafeBytes { buffer.update(from: $0.bindMemory(to: CChar.self).baseAddress!, count: count) }
    return count
}

private let streamFinished: MHD_ContentReaderFreeCallback = { context in
    guard let context else { return }
    let streamContext = Unmanaged<StreamContext>.fromOpaque(context).takeRetainedValue()
    streamContext.stream.close()
    streamContext.server?.forget(streamContext.stream)
}

private let connectionNotified: MHD_NotifyConnectionCallback = { context, connection, _, code in
    guard let context, let connection else { return }
    guard let server = Unmanaged<ServerBox>.fromOpaque(context).takeUnretainedValue().server else { return }
    if Int32(code.rawValue) == MVS_MHD_CONNECTION_STARTED {
        server.connectionStarted(connection)
    } else {
        server.connectionClosed(connection)
    }
}
