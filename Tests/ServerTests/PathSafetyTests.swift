import Foundation
import Imaging
import MicroHTTP
import PNGCodec
import ProjectStore
import Server
import TestSupport
import Testing

/// A library with project `demo` (label `cell`, image `a`) plus planted links, and secrets next to
/// the projects folder that no request may reach:
///
/// ```
/// secret.txt, secret.png          outside the projects folder
/// outside/                        a whole project folder outside
/// Projects/demo/images/leak.png   -> ../../../secret.png          (refused)
/// Projects/demo/images/alias.png  -> a.png                         (inside: served)
/// Projects/linked                 -> ../outside                    (refused)
/// Projects/inner                  -> demo                          (inside the library: served)
/// Projects/masked/masks           -> ../../outside-masks           (writes refused)
/// Projects/ctx/context            -> ../../outside-context         (reads refused)
/// ```
final class HardeningFixture {
    let directory: TemporaryDirectory
    let projects: String
    let app: App
    let server: HTTPServer
    var port: UInt16 { server.port }
    static let secretText = "TOP SECRET"

    init(maxImagePixels: Int = 10_000, modelProblem: String? = nil, templates: [String: String]? = nil) throws {
        directory = try TemporaryDirectory()
        let fm = FileManager.default
        projects = directory.file("Projects")
        let publicRoot = directory.file("Public")
        try fm.createDirectory(atPath: projects, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: publicRoot, withIntermediateDirectories: true)
        try "<title>MultiverSeg</title>".write(toFile: publicRoot + "/index.html", atomically: true, encoding: .utf8)
        try Self.secretText.write(toFile: directory.file("secret.txt"), atomically: true, encoding: .utf8)
        fm.createFile(atPath: directory.file("secret.png"), contents: Data(try Self.png(width: 40, height: 30, bright: true)))
        var templatesRoot: String?
        if let templates {
            templatesRoot = directory.file("Templates")
            try fm.createDirectory(atPath: templatesRoot!, withIntermediateDirectories: true)
            for (name, text) in templates {
                try text.write(toFile: templatesRoot! + "/\(name).html", atomically: true, encoding: .utf8)
            }
        }
        app = try App(configuration: .init(projectsRoot: projects, publicRoot: publicRoot, templatesRoot: templatesRoot,
                                           weightsPath: directory.file("Weights/w.safetensors"),
                                           maxImagePixels: maxImagePixels),
                      model: nil, modelProblem: modelProblem)
        server = try HTTPServer(configuration: .init(port: 0, maxBodyBytes: 1 << 20), router: app.router())

        for name in ["Demo", "Masked", "Ctx"] {
            let project = try app.library.createProject(name: name, labels: ["cell"])
            try project.importImage(name: "a.png", png: try Self.png(width: 40, height: 30, bright: false))
        }
        try fm.createSymbolicLink(atPath: projects + "/demo/images/leak.png", withDestinationPath: "../../../secret.png")
        try fm.createSymbolicLink(atPath: projects + "/demo/images/alias.png", withDestinationPath: "a.png")
        try fm.createDirectory(atPath: directory.file("outside/images"), withIntermediateDirectories: true)
        try #"{"schema": 1, "name": "Outside", "labels": ["cell"]}"#
            .write(toFile: directory.file("outside/project.json"), atomically: true, encoding: .utf8)
        fm.createFile(atPath: directory.file("outside/images/x.png"), contents: Data(try Self.png(width: 40, height: 30, bright: true)))
        try fm.createSymbolicLink(atPath: projects + "/linked", withDestinationPath: "../outside")
        try fm.createSymbolicLink(atPath: projects + "/inner", withDestinationPath: "demo")
        try fm.createDirectory(atPath: directory.file("outside-masks/cell"), withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: projects + "/masked/masks", withDestinationPath: "../../outside-masks")
        try fm.createDirectory(atPath: directory.file("outside-context"), withIntermediateDirectories: true)
        try #"{"schema": 1, "label": "cell", "entries": []}"#
            .write(toFile: directory.file("outside-context/cell.json"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: projects + "/ctx/context", withDestinationPath: "../../outside-context")
    }

    static func png(width: Int, height: Int, bright: Bool) throws -> [UInt8] {
        try PNGImage.encode(samples: [UInt16](repeating: bright ? 250 : 20, count: width * height),
                            width: width, height: height, colorType: .grey, bitDepth: 8)
    }

    static func maskJSON(width: Int, height: Int) throws -> String {
        let png = try BinaryMask(width: width, height: height, pixels: [Bool](repeating: true, count: width * height)).pngData()
        return #"{"maskPNG": "\#(Data(png).base64EncodedString())", "interactions": 1}"#
    }

    func get(_ target: String) throws -> RawHTTPResponse { try request("GET", target) }

    func request(_ method: String, _ target: String, json: String? = nil, body: [UInt8] = [],
                 declaredLength: Int? = nil) throws -> RawHTTPResponse {
        try HTTPTestClient.request(port: port, method: method, target: target,
                                   body: json.map { Array($0.utf8) } ?? body, declaredLength: declaredLength)
    }

    /// The files outside `Projects/` as the fixture made them: no request may add to them.
    static let outsideFiles: Set<String> = ["secret.txt", "secret.png", "outside/project.json", "outside/images/x.png",
                                            "outside-context/cell.json", "Public/index.html"]

    var outsideFiles: Set<String> { Set(files(under: directory.path).filter { !$0.hasPrefix("Projects/") }) }

    /// Files below `folder` (recursively), to prove nothing was written there.
    func files(under folder: String) -> [String] {
        (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).filter {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: folder + "/" + $0, isDirectory: &isDirectory)
            return !isDirectory.boolValue
        }
    }

    deinit {
        server.stop()
        app.stop()
        directory.remove()
    }
}

@Suite struct PathSafetyTests {
    static let secretPNG: [UInt8] = (try? HardeningFixture.png(width: 40, height: 30, bright: true)) ?? []

    /// Checks that a refused request got a 4xx and none of the secrets.
    func expectRefused(_ response: RawHTTPResponse, _ what: String, fixture: HardeningFixture) {
        #expect((400..<500).contains(response.status), "\(what) -> \(response.status) \(response.text.prefix(200))")
        #expect(!response.text.contains(HardeningFixture.secretText), "\(what) leaked the secret")
        #expect(response.body != Self.secretPNG, "\(what) leaked secret.png")
        #expect(!response.text.contains(fixture.directory.path), "\(what) leaked a path")
    }

    static let projectVectors = [
        "..", ".", "%2e%2e", "%2E%2E", "..%2f..%2fsecret.txt", "%2e%2e%2f%2e%2e%2fsecret.txt", "demo%2f..%2f..",
        "..%5c..%5csecret.txt", "demo%5c..", "%c0%ae%c0%ae", "%c0%afetc",
        "%ef%bc%8e%ef%bc%8e", "%e2%80%a4%e2%80%a4", ".hidden", "-demo", "demo%2fimages", "%252e%252e",
        String(repeating: "a", count: 129), "~", "%7e", "demo%20", "linked",
    ]

    @Test(arguments: projectVectors)
    func projectIdsCannotLeaveTheLibrary(vector: String) throws {
        let fixture = try HardeningFixture()
        for target in ["/api/projects/\(vector)", "/api/projects/\(vector)/images/a.png",
                       "/api/projects/\(vector)/labels/cell/context", "/api/projects/\(vector)/labels/cell/export.zip"] {
            expectRefused(try fixture.get(target), target, fixture: fixture)
        }
        let add = try fixture.request("POST", "/api/projects/\(vector)/labels", json: #"{"label": "x"}"#)
        expectRefused(add, "add label to \(vector)", fixture: fixture)
        let upload = try fixture.request("POST", "/api/projects/\(vector)/images?name=z.png",
                                         body: try HardeningFixture.png(width: 4, height: 4, bright: true))
        expectRefused(upload, "upload into \(vector)", fixture: fixture)
        #expect(fixture.outsideFiles == HardeningFixture.outsideFiles)
    }

    static let imageVectors = [
        "..%2f..%2f..%2fsecret", "%2e%2e", "..", "leak", "..%5c..%5csecret", "a%00", "%c0%ae%c0%ae%2fsecret",
        "%2fetc%2fpasswd", ".a", "a%2f..%2f..%2fproject.json",
    ]

    @Test(arguments: imageVectors)
    func imageIdsAndLinksCannotLeaveTheProject(vector: String) throws {
        let fixture = try HardeningFixture()
        for target in ["/api/projects/demo/images/\(vector).png", "/api/projects/demo/images/\(vector)/raw",
                       "/api/projects/demo/labels/cell/images/\(vector)/mask.png"] {
            expectRefused(try fixture.get(target), target, fixture: fixture)
        }
        let accept = try fixture.request("POST", "/api/projects/demo/labels/cell/images/\(vector)/accept",
                                         json: try HardeningFixture.maskJSON(width: 40, height: 30))
        expectRefused(accept, "accept \(vector)", fixture: fixture)
        for method in ["PATCH", "DELETE"] {
            let response = try fixture.request(method, "/api/projects/demo/labels/cell/context/\(vector)",
                                               json: #"{"included": false}"#)
            expectRefused(response, "\(method) context \(vector)", fixture: fixture)
        }
    }

    @Test(arguments: ["..%2f..%2fsecret", "%2e%2e", "cell%00", "..%5ccell", ".cell", "cell%2f..%2f..%2fmasks"])
    func labelsCannotLeaveTheProject(vector: String) throws {
        let fixture = try HardeningFixture()
        for target in ["/api/projects/demo/labels/\(vector)/context", "/api/projects/demo/labels/\(vector)/export.zip",
                       "/api/projects/demo/labels/\(vector)/images/a/mask.png"] {
            expectRefused(try fixture.get(target), target, fixture: fixture)
        }
        let label = (vector.removingPercentEncoding ?? vector).replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\0", with: "\\u0000")
        let add = try fixture.request("POST", "/api/projects/demo/labels", json: #"{"label": "\#(label)"}"#)
        #expect(add.status == 422, "label \(vector) -> \(add.status) \(add.text)")
        #expect(fixture.outsideFiles == HardeningFixture.outsideFiles)
    }

    @Test func uploadNamesAreReducedToPlainIds() throws {
        let fixture = try HardeningFixture()
        // A different size for each upload: identical files are refused as duplicates.
        var size = 4
        func png() throws -> [UInt8] {
            size += 1
            return try HardeningFixture.png(width: size, height: 4, bright: true)
        }
        let names = ["..%2f..%2f..%2fevil.png": "evil", "..%5c..%5cevil2.png": "evil2", "%2fetc%2fpasswd": "passwd",
                     "%2e%2e": nil, "%c0%ae%c0%ae.png": nil, ".bashrc": "bashrc",
                     "%ef%bc%8e%ef%bc%8e%ef%bc%8fx.png": "x"] as [String: String?]
        for (name, expected) in names {
            let response = try fixture.request("POST", "/api/projects/demo/images?name=\(name)", body: try png())
            if let expected {
                #expect(response.status == 201, "\(name) -> \(response.status) \(response.text)")
                #expect(try response.json()["id"] as? String == expected, "\(name) -> \(response.text)")
            } else {
                #expect(response.status == 422, "\(name) -> \(response.status) \(response.text)")
            }
        }
        // A NUL ends the name (libmicrohttpd decodes it and C strings stop there): nothing after it counts.
        let nul = try fixture.request("POST", "/api/projects/demo/images?name=b%00%2f..%2f..%2fevil3.png", body: try png())
        #expect(nul.status == 201 || nul.status == 422, "\(nul.status) \(nul.text)")
        #expect(fixture.outsideFiles == HardeningFixture.outsideFiles, "\(fixture.outsideFiles)")
        let created = try fixture.request("POST", "/api/projects", json: #"{"name": "../../Evil/..", "labels": []}"#)
        #expect(try created.status == 201 && (created.json()["id"] as? String) == "evil")
        #expect(FileManager.default.fileExists(atPath: fixture.projects + "/evil/project.json"))
        let bad = try fixture.request("POST", "/api/projects", json: #"{"name": "../..", "labels": ["../x"]}"#)
        #expect(bad.status == 422)
    }

    @Test func linksLeavingTheProjectAreNotFollowed() throws {
        let fixture = try HardeningFixture()
        // An image link to a file outside: not listed, not served.
        let detail = try fixture.get("/api/projects/demo")
        #expect(detail.status == 200)
        let ids = (try detail.json()["images"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids == ["a", "alias"], "a link inside the project is fine, one leaving it is hidden: \(ids)")
        #expect(try fixture.get("/api/projects/demo/images/alias.png").status == 200)
        let leak = try fixture.get("/api/projects/demo/images/leak.png")
        #expect(leak.status == 403 && leak.text.contains("symbolic link"))
        expectRefused(leak, "leak.png", fixture: fixture)
        // A project folder that is a link out of the library: not listed, not opened.
        let list = try fixture.get("/api/projects")
        let projectIDs = (try list.json()["projects"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(!projectIDs.contains("linked") && projectIDs.contains("inner"), "\(projectIDs)")
        let linked = try fixture.get("/api/projects/linked/images/x.png")
        #expect(linked.status == 403)
        expectRefused(linked, "linked project", fixture: fixture)
        #expect(try fixture.get("/api/projects/inner/images/a.png").status == 200, "a link within the library is fine")
        // A masks folder that is a link: accepting writes nothing outside.
        let accept = try fixture.request("POST", "/api/projects/masked/labels/cell/images/a/accept",
                                         json: try HardeningFixture.maskJSON(width: 40, height: 30))
        #expect(accept.status == 403, "\(accept.status) \(accept.text)")
        #expect(fixture.files(under: fixture.directory.file("outside-masks")).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.file("outside-context/../outside-masks/cell/a.png")))
        // A context folder that is a link: neither read nor written.
        #expect(try fixture.get("/api/projects/ctx/labels/cell/context").status == 403)
        let acceptCtx = try fixture.request("POST", "/api/projects/ctx/labels/cell/images/a/accept",
                                            json: try HardeningFixture.maskJSON(width: 40, height: 30))
        #expect(acceptCtx.status == 403)
        let context = try String(contentsOfFile: fixture.directory.file("outside-context/cell.json"), encoding: .utf8)
        #expect(!context.contains("\"a\""), "the context manifest outside must stay untouched")
    }

    @Test func nulBytesEndThePath() throws {
        let fixture = try HardeningFixture()
        for target in ["/api/projects/demo%00/../../secret.txt", "/api/projects/demo/images/a%00/../../../../secret.png",
                       "/%00/../secret.txt", "/api/projects/linked%00"] {
            let response = try fixture.get(target)
            #expect(!response.text.contains(HardeningFixture.secretText) && response.body != Self.secretPNG, "\(target)")
            #expect(!response.text.contains(fixture.directory.path))
        }
    }

    @Test func fileSystemContainment() throws {
        let fixture = try HardeningFixture()
        let demo = FileSystem.resolved(fixture.projects + "/demo")!
        #expect(FileSystem.isInside(fixture.projects + "/demo/images/a.png", folder: demo))
        #expect(FileSystem.isInside(fixture.projects + "/demo/masks/cell/new.png", folder: demo), "missing files are fine")
        #expect(!FileSystem.isInside(fixture.projects + "/demo/images/leak.png", folder: demo))
        #expect(!FileSystem.isInside(fixture.projects + "/masked/masks/cell/a.png",
                                     folder: FileSystem.resolved(fixture.projects + "/masked")!))
        try FileManager.default.createSymbolicLink(atPath: fixture.projects + "/demo/images/dangling.png",
                                                   withDestinationPath: "/nonexistent/x.png")
        #expect(!FileSystem.isInside(fixture.projects + "/demo/images/dangling.png", folder: demo), "dangling links are refused")
    }
}
