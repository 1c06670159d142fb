import Foundation
import Inference
import MicroHTTP
import PNGCodec
import ProjectStore
@testable import Server
import TestSupport
import Testing

/// What the load test (Tests/Hardening/load_test.py) found, pinned down one case at a time.
@Suite(.serialized) struct PredictionLoadTests {
    static let click = #""clicks": [{"x": 5, "y": 5}]"#

    /// Collects the answers (prediction / superseded / failed) until `count` have come.
    static func answers(_ reader: EventReader, count: Int) throws -> [(String, Int)] {
        var seen: [(String, Int)] = []
        while seen.count < count {
            let event = try reader.next(timeout: 30)
            guard ["prediction", "superseded", "failed"].contains(event.name) else { continue }
            seen.append((event.name, try event.json()["seq"] as? Int ?? -1))
        }
        return seen
    }

    @Test func anOlderRequestArrivingLateIsSupersededNotPredictedInsteadOfTheNewest() throws {
        let edge = try EdgeApp(delay: 0.3)
        try edge.makeProject()
        #expect(edge.upload("a.png", try EdgeApp.grey(40, 30) { x, _ in x < 20 ? 240 : 5 }).status == 201)
        let reader = try edge.events(session: "s")
        // Requests travel on several connections: 12 may overtake 11.
        for seq in [10, 12, 11] { #expect(edge.predict("a", session: "s", seq: seq, Self.click).status == 202) }
        let seen = try Self.answers(reader, count: 3)
        let predicted = seen.filter { $0.0 == "prediction" }.map(\.1)
        #expect(predicted.last == 12 && predicted == predicted.sorted(), "\(seen)")
        #expect(seen.contains { $0 == ("superseded", 11) }, "\(seen)")
    }

    @Test func aSlowOlderPredictionNeverFollowsACachedNewerOne() throws {
        let edge = try EdgeApp(delay: 0.5)
        try edge.makeProject()
        #expect(edge.upload("a.png", try EdgeApp.grey(40, 30) { x, _ in x < 20 ? 240 : 5 }).status == 201)
        let reader = try edge.events(session: "s")
        // The image's in-context prediction gets cached...
        #expect(edge.predict("a", session: "s", seq: 1).status == 202)
        #expect(try reader.answer(seq: 1).name == "prediction")
        // ...then a click runs on the worker while the page goes back to no interactions,
        // which the cache answers at once.
        #expect(edge.predict("a", session: "s", seq: 2, Self.click).status == 202)
        Thread.sleep(forTimeInterval: 0.15)
        #expect(edge.predict("a", session: "s", seq: 3).status == 202)
        let seen = try Self.answers(reader, count: 2)
        #expect(seen.map(\.0) == ["prediction", "superseded"] && seen.map(\.1) == [3, 2], "\(seen)")
    }

    @Test func closedPagesAreForgottenAndTheirRequestsRefused() throws {
        let edge = try EdgeApp()
        try edge.makeProject()
        #expect(edge.upload("a.png", try EdgeApp.grey(40, 30) { x, _ in x < 20 ? 240 : 5 }).status == 201)
        for n in 0..<40 {
            let reader = try edge.events(session: "page-\(n)")
            #expect(edge.predict("a", session: "page-\(n)", seq: 1, Self.click).status == 202)
            _ = try reader.answer(seq: 1)
            reader.stream.close()  // the tab is closed
        }
        #expect(edge.predict("a", session: "page-3", seq: 2, Self.click).status == 409)
        _ = try edge.events(session: "last")
        #expect(edge.app.predictions.sessionCount == 1)
    }

    /// Each page holds a connection thread; past the limit a page is told to close tabs, and
    /// the server's remaining connections stay free for API calls.
    @Test func eventStreamsAreCappedBelowTheConnectionLimit() throws {
        let edge = try EdgeApp(maxEventStreams: 3)
        try edge.makeProject()
        let readers = try (0..<3).map { try edge.events(session: "page-\($0)") }
        let refused = edge.call("GET", "/api/projects/edge/labels/cell/events", query: ["session": "page-3"])
        #expect(refused.status == 503 && refused.text.contains("close some tabs"), "\(refused.text)")
        // A page reconnecting under its own session id is not a new page.
        _ = try edge.events(session: "page-1")
        readers[0].stream.close()
        _ = try edge.events(session: "page-3")
        #expect(edge.call("GET", "/api/health").status == 200)
    }
}
