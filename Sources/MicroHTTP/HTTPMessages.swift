import Foundation

/// An HTTP request as handed to a route: the body is complete and within the size limit.
public struct HTTPRequest: Sendable {
    public let method: String
    /// The path, percent-decoded by libmicrohttpd, without the query string.
    public let path: String
    /// Query arguments, percent-decoded.
    public let query: [String: String]
    /// Header values by lowercased name.
    public let headers: [String: String]
    public let body: [UInt8]

    public init(method: String, path: String, query: [String: String] = [:],
                headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Decodes the body as JSON, or throws a 400 that says what is wrong with it.
    ///
    /// ```swift
    /// struct Click: Decodable { var x: Int; var y: Int }
    /// let click: Click = try request.decodeJSON()
    /// ```
    public func decodeJSON<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        guard !body.isEmpty else { throw HTTPError.badRequest("the request needs a JSON body") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let DecodingError.keyNotFound(key, _) {
            throw HTTPError.badRequest("malformed JSON body: missing field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw HTTPError.badRequest("malformed JSON body: wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'")
        } catch let DecodingError.valueNotFound(_, context) {
            throw HTTPError.badRequest("malformed JSON body: null at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'")
        } catch {
            throw HTTPError.badRequest("malformed JSON body: not valid JSON")
        }
    }
}

/// A body produced piece by piece (server-sent events, large downloads).
///
/// `read` runs on the connection's own thread and may block until data is ready; it returns nil
/// at the end of the stream. `close` is called when the server stops, and must make a blocked
/// `read` return nil promptly.
public protocol HTTPBodyStream: AnyObject, Sendable {
    func read(maxBytes: Int) -> [UInt8]?
    func close()
    /// Handed by the server before the first `read`: `isGone()` tells (without blocking) whether
    /// the client has disconnected. A stream that waits long for data checks it while waiting and
    /// ends, so a closed browser tab frees its connection at once instead of at the next write.
    func watchClient(_ isGone: @escaping @Sendable () -> Bool)
}

extension HTTPBodyStream {
    public func watchClient(_ isGone: @escaping @Sendable () -> Bool) {}
}

/// An HTTP response.
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        case stream(any HTTPBodyStream)
    }

    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Body

    public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int = 200, contentType: String, bytes: [UInt8]) {
        self.init(status: status, headers: [("Content-Type", contentType)], body: .bytes(bytes))
    }

    /// A JSON response; keys sorted so responses are stable for scripts and tests.
    ///
    /// ```swift
    /// return .json(["status": "ok"])
    /// ```
    public static func json<T: Encodable>(_ value: T, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = (try? encoder.encode(value)).map { [UInt8]($0) } ?? Array("{}".utf8)
        return HTTPResponse(status: status, contentType: "application/json; charset=utf-8", bytes: bytes)
    }

    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", bytes: Array(text.utf8))
    }

    public static func html(_ html: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/html; charset=utf-8", bytes: Array(html.utf8))
    }

    /// The JSON error body every failing route returns: `{"error": "...", "status": N}`.
    public static func error(_ error: HTTPError) -> HTTPResponse {
        struct ErrorBody: Encodable { let error: String; let status: Int }
        return .json(ErrorBody(error: error.message, status: error.status), status: error.status)
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// An error a route throws to answer with a 4xx/5xx status and a message for the user.
/// The message must not reveal file-system paths.
public struct HTTPError: Error, Equatable, CustomStringConvertible, Sendable {
    public let status: Int
    public let message: String

    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "HTTP \(status): \(message)" }

    public static func badRequest(_ message: String) -> HTTPError { .init(status: 400, message: message) }
    public static func forbidden(_ message: String) -> HTTPError { .init(status: 403, message: message) }
    public static func notFound(_ message: String = "not found") -> HTTPError { .init(status: 404, message: message) }
    public static func methodNotAllowed(_ method: String) -> HTTPError {
        .init(status: 405, message: "method \(method) is not allowed here")
    }
    public static func conflict(_ message: String) -> HTTPError { .init(status: 409, message: message) }
    public static func payloadTooLarge(limit: Int) -> HTTPError {
        .init(status: 413, message: "request body too large: the limit is \(limit) bytes")
    }
    public static func internalError(_ message: String = "internal server error") -> HTTPError {
        .init(status: 500, message: message)
    }
}
