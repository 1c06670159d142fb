import Foundation
import Imaging
import MicroHTTP
import PNGCodec
import ProjectStore
import Server
import TestSupport
import Testing

/// The server-rendered pages, with the repository's own Templates/.
@Suite struct PageTests {
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Templates").path

    @Test func homeAndProjectPagesListWhatIsOnDiskEscaped() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: "<script>alert(1)</script> Cells", labels: ["nucleus"])
        let app = try App(configuration: .init(projectsRoot: directory.path, publicRoot: directory.path,
                                               templatesRoot: Self.templates))
        let server = try HTTPServer(configuration: .init(port: 0), router: app.router())
        defer { server.stop() }

        let home = try HTTPTestClient.request(port: server.port, target: "/")
        #expect(home.status == 200 && home.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(home.text.contains("data-project=\"\(project.id)\""))
        #expect(home.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; Cells"))
        #expect(!home.text.contains("<script>alert(1)"))
        #expect(home.text.contains("predictions off"))
        // The whole card comes from the template (no script rebuilds it): Delete included.
        #expect(home.text.contains("class=\"danger delete-project\""))

        let page = try HTTPTestClient.request(port: server.port, target: "/projects/\(project.id)")
        #expect(page.status == 200)
        #expect(page.text.contains("data-label=\"nucleus\""))
        #expect(page.text.contains("0 of 0 images accepted"))
        #expect(page.text.contains("class=\"mask-files\" type=\"file\" multiple accept=\"image/*\" hidden data-label=\"nucleus\""))
        // Nothing accepted yet: no interactions line, and Export says so instead of downloading.
        #expect(!page.text.contains("interactions per image"))
        #expect(page.text.contains("data-accepted=\"0\""))
        // The review link shows only when there are proposals, with their count; drafts can be imported.
        #expect(!page.text.contains("review-link"))
        #expect(page.text.contains("data-label=\"nucleus\" data-draft=\"1\""))
        let pixels = (0..<12).map { UInt16($0 * 20) }
        try project.importImage(name: "a.png", png: try PNGImage(width: 4, height: 3, channels: 1, bitDepth: 8, samples: pixels).pngData())
        try project.saveProposal(label: "nucleus", image: "a", mask: BinaryMask(width: 4, height: 3),
                                 record: ProposalRecord(contextRevision: "x", uncertainty: 0.3, model: "m", contextSize: 1))
        let withProposal = try HTTPTestClient.request(port: server.port, target: "/projects/\(project.id)")
        #expect(withProposal.text.contains("label=nucleus&amp;review=1"), "\(withProposal.text)")
        #expect(withProposal.text.contains("Review 1 proposal(s)") && withProposal.text.contains("1 made from an older context"))
        // An unknown project is a page with the reason and a way home, not the API's JSON.
        let missing = try HTTPTestClient.request(port: server.port, target: "/projects/nope")
        #expect(missing.status == 404)
        #expect(missing.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(missing.text.contains("no project &#39;nope&#39;") || missing.text.contains("no project 'nope'"), "\(missing.text)")
        #expect(missing.text.contains("id=\"home-link\" href=\"/\""))
    }

    @Test func aProjectPageShowsItsImagesInPagesAndCountsThemAll() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let library = try ProjectLibrary(root: directory.path)
        let project = try library.createProject(name: "Many", labels: ["cell"])
        for n in 0..<5 {
            let png = try PNGImage(width: 4, height: 3, channels: 1, bitDepth: 8,
                                   samples: (0..<12).map { UInt16(($0 + n) * 9) }).pngData()
            try project.importImage(name: "i\(n).png", png: png)
        }
        let app = try App(configuration: .init(projectsRoot: directory.path, publicRoot: directory.path,
                                               templatesRoot: Self.templates, imagesPerPage: 2))
        let server = try HTTPServer(configuration: .init(port: 0), router: app.router())
        defer { server.stop() }
        func tiles(_ text: String) -> [String] {
            text.components(separatedBy: "<li data-image=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        }

        let first = try HTTPTestClient.request(port: server.port, target: "/projects/\(project.id)")
        #expect(first.status == 200 && tiles(first.text) == ["i0", "i1"])
        // The labels and the count are of every image, not of the page.
        #expect(first.text.contains("0 of 5 images accepted") && first.text.contains("(5)"))
        #expect(first.text.contains("images 1–2 of 5, page 1 of 3"))
        #expect(first.text.contains("href=\"/projects/\(project.id)?page=2\" rel=\"next\"") && !first.text.contains("rel=\"prev\""))
        let last = try HTTPTestClient.request(port: server.port, target: "/projects/\(project.id)?page=3")
        #expect(tiles(last.text) == ["i4"] && last.text.contains("rel=\"prev\"") && !last.text.contains("rel=\"next\""))
        // A page past the end (images deleted since) shows the last one; nonsense is a 400 page.
        #expect(tiles(try HTTPTestClient.request(port: server.port, target: "/projects/\(project.id)?page=9").text) == ["i4"])
        for bad in ["0", "two", "-1"] {
            let answer = try HTTPTestClient.request(port: server.port, target: "/projects/\(project.id)?page=\(bad)")
            #expect(answer.status == 400 && answer.text.contains("page must be a number from 1 to 3"))
        }
        // One page's worth: no page links at all.
        let small = try App(configuration: .init(projectsRoot: directory.path, publicRoot: directory.path,
                                                 templatesRoot: Self.templates))
        let whole = try HTTPServer(configuration: .init(port: 0), router: small.router())
        defer { whole.stop() }
        let page = try HTTPTestClient.request(port: whole.port, target: "/projects/\(project.id)")
        #expect(tiles(page.text).count == 5 && !page.text.contains("page 1 of"))
        #expect(page.text.contains("title=\"i0: 4 × 3, 8-bit\""))
        // A file in images/ that is no PNG keeps its tile and says so, so it can be deleted there.
        try FileSystem.writeAtomically(Array("not a png".utf8), to: project.folder + "/images/i5.png")
        let withBroken = try HTTPTestClient.request(port: whole.port, target: "/projects/\(project.id)")
        #expect(tiles(withBroken.text) == ["i0", "i1", "i2", "i3", "i4", "i5"])
        #expect(withBroken.text.contains("title=\"i5: not a readable PNG file\"") && withBroken.text.contains("0 of 6 images accepted"))
    }
}
