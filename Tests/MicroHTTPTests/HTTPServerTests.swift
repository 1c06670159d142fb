import Foundation
import MicroHTTP
import TestSupport
import Testing

/// A server on an ephemeral loopback port over a temporary `Public/`-like folder with a secret
/// file next to it (outside the root) and a symlink pointing at that secret.
final class ServerFixture {
    let directory: TemporaryDirectory
    let root: String
    let server: HTTPServer
    var port: UInt16 { server.port }

    init(maxBodyBytes: Int = 1024, accessControl: AccessControl = AccessControl(),
         extraRoutes: (inout Router) -> Void = { _ in }) throws {
        directory = try TemporaryDirectory()
        root = directory.file("Public")
        try FileManager.default.createDirectory(atPath: root + "/css", withIntermediateDirectories: true)
        try "<h1>home</h1>".write(toFile: root + "/index.html", atomically: true, encoding: .utf8)
        try "body{}".write(toFile: root + "/css/app.css", atomically: true, encoding: .utf8)
        try "let x = 1".write(toFile: root + "/app.js", atomically: true, encoding: .utf8)
        try "hidden".write(toFile: root + "/.env", atomically: true, encoding: .utf8)
        try "TOP SECRET".write(toFile: directory.file("secret.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/link.txt", withDestinationPath: directory.file("secret.txt"))
        var router = Router()
        router.add("POST", "/api/echo") { request, _ in
            HTTPResponse(status: 200, contentType: "application/octet-stream", bytes: request.body)
        }
        router.add("GET", "/api/items/:id") { _, parameters in .json(["id": parameters["id"] ?? ""]) }
        router.add("POST", "/api/sum") { request, _ in
            struct Numbers: Decodable { let a: Int; let b: Int }
            let numbers: Numbers = try request.decodeJSON()
            return .json(["sum": numbers.a + numbers.b])
        }
        extraRoutes(&router)
        router.fallback = StaticFiles(root: root).handler
        server = try HTTPServer(configuration: .init(port: 0, maxBodyBytes: maxBodyBytes, accessControl: accessControl),
                                router: router)
    }

    func get(_ target: String) throws -> RawHTTPResponse {
        try HTTPTestClient.request(port: port, target: target)
    }

    deinit {
        server.stop()
        directory.remove()
    }
}

@Suite struct HTTPServerTests {
    @Test func servesStaticFilesWithContentTypes() throws {
        let fixture = try ServerFixture()
        let index = try fixture.get("/")
        #expect(index.status == 200)
        #expect(index.text == "<h1>home</h1>")
        #expect(index.headers["content-type"] == "text/html; charset=utf-8")
        let css = try fixture.get("/css/app.css")
        #expect(css.status == 200 && css.headers["content-type"] == "text/css; charset=utf-8")
        let js = try fixture.get("/app.js")
        #expect(js.headers["content-type"] == "text/javascript; charset=utf-8")
        #expect(js.headers["x-content-type-options"] == "nosniff")
    }

    @Test func missingFileIs404WithJSONError() throws {
        let fixture = try ServerFixture()
        let response = try fixture.get("/nope.html")
        #expect(response.status == 404)
        #expect(response.headers["content-type"]?.hasPrefix("application/json") == true)
        #expect(try response.json()["error"] as? String == "not found")
    }

    @Test(arguments: [
        "/../secret.txt", "/css/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt", "/css/..%2F..%2Fsecret.txt", "/..\\secret.txt", "/link.txt", "/.env",
        "/%252e%252e/secret.txt", "/css/%00/../app.css",
    ])
    func refusesTraversal(target: String) throws {
        let fixture = try ServerFixture()
        let response = try fixture.get(target)
        #expect([400, 404].contains(response.status), "\(target) -> \(response.status)")
        #expect(!response.text.contains("TOP SECRET"))
        #expect(!response.text.contains(fixture.directory.path), "error bodies must not leak paths")
    }

    @Test func routesWithParametersAndMethods() throws {
        let fixture = try ServerFixture()
        let item = try fixture.get("/api/items/42")
        let itemJSON = try item.json()
        #expect(item.status == 200 && itemJSON["id"] as? String == "42")
        let wrongMethod = try HTTPTestClient.request(port: fixture.port, method: "DELETE", target: "/api/items/42")
        #expect(wrongMethod.status == 405)
        let sum = try HTTPTestClient.request(port: fixture.port, method: "POST", target: "/api/sum",
                                             body: Array(#"{"a": 2, "b": 40}"#.utf8))
        #expect(try sum.json()["sum"] as? Int == 42)
    }

    @Test func malformedJSONIs400WithReason() throws {
        let fixture = try ServerFixture()
        let broken = try HTTPTestClient.request(port: fixture.port, method: "POST", target: "/api/sum",
                                                body: Array(#"{"a": 2,"#.utf8))
        #expect(broken.status == 400)
        #expect((try broken.json()["error"] as? String)?.contains("not valid JSON") == true)
        let missing = try HTTPTestClient.request(port: fixture.port, method: "POST", target: "/api/sum",
                                                 body: Array(#"{"a": 2}"#.utf8))
        #expect(missing.status == 400)
        #expect((try missing.json()["error"] as? String)?.contains("'b'") == true)
    }

    @Test func bodyAtTheLimitIsAcceptedAndAboveIs413() throws {
        let fixture = try ServerFixture(maxBodyBytes: 1024)
        let exact = [UInt8](repeating: 7, count: 1024)
        let echoed = try HTTPTestClient.request(port: fixture.port, method: "POST", target: "/api/echo", body: exact)
        #expect(echoed.status == 200 && echoed.body == exact)
        let tooBig = try HTTPTestClient.request(port: fixture.port, method: "POST", target: "/api/echo",
                                                body: [UInt8](repeating: 1, count: 1025))
        #expect(tooBig.status == 413)
        #expect((try tooBig.json()["error"] as? String)?.contains("1024") == true)
        // A huge declared length is refused from the headers alone, before any body arrives.
        let declared = try HTTPTestClient.request(port: fixture.port, method: "POST", target: "/api/echo",
                                                  declaredLength: 10 << 30)
        #expect(declared.status == 413)
    }

    @Test func streamsServerSentEvents() throws {
        let events = EventStream()
        let fixture = try ServerFixture { router in
            router.add("GET", "/api/events") { _, _ in events.response }
        }
        let fd = try HTTPTestClient.open(port: fixture.port, target: "/api/events")
        defer { close(fd) }
        #expect(events.send(event: "prediction", data: "line one\nline two", id: "7"))
        let text = try HTTPTestClient.read(fd, until: "line two")
        #expect(text.contains("text/event-stream"))
        #expect(text.contains("event: prediction\nid: 7\ndata: line one\ndata: line two\n"))
    }

    @Test func stopsCleanlyEvenWithAnOpenStream() throws {
        let events = EventStream()
        let fixture = try ServerFixture { router in
            router.add("GET", "/api/events") { _, _ in events.response }
        }
        let port = fixture.port
        let fd = try HTTPTestClient.open(port: port, target: "/api/events")
        defer { close(fd) }
        _ = events.send(data: "hello")
        _ = try HTTPTestClient.read(fd, until: "hello")
        let started = Date()
        fixture.server.stop()
        #expect(Date().timeIntervalSince(started) < 5, "stop must not wait for the stream's keep-alive")
        #expect(events.isClosed)
        #expect(throws: (any Error).self) { try HTTPTestClient.request(port: port, target: "/") }
        fixture.server.stop()  // idempotent
    }

    @Test func refusesABadBindAddress() {
        #expect(throws: HTTPServerError.invalidAddress("not-an-ip")) {
            _ = try HTTPServer(configuration: .init(host: "not-an-ip"), router: Router())
        }
    }

    @Test func reportsAPortInUse() throws {
        let fixture = try ServerFixture()
        #expect(throws: HTTPServerError.startFailed(host: "127.0.0.1", port: fixture.port)) {
            _ = try HTTPServer(configuration: .init(port: fixture.port), router: Router())
        }
    }

    @Test func aRequestWithoutOneHostHeaderIsRefused() throws {
        let fixture = try ServerFixture()
        let port = fixture.port
        // HTTP/1.0 may leave Host out, and only the first of two would be checked: both are refused.
        let none = try HTTPTestClient.raw(port: port, head: "GET /api/items/1 HTTP/1.0\r\n\r\n")
        #expect(none.status == 400, "\(none.status) \(none.text)")
        #expect(none.text.contains("exactly one Host header"), "\(none.text)")
        let two = try HTTPTestClient.raw(port: port, head: "GET /api/items/1 HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
                                         + "Host: rebind.evil.example\r\nConnection: close\r\n\r\n")
        #expect(two.status == 400, "\(two.status) \(two.text)")
        #expect(two.text.contains("this one had 2"), "\(two.text)")
        let one = try HTTPTestClient.raw(port: port, head: "GET /api/items/1 HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
        #expect(one.status == 200)
    }
}
