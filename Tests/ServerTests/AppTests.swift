import Foundation
import Inference
import MicroHTTP
import Server
import TestSupport
import Testing

@Suite struct AppTests {
    /// A projects folder with one good project, one with a broken manifest and one plain folder,
    /// and a Public folder with a home page.
    final class Fixture {
        let directory: TemporaryDirectory
        let server: HTTPServer

        init(weights: Bool) throws {
            directory = try TemporaryDirectory()
            let fm = FileManager.default
            let projects = directory.file("Projects")
            try fm.createDirectory(atPath: projects + "/good/images", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: projects + "/broken", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: projects + "/not-a-project", withIntermediateDirectories: true)
            try #"{"schema": 1, "name": "Good", "labels": ["cell"]}"#
                .write(toFile: projects + "/good/project.json", atomically: true, encoding: .utf8)
            for name in ["a.png", "b.png", "notes.txt"] {
                fm.createFile(atPath: projects + "/good/images/" + name, contents: Data())
            }
            try "{ not json".write(toFile: projects + "/broken/project.json", atomically: true, encoding: .utf8)
            let publicRoot = directory.file("Public")
            try fm.createDirectory(atPath: publicRoot, withIntermediateDirectories: true)
            try "<title>MultiverSeg</title>".write(toFile: publicRoot + "/index.html", atomically: true, encoding: .utf8)
            let model = weights
                ? ModelRunner(name: "default.safetensors", predictor: try Predictor(network: SlowThresholdNetwork(delay: 0)))
                : nil
            let app = try App(configuration: .init(projectsRoot: projects, publicRoot: publicRoot), model: model)
            server = try HTTPServer(configuration: .init(port: 0), router: app.router())
        }

        func get(_ target: String) throws -> RawHTTPResponse {
            try HTTPTestClient.request(port: server.port, target: target)
        }

        deinit {
            server.stop()
            directory.remove()
        }
    }

    @Test func healthReportsVersionModelAndProjectCount() throws {
        let fixture = try Fixture(weights: true)
        let response = try fixture.get("/api/health")
        #expect(response.status == 200)
        let json = try response.json()
        #expect(json["status"] as? String == "ok")
        #expect(json["version"] as? String == MultiverSegVersion.string)
        #expect(json["projects"] as? Int == 1)
        let model = try #require(json["model"] as? [String: Any])
        #expect(model["name"] as? String == "default.safetensors")
        #expect(model["available"] as? Bool == true)
        #expect(!response.text.contains(fixture.directory.path), "health must not reveal paths")
    }

    @Test func healthSaysWhenWeightsAreMissing() throws {
        let fixture = try Fixture(weights: false)
        let model = try #require(try fixture.get("/api/health").json()["model"] as? [String: Any])
        #expect(model["available"] as? Bool == false)
        #expect((model["problem"] as? String)?.isEmpty == false)
    }

    @Test func listsProjectsAndSkipsBrokenOnes() throws {
        let fixture = try Fixture(weights: false)
        let projects = try #require(try fixture.get("/api/projects").json()["projects"] as? [[String: Any]])
        #expect(projects.count == 1)
        #expect(projects.first?["id"] as? String == "good")
        #expect(projects.first?["imageCount"] as? Int == 2)
        #expect(projects.first?["labels"] as? [String] == ["cell"])
    }

    @Test func servesTheHomePageAndJSON404sForUnknownAPI() throws {
        let fixture = try Fixture(weights: false)
        #expect(try fixture.get("/").text.contains("MultiverSeg"))
        let unknown = try fixture.get("/api/nothing-here")
        #expect(unknown.status == 404)
        #expect(unknown.headers["content-type"]?.hasPrefix("application/json") == true)
    }
}
