import Foundation
import FuzzSupport
import Inference
import MicroHTTP
import PNGCodec
import Server

// Drives the app's real router in-process, as the HTTP server does after reading a request.
// Input: the first line is `METHOD /path[?query]`, the rest is the body. The projects folder
// holds project `cells` (label `nucleus`, 40 x 30 images `a`, `b`, `c`); it is made once per
// process and rebuilt every `resetEvery` requests so the corpus does not fill the disk.
// Invariants for every answer: no crash; status 2xx, 3xx or 4xx (a 500 is a finding);
// API errors and JSON answers are well-formed JSON; no body reveals the temporary folder's path
// or a file outside the public folder.

/// A network that predicts foreground where the target is bright, instantly.
final class ThresholdNetwork: SegmentationNetwork {
    let resolution = 16
    func logits(target: [Float], context: [ContextPair]) throws -> [Float] {
        target[0..<(resolution * resolution)].map { $0 > 0.5 ? 4 : -4 }
    }
}

/// What must never appear in a response body.
private let secret = "FUZZ-SECRET-OUTSIDE-PUBLIC"
private let resetEvery = 500

final class Fixture {
    let root: String
    let app: App
    let router: Router

    init() throws {
        let template = NSTemporaryDirectory() + "/multiverseg-fuzz-api-XXXXXX"
        var buffer = Array(template.utf8CString)
        guard let made = mkdtemp(&buffer) else { fatalError("cannot create a temporary folder") }
        root = String(cString: made)
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: root + "/Projects", withIntermediateDirectories: true)
        try fileManager.createDirectory(atPath: root + "/Public", withIntermediateDirectories: true)
        try Data("<!doctype html><title>MultiverSeg</title>".utf8).write(to: URL(fileURLWithPath: root + "/Public/index.html"))
        try Data(secret.utf8).write(to: URL(fileURLWithPath: root + "/secret.txt"))
        let predictor = try Predictor(network: ThresholdNetwork())
        app = try App(configuration: .init(projectsRoot: root + "/Projects", publicRoot: root + "/Public"),
                      model: ModelRunner(name: "fake", predictor: predictor))
        router = app.router()
        let created = router.respond(to: HTTPRequest(
            method: "POST", path: "/api/projects", body: Array(#"{"name":"Cells","labels":["nucleus"]}"#.utf8)))
        expect(created.status == 201, "fixture: cannot create the project")
        for (index, name) in ["a", "b", "c"].enumerated() {
            // A different dark level per image: the server refuses a file identical to one it has.
            let grey = (0..<(40 * 30)).map { i -> UInt16 in i % 40 < 20 ? 250 : UInt16(10 + index) }
            let png = try PNGImage.encode(samples: grey, width: 40, height: 30, colorType: .grey, bitDepth: 8)
            let uploaded = router.respond(to: HTTPRequest(
                method: "POST", path: "/api/projects/cells/images", query: ["name": name + ".png"], body: png))
            expect(uploaded.status == 201, "fixture: cannot upload image \(name)")
        }
    }

    func tearDown() {
        app.stop()
        try? FileManager.default.removeItem(atPath: root)
    }
}

nonisolated(unsafe) private var fixture: Fixture?
nonisolated(unsafe) private var requests = 0

/// Splits `?a=b&c` into a dictionary (the server hands routes percent-decoded values).
private func parseQuery(_ text: Substring) -> [String: String] {
    var query: [String: String] = [:]
    for pair in text.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        query[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    return query
}

private func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
    let needle = Array(needle.utf8)
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    return (0...(haystack.count - needle.count)).contains { start in
        haystack[start] == needle[0] && Array(haystack[start..<(start + needle.count)]) == needle
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let newline = bytes.firstIndex(of: 0x0A) ?? bytes.count
    let line = String(decoding: bytes[..<newline], as: UTF8.self)
    let body = newline < bytes.count ? Array(bytes[(newline + 1)...]) : []
    let parts = line.split(separator: " ", maxSplits: 1)
    guard parts.count == 2 else { return 0 }
    let method = String(parts[0])
    let target = parts[1]
    let path = String(target.prefix { $0 != "?" })
    let query = target.firstIndex(of: "?").map { parseQuery(target[target.index(after: $0)...]) } ?? [:]
    // Event streams stay open until the client leaves; the fuzzer would pile them up.
    if path.hasSuffix("/events") { return 0 }

    if fixture == nil || requests % resetEvery == 0 {
        fixture?.tearDown()
        fixture = try! Fixture()
    }
    requests += 1
    let fixture = fixture!

    let response = fixture.router.respond(to: HTTPRequest(method: method, path: path, query: query, body: body))
    guard case .bytes(let answer) = response.body else {
        if case .stream(let stream) = response.body { stream.close() }
        return 0
    }
    expect((200..<500).contains(response.status),
                 "status \(response.status) for \(method) \(path): \(String(decoding: answer, as: UTF8.self))")
    // An answer may echo what the request said (the fuzzer learns the folder's name from these
    // very comparisons); it must not volunteer it.
    if !contains(bytes, fixture.root) {
        expect(!contains(answer, fixture.root), "the answer reveals the temporary folder: \(String(decoding: answer, as: UTF8.self))")
    }
    if !contains(bytes, secret) {
        expect(!contains(answer, secret), "the answer reveals a file outside the public folder")
    }
    let isJSON = response.header("Content-Type")?.hasPrefix("application/json") ?? false
    if path.hasPrefix("/api/") && response.status >= 400 {
        expect(isJSON, "API error \(response.status) is not JSON")
    }
    if isJSON {
        let parsed = try? JSONSerialization.jsonObject(with: Data(answer), options: [.fragmentsAllowed])
        expect(parsed != nil, "malformed JSON answer: \(String(decoding: answer, as: UTF8.self))")
        if response.status >= 400 {
            let object = parsed as? [String: Any]
            expect(object?["error"] is String && object?["status"] as? Int == response.status,
                         "error answer without {error, status}")
        }
    }
    return 0
}
