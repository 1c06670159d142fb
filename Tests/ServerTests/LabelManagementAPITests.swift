import Foundation
import MicroHTTP
import PNGCodec
import ProjectStore
import Server
import TestSupport
import Testing
import ZIP

/// `PATCH`/`DELETE /api/projects/:p/labels/:label` and the multi-class export (issue 16).
@Suite struct LabelManagementAPITests {
    func accept(_ fixture: LabelingFixture, label: String, image: String, leftColumns: Int) throws {
        let mask = try PNGImage.maskPNG((0..<(40 * 30)).map { $0 % 40 < leftColumns }, width: 40, height: 30)
        let body = #"{"maskPNG": "\#(Data(mask).base64EncodedString())", "annotator": "ana", "interactions": 2}"#
        let response = try fixture.request("POST", "/api/projects/cells/labels/\(label)/images/\(image)/accept", json: body)
        #expect(response.status == 200, "\(response.text)")
    }

    @Test func renamingALabelMovesItsMasksAndContext() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        #expect(try fixture.request("POST", "/api/projects/cells/labels", json: #"{"label": "membrane"}"#).status == 201)
        try accept(fixture, label: "nucleus", image: "a", leftColumns: 20)
        let renamed = try fixture.request("PATCH", "/api/projects/cells/labels/nucleus", json: #"{"name": "nuclei"}"#)
        #expect(renamed.status == 200, "\(renamed.text)")
        #expect(try renamed.json()["labels"] as? [String] == ["nuclei", "membrane"])
        let images = try #require(try renamed.json()["images"] as? [[String: Any]])
        let a = (images.first?["labels"] as? [String: Any])?["nuclei"] as? [String: Any]
        #expect(a?["accepted"] as? Bool == true && a?["inContext"] as? Bool == true)
        let context = try fixture.request("GET", "/api/projects/cells/labels/nuclei/context").json()
        #expect((context["entries"] as? [[String: Any]])?.map { $0["id"] as? String } == ["a"])
        #expect(try fixture.request("GET", "/api/projects/cells/labels/nuclei/images/a/mask.png").status == 200)
        #expect(try fixture.request("GET", "/api/projects/cells/labels/nucleus/context").status == 404)
    }

    @Test func renamingRefusesClashesAndBadNames() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        #expect(try fixture.request("POST", "/api/projects/cells/labels", json: #"{"label": "membrane"}"#).status == 201)
        let clash = try fixture.request("PATCH", "/api/projects/cells/labels/nucleus", json: #"{"name": "membrane"}"#)
        let clashMessage = try clash.json()["error"] as? String ?? ""
        #expect(clash.status == 409 && clashMessage.contains("already has a label 'membrane'"), "\(clash.text)")
        let invalid = try fixture.request("PATCH", "/api/projects/cells/labels/nucleus", json: #"{"name": "../etc"}"#)
        #expect(invalid.status == 422, "\(invalid.text)")
        #expect(try fixture.request("PATCH", "/api/projects/cells/labels/nope", json: #"{"name": "x"}"#).status == 404)
        #expect(try fixture.request("PATCH", "/api/projects/cells/labels/nucleus", json: #"{"label": "x"}"#).status == 400)
        #expect(try fixture.request("GET", "/api/projects/cells").json()["labels"] as? [String] == ["nucleus", "membrane"])
    }

    /// Two apps on one shared projects folder: the other one sees the rename at once and refuses
    /// work under the old name.
    @Test func aSecondAppOnTheFolderSeesTheRename() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        let other = try LabelingFixture(model: nil, sharing: fixture)
        try accept(fixture, label: "nucleus", image: "a", leftColumns: 20)
        #expect(try other.request("GET", "/api/projects/cells/labels/nucleus/context").status == 200)
        #expect(try fixture.request("PATCH", "/api/projects/cells/labels/nucleus", json: #"{"name": "nuclei"}"#).status == 200)
        #expect(try other.request("GET", "/api/projects/cells").json()["labels"] as? [String] == ["nuclei"])
        let context = try other.request("GET", "/api/projects/cells/labels/nuclei/context").json()
        #expect((context["entries"] as? [[String: Any]])?.map { $0["id"] as? String } == ["a"])
        let mask = try PNGImage.maskPNG((0..<(40 * 30)).map { $0 % 40 < 5 }, width: 40, height: 30)
        let late = try other.request("POST", "/api/projects/cells/labels/nucleus/images/b/accept",
                                     json: #"{"maskPNG": "\#(Data(mask).base64EncodedString())", "annotator": "bo", "interactions": 1}"#)
        #expect(late.status == 404, "\(late.text)")
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.file("Projects") + "/cells/masks/nucleus"))
    }

    @Test func deletingALabelPutsItsFilesInTheTrash() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        try accept(fixture, label: "nucleus", image: "b", leftColumns: 10)
        let deleted = try fixture.request("DELETE", "/api/projects/cells/labels/nucleus")
        #expect(deleted.status == 200, "\(deleted.text)")
        let trash = try #require(try deleted.json()["trash"] as? String)
        #expect(trash.hasPrefix("trash/labels/nucleus-"))
        let folder = fixture.directory.file("Projects") + "/cells/"
        #expect(FileManager.default.fileExists(atPath: folder + trash + "/masks/b.png"))
        #expect(FileManager.default.fileExists(atPath: folder + trash + "/context.json"))
        #expect(try fixture.request("GET", "/api/projects/cells").json()["labels"] as? [String] == [])
        #expect(try fixture.request("DELETE", "/api/projects/cells/labels/nucleus").status == 404)
    }

    @Test func theMulticlassExportNumbersTheLabelsAndSaysHow() throws {
        let fixture = try LabelingFixture.slow()
        try fixture.makeProject()
        #expect(try fixture.request("POST", "/api/projects/cells/labels", json: #"{"label": "membrane"}"#).status == 201)
        let empty = try fixture.request("GET", "/api/projects/cells/export.zip?multiclass=1")
        let emptyMessage = try empty.json()["error"] as? String ?? ""
        #expect(empty.status == 404 && emptyMessage.contains("nothing to export"), "\(empty.text)")
        try accept(fixture, label: "nucleus", image: "a", leftColumns: 20)
        try accept(fixture, label: "membrane", image: "a", leftColumns: 10)
        let response = try fixture.request("GET", "/api/projects/cells/export.zip?multiclass=1")
        #expect(response.status == 200 && response.headers["content-type"] == "application/zip", "\(response.text)")
        #expect(response.headers["content-disposition"]?.contains("cells-multiclass.zip") == true)
        let zip = try ZipArchive(response.body)
        #expect(zip.entries.map(\.name) == ["a.png", "manifest.json"])
        let png = try PNGImage(decoding: Array(try #require(try zip.contents(of: "a.png"))))
        // Columns 0-9: both labels, membrane (listed later) wins; 10-19: nucleus only; the rest: none.
        #expect(Array(png.samples.prefix(40)) == Array(repeating: 2, count: 10) + Array(repeating: 1, count: 10)
                + Array(repeating: 0, count: 20))
        let manifestBytes = Array(try #require(try zip.contents(of: "manifest.json")))
        let manifest = try JSONSerialization.jsonObject(with: Data(manifestBytes)) as? [String: Any]
        let image = (manifest?["images"] as? [[String: Any]])?.first
        #expect(image?["overlappingPixels"] as? Int == 300)
        #expect((manifest?["labels"] as? [[String: Any]])?.map { $0["label"] as? String } == ["nucleus", "membrane"])
        #expect(try fixture.request("GET", "/api/projects/cells/export.zip").status == 400)
    }

    /// The project page of a large project: 200 tiles a page, a link to the next page, the label tools.
    @Test func theProjectPageShowsItsImagesInPagesOf200() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: "Many", labels: ["nucleus", "membrane"])
        for k in 0..<203 {
            let png = try PNGImage.encode(samples: [UInt16(k % 256), 0, 0, UInt16(k / 256)], width: 2, height: 2,
                                          colorType: .grey, bitDepth: 8)
            try project.importImage(name: String(format: "img-%03d.png", k), png: png)
        }
        let app = try App(configuration: .init(projectsRoot: directory.path, publicRoot: directory.path,
                                               templatesRoot: PageTests.templates))
        let server = try HTTPServer(configuration: .init(port: 0), router: app.router())
        defer { server.stop() }
        let tiles = { (text: String) in text.components(separatedBy: "<li data-image=").count - 1 }
        let page = try HTTPTestClient.request(port: server.port, target: "/projects/many")
        #expect(page.status == 200 && tiles(page.text) == 200, "\(tiles(page.text)) tiles")
        #expect(page.text.contains("page 1 of 2") && page.text.contains("href=\"/projects/many?page=2\""))
        #expect(page.text.contains("(203)"))
        // Every label has Rename and Delete; nothing is accepted, so the multi-class export says so.
        #expect(page.text.components(separatedBy: "class=\"rename-label\"").count == 3)
        #expect(page.text.components(separatedBy: "class=\"danger delete-label\"").count == 3)
        #expect(page.text.contains("id=\"export-multiclass\"") && page.text.contains("multiclass=1"))
        #expect(page.text.contains("data-accepted=\"0\""))
        let second = try HTTPTestClient.request(port: server.port, target: "/projects/many?page=2")
        #expect(tiles(second.text) == 3 && second.text.contains("images 201–203 of 203"))
    }
}
