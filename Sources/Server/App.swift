import Foundation
import Inference
import MicroHTTP
import ProjectStore
import Synchronization

/// The labeling app's HTTP surface: the JSON API under `/api/` and the static UI from `Public/`.
/// It only wires the libraries together; the work happens in ProjectStore and Inference.
///
/// ```swift
/// let model = try ModelRunner(spec: ModelSpec.load(weights: "Weights/default.safetensors"), threads: 2)
/// let app = try App(configuration: .init(projectsRoot: "Projects", publicRoot: "Public"), model: model)
/// let server = try HTTPServer(configuration: .init(port: 8080), router: app.router())
/// ```
public final class App: Sendable {
    public struct Configuration: Sendable {
        public var projectsRoot: String
        public var publicRoot: String
        /// The weights file the app predicts with (for display; `model` is what runs).
        public var weightsPath: String?
        /// The Mustache page templates; nil serves no server-rendered pages.
        public var templatesRoot: String?
        /// Largest image accepted by upload, in pixels.
        public var maxImagePixels: Int
        /// Most event streams (open labeling pages) at once. Each holds a connection, and the
        /// HTTP server serves a limited number (256 by default): the rest stay free for API calls.
        public var maxEventStreams: Int
        /// Image tiles per page of a project page's grid (`/projects/<id>?page=N`): a project of
        /// 10,000 images renders in pages, not as one page of 10,000 thumbnails (a thousand
        /// tiles took the page 2 s to load in Tests/Hardening/scale_page.py; 200, a screenful or two).
        public var imagesPerPage: Int

        public init(projectsRoot: String, publicRoot: String, templatesRoot: String? = nil,
                    weightsPath: String? = nil, maxImagePixels: Int = 1 << 26, maxEventStreams: Int = 160,
                    imagesPerPage: Int = 200) {
            self.projectsRoot = projectsRoot
            self.publicRoot = publicRoot
            self.templatesRoot = templatesRoot
            self.weightsPath = weightsPath
            self.maxImagePixels = maxImagePixels
            self.maxEventStreams = maxEventStreams
            self.imagesPerPage = max(1, imagesPerPage)
        }
    }

    public let configuration: Configuration
    public let library: ProjectLibrary
    /// Predictions for every session; its `model` is nil when no usable weights were found: the app
    /// still manages projects, but cannot predict.
    let predictions: PredictionService
    let modelProblem: String?
    /// `proposalModelIdentity()`, once computed.
    let modelIdentity = Mutex<String?>(nil)
    /// The last `GET /api/projects/:p` answer per project (`detailResponse`).
    let answeredDetails = Mutex<[String: (detail: ProjectDetail, response: HTTPResponse)]>([:])

    public init(configuration: Configuration, model: ModelRunner? = nil, modelProblem: String? = nil) throws {
        self.configuration = configuration
        self.library = try ProjectLibrary(root: configuration.projectsRoot)
        self.predictions = PredictionService(model: model, library: library)
        // The problem text often comes from a loader's error and may name the weights file's full
        // path; it is shown by /api/health and the pages, so only file names remain.
        self.modelProblem = model == nil ? Self.redactingPaths(modelProblem ?? "no model weights loaded") : nil
    }

    /// Stops the prediction worker and closes the pages' event streams.
    public func stop() { predictions.stop() }

    public func router() -> Router {
        var router = Router()
        router.add("GET", "/api/health") { [self] _, _ in .json(health()) }
        if configuration.templatesRoot != nil { addPageRoutes(to: &router) }
        addProjectRoutes(to: &router)
        addLabelingRoutes(to: &router)
        addReviewRoutes(to: &router)
        addVolumeRoutes(to: &router)
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
        let problem: String?
        let resolution: Int?
    }

    struct Health: Encodable {
        let status: String
        let version: String
        let model: ModelStatus
        let projects: Int
    }

    func health() -> Health {
        Health(
            status: "ok", version: MultiverSegVersion.string,
            model: ModelStatus(
                name: predictions.model?.name ?? configuration.weightsPath.map { ($0 as NSString).lastPathComponent },
                available: predictions.model != nil, problem: modelProblem, resolution: predictions.model?.resolution),
            projects: library.projects().count)
    }

    /// Runs a store operation, turning its errors into HTTP answers with the right status.
    func store<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ProjectStoreError {
            switch error {
            case .unknownProject, .unknownImage, .unknownVolume, .unknownLabel, .notInContext, .notAccepted,
                 .noProposal:
                throw HTTPError.notFound(error.description)
            case .nothingToExport:
                throw HTTPError.notFound(error.description)
            case .duplicateLabel, .duplicateImage, .labelFilesExist, .proposalChanged:
                throw HTTPError.conflict(error.description)
            case .invalidIdentifier, .invalidImage, .maskSizeMismatch, .tooManyLabels, .invalidWindow:
                throw HTTPError(status: 422, message: error.description)
            case .linkLeavesFolder:
                throw HTTPError.forbidden(error.description)
            case .unreadableManifest, .unsupportedSchema:
                // The folder's state, not the server, is at fault: say which file to fix.
                throw HTTPError.conflict(error.description)
            case .libraryMissing:
                throw HTTPError.internalError("the projects folder is gone; restore it or restart serve with --projects DIR")
            case .storage:
                throw HTTPError.internalError(error.description)
            }
        }
    }

    /// Replaces absolute paths (`/a/b/file`) in a message by their last component (`file`), so
    /// text from lower layers can go into responses without revealing the machine's folders.
    ///
    /// ```swift
    /// App.redactingPaths("cannot open /home/ana/w.safetensors: gone")   // "cannot open w.safetensors: gone"
    /// ```
    public static func redactingPaths(_ text: String) -> String {
        guard let pattern = try? NSRegularExpression(pattern: #"(?<![\w.])/(?:[^\s'"/]+/)+([^\s'"/]*)"#) else {
            return text
        }
        return pattern.stringByReplacingMatches(
            in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "$1")
    }
}
