import Foundation
import Inference
import MicroHTTP
import PNGCodec
import ProjectStore
import Server
import TestSupport
import Testing

/// A network that takes `delay` seconds and predicts foreground where the target image is bright.
final class SlowThresholdNetwork: SegmentationNetwork {
    let resolution = 16
    let delay: TimeInterval
    init(delay: TimeInterval) { self.delay = delay }
    func logits(target: [Float], context: [ContextPair]) throws -> [Float] {
        Thread.sleep(forTimeInterval: delay)
        return target[0..<(resolution * resolution)].map { $0 > 0.5 ? 4 : -4 }
    }
}

/// An app on an ephemeral port over an empty projects folder.
final class LabelingFixture {
    let directory: TemporaryDirectory
    let app: App
    let server: HTTPServer
    var port: UInt16 { server.port }

    init(model: ModelRunner?, sharing other: LabelingFixture? = nil) throws {
        directory = try TemporaryDirectory()
        let projects = other?.directory.file("Projects") ?? directory.file("Projects")
        let publicRoot = directory.file("Public")
        try FileManager.default.createDirectory(atPath: projects, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: publicRoot, withIntermediateDirectories: true)
        app = try App(configuration: .init(projectsRoot: projects, publicRoot: publicRoot), model: model)
        server = try HTTPServer(configuration: .init(port: 0, maxBodyBytes: 1 << 20), router: app.router())
    }

    static func slow(_ delay: TimeInterval = 0) throws -> LabelingFixture {
        let predictor = try Predictor(network: SlowThresholdNetwork(delay: delay))
        return try LabelingFixture(model: ModelRunner(name: "fake", predictor: predictor))
    }

    func request(_ method: String, _ target: String, json: String? = nil, body: [UInt8] = []) throws -> RawHTTPResponse {
        try HTTPTestClient.request(port: port, method: method, target: target,
                                   body: json.map { Array($0.utf8) } ?? body)
    }

    /// A 40 x 30 image whose left half is bright (the fake network's foreground).
    static func imagePNG(bitDepth: Int = 8, colour: Bool = false) throws -> [UInt8] {
        let high: UInt16 = bitDepth == 16 ? 60000 : 250
        let grey = (0..<(40 * 30)).map { i -> UInt16 in i % 40 < 20 ? high : 10 }
        if colour {
            return try PNGImage.encode(samples: grey.flatMap { [$0, $0, $0] }, width: 40, height: 30,
                                       colorType: .rgb, bitDepth: bitDepth)
        }
        return try PNGImage.encode(samples: grey, width: 40, height: 30, colorType: .grey, bitDepth: bitDepth)
    }

    /// Creates project "cells" with label "nucleus" and three images a, b, c.
    func makeProject() throws {
        #expect(try request("POST", "/api/projects", json: #"{"name": "Cells", "labels": ["nucleus"]}"#).status == 201)
        for (name, png) in [("a.png", try Self.imagePNG()), ("b.png", try Self.imagePNG(bitDepth: 16)),
                            ("c.png", try Self.imagePNG(colour: true))] {
            let response = try request("POST", "/api/projects/cells/images?name=\(name)", body: png)
            #expect(response.status == 201, "\(response.text)")
        }
    }

    func events(session: String) throws -> (Int32, SSEReader) {
        let fd = try HTTPTestClient.open(port: port, target: "/api/projects/cells/labels/nucleus/events?session=\(session)")
        let reader = SSEReader(fd: fd)
        #expect(try reader.next().name == "hello")
        return (fd, reader)
    }

    func predict(_ image: String, session: String, seq: Int, clicks: String = "[]") throws -> RawHTTPResponse {
        try request("POST", "/api/projects/cells/labels/nucleus/images/\(image)/predict",
                    json: #"{"session": "\#(session)", "seq": \#(seq), "clicks": \#(clicks)}"#)
    }

    deinit {
        app.stop()
        server.stop()
        directory.remove()
    }
}

@Suite struct LabelingAPITests {
    @Test func projectDetailListsImagesWithSizes() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let detail = try fixture.request("GET", "/api/projects/cells").json()
        let images = try #require(detail["images"] as? [[String: Any]])
        #expect(images.map { $0["id"] as? String } == ["a", "b", "c"])
        #expect(images.map { $0["bitDepth"] as? Int } == [8, 16, 8])
        #expect(images.allSatisfy { $0["width"] as? Int == 40 && $0["height"] as? Int == 30 })
        let raw = try fixture.request("GET", "/api/projects/cells/images/b/raw")
        #expect(raw.headers["x-max-value"] == "65535" && raw.body.count == 40 * 30 * 2)
        #expect(raw.body[0] == UInt8(60000 & 0xFF) && raw.body[1] == UInt8(60000 >> 8))
        let original = try fixture.request("GET", "/api/projects/cells/images/c.png")
        let expected = try LabelingFixture.imagePNG(colour: true)
        #expect(original.headers["content-type"] == "image/png" && original.body == expected)
    }

    /// The project page's mask import asks which image each file is for (`MaskFileMatcher`, the
    /// rule of `import-masks`), in the order sent, with null and the reason for a file that names none.
    @Test func maskFileNamesAreMatchedByTheServer() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let answer = try fixture.request("POST", "/api/projects/cells/labels/nucleus/masks/match",
                                         json: #"{"files": ["b_Annotation.png", "A.tif", "elsewhere.png"]}"#)
        #expect(answer.status == 200, "\(answer.text)")
        let matches = try #require(try answer.json()["matches"] as? [[String: Any]])
        #expect(matches.map { $0["file"] as? String } == ["b_Annotation.png", "A.tif", "elsewhere.png"])
        #expect(matches.map { $0["image"] as? String } == ["b", "a", nil] && matches[2]["image"] is NSNull)
        #expect(matches[0]["reason"] is NSNull && matches[2]["reason"] as? String == MaskFileMatcher.noMatch)
        #expect(try fixture.request("POST", "/api/projects/cells/labels/nope/masks/match", json: #"{"files": []}"#).status == 404)
        #expect(try fixture.request("POST", "/api/projects/cells/labels/nucleus/masks/match", json: #"{"names": []}"#).status == 400)
    }

    @Test func predictionArrivesOnTheEventStream() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let (fd, events) = try fixture.events(session: "s1")
        defer { close(fd) }
        let response = try fixture.predict("a", session: "s1", seq: 1, clicks: #"[{"x": 5, "y": 5, "positive": true}]"#)
        #expect(response.status == 202)
        let prediction = try events.next(named: "prediction").json()
        #expect(prediction["seq"] as? Int == 1)
        #expect(prediction["image"] as? String == "a")
        #expect((prediction["latencyMs"] as? Double ?? -1) >= 0)
        let png = try #require(Data(base64Encoded: prediction["maskPNG"] as? String ?? ""))
        let mask = try PNGImage(decoding: [UInt8](png))
        #expect(mask.width == 40 && mask.height == 30)
        // The fake network marks the bright left half: the mask comes back at the original size.
        #expect(mask.samples[0] == 255 && mask.samples[39] == 0)
    }

    @Test func newerRequestsSupersedePendingOnes() throws {
        let fixture = try LabelingFixture.slow(0.3)
        try fixture.makeProject()
        let (fd, events) = try fixture.events(session: "s1")
        defer { close(fd) }
        for seq in 1...4 { #expect(try fixture.predict("a", session: "s1", seq: seq).status == 202) }
        var seen: [(String, Int)] = []
        while seen.last.map({ $0 != ("prediction", 4) }) ?? true {
            let event = try events.next()
            guard event.name == "prediction" || event.name == "superseded" else { continue }
            seen.append((event.name, try event.json()["seq"] as? Int ?? -1))
        }
        let predicted = seen.filter { $0.0 == "prediction" }.map(\.1)
        // The first request may already be running; at most it and the newest are computed.
        #expect(predicted.last == 4 && predicted.count <= 2, "\(seen)")
        #expect(seen.filter { $0.0 == "superseded" }.count >= 2, "\(seen)")
    }

    @Test func acceptBuildsContextAndMovesOn() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let (watchFD, watching) = try fixture.events(session: "s1")
        defer { close(watchFD) }
        // The project's detail is answered again as it was until something changes, then anew.
        let before = try fixture.request("GET", "/api/projects/cells").body
        #expect(try fixture.request("GET", "/api/projects/cells").body == before)
        let mask = try PNGImage.maskPNG((0..<(40 * 30)).map { $0 % 40 < 20 }, width: 40, height: 30)
        let body = #"{"maskPNG": "\#(Data(mask).base64EncodedString())", "annotator": "ana", "interactions": 3}"#
        let accepted = try fixture.request("POST", "/api/projects/cells/labels/nucleus/images/a/accept", json: body)
        #expect(accepted.status == 200, "\(accepted.text)")
        #expect(try accepted.json()["contextSize"] as? Int == 1)
        // The context event the accept causes names the revision the accept answered: the page
        // that accepted knows the change is its own.
        let revision = try #require(try accepted.json()["contextRevision"] as? String)
        #expect(revision.count == 16 && revision != ContextRevision(manifest: nil).fingerprint)
        let event = try watching.next(named: "context").json()
        #expect(event["revision"] as? String == revision && event["image"] as? String == "a")
        let state = event["state"] as? [String: Any]
        #expect(state?["accepted"] as? Bool == true && state?["inContext"] as? Bool == true && state?["interactions"] as? Int == 3)
        let after = try fixture.request("GET", "/api/projects/cells").json()
        let images = try #require(after["images"] as? [[String: Any]])
        let a = try #require(images.first { $0["id"] as? String == "a" }?["labels"] as? [String: [String: Any]])
        #expect(a["nucleus"]?["accepted"] as? Bool == true && a["nucleus"]?["interactions"] as? Int == 3)
        let context = try fixture.request("GET", "/api/projects/cells/labels/nucleus/context").json()
        let entries = try #require(context["entries"] as? [[String: Any]])
        #expect(entries.first?["id"] as? String == "a" && entries.first?["interactions"] as? Int == 3)
        let next = try fixture.request("GET", "/api/projects/cells/labels/nucleus/next?after=a").json()
        #expect(next["id"] as? String == "b" && next["remaining"] as? Int == 2)
        let stored = try fixture.request("GET", "/api/projects/cells/labels/nucleus/images/a/mask.png")
        #expect(stored.status == 200 && stored.body == mask)
        // The next image's prediction was prepared after the accept, and uses the new context.
        let (fd, events) = try fixture.events(session: "s2")
        defer { close(fd) }
        _ = try fixture.predict("b", session: "s2", seq: 0)
        let prediction = try events.next(named: "prediction").json()
        #expect(prediction["contextSize"] as? Int == 1)

        let excluded = try fixture.request("PATCH", "/api/projects/cells/labels/nucleus/context/a", json: #"{"included": false}"#)
        #expect(try excluded.json()["included"] as? Bool == false)
        #expect(try fixture.request("DELETE", "/api/projects/cells/labels/nucleus/context/a").status == 204)
        let zip = try fixture.request("GET", "/api/projects/cells/labels/nucleus/export.zip")
        #expect(zip.headers["content-type"] == "application/zip" && zip.body.starts(with: [0x50, 0x4B, 0x03, 0x04]))
    }

    @Test func twoAppsOnOneSharedFolderSeeEachOthersWork() throws {
        let first = try LabelingFixture.slow()
        try first.makeProject()
        let second = try LabelingFixture(
            model: ModelRunner(name: "fake", predictor: try Predictor(network: SlowThresholdNetwork(delay: 0))),
            sharing: first)
        let (fd, events) = try second.events(session: "b")
        defer { close(fd) }
        _ = try second.predict("c", session: "b", seq: 1)
        #expect(try events.next(named: "prediction").json()["contextSize"] as? Int == 0)

        // The first app accepts two masks; the second app's page hears of it and predicts with them.
        let mask = try PNGImage.maskPNG((0..<(40 * 30)).map { $0 % 40 < 20 }, width: 40, height: 30)
        for image in ["a", "b"] {
            let body = #"{"maskPNG": "\#(Data(mask).base64EncodedString())", "annotator": "first"}"#
            #expect(try first.request("POST", "/api/projects/cells/labels/nucleus/images/\(image)/accept", json: body).status == 200)
        }
        let change = try events.next(named: "context").json()
        #expect((change["contextSize"] as? Int ?? 0) >= 1)
        _ = try second.predict("c", session: "b", seq: 2)
        #expect(try events.next(named: "prediction").json()["contextSize"] as? Int == 2)
        let context = try second.request("GET", "/api/projects/cells/labels/nucleus/context").json()
        #expect((context["entries"] as? [[String: Any]])?.map { $0["annotator"] as? String } == ["first", "first"])
    }

    @Test func invalidRequestsGetClearErrors() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let cases: [(String, String, String?, [UInt8], Int, String)] = [
            ("GET", "/api/projects/nope", nil, [], 404, "no project"),
            ("GET", "/api/projects/cells/labels/cell/context", nil, [], 404, "no label"),
            ("GET", "/api/projects/cells/images/zzz.png", nil, [], 404, "no image"),
            ("POST", "/api/projects", #"{"labels": []}"#, [], 400, "'name'"),
            ("POST", "/api/projects/cells/images?name=x.png", nil, [1, 2, 3], 422, "not a usable image"),
            ("POST", "/api/projects/cells/images", nil, [1], 400, "?name="),
            ("POST", "/api/projects/cells/labels/nucleus/images/a/predict",
             #"{"session": "s", "seq": 1, "clicks": [{"x": 400, "y": 5}]}"#, [], 400, "outside"),
            ("POST", "/api/projects/cells/labels/nucleus/images/a/predict", #"{"session": "s", "seq": 1}"#, [], 409, "event stream"),
            ("POST", "/api/projects/cells/labels/nucleus/images/a/accept", #"{"maskPNG": "!!"}"#, [], 400, "base64"),
            ("POST", "/api/projects/cells/labels/nucleus/images/a/accept",
             #"{"maskPNG": "\#(Data(try PNGImage.maskPNG([true], width: 1, height: 1)).base64EncodedString())"}"#, [], 422, "1 x 1"),
            ("DELETE", "/api/projects/cells/labels/nucleus/context/b", nil, [], 404, "not in the context"),
            ("GET", "/api/projects/cells/labels/nucleus/next?order=best", nil, [], 400, "order"),
            ("GET", "/api/projects/..%2F..%2Fetc/labels/nucleus/context", nil, [], 404, "no API endpoint"),
            ("GET", "/api/projects/..%2e/labels/nucleus/context", nil, [], 422, "invalid project id"),
        ]
        for (method, target, json, body, status, message) in cases {
            let response = try fixture.request(method, target, json: json, body: body)
            #expect(response.status == status, "\(method) \(target): \(response.status) \(response.text)")
            let error = (try? response.json()["error"] as? String) ?? ""
            #expect(error.contains(message) || response.text.contains(message), "\(target): \(response.text)")
            #expect(!response.text.contains(fixture.directory.path))
        }
    }

    @Test func withoutAModelPredictionsAre503ButProjectsWork() throws {
        let fixture = try LabelingFixture(model: nil)
        try fixture.makeProject()
        // The page's event stream still opens (collaborators' context changes reach it).
        let (fd, _) = try fixture.events(session: "s")
        close(fd)
        let response = try fixture.predict("a", session: "s", seq: 1)
        #expect(response.status == 503)
        let model = try fixture.request("GET", "/api/health").json()["model"] as? [String: Any]
        #expect(model?["available"] as? Bool == false)
    }
}
