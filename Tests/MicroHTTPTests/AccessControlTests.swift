import Foundation
@testable import MicroHTTP
import TestSupport
import Testing

/// Host (DNS rebinding), Origin (CSRF) and token checks, through a real server on loopback and a
/// raw socket, so that Host and Origin can be anything an attacker's page could make a browser send.
@Suite struct AccessControlTests {
    static let token = "0123456789abcdef0123456789abcdef"

    // MARK: Host

    @Test func answersTheLoopbackNamesWithTheRightPort() throws {
        let fixture = try ServerFixture()
        let port = fixture.port
        for host in ["127.0.0.1:\(port)", "localhost:\(port)", "LocalHost:\(port)", "[::1]:\(port)"] {
            let page = try HTTPTestClient.request(port: port, target: "/", host: host)
            #expect(page.status == 200, "\(host) -> \(page.status)")
            let api = try HTTPTestClient.request(port: port, target: "/api/items/7", host: host)
            #expect(api.status == 200, "\(host) -> \(api.status)")
        }
    }

    @Test func refusesForeignHostsAsDNSRebinding() throws {
        let fixture = try ServerFixture()
        let port = fixture.port
        let foreign = [
            "evil.example:\(port)", "evil.example", "127.0.0.1", "127.0.0.1:\(port == 1 ? 2 : 1)",
            "localhost.evil.example:\(port)", "127.0.0.1.evil.example:\(port)", "127.0.0.1:\(port)x",
            "[::1]", "[::2]:\(port)", "127.0.0.1:\(port):\(port)",
        ]
        for host in foreign {
            let api = try HTTPTestClient.request(port: port, target: "/api/items/7", host: host)
            #expect(api.status == 403, "Host '\(host)' -> \(api.status)")
            #expect(api.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect((try api.json()["error"] as? String)?.contains("127.0.0.1:\(port)") == true)
            let page = try HTTPTestClient.request(port: port, target: "/", host: host)
            #expect(page.status == 403, "Host '\(host)' -> \(page.status)")
            #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(!page.text.contains("<h1>home</h1>"))
        }
    }

    @Test func allowHostAddsAName() throws {
        let fixture = try ServerFixture(accessControl: AccessControl(allowedHosts: ["MyBox", "other.lan:9"]))
        let port = fixture.port
        #expect(try HTTPTestClient.request(port: port, target: "/", host: "mybox:\(port)").status == 200)
        #expect(try HTTPTestClient.request(port: port, target: "/", host: "other.lan:\(port)").status == 200)
        #expect(try HTTPTestClient.request(port: port, target: "/", host: "127.0.0.1:\(port)").status == 200)
        #expect(try HTTPTestClient.request(port: port, target: "/", host: "otherbox:\(port)").status == 403)
    }

    @Test func hostHeaderParsing() {
        #expect(AccessControl.split(host: "LOCALHOST:80")! == ("localhost", 80))
        #expect(AccessControl.split(host: "[::1]:8080")! == ("[::1]", 8080))
        #expect(AccessControl.split(host: "[::1]")! == ("[::1]", nil))
        #expect(AccessControl.split(host: "a:b") == nil)
        #expect(AccessControl.split(host: "a:70000") == nil)
        #expect(AccessControl.split(host: "[::1]x") == nil)
    }

    @Test func portlessHostOnlyForPort80() {
        let access = AccessControl()
        let request = HTTPRequest(method: "GET", path: "/", headers: ["Host": "localhost"])
        #expect(access.screen(request, boundHost: "127.0.0.1", port: 80) == nil)
        #expect(access.screen(request, boundHost: "127.0.0.1", port: 8080)?.status == 403)
        // Off loopback without --allow-host the token protects, not the Host check.
        #expect(access.screen(request, boundHost: "0.0.0.0", port: 8080) == nil)
    }

    // MARK: Origin

    @Test func refusesForeignOriginsOnTheAPIAndStateChanges() throws {
        let fixture = try ServerFixture()
        let port = fixture.port
        let json: [UInt8] = Array(#"{"a": 1, "b": 2}"#.utf8)
        for origin in ["http://evil.example", "http://127.0.0.1:\(port == 1 ? 2 : 1)", "null",
                       "https://127.0.0.1:\(port)", "http://localhost:\(port)"] {
            let post = try HTTPTestClient.request(port: port, method: "POST", target: "/api/sum",
                                                 headers: ["Origin": origin], body: json)
            #expect(post.status == 403, "POST from \(origin) -> \(post.status)")
            #expect(post.text.contains("cross-origin"))
            let get = try HTTPTestClient.request(port: port, target: "/api/items/1", headers: ["Origin": origin])
            #expect(get.status == 403, "GET /api from \(origin) -> \(get.status)")
            let postPage = try HTTPTestClient.request(port: port, method: "POST", target: "/index.html",
                                                     headers: ["Origin": origin], body: json)
            #expect(postPage.status == 403, "POST page from \(origin) -> \(postPage.status)")
        }
        let own = try HTTPTestClient.request(port: port, method: "POST", target: "/api/sum",
                                            headers: ["Origin": "http://127.0.0.1:\(port)"], body: json)
        #expect(try own.status == 200 && (own.json()["sum"] as? Int) == 3)
        let noOrigin = try HTTPTestClient.request(port: port, method: "POST", target: "/api/sum", body: json)
        #expect(noOrigin.status == 200, "curl and scripts send no Origin")
        // A page's own Origin when opened as localhost.
        let localhost = try HTTPTestClient.request(port: port, method: "POST", target: "/api/sum",
                                                  headers: ["Origin": "http://localhost:\(port)"], body: json,
                                                  host: "localhost:\(port)")
        #expect(localhost.status == 200)
    }

    @Test func honoursSecFetchSite() throws {
        let fixture = try ServerFixture()
        let port = fixture.port
        let json: [UInt8] = Array(#"{"a": 1, "b": 2}"#.utf8)
        for site in ["cross-site", "same-site", "Cross-Site"] {
            let post = try HTTPTestClient.request(port: port, method: "POST", target: "/api/sum",
                                                 headers: ["Sec-Fetch-Site": site], body: json)
            #expect(post.status == 403, "\(site) -> \(post.status)")
            let get = try HTTPTestClient.request(port: port, target: "/api/items/1", headers: ["Sec-Fetch-Site": site])
            #expect(get.status == 403)
        }
        for site in ["same-origin", "none"] {
            let post = try HTTPTestClient.request(port: port, method: "POST", target: "/api/sum",
                                                 headers: ["Sec-Fetch-Site": site], body: json)
            #expect(post.status == 200, "\(site) -> \(post.status)")
        }
        // Following a link from another site to the app's page is fine; only the API is guarded.
        let navigation = try HTTPTestClient.request(port: port, target: "/", headers: ["Sec-Fetch-Site": "cross-site"])
        #expect(navigation.status == 200)
    }

    @Test func sendsNoCORSGrantsAndTheSecurityHeaders() throws {
        let fixture = try ServerFixture()
        for target in ["/", "/api/items/1", "/nope", "/app.js"] {
            let response = try HTTPTestClient.request(port: fixture.port, target: target,
                                                     headers: ["Origin": "http://127.0.0.1:\(fixture.port)"])
            #expect(response.headers["access-control-allow-origin"] == nil)
            #expect(response.headers["access-control-allow-credentials"] == nil)
            #expect(response.headers["x-frame-options"] == "DENY")
            #expect(response.headers["x-content-type-options"] == "nosniff")
            #expect(response.headers["referrer-policy"] == "no-referrer")
        }
        let preflight = try HTTPTestClient.request(port: fixture.port, method: "OPTIONS", target: "/api/sum",
                                                  headers: ["Origin": "http://evil.example",
                                                            "Access-Control-Request-Method": "POST"])
        #expect(preflight.status == 403)
        #expect(preflight.headers["access-control-allow-origin"] == nil)
    }

    // MARK: Token

    @Test func tokenIsRequiredOnEveryKindOfRequest() throws {
        let fixture = try ServerFixture(accessControl: AccessControl(token: Self.token))
        let port = fixture.port
        let api = try HTTPTestClient.request(port: port, target: "/api/items/1")
        #expect(api.status == 401)
        #expect(api.headers["www-authenticate"] == "Bearer")
        #expect((try api.json()["error"] as? String)?.contains("Authorization: Bearer") == true)
        for target in ["/", "/app.js", "/css/app.css", "/nope"] {
            let page = try HTTPTestClient.request(port: port, target: target)
            #expect(page.status == 401, "\(target) -> \(page.status)")
            #expect(page.text.contains("printed"))
            #expect(!page.text.contains(Self.token))
        }
        let post = try HTTPTestClient.request(port: port, method: "POST", target: "/api/sum",
                                             body: Array(#"{"a": 1, "b": 2}"#.utf8))
        #expect(post.status == 401)
        // Refused on the headers alone: an oversized body without the token is never read.
        let big = try HTTPTestClient.request(port: port, method: "POST", target: "/api/echo", declaredLength: 1 << 30)
        #expect(big.status == 401)
    }

    @Test func bearerHeader() throws {
        let fixture = try ServerFixture(accessControl: AccessControl(token: Self.token))
        let port = fixture.port
        let right = try HTTPTestClient.request(port: port, target: "/api/items/1",
                                              headers: ["Authorization": "Bearer \(Self.token)"])
        #expect(right.status == 200)
        let page = try HTTPTestClient.request(port: port, target: "/", headers: ["Authorization": "bearer \(Self.token)"])
        #expect(page.status == 200 && page.text == "<h1>home</h1>")
        for wrong in ["Bearer \(Self.token.dropLast())", "Bearer \(Self.token)0", "Bearer ", "Basic \(Self.token)",
                      "Bearer \(Self.token.uppercased())"] {
            let response = try HTTPTestClient.request(port: port, target: "/api/items/1", headers: ["Authorization": wrong])
            #expect(response.status == 403, "\(wrong) -> \(response.status)")
        }
    }

    @Test func queryTokenSetsTheCookieAndRedirectsToTheCleanURL() throws {
        let fixture = try ServerFixture(accessControl: AccessControl(token: Self.token))
        let port = fixture.port
        let cookieName = AccessControl.cookieName(port: port)
        let open = try HTTPTestClient.request(port: port, target: "/?token=\(Self.token)")
        #expect(open.status == 303)
        #expect(open.headers["location"] == "/")
        let cookie = try #require(open.headers["set-cookie"])
        #expect(cookie.hasPrefix("\(cookieName)=\(Self.token);"))
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] { #expect(cookie.contains(attribute)) }
        let withCookie = try HTTPTestClient.request(port: port, target: "/", headers: ["Cookie": "a=b; \(cookieName)=\(Self.token)"])
        #expect(withCookie.status == 200 && withCookie.text == "<h1>home</h1>")
        let apiWithCookie = try HTTPTestClient.request(port: port, target: "/api/items/3", headers: ["Cookie": "\(cookieName)=\(Self.token)"])
        #expect(apiWithCookie.status == 200)
        // A stale cookie (an earlier run's token) and another port's cookie do not count.
        let stale = try HTTPTestClient.request(port: port, target: "/", headers: ["Cookie": "\(cookieName)=\(String(repeating: "0", count: 32))"])
        #expect(stale.status == 403)
        let otherPort = try HTTPTestClient.request(port: port, target: "/", headers: ["Cookie": "multiverseg_token_1=\(Self.token)"])
        #expect(otherPort.status == 401)
        let wrongQuery = try HTTPTestClient.request(port: port, target: "/?token=nope")
        #expect(wrongQuery.status == 403 && wrongQuery.headers["set-cookie"] == nil)
        // Other query arguments survive; the path stays local (no open redirect via //host).
        let keep = try HTTPTestClient.request(port: port, target: "/app.js?b=2&token=\(Self.token)&a=x%20y")
        #expect(keep.headers["location"] == "/app.js?a=x%20y&b=2")
        for target in ["//evil.example/?token=\(Self.token)", "/\\evil.example/?token=\(Self.token)"] {
            let redirect = try HTTPTestClient.request(port: port, target: target)
            let location = redirect.headers["location"] ?? ""
            #expect(location.hasPrefix("/") && !location.hasPrefix("//") && !location.hasPrefix("/\\"), "\(target) -> \(location)")
        }
        // API calls may carry ?token= directly (no redirect).
        let api = try HTTPTestClient.request(port: port, target: "/api/items/4?token=\(Self.token)")
        #expect(api.status == 200)
    }

    @Test func tokenDoesNotReplaceTheOriginCheck() throws {
        let fixture = try ServerFixture(accessControl: AccessControl(token: Self.token))
        let response = try HTTPTestClient.request(
            port: fixture.port, method: "POST", target: "/api/sum",
            headers: ["Authorization": "Bearer \(Self.token)", "Origin": "http://evil.example"],
            body: Array(#"{"a": 1, "b": 2}"#.utf8))
        #expect(response.status == 403)
    }

    @Test func constantTimeComparison() {
        #expect(AccessControl.constantTimeEqual("abc", "abc"))
        #expect(!AccessControl.constantTimeEqual("abd", "abc"))
        #expect(!AccessControl.constantTimeEqual("ab", "abc"))
        #expect(!AccessControl.constantTimeEqual("abc\0", "abc"))
        #expect(!AccessControl.constantTimeEqual("", "abc"))
    }

    @Test func randomTokensAreLongAndDistinct() {
        let tokens = (0..<50).map { _ in AccessControl.randomToken() }
        #expect(Set(tokens).count == 50)
        #expect(tokens.allSatisfy { $0.count == 48 && $0.allSatisfy(\.isHexDigit) })
        #expect(AccessControl.problem(withToken: tokens[0]) == nil)
        #expect(AccessControl.problem(withToken: "short") != nil)
        #expect(AccessControl.problem(withToken: "has space in it, long enough") != nil)
        #expect(AccessControl.problem(withToken: "semicolon;0123456789abcdef") != nil)
    }
}
