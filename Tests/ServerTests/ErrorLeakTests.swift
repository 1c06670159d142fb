import Foundation
import MicroHTTP
import PNGCodec
import ProjectStore
import Server
import TestSupport
import Testing

/// Triggers every class of error answer and checks that none names a folder of this machine: the
/// projects root, the weights path, the temporary folder or the home folder.
@Suite struct ErrorLeakTests {
    func expectNoPath(_ response: RawHTTPResponse, _ what: String, status: Int, fixture: HardeningFixture) {
        #expect(response.status == status, "\(what) -> \(response.status) \(response.text.prefix(300))")
        let text = response.text
        for path in [fixture.directory.path, fixture.projects, NSTemporaryDirectory(), "/tmp/", NSHomeDirectory() + "/",
                     FileManager.default.currentDirectoryPath + "/"] where path.count > 1 {
            #expect(!text.contains(path), "\(what) reveals \(path): \(text)")
        }
        #expect(!text.contains("Weights/"), "\(what) reveals the weights folder: \(text)")
    }

    @Test func everyErrorClassIsPathFree() throws {
        let problem = "cannot open \(NSTemporaryDirectory())x/Weights/w.safetensors: No such file or directory"
        let fixture = try HardeningFixture(modelProblem: problem)
        let png = try HardeningFixture.png(width: 40, height: 30, bright: true)
        let cases: [(String, String, String?, [UInt8], Int?, Int)] = [
            ("bad JSON", "POST /api/projects", "{", [], nil, 400),
            ("missing field", "POST /api/projects", "{}", [], nil, 400),
            ("link", "GET /api/projects/demo/images/leak.png", nil, [], nil, 403),
            ("linked project", "GET /api/projects/linked", nil, [], nil, 403),
            ("unknown project", "GET /api/projects/nope", nil, [], nil, 404),
            ("unknown image", "GET /api/projects/demo/images/nope.png", nil, [], nil, 404),
            ("unknown label", "GET /api/projects/demo/labels/nope/context", nil, [], nil, 404),
            ("no endpoint", "GET /api/nothing/here", nil, [], nil, 404),
            ("no file", "GET /nothing.js", nil, [], nil, 404),
            ("no mask", "GET /api/projects/demo/labels/cell/images/a/mask.png", nil, [], nil, 404),
            ("not in context", "DELETE /api/projects/demo/labels/cell/context/a", nil, [], nil, 404),
            ("method", "PUT /api/projects", nil, [], nil, 405),
            ("duplicate label", "POST /api/projects/demo/labels", #"{"label": "cell"}"#, [], nil, 409),
            ("body too large", "POST /api/projects/demo/images?name=big.png", nil, [], 2 << 20, 413),
            ("pixel bomb", "POST /api/projects/demo/images?name=bomb.png", nil,
             PNGChunks.withDeclaredSize(png, width: 100_000, height: 100_000), nil, 413),
            ("too many pixels", "POST /api/projects/demo/images?name=big.png", nil,
             try HardeningFixture.png(width: 200, height: 200, bright: true), nil, 413),
            ("not a PNG", "POST /api/projects/demo/images?name=x.png", nil, Array("GIF89a".utf8), nil, 422),
            ("truncated PNG", "POST /api/projects/demo/images?name=x.png", nil, Array(png.prefix(40)), nil, 422),
            ("invalid name", "POST /api/projects", #"{"name": "../..", "labels": []}"#, [], nil, 422),
            ("invalid label", "POST /api/projects/demo/labels", #"{"label": "../x"}"#, [], nil, 422),
            ("mask size", "POST /api/projects/demo/labels/cell/images/a/accept",
             try HardeningFixture.maskJSON(width: 10, height: 10), [], nil, 422),
            ("mask bomb", "POST /api/projects/demo/labels/cell/images/a/accept",
             #"{"maskPNG": "\#(Data(PNGChunks.withDeclaredSize(png, width: 90_000, height: 90_000)).base64EncodedString())"}"#,
             [], nil, 413),
            ("no model", "POST /api/projects/demo/labels/cell/images/a/predict",
             #"{"session": "s1", "seq": 1, "clicks": []}"#, [], nil, 503),
        ]
        for (what, route, json, body, declared, status) in cases {
            let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
            let response = try fixture.request(parts[0], parts[1], json: json, body: body, declaredLength: declared)
            expectNoPath(response, what, status: status, fixture: fixture)
        }
        // Nothing of the refused uploads was stored.
        #expect(fixture.app.library.projects().first { $0.id == "demo" }?.imageCount == 2, "a and alias; leak is hidden, nothing new")

        let health = try fixture.get("/api/health")
        expectNoPath(health, "health", status: 200, fixture: fixture)
        #expect(health.text.contains("w.safetensors"), "the file name stays, so the user knows which file")

        // A broken context manifest is the folder's fault (409, naming the file); a project whose images/ is a file is a storage failure (500).
        try FileManager.default.createDirectory(atPath: fixture.projects + "/demo/context", withIntermediateDirectories: true)
        try "{ broken".write(toFile: fixture.projects + "/demo/context/cell.json", atomically: true, encoding: .utf8)
        expectNoPath(try fixture.get("/api/projects/demo/labels/cell/context"), "broken manifest", status: 409, fixture: fixture)
        try FileManager.default.removeItem(atPath: fixture.projects + "/masked/images")
        FileManager.default.createFile(atPath: fixture.projects + "/masked/images", contents: Data("x".utf8))
        expectNoPath(try fixture.request("POST", "/api/projects/masked/images?name=a.png", body: png),
                     "storage", status: 500, fixture: fixture)
    }

    @Test func templateErrorsArePathFree() throws {
        let fixture = try HardeningFixture(templates: ["home": "{{#open}} never closed"])
        let home = try fixture.get("/")
        expectNoPath(home, "template", status: home.status == 200 ? 200 : 500, fixture: fixture)
        let project = try fixture.get("/projects/demo")
        expectNoPath(project, "missing template", status: 500, fixture: fixture)
    }

    @Test func redactionKeepsFileNamesOnly() {
        #expect(App.redactingPaths("cannot open /home/ana/Weights/w.safetensors: gone") == "cannot open w.safetensors: gone")
        #expect(App.redactingPaths("'/tmp/x/y.pt' and /a/b/") == "'y.pt' and ")
        #expect(App.redactingPaths("no model weights loaded") == "no model weights loaded")
        #expect(App.redactingPaths("ratio 3/4 and and/or") == "ratio 3/4 and and/or")
    }
}
