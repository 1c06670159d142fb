import Foundation
import MicroHTTP
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
        // An unknown project is a page with the reason and a way home, not the API's JSON.
        let missing = try HTTPTestClient.request(port: server.port, target: "/projects/nope")
        #expect(missing.status == 404)
        #expect(missing.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(missing.text.contains("no project &#39;nope&#39;") || missing.text.contains("no project 'nope'"), "\(missing.text)")
        #expect(missing.text.contains("id=\"home-link\" href=\"/\""))
    }
}
