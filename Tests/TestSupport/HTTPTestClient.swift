import Foundation

/// A raw HTTP/1.1 client over a loopback TCP socket. Unlike URLSession or curl it sends the
/// request target exactly as given (`/../etc/passwd` stays un-normalised), which the traversal
/// tests need.
public struct RawHTTPResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }

    public func json() throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
    }
}

public enum HTTPTestClient {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Sends one request (Connection: close) and reads the whole response.
    public static func request(
        port: UInt16, method: String = "GET", target: String,
        headers: [String: String] = [:], body: [UInt8] = [], declaredLength: Int? = nil,
        timeout: TimeInterval = 10, host: String? = nil
    ) throws -> RawHTTPResponse {
        let fd = try connect(port: port, timeout: timeout)
        defer { close(fd) }
        // `host` replaces the Host header's value (the access-control tests spoof it).
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || declaredLength != nil {
            head += "Content-Length: \(declaredLength ?? body.count)\r\n"
        }
        head += "\r\n"
        try sendAll(fd, Array(head.utf8))
        // The server may answer (413) and close before the whole body is sent: a failed send then
        // is expected, and the response is still there to read.
        _ = try? sendAll(fd, body)
        return try parse(readAll(fd))
    }

    /// Opens a request and returns the socket, for streamed responses read with `readSome`.
    /// `complete: false` leaves out the blank line that ends the head, as a slowloris client does.
    public static func open(port: UInt16, target: String, timeout: TimeInterval = 10, complete: Bool = true) throws -> Int32 {
        let fd = try connect(port: port, timeout: timeout)
        let head = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n" + (complete ? "\r\n" : "")
        try sendAll(fd, Array(head.utf8))
        return fd
    }

    /// Sends `head` exactly as given (request line and headers, ending in a blank line) and reads
    /// the whole response: for requests a well-behaved client would never send.
    public static func raw(port: UInt16, head: String, timeout: TimeInterval = 10) throws -> RawHTTPResponse {
        let fd = try connect(port: port, timeout: timeout)
        defer { close(fd) }
        try sendAll(fd, Array(head.utf8))
        return try parse(readAll(fd))
    }

    /// Reads until `marker` appears in what was received or the timeout passes.
    public static func read(_ fd: Int32, until marker: String) throws -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains(marker) {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { throw Failure(description: "stream ended before '\(marker)'") }
            received.append(contentsOf: buffer[..<n])
        }
        return String(decoding: received, as: UTF8.self)
    }

    private static func connect(port: UInt16, timeout: TimeInterval) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port) failed (errno \(errno))")
        }
        return fd
    }

    private static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw Failure(description: "send failed (errno \(errno))") }
            offset += n
        }
    }

    private static func readAll(_ fd: Int32) throws -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received.append(contentsOf: buffer[..<n])
        }
        return received
    }

    static func parse(_ raw: [UInt8]) throws -> RawHTTPResponse {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let split = raw.firstRange(of: separator) else {
            throw Failure(description: "no complete response (\(raw.count) bytes received)")
        }
        let head = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line '\(head[0])'")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return RawHTTPResponse(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < data.count {
            guard let lineEnd = data[index...].firstRange(of: Array("\r\n".utf8)) else { break }
            let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            out.append(contentsOf: data[start..<min(start + size, data.count)])
            index = start + size + 2
        }
        return out
    }
}

/// Reads server-sent events from a socket opened with `HTTPTestClient.open`, undoing chunked
/// transfer encoding.
public final class SSEReader {
    public struct Event: Sendable {
        public let name: String
        public let data: String
        public func json() throws -> [String: Any] {
            (try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any]) ?? [:]
        }
    }

    private let fd: Int32
    private var raw: [UInt8] = []
    private var text = ""
    private var chunked: Bool?

    public init(fd: Int32) { self.fd = fd }

    /// The next event (keep-alive comments skipped); throws when the stream ends or times out.
    public func next() throws -> Event {
        while true {
            decode()
            if let end = text.range(of: "\n\n") {
                let block = String(text[..<end.lowerBound])
                text.removeSubrange(..<end.upperBound)
                var name = "message"
                var data: [String] = []
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
                }
                if data.isEmpty { continue }
                return Event(name: name, data: data.joined(separator: "\n"))
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { throw HTTPTestClient.Failure(description: "event stream ended or timed out") }
            raw += chunk[..<n]
        }
    }

    /// Skips events until one named `name`.
    public func next(named name: String) throws -> Event {
        while true {
            let event = try next()
            if event.name == name { return event }
        }
    }

    private func decode() {
        let crlf: [UInt8] = [13, 10]
        if chunked == nil {
            guard let end = raw.firstRange(of: crlf + crlf) else { return }
            let head = String(decoding: raw[..<end.lowerBound], as: UTF8.self).lowercased()
            chunked = head.contains("transfer-encoding: chunked")
            raw.removeSubrange(..<end.upperBound)
        }
        if chunked == false {
            text += String(decoding: raw, as: UTF8.self)
            raw.removeAll()
            return
        }
        while let line = raw.firstRange(of: crlf),
              let size = Int(String(decoding: raw[..<line.lowerBound], as: UTF8.self), radix: 16),
              raw.count >= line.upperBound + size + 2 {
            text += String(decoding: raw[line.upperBound..<(line.upperBound + size)], as: UTF8.self)
            raw.removeSubrange(..<(line.upperBound + size + 2))
        }
    }
}
