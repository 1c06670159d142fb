import Foundation
import MicroHTTP
import PNGCodec
import ProjectStore

extension App {
    struct ImageSummary: Encodable, Equatable {
        let id: String
        let width: Int
        let height: Int
        let bitDepth: Int
        let channels: Int
        let labels: [String: LabelState]
    }

    struct LabelState: Encodable, Equatable {
        let accepted: Bool
        let inContext: Bool
        let included: Bool
        let interactions: Int?
        let annotator: String?
        let version: Int?
    }

    struct ProjectDetail: Encodable, Equatable {
        let id: String
        let name: String
        let labels: [String]
        let description: String?
        let images: [ImageSummary]
        /// Files in images/ that are not usable PNGs (dropped there by hand or by another tool):
        /// listed apart so that one bad file does not hide the project.
        let unreadableImages: [String]
    }

    func addProjectRoutes(to router: inout Router) {
        router.add("GET", "/api/projects") { [self] _, _ in
            struct List: Encodable { let projects: [ProjectSummary] }
            return .json(List(projects: library.projects()))
        }
        router.add("POST", "/api/projects") { [self] request, _ in
            let body: API.CreateProject = try request.decodeJSON()
            let project = try store { try library.createProject(name: body.name, labels: body.labels ?? [], description: body.description) }
            return .json(try detail(project), status: 201)
        }
        router.add("GET", "/api/projects/:project") { [self] _, p in
            let project = try open(p)
            return detailResponse(try detail(project), of: project)
        }
        router.add("PATCH", "/api/projects/:project") { [self] request, p in
            let project = try open(p)
            let body: API.RenameProject = try request.decodeJSON()
            try store { try project.rename(to: body.name) }
            return .json(try detail(project))
        }
        router.add("DELETE", "/api/projects/:project") { [self] _, p in
            try store { try library.deleteProject(p["project"] ?? "") }
            return HTTPResponse(status: 204)
        }
        router.add("DELETE", "/api/projects/:project/images/:image") { [self] _, p in
            let project = try open(p)
            try store { try project.deleteImage(p["image"] ?? "") }
            for label in try store({ try project.labels() }) {
                predictions.announceContextChange(project: project, label: label)
            }
            return HTTPResponse(status: 204)
        }
        router.add("POST", "/api/projects/:project/labels") { [self] request, p in
            let project = try open(p)
            let body: API.AddLabel = try request.decodeJSON()
            try store { try project.addLabel(body.label) }
            return .json(try detail(project), status: 201)
        }
        router.add("PATCH", "/api/projects/:project/labels/:label") { [self] request, p in
            let project = try open(p)
            let body: API.RenameLabel = try request.decodeJSON()
            let label = p["label"] ?? ""
            try store { try project.renameLabel(label, to: body.name) }
            // Pages open on the old name learn that its context is gone.
            predictions.announceContextChange(project: project, label: label)
            return .json(try detail(project))
        }
        router.add("DELETE", "/api/projects/:project/labels/:label") { [self] _, p in
            let project = try open(p)
            let label = p["label"] ?? ""
            let trash = try store { try project.deleteLabel(label) }
            predictions.announceContextChange(project: project, label: label)
            return .json(["label": label, "trash": trash])
        }
        router.add("GET", "/api/projects/:project/export.zip") { [self] request, p in
            let project = try open(p)
            guard request.query["multiclass"] == "1" else {
                throw HTTPError.badRequest("ask for ?multiclass=1 (every label in one PNG per image), or export one label at /api/projects/\(project.id)/labels/<label>/export.zip")
            }
            let zip = try store { try project.exportMulticlassZip() }
            return HTTPResponse(status: 200, headers: [
                ("Content-Type", "application/zip"),
                ("Content-Disposition", "attachment; filename=\"\(project.id)-multiclass.zip\""),
            ], body: .bytes(zip))
        }
        router.add("POST", "/api/projects/:project/images") { [self] request, p in
            let project = try open(p)
            guard let name = request.query["name"], !name.isEmpty else {
                throw HTTPError.badRequest("give the file name as ?name=scan.png")
            }
            guard !request.body.isEmpty else { throw HTTPError.badRequest("the request body must be the PNG file") }
            try checkPixelLimit(request.body, what: "the image")
            let limits = PNGLimits(maxPixels: configuration.maxImagePixels)
            let id = try store { try project.importImage(name: name, png: request.body, limits: limits, refusingDuplicates: true) }
            return .json(["id": id], status: 201)
        }
        router.add("GET", "/api/projects/:project/images/:file") { [self] _, p in
            let project = try open(p)
            guard let file = p["file"], file.hasSuffix(".png") else { throw HTTPError.notFound("ask for <image>.png") }
            let png = try store { try project.imagePNG(String(file.dropLast(4))) }
            return HTTPResponse(status: 200, contentType: "image/png", bytes: png)
        }
        router.add("GET", "/api/projects/:project/images/:image/raw") { [self] _, p in
            let project = try open(p)
            let image = try store { try project.loadImage(p["image"] ?? "") }
            return Self.rawGrey(image)
        }
    }

    /// Refuses a PNG whose header declares more pixels than the server accepts, with a 413, before
    /// anything proportional to its size is allocated (a small file can declare a huge image).
    /// Returns the header, or nil when there is none to read (the decoder then explains the file).
    @discardableResult
    func checkPixelLimit(_ png: [UInt8], what: String) throws -> PNGHeader? {
        guard let header = try? PNGImage.header(of: png) else { return nil }
        let (pixels, overflow) = header.width.multipliedReportingOverflow(by: header.height)
        if overflow || pixels > configuration.maxImagePixels {
            throw HTTPError(status: 413, message: "\(what) is \(header.width) x \(header.height) pixels, more than this "
                + "server's limit of \(configuration.maxImagePixels); downscale it or restart serve with --max-image-pixels N")
        }
        return header
    }

    func open(_ parameters: RouteParameters) throws -> Project {
        try store { try library.project(parameters["project"] ?? "") }
    }

    /// One label's context and accepted images, looked up by id: summarizing n images against m
    /// entries costs n + m, not n * m.
    struct LabelIndex {
        let label: String
        let context: ContextManifest
        let accepted: Set<String>
        var entries: [String: ContextEntry] = [:]
        var removed: [String: ContextEntry] = [:]

        init(project: Project, label: String) throws {
            self.label = label
            context = try project.context(label: label)
            accepted = project.acceptedImages(label: label)
            // The first entry of an id and the last removed one, as the manifest's readers take them.
            for entry in context.entries where entries[entry.id] == nil { entries[entry.id] = entry }
            for entry in context.removedEntries { removed[entry.id] = entry }
        }

        /// The image's state under this label.
        func state(of id: String) -> LabelState {
            let entry = entries[id]
            let isAccepted = accepted.contains(id)
            // An accepted image removed from the context set still says who accepted it and how.
            let known = entry ?? (isAccepted ? removed[id] : nil)
            return LabelState(accepted: isAccepted, inContext: entry != nil, included: entry?.included ?? false,
                              interactions: known?.interactions, annotator: known?.annotator, version: known?.version)
        }
    }

    /// One image's new state under a label, sent with the `context` event its change causes, so
    /// pages update that row instead of fetching every image's state.
    struct ImageChange: Encodable, Sendable {
        let image: String
        let state: LabelState
    }

    /// Tells the label's pages that its context changed; with `image`, which image and its state now.
    func announceChange(project: Project, label: String, image: String? = nil) {
        let change = image.flatMap { image in
            (try? LabelIndex(project: project, label: label)).map { ImageChange(image: image, state: $0.state(of: image)) }
        }
        predictions.announceContextChange(project: project, label: label, change: change)
    }

    /// What the project page and the project detail are made from: the manifest, every readable
    /// image's header (the rest apart) and each label's index.
    struct ProjectOverview {
        let manifest: ProjectManifest
        let images: [(id: String, header: PNGHeader)]
        let unreadable: [String]
        let labels: [LabelIndex]

        /// The image's states under every label.
        func summary(of id: String, header: PNGHeader) -> ImageSummary {
            var states: [String: LabelState] = [:]
            for index in labels { states[index.label] = index.state(of: id) }
            return ImageSummary(id: id, width: header.width, height: header.height, bitDepth: header.bitDepth,
                                channels: header.channels, labels: states)
        }
    }

    /// With `ids`, only those images' headers are read (a page of tiles); without, every image's.
    func overview(_ project: Project, headersOf ids: [String]? = nil) throws -> ProjectOverview {
        try store {
            let manifest = try project.manifest()
            let labels = try manifest.labels.map { try LabelIndex(project: project, label: $0) }
            let (images, unreadable) = try project.imageHeaders(of: ids)
            return ProjectOverview(manifest: manifest, images: images, unreadable: unreadable, labels: labels)
        }
    }

    func detail(_ project: Project) throws -> ProjectDetail {
        let overview = try overview(project)
        let manifest = overview.manifest
        return ProjectDetail(id: project.id, name: manifest.name, labels: manifest.labels,
                             description: manifest.description,
                             images: overview.images.map { overview.summary(of: $0.id, header: $0.header) },
                             unreadableImages: overview.unreadable)
    }

    /// `.json(detail)`, reusing the last answer's bytes when the detail equals it: comparing the
    /// detail of 10,000 images costs a fraction of encoding it, and the labeling page of every
    /// annotator asks for it when it opens.
    func detailResponse(_ detail: ProjectDetail, of project: Project) -> HTTPResponse {
        let key = project.folder
        if let last = answeredDetails.withLock({ $0[key] }), last.detail == detail { return last.response }
        let response = HTTPResponse.json(detail)
        answeredDetails.withLock { answered in
            // A few projects are open at a time; a library browsed through does not pile up.
            if answered[key] == nil, answered.count >= 8 { answered.removeAll() }
            answered[key] = (detail, response)
        }
        return response
    }

    /// Little-endian uint16 luminance at the image's own bit depth, for window/level in the page.
    static func rawGrey(_ image: PNGImage) -> HTTPResponse {
        let grey = image.luminance()
        let maxValue = image.maxValue
        var bytes = [UInt8](repeating: 0, count: grey.count * 2)
        for (i, value) in grey.enumerated() {
            let sample = UInt16(min(max((value * maxValue).rounded(), 0), 65535))
            bytes[2 * i] = UInt8(sample & 0xFF)
            bytes[2 * i + 1] = UInt8(sample >> 8)
        }
        return HTTPResponse(status: 200, headers: [
            ("Content-Type", "application/octet-stream"),
            ("X-Width", String(image.width)), ("X-Height", String(image.height)),
            ("X-Max-Value", String(Int(maxValue))),
            ("Access-Control-Expose-Headers", "X-Width, X-Height, X-Max-Value"),
        ], body: .bytes(bytes))
    }
}
