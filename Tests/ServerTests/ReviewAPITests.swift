import Foundation
import Imaging
import MicroHTTP
import PNGCodec
import ProjectStore
import Server
import TestSupport
import Testing
import ZIP

/// The review queue's routes: listing proposals (most uncertain first, filtered, counted),
/// accepting and rejecting them, drafts, refining from a proposal, and exporting them.
@Suite struct ReviewAPITests {
    let base = "/api/projects/cells/labels/nucleus/proposals"

    func maskPNG(_ left: Int = 20) throws -> [UInt8] {
        try PNGImage.maskPNG((0..<(40 * 30)).map { $0 % 40 < left }, width: 40, height: 30)
    }

    /// The fixture's project with an accepted mask of a, a proposal of b from the current context
    /// (uncertainty 0.1) and a stale one of c (0.4).
    func fixtureWithProposals() throws -> (LabelingFixture, Project) {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let project = try ProjectLibrary(root: fixture.directory.file("Projects")).project("cells")
        try project.accept(label: "nucleus", image: "a", mask: try BinaryMask(png: maskPNG()), annotator: "ana", interactions: 2)
        let current = project.contextRevision(label: "nucleus").fingerprint
        try project.saveProposal(label: "nucleus", image: "b", mask: try BinaryMask(png: maskPNG(10)),
                                 record: ProposalRecord(contextRevision: current, uncertainty: 0.1, model: "m", contextSize: 1))
        try project.saveProposal(label: "nucleus", image: "c", mask: try BinaryMask(png: maskPNG(30)),
                                 record: ProposalRecord(contextRevision: "0000000000000000", uncertainty: 0.4, model: "m", contextSize: 1))
        return (fixture, project)
    }

    @Test func theQueueIsListedMostUncertainFirstWithCountsAndAFilter() throws {
        let (fixture, _) = try fixtureWithProposals()
        let queue = try fixture.request("GET", base).json()
        let items = try #require(queue["items"] as? [[String: Any]])
        #expect(items.map { $0["image"] as? String } == ["c", "b"])
        #expect(items.map { $0["stale"] as? Bool } == [true, false])
        #expect(queue["accepted"] as? Int == 1 && queue["proposed"] as? Int == 2 && queue["remaining"] as? Int == 0)
        #expect(queue["stale"] as? Int == 1 && queue["shown"] as? Int == 2)
        #expect(queue["refreshCommand"] as? String == "multiverseg propagate --project cells --label nucleus")
        let filtered = try fixture.request("GET", base + "?max-uncertainty=0.2").json()
        #expect((filtered["items"] as? [[String: Any]])?.map { $0["image"] as? String } == ["b"])
        #expect(filtered["proposed"] as? Int == 2 && filtered["shown"] as? Int == 1)
        let above = try fixture.request("GET", base + "?min-uncertainty=0.3&max-uncertainty=1").json()
        #expect((above["items"] as? [[String: Any]])?.map { $0["image"] as? String } == ["c"])
        for bad in ["?min-uncertainty=abc", "?max-uncertainty=2", "?min-uncertainty=nan", "?max-uncertainty=-0.5"] {
            let response = try fixture.request("GET", base + bad)
            #expect(response.status == 400 && response.text.contains("from 0 to 1"), "\(bad): \(response.text)")
        }
        let png = try fixture.request("GET", base + "/c/mask.png")
        #expect(png.status == 200 && png.headers["content-type"] == "image/png")
        #expect(try BinaryMask(png: png.body) == BinaryMask(png: maskPNG(30)))
        #expect(try fixture.request("GET", base + "/a/mask.png").status == 404)
        #expect(try fixture.request("GET", "/api/projects/cells/labels/bone/proposals").status == 404)
    }

    /// `?offset=&limit=` give one page of the (filtered) queue; counts stay those of the whole.
    @Test func theQueueIsPaged() throws {
        let (fixture, _) = try fixtureWithProposals()
        let images = { (queue: [String: Any]) in (queue["items"] as? [[String: Any]])?.compactMap { $0["image"] as? String } }
        let first = try fixture.request("GET", base + "?offset=0&limit=1").json()
        #expect(images(first) == ["c"] && first["offset"] as? Int == 0 && first["shown"] as? Int == 2)
        #expect(first["proposed"] as? Int == 2 && first["stale"] as? Int == 1)
        let second = try fixture.request("GET", base + "?offset=1&limit=1").json()
        #expect(images(second) == ["b"] && second["offset"] as? Int == 1)
        // Past the end: no items, the offset clamped to the count, so a page knows where the queue ends.
        let past = try fixture.request("GET", base + "?offset=5&limit=1").json()
        #expect(images(past) == [] && past["offset"] as? Int == 2 && past["shown"] as? Int == 2)
        let filtered = try fixture.request("GET", base + "?max-uncertainty=0.2&offset=0&limit=10").json()
        #expect(images(filtered) == ["b"] && filtered["shown"] as? Int == 1)
        #expect(images(try fixture.request("GET", base + "?limit=0").json()) == [])
        for bad in ["?offset=-1", "?limit=x", "?offset=1.5"] {
            let response = try fixture.request("GET", base + bad)
            #expect(response.status == 400 && response.text.contains("whole number"), "\(bad): \(response.text)")
        }
    }

    @Test func acceptingAndRejectingThroughTheAPI() throws {
        let (fixture, project) = try fixtureWithProposals()
        let items = try #require(try fixture.request("GET", base).json()["items"] as? [[String: Any]])
        let tagOfB = try #require(items.first { $0["image"] as? String == "b" }?["tag"] as? String)
        // A tag that is not the one listed: someone changed the proposal meanwhile.
        let stale = try fixture.request("POST", base + "/b/accept", json: #"{"annotator": "bo", "tag": "0123"}"#)
        #expect(stale.status == 409 && stale.text.contains("replaced meanwhile"), "\(stale.text)")
        let accepted = try fixture.request("POST", base + "/b/accept", json: #"{"annotator": "bo", "tag": "\#(tagOfB)"}"#)
        #expect(accepted.status == 200, "\(accepted.text)")
        #expect(try accepted.json()["contextSize"] as? Int == 2 && accepted.json()["interactions"] as? Int == 0)
        let entry = try project.context(label: "nucleus").entry("b")
        #expect(entry?.annotator == "bo" && entry?.interactions == 0)
        #expect(try fixture.request("GET", "/api/projects/cells/labels/nucleus/images/b/mask.png").body == maskPNG(10))
        #expect(try fixture.request("POST", base + "/b/accept", json: #"{"annotator": "bo"}"#).status == 409)

        #expect(try fixture.request("POST", base + "/c/reject", json: #"{"annotator": "bo"}"#).status == 204)
        #expect(try project.rejection(label: "nucleus", image: "c")?.contextRevision == "0000000000000000")
        #expect(!project.isAccepted(label: "nucleus", image: "c"))
        #expect(try fixture.request("POST", base + "/c/reject", json: #"{"annotator": "bo"}"#).status == 404)
        let after = try fixture.request("GET", base).json()
        #expect(after["accepted"] as? Int == 2 && after["proposed"] as? Int == 0 && after["remaining"] as? Int == 1)

        // Hostile or malformed requests change nothing.
        #expect(try fixture.request("POST", base + "/..%2Fa/accept", json: #"{"annotator": "x"}"#).status >= 400)
        #expect(try fixture.request("POST", base + "/c/accept", json: "{").status == 400)
        #expect(try fixture.request("POST", base + "/c/accept", json: #"{"annotator": 5}"#).status == 400)
        #expect(try fixture.request("POST", base + "/zzz/reject", json: "{}").status == 404)
    }

    @Test func draftsJoinTheQueueAndNeverGoStale() throws {
        let (fixture, project) = try fixtureWithProposals()
        try project.rejectProposal(label: "nucleus", image: "c", annotator: "x")
        let body = #"{"maskPNG": "\#(Data(try maskPNG(5)).base64EncodedString())", "fileName": "c_mask.png"}"#
        let saved = try fixture.request("POST", base + "/c/draft", json: body)
        #expect(saved.status == 201, "\(saved.text)")
        let items = try #require(try fixture.request("GET", base).json()["items"] as? [[String: Any]])
        let draft = try #require(items.first { $0["image"] as? String == "c" })
        #expect(draft["draft"] as? Bool == true && draft["stale"] as? Bool == false && draft["importedFrom"] as? String == "c_mask.png")
        #expect(!project.isAccepted(label: "nucleus", image: "c"))
        // An accepted image takes no draft; a mask of another size is refused.
        let onAccepted = try fixture.request("POST", base + "/a/draft", json: body)
        #expect(onAccepted.status == 409 && onAccepted.text.contains("accepted mask already"))
        let small = try PNGImage.maskPNG([true, false, true, false], width: 2, height: 2)
        let wrong = try fixture.request("POST", base + "/b/draft", json: #"{"maskPNG": "\#(Data(small).base64EncodedString())"}"#)
        #expect(wrong.status == 422)
        #expect(try fixture.request("POST", base + "/b/draft", json: #"{"maskPNG": "!!"}"#).status == 400)
    }

    @Test func refiningStartsFromTheProposal() throws {
        let (fixture, _) = try fixtureWithProposals()
        let (fd, events) = try fixture.events(session: "r1")
        defer { close(fd) }
        let predict = "/api/projects/cells/labels/nucleus/images/c/predict"
        let response = try fixture.request("POST", predict, json: #"{"session": "r1", "seq": 1, "clicks": [{"x": 3, "y": 3}], "fromProposal": true}"#)
        #expect(response.status == 202, "\(response.text)")
        #expect(try events.next(named: "prediction").json()["seq"] as? Int == 1)
        // An image without a proposal has nothing to refine from.
        let none = try fixture.request("POST", "/api/projects/cells/labels/nucleus/images/a/predict",
                                       json: #"{"session": "r1", "seq": 2, "fromProposal": true}"#)
        #expect(none.status == 404 && none.text.contains("no proposal"), "\(none.text)")
    }

    @Test func theServerRefreshesStaleProposalsWithProgressOnTheEventStream() throws {
        let (fixture, project) = try fixtureWithProposals()
        let (fd, events) = try fixture.events(session: "watch")
        defer { close(fd) }
        let answer = try fixture.request("POST", base + "/refresh")
        #expect(answer.status == 202, "\(answer.text)")
        #expect(try answer.json()["stale"] as? Int == 1)
        let progress = try events.next(named: "refresh").json()
        #expect(progress["image"] as? String == "c" && progress["done"] as? Int == 1 && progress["total"] as? Int == 1)
        let current = project.contextRevision(label: "nucleus").fingerprint
        let record = try #require(try project.proposal(label: "nucleus", image: "c"))
        #expect(record.contextRevision == current && record.model == "fake" && record.contextSize == 1)
        // The fake network marks the bright left half.
        let mask = try BinaryMask(png: #require(try project.proposalPNG(label: "nucleus", image: "c")))
        #expect(mask.pixels[0] && !mask.pixels[39])
        let queue = try fixture.request("GET", base).json()
        #expect(queue["stale"] as? Int == 0 && queue["refreshing"] as? Int == 0)
        // The fresh proposal of b was not touched, nor was anything accepted.
        #expect(try project.proposal(label: "nucleus", image: "b")?.uncertainty == 0.1)
        #expect(!project.isAccepted(label: "nucleus", image: "c"))
        // Nothing stale: nothing queued. Without a model: 503.
        #expect(try fixture.request("POST", base + "/refresh").json()["queued"] as? Int == 0)
        let modelless = try LabelingFixture(model: nil)
        try modelless.makeProject()
        #expect(try modelless.request("POST", base + "/refresh").status == 503)
    }

    @Test func exportHoldsAcceptedMasksAndOnRequestTheRemainingProposalsMarked() throws {
        let (fixture, _) = try fixtureWithProposals()
        #expect(try fixture.request("POST", base + "/b/accept", json: #"{"annotator": "bo"}"#).status == 200)
        let plain = try ZipArchive(try fixture.request("GET", "/api/projects/cells/labels/nucleus/export.zip").body)
        #expect(plain.entries.map(\.name) == ["a.png", "b.png"])
        let all = try ZipArchive(try fixture.request("GET", "/api/projects/cells/labels/nucleus/export.zip?proposals=1").body)
        #expect(all.entries.map(\.name) == ["a.png", "b.png", "proposals/c.png", "manifest.json"])
        let manifest = try JSONSerialization.jsonObject(with: Data(try #require(try all.contents(of: "manifest.json")))) as? [String: Any]
        let rows = try #require(manifest?["proposals"] as? [[String: Any]])
        #expect(rows.count == 1 && rows[0]["image"] as? String == "c" && rows[0]["reviewed"] as? Bool == false
                && rows[0]["stale"] as? Bool == true)
        #expect((manifest?["masks"] as? [[String: Any]])?.map { $0["image"] as? String } == ["a", "b"])
    }
}
