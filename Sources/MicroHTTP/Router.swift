/// Values captured from a route pattern's `:name` segments (percent-decoded).
public typealias RouteParameters = [String: String]

/// Maps method + path patterns to handlers; unmatched requests go to `fallback` (static files).
///
/// ```swift
/// var router = Router()
/// router.add("GET", "/api/projects/:project") { request, parameters in
///     .json(["name": parameters["project"]!])
/// }
/// ```
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest, RouteParameters) throws -> HTTPResponse

    private struct Route: Sendable {
        let method: String
        let segments: [Substring]
        let handler: Handler
    }

    private var routes: [Route] = []
    /// Answers requests no route matches; a 404 when nil.
    public var fallback: Handler?

    public init() {}

    /// Adds a route. `pattern` segments starting with `:` capture one path segment; a final `*name`
    /// captures the rest of the path.
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method.uppercased(), segments: Self.split(pattern), handler: handler))
    }

    /// Finds the handler for a request and runs it; thrown `HTTPError`s become JSON error responses,
    /// anything else a 500 whose message reveals nothing of the machine.
    public func respond(to request: HTTPRequest) -> HTTPResponse {
        do {
            return try route(request)
        } catch let error as HTTPError {
            return .error(error)
        } catch {
            return .error(.internalError("internal error: \(type(of: error))"))
        }
    }

    private func route(_ request: HTTPRequest) throws -> HTTPResponse {
        let path = Self.split(request.path)
        var pathMatched = false
        for route in routes {
            guard let parameters = Self.match(route.segments, path) else { continue }
            pathMatched = true
            if route.method == request.method || (route.method == "GET" && request.method == "HEAD") {
                return try route.handler(request, parameters)
            }
        }
        if pathMatched { throw HTTPError.methodNotAllowed(request.method) }
        guard let fallback else { throw HTTPError.notFound() }
        return try fallback(request, [:])
    }

    private static func split(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    private static func match(_ pattern: [Substring], _ path: [Substring]) -> RouteParameters? {
        var parameters: RouteParameters = [:]
        for (index, segment) in pattern.enumerated() {
            if segment.hasPrefix("*") {
                parameters[String(segment.dropFirst())] = path[index...].joined(separator: "/")
                return parameters
            }
            guard index < path.count else { return nil }
            if segment.hasPrefix(":") {
                parameters[String(segment.dropFirst())] = String(path[index])
            } else if segment != path[index] {
                return nil
            }
        }
        return pattern.count == path.count ? parameters : nil
    }
}
