import Foundation
import MicroHTTP
import ProjectStore

/// The labeling app's HTTP surface: the JSON API under `/api/` and the static UI from `Public/`.
/// It only wires the libraries together; the work happens in ProjectStore and Inference.
///
/// ```swift
/// let app = try App(configuration: .init(projectsRoot: "Projects", publicRoot: "Public"))
/// let server = try HTTPServer(configuration: .init(port: 8080), router: app.router())
/// ```
public final class App: Sendable {
    public struct Configuration: Sendable {
        public var projectsRoot: String
        public var publicRoot: String
        /// The weights file the app predicts with, or nil when none was found.
        public var weightsPath: String?

        public init(projectsRoot: String, publicRoot: String, weightsPath: String? = nil) {
            self.projectsRoot = projectsRoot
            self.publicRoot = publicRoot
            self.weightsPath = weightsPath
        }
    }

    public let configuration: Configuration
    public let library: ProjectLibrary

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        self.library = try ProjectLibrary(root: configuration.projectsRoot)
    }

    public func router() -> Router {
        var router = Router()
        router.add("GET", "/api/health") { [self] _, _ in .json(health()) }
        router.add("GET", "/api/projects") { [self] _, _ in .json(ProjectList(projects: library.projects())) }
        router.add("GET", "/api/*rest") { request, _ in
            throw HTTPError.notFound("no API endpoint \(request.method) \(request.path)")
        }
        router.fallback = StaticFiles(root: configuration.publicRoot).handler
        return router
    }

    struct ModelStatus: Encodable {
        /// The weights file name (never its full path: responses reveal nothing of the file system).
        let name: String?
        let available: Bool
    }

    struct Health: Encodable {
        let status: String
        let version: String
        let model: ModelStatus
        let projects: Int
    }

    struct ProjectList: Encodable {
        let projects: [ProjectSummary]
    }

    func health() -> Health {
        let weights = configuration.weightsPath
        return Health(
            status: "ok", version: MultiverSegVersion.string,
            model: ModelStatus(
                name: weights.map { ($0 as NSString).lastPathComponent },
                available: weights.map { FileManager.default.fileExists(atPath: $0) } ?? false),
            projects: library.projects().count)
    }
}
