import Foundation

/// Who may talk to the server, decided from a request's head before its body is read.
///
/// Three checks, in this order:
/// 1. **Host** (DNS rebinding): on a loopback bind only `127.0.0.1:PORT`, `localhost:PORT` and
///    `[::1]:PORT` (plus `allowedHosts`) are answered, so a page on `evil.example` whose name was
///    re-pointed at 127.0.0.1 gets a 403 instead of the API.
/// 2. **Origin** (CSRF): a state-changing request (POST, PUT, PATCH, DELETE) or any `/api/` request
///    whose `Origin` is not this server's own, or whose `Sec-Fetch-Site` is `cross-site` or
///    `same-site` (another port on localhost is the same *site*), is refused with 403. Requests
///    without these headers (curl, scripts) pass.
/// 3. **Token** (when set): every request carries `Authorization: Bearer TOKEN`, the cookie set when
///    the page is first opened as `/?token=TOKEN`, or `?token=TOKEN` itself. Compared in constant time.
///
/// ```swift
/// let access = AccessControl(token: AccessControl.randomToken())
/// let server = try HTTPServer(configuration: .init(host: "0.0.0.0", port: 8080, accessControl: access),
///                             router: router)
/// print("http://HOST:\(server.port)/?token=\(access.token!)")
/// ```
public struct AccessControl: Sendable {
    /// The secret every request must carry; nil lets requests through without one.
    public var token: String?
    /// Extra names (without port) the Host header may use, such as a machine name behind an SSH
    /// tunnel. On a non-loopback bind, giving any turns the Host check on.
    public var allowedHosts: [String]

    public init(token: String? = nil, allowedHosts: [String] = []) {
        self.token = token
        self.allowedHosts = allowedHosts
    }

    /// The query parameter that carries the token in the URL `serve` prints.
    public static let queryParameter = "token"

    /// Cookies are shared between all ports of a host, so the name carries the port: two servers on
    /// one machine then keep separate tokens.
    public static func cookieName(port: UInt16) -> String { "multiverseg_token_\(port)" }

    /// True for 127.0.0.0/8, the addresses only this machine can reach.
    public static func isLoopback(_ host: String) -> Bool {
        host.hasPrefix("127.") || host == "::1" || host == "localhost"
    }

    /// A fresh token: 24 bytes (192 bits) from /dev/urandom as 48 hex digits.
    public static func randomToken() -> String {
        var bytes = FileHandle(forReadingAtPath: "/dev/urandom").map { [UInt8]($0.readData(ofLength: 24)) } ?? []
        if bytes.count != 24 {
            // The system generator (getrandom) is also cryptographically secure.
            var generator = SystemRandomNumberGenerator()
            bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Why a user-chosen token cannot be used, or nil when it can: at least 16 characters that
    /// survive URLs and cookies unchanged.
    public static func problem(withToken token: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~".unicodeScalars)
        guard token.unicodeScalars.count >= 16 else { return "the token must have at least 16 characters" }
        guard token.unicodeScalars.allSatisfy(allowed.contains) else {
            return "the token may only use letters, digits, '-', '.', '_' and '~'"
        }
        return nil
    }

    /// Compares without stopping at the first difference, so response times do not tell an attacker
    /// how much of a guess was right.
    public static func constantTimeEqual(_ given: String, _ secret: String) -> Bool {
        let a = Array(given.utf8), b = Array(secret.utf8)
        var difference: UInt8 = a.count == b.count ? 0 : 1
        for index in 0..<b.count {
            difference |= (index < a.count ? a[index] : 0) ^ b[index]
        }
        return difference == 0
    }

    /// Screens a request head: nil lets it through; otherwise the response to send instead (403 for
    /// a foreign Host or Origin, 401/403 for a missing/wrong token, 303 to the clean URL after
    /// a correct `?token=` on a page, with the cookie set).
    public func screen(_ request: HTTPRequest, boundHost: String, port: UInt16) -> HTTPResponse? {
        let isAPI = request.path == "/api" || request.path.hasPrefix("/api/")
        if let refusal = checkHost(request, boundHost: boundHost, port: port, isAPI: isAPI) { return refusal }
        if let refusal = checkOrigin(request, isAPI: isAPI) { return refusal }
        guard let token else { return nil }
        return checkToken(request, token: token, port: port, isAPI: isAPI)
    }

    // MARK: Host

    func allowedNames(boundHost: String) -> [String] {
        // A name given with a port ("box:8080") counts as the name: the port is checked separately.
        var names = allowedHosts.map { Self.split(host: $0)?.0 ?? $0.lowercased() }
        if Self.isLoopback(boundHost) {
            names += ["127.0.0.1", "localhost", "[::1]", boundHost]
        } else if boundHost != "0.0.0.0" {
            names.append(boundHost)
        }
        return names
    }

    private func checkHost(_ request: HTTPRequest, boundHost: String, port: UInt16, isAPI: Bool) -> HTTPResponse? {
        guard Self.isLoopback(boundHost) || !allowedHosts.isEmpty else { return nil }
        // HTTPServer refuses a request without exactly one Host before screening it; a request
        // built by hand without one has nothing to check here.
        guard let host = request.header("host") else { return nil }
        let names = allowedNames(boundHost: boundHost)
        if let (name, hostPort) = Self.split(host: host), names.contains(name),
           hostPort == port || (hostPort == nil && port == 80) {
            return nil
        }
        let suffix = port == 80 ? "" : ":\(port)"
        let list = names.filter { !$0.isEmpty }.map { $0 + suffix }
        let unique = list.enumerated().filter { list.firstIndex(of: $0.element) == $0.offset }.map(\.element)
        return refusal(
            status: 403, isAPI: isAPI,
            message: "this server only answers requests addressed to \(unique.joined(separator: ", ")) "
                + "(a different Host header can be a DNS-rebinding attack); open http://127.0.0.1\(suffix)/ "
                + "or start serve with --allow-host NAME",
            title: "Wrong host name")
    }

    /// Splits `name:port`, `[v6]:port` or `name`; nil when the port is not a number.
    static func split(host: String) -> (String, UInt16?)? {
        let lowered = host.lowercased()
        if lowered.hasPrefix("[") {
            guard let close = lowered.firstIndex(of: "]") else { return nil }
            let name = String(lowered[...close])
            let rest = lowered[lowered.index(after: close)...]
            if rest.isEmpty { return (name, nil) }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            return (name, port)
        }
        let parts = lowered.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (lowered, nil)
        case 2:
            guard let port = UInt16(parts[1]) else { return nil }
            return (String(parts[0]), port)
        default: return nil
        }
    }

    // MARK: Origin

    private func checkOrigin(_ request: HTTPRequest, isAPI: Bool) -> HTTPResponse? {
        let safeMethod = ["GET", "HEAD", "OPTIONS"].contains(request.method)
        guard isAPI || !safeMethod else { return nil }
        if let origin = request.header("origin") {
            let own = request.header("host").map { "http://" + $0.lowercased() }
            if origin.lowercased() != own {
                return refusal(
                    status: 403, isAPI: isAPI,
                    message: "cross-origin request refused: this app only accepts API calls from its own pages "
                        + "(Origin \(origin.prefix(100)) is not this server)",
                    title: "Cross-origin request refused")
            }
        }
        if let site = request.header("sec-fetch-site")?.lowercased(), site == "cross-site" || site == "same-site" {
            return refusal(
                status: 403, isAPI: isAPI,
                message: "cross-site request refused (Sec-Fetch-Site: \(site)): this app only accepts API calls from its own pages",
                title: "Cross-site request refused")
        }
        return nil
    }

    // MARK: Token

    private func checkToken(_ request: HTTPRequest, token: String, port: UInt16, isAPI: Bool) -> HTTPResponse? {
        let cookieName = Self.cookieName(port: port)
        if let given = request.query[Self.queryParameter] {
            guard Self.constantTimeEqual(given, token) else { return tokenRefusal(status: 403, isAPI: isAPI) }
            guard !isAPI, request.method == "GET" || request.method == "HEAD" else { return nil }
            // Move the token from the URL (history, screenshots, Referer) into a cookie.
            var response = HTTPResponse(status: 303, contentType: "text/plain; charset=utf-8",
                                        bytes: Array("see the page without the token in its URL\n".utf8))
            response.headers.append(("Location", Self.location(path: request.path, query: request.query)))
            response.headers.append(("Set-Cookie", "\(cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict"))
            response.headers.append(("Cache-Control", "no-store"))
            return response
        }
        if let authorization = request.header("authorization") {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer",
                  Self.constantTimeEqual(parts[1].trimmingCharacters(in: .whitespaces), token) else {
                return tokenRefusal(status: 403, isAPI: isAPI)
            }
            return nil
        }
        if let cookie = Self.cookie(named: cookieName, in: request.header("cookie")) {
            return Self.constantTimeEqual(cookie, token) ? nil : tokenRefusal(status: 403, isAPI: isAPI)
        }
        return tokenRefusal(status: 401, isAPI: isAPI)
    }

    static func cookie(named name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let trimmed = pair.trimmingCharacters(in: .whitespaces)
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            if trimmed[..<equals] == name { return String(trimmed[trimmed.index(after: equals)...]) }
        }
        return nil
    }

    /// The same page without `token`, always a local path: leading slashes are collapsed so that
    /// `//evil.example` cannot turn the redirect into one to another site.
    static func location(path: String, query: [String: String]) -> String {
        let trimmed = "/" + path.drop(while: { $0 == "/" || $0 == "\\" })
        var allowedInPath = CharacterSet.urlPathAllowed
        allowedInPath.remove(charactersIn: "\\")
        let encodedPath = trimmed.addingPercentEncoding(withAllowedCharacters: allowedInPath) ?? "/"
        var allowedInQuery = CharacterSet.urlQueryAllowed
        allowedInQuery.remove(charactersIn: "&=+#")
        let rest = query.filter { $0.key != queryParameter }.sorted { $0.key < $1.key }.map {
            ($0.key.addingPercentEncoding(withAllowedCharacters: allowedInQuery) ?? "") + "="
                + ($0.value.addingPercentEncoding(withAllowedCharacters: allowedInQuery) ?? "")
        }
        return rest.isEmpty ? encodedPath : encodedPath + "?" + rest.joined(separator: "&")
    }

    private func tokenRefusal(status: Int, isAPI: Bool) -> HTTPResponse {
        let what = status == 401 ? "this server needs its access token" : "the access token is wrong or out of date"
        var response = refusal(
            status: status, isAPI: isAPI,
            message: "\(what): open the URL printed by `multiverseg serve` (it ends in ?token=...), "
                + "or send the header 'Authorization: Bearer TOKEN'",
            title: "Access token needed")
        response.headers.append(("WWW-Authenticate", "Bearer"))
        return response
    }

    /// JSON for the API, a small page for browsers.
    private func refusal(status: Int, isAPI: Bool, message: String, title: String) -> HTTPResponse {
        if isAPI { return .error(HTTPError(status: status, message: message)) }
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        var response = HTTPResponse.html("""
            <!doctype html>
            <meta charset="utf-8"><title>MultiverSeg: \(title)</title>
            <h1>\(title)</h1>
            <p>\(escaped).</p>
            <p>Open the address that <code>multiverseg serve</code> printed in its terminal.</p>

            """, status: status)
        response.headers.append(("Cache-Control", "no-store"))
        return response
    }
}
