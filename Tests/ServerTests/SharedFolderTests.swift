import Foundation
import Inference
import PNGCodec
import ProjectStore
import Server
import TestSupport
import Testing

/// Found by Tests/Hardening/collaborators_test.py: an outsider's file in a shared folder.
@Suite struct SharedFolderTests {
    /// Before: one `.png` in images/ that is not a PNG (a half-copied file, another tool's output)
    /// made GET /api/projects/:p a 422, so the whole project could no longer be opened.
    @Test func aForeignFileInImagesDoesNotHideTheProject() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let folder = fixture.app.configuration.projectsRoot + "/cells"
        try FileSystem.writeAtomically(Array("not a png".utf8), to: folder + "/images/foreign.png")
        try FileSystem.writeAtomically(Array("notes".utf8), to: folder + "/images/notes.txt")
        let response = try fixture.request("GET", "/api/projects/cells")
        #expect(response.status == 200, "\(response.text)")
        let detail = try response.json()
        let images = try #require(detail["images"] as? [[String: Any]])
        #expect(images.map { $0["id"] as? String } == ["a", "b", "c"])
        #expect(detail["unreadableImages"] as? [String] == ["foreign"])
    }

    /// Before: the app looked for a collaborator's changes only after its worker had been idle for
    /// 2 s, so while this app's user kept predicting, the other app's accepts never reached the page.
    @Test func aBusyAppStillHearsOfTheOtherAppsAccepts() throws {
        let first = try LabelingFixture.slow()
        try first.makeProject()
        let second = try LabelingFixture(
            model: ModelRunner(name: "fake", predictor: try Predictor(network: SlowThresholdNetwork(delay: 0.2))),
            sharing: first)
        let (fd, events) = try second.events(session: "busy")
        defer { close(fd) }
        // Keep the second app's worker busy for 5 s with predictions that cannot come from a cache.
        let busyUntil = Date().addingTimeInterval(5)
        let port = second.port
        let busy = Thread {
            var seq = 0
            while Date() < busyUntil {
                seq += 1
                let json = #"{"session": "busy", "seq": \#(seq), "clicks": [{"x": \#(seq % 40), "y": 5}]}"#
                _ = try? HTTPTestClient.request(port: port, method: "POST", target: "/api/projects/cells/labels/nucleus/images/c/predict",
                                                body: Array(json.utf8))
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        busy.start()
        Thread.sleep(forTimeInterval: 0.5)
        let mask = try PNGImage.maskPNG((0..<(40 * 30)).map { $0 % 40 < 20 }, width: 40, height: 30)
        let body = #"{"maskPNG": "\#(Data(mask).base64EncodedString())", "annotator": "first"}"#
        #expect(try first.request("POST", "/api/projects/cells/labels/nucleus/images/a/accept", json: body).status == 200)
        let change = try events.next(named: "context").json()
        let heard = Date()
        #expect(change["contextSize"] as? Int == 1)
        #expect(heard < busyUntil, "the context change was announced only after the worker went idle")
        while Date() < busyUntil { Thread.sleep(forTimeInterval: 0.1) }
    }
}
