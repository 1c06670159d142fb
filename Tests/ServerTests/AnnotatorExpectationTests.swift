import Foundation
import MicroHTTP
import PNGCodec
import ProjectStore
import Server
import TestSupport
import Testing
import ZIP

/// What issue 16 found wrong at the API: negative interaction counts, duplicate uploads, empty
/// exports, and no way back for an image removed from the context set.
@Suite struct AnnotatorExpectationTests {
    func acceptBody(interactions: Int) throws -> String {
        let mask = try PNGImage.maskPNG((0..<(40 * 30)).map { $0 % 40 < 20 }, width: 40, height: 30)
        return #"{"maskPNG": "\#(Data(mask).base64EncodedString())", "annotator": "ana", "interactions": \#(interactions)}"#
    }

    @Test func aNegativeInteractionCountIsRefusedAndNothingIsStored() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let response = try fixture.request("POST", "/api/projects/cells/labels/nucleus/images/a/accept",
                                           json: try acceptBody(interactions: -1))
        #expect(response.status == 400, "\(response.text)")
        #expect(try response.json()["error"] as? String ?? "" == "interactions must be 0 or more (the clicks, boxes and scribbles the mask took), not -1")
        let context = try fixture.request("GET", "/api/projects/cells/labels/nucleus/context").json()
        #expect((context["entries"] as? [Any])?.isEmpty == true)
        #expect(try fixture.request("GET", "/api/projects/cells/labels/nucleus/images/a/mask.png").status == 404)
    }

    @Test func uploadingTheSameFileAgainSaysWhichImageItIs() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let again = try fixture.request("POST", "/api/projects/cells/images?name=a%20copy.png", body: try LabelingFixture.imagePNG())
        #expect(again.status == 409, "\(again.text)")
        #expect((try again.json()["error"] as? String ?? "").contains("identical to the image 'a'"), "\(again.text)")
        let project = try fixture.request("GET", "/api/projects/cells").json()
        #expect((project["images"] as? [[String: Any]])?.count == 3)
    }

    @Test func exportingALabelWithoutMasksSaysSo() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let empty = try fixture.request("GET", "/api/projects/cells/labels/nucleus/export.zip")
        #expect(empty.status == 404)
        #expect((try empty.json()["error"] as? String ?? "").contains("nothing to export"), "\(empty.text)")
        // A mask left behind by a deleted image is not exported, so it is not something to export.
        try FileSystem.writeAtomically(try LabelingFixture.imagePNG(), to: fixture.directory.file("Projects/cells/masks/nucleus/gone.png"))
        #expect(try fixture.request("GET", "/api/projects/cells/labels/nucleus/export.zip").status == 404)
        #expect(try fixture.request("POST", "/api/projects/cells/labels/nucleus/images/a/accept",
                                    json: try acceptBody(interactions: 2)).status == 200)
        let one = try fixture.request("GET", "/api/projects/cells/labels/nucleus/export.zip")
        #expect(one.status == 200 && one.headers["content-type"] == "application/zip")
        #expect(try ZipArchive(one.body).entries.map(\.name) == ["a.png"])
        // Asked for, a manifest says who accepted each mask and how.
        let withManifest = try ZipArchive(try fixture.request("GET", "/api/projects/cells/labels/nucleus/export.zip?manifest=1").body)
        #expect(withManifest.entries.map(\.name) == ["a.png", "manifest.json"])
        let manifestBytes = try #require(try withManifest.contents(of: "manifest.json"))
        let manifest = try JSONSerialization.jsonObject(with: Data(manifestBytes)) as? [String: Any]
        let row = (manifest?["masks"] as? [[String: Any]])?.first
        #expect(row?["annotator"] as? String == "ana" && row?["interactions"] as? Int == 2 && row?["version"] as? Int == 1
                && row?["inContext"] as? Bool == true, "\(String(describing: manifest))")
    }

    @Test func aRemovedContextEntryComesBackWithPatch() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        #expect(try fixture.request("POST", "/api/projects/cells/labels/nucleus/images/a/accept",
                                    json: try acceptBody(interactions: 4)).status == 200)
        #expect(try fixture.request("DELETE", "/api/projects/cells/labels/nucleus/context/a").status == 204)
        var state = try fixture.request("GET", "/api/projects/cells").json()
        var labels = ((state["images"] as? [[String: Any]])?.first?["labels"] as? [String: [String: Any]])?["nucleus"]
        #expect(labels?["accepted"] as? Bool == true && labels?["inContext"] as? Bool == false)
        #expect(labels?["interactions"] as? Int == 4, "the removed entry's interactions stay known: \(String(describing: labels))")

        let back = try fixture.request("PATCH", "/api/projects/cells/labels/nucleus/context/a", json: #"{"included": true}"#)
        #expect(back.status == 200, "\(back.text)")
        #expect(try back.json()["interactions"] as? Int == 4)
        state = try fixture.request("GET", "/api/projects/cells").json()
        labels = ((state["images"] as? [[String: Any]])?.first?["labels"] as? [String: [String: Any]])?["nucleus"]
        #expect(labels?["inContext"] as? Bool == true && labels?["included"] as? Bool == true)
    }

    @Test func unacceptWithdrawsTheMaskAndTheContextEntry() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        #expect(try fixture.request("POST", "/api/projects/cells/labels/nucleus/images/a/accept",
                                    json: try acceptBody(interactions: 2)).status == 200)
        #expect(try fixture.request("DELETE", "/api/projects/cells/labels/nucleus/images/a/mask.png").status == 204)
        #expect(try fixture.request("GET", "/api/projects/cells/labels/nucleus/images/a/mask.png").status == 404)
        let context = try fixture.request("GET", "/api/projects/cells/labels/nucleus/context").json()
        #expect((context["entries"] as? [Any])?.isEmpty == true)
        let again = try fixture.request("DELETE", "/api/projects/cells/labels/nucleus/images/a/mask.png")
        #expect(again.status == 404 && again.text.contains("no accepted mask"), "\(again.text)")
    }

    @Test func renameTheProjectAndDeleteAnImage() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let renamed = try fixture.request("PATCH", "/api/projects/cells", json: #"{"name": "Cells (round 2)"}"#)
        let name = try renamed.json()["name"] as? String
        #expect(renamed.status == 200 && name == "Cells (round 2)", "\(renamed.text)")
        #expect(try fixture.request("PATCH", "/api/projects/cells", json: #"{"name": ""}"#).status == 422)
        #expect(try fixture.request("DELETE", "/api/projects/cells/images/b").status == 204)
        let images = (try fixture.request("GET", "/api/projects/cells").json()["images"] as? [[String: Any]])?.map { $0["id"] as? String }
        #expect(images == ["a", "c"])
        #expect(try fixture.request("DELETE", "/api/projects/cells/images/b").status == 404)
        #expect(try fixture.request("DELETE", "/api/projects/cells").status == 204)
        #expect(try fixture.request("GET", "/api/projects/cells").status == 404)
        #expect((try fixture.request("GET", "/api/projects").json()["projects"] as? [Any])?.isEmpty == true)
    }
}
