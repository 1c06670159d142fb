import Foundation
import Inference
import MicroHTTP
import Mustache
import ProjectStore

/// Server-rendered pages: Mustache templates from `Templates/`, read on each request so edits show
/// at once. Values are HTML-escaped by `{{name}}`; templates never get raw user text through `{{{ }}}`.
/// swift-mustache renders a section for any present value, an empty string too: a value that is
/// "not there" is left out of the dictionary rather than given as "".
extension App {
    func addPageRoutes(to router: inout Router) {
        router.add("GET", "/") { [self] _, _ in
            try page("home", [
                "version": MultiverSegVersion.string,
                "model": modelSummary(),
                "projects": library.projects().map(projectCard),
                "hasProjects": !library.projects().isEmpty,
            ])
        }
        router.add("GET", "/projects/:project") { [self] request, p in
            try pageOrError { try projectPage(p, page: request.query["page"]) }
        }
    }

    /// A page's own errors (an unknown project, a folder the app cannot read) as a page with the
    /// message and a way home, not as the API's JSON.
    func pageOrError(_ render: () throws -> HTTPResponse) throws -> HTTPResponse {
        do {
            return try render()
        } catch let error as HTTPError {
            let title = error.status == 404 ? "Not found" : "Cannot show this page"
            var response = try page("error", ["title": title, "message": error.message, "status": error.status])
            response.status = error.status
            return response
        }
    }

    private func projectPage(_ p: RouteParameters, page requested: String?) throws -> HTTPResponse {
        let project = try open(p)
        // Counted from sets of ids; only the page's tiles read a header each.
        let listing = project.imageListing()
        let all = listing.ids
        let perPage = configuration.imagesPerPage
        let pageCount = max(1, (all.count + perPage - 1) / perPage)
        var number = 1
        if let requested {
            guard let parsed = Int(requested), parsed >= 1 else {
                throw HTTPError.badRequest("page must be a number from 1 to \(pageCount), not '\(requested.prefix(20))'")
            }
            number = parsed
        }
        // A page past the end (images deleted since the link was made) shows the last one.
        let pageNumber = min(number, pageCount)
        let shownIDs = Array(all.dropFirst((pageNumber - 1) * perPage).prefix(perPage))
        let overview = try overview(project, headersOf: shownIDs)
        let labels = try overview.labels.map { index -> [String: Any] in
            let label = index.label
            let context = index.context
            let accepted = index.accepted.count { listing.set.contains($0) }
            let interactions = context.entries.map(\.interactions)
            var values: [String: Any] = [
                "name": label, "accepted": accepted, "total": all.count,
                "contextSize": context.includedEntries.count,
                "percent": all.isEmpty ? 0 : accepted * 100 / all.count,
                // The image "Label →" opens: the one /next would give first, else the first image.
                "firstImage": try nextImage(project: project, label: label, after: nil, order: "listed") ?? all.first ?? "",
            ]
            let queue = try store { try project.proposalQueue(label: label) }
            if queue.proposed > 0 {
                values["review"] = ["proposed": queue.proposed, "stale": queue.stale]
            }
            if !interactions.isEmpty {
                values["recentInteractions"] = interactions.suffix(12).map(String.init).joined(separator: " · ")
            }
            return values
        }
        let headers = Dictionary(overview.images.map { ($0.id, $0.header) }, uniquingKeysWith: { a, _ in a })
        let labelNames = overview.manifest.labels
        // Thumbnails link to the first label and show its accepted mask tinted on top.
        let firstLabel = labelNames.first
        let images = shownIDs.map { id -> [String: Any] in
            // A file that is not a usable PNG keeps its tile, saying so, so it can be deleted here.
            guard let header = headers[id] else {
                return ["id": id, "projectId": project.id, "details": "not a readable PNG file", "states": [[String: Any]]()]
            }
            let image = overview.summary(of: id, header: header)
            var values: [String: Any] = [
                "id": image.id, "projectId": project.id, "details": "\(image.width) × \(image.height), \(image.bitDepth)-bit",
                "states": labelNames.map { label in
                    ["label": label, "accepted": image.labels[label]?.accepted == true,
                     "interactions": image.labels[label]?.interactions.map(String.init) ?? "",
                     "interactionsOrUnknown": image.labels[label]?.interactions.map(String.init) ?? "?"] as [String: Any]
                },
            ]
            if let firstLabel { values["firstLabel"] = firstLabel }
            if let firstLabel, let state = image.labels[firstLabel], state.accepted {
                values["maskURL"] = "/api/projects/\(project.id)/labels/\(firstLabel)/images/\(image.id)/mask.png?v=\(state.version ?? 0)"
            }
            return values
        }
        // Each volume's label files to download: one per label, and all labels as values 1...n.
        let accepted = Dictionary(uniqueKeysWithValues: overview.labels.map { ($0.label, $0.accepted) })
        let volumes = project.volumeIndex().volumes.map { sidecar -> [String: Any] in
            let base = "/api/projects/\(project.id)/volumes/\(sidecar.id)/labels/"
            let exports = labelNames.map { label -> [String: Any] in
                ["label": label, "url": base + label + ".nii.gz", "file": "\(sidecar.id)_\(label).nii.gz",
                 "labeled": sidecar.slices.filter { accepted[label]?.contains($0.image) == true }.count]
            }
            return [
                "volumeId": sidecar.id, "source": sidecar.source, "plane": sidecar.plane, "sliceCount": sidecar.slices.count,
                "modality": sidecar.modality ?? "", "exports": exports, "allURL": base + "all.nii.gz",
                "allFile": "\(sidecar.id)_labels.nii.gz", "hasLabels": !exports.isEmpty,
            ]
        }
        var values: [String: Any] = [
            "version": MultiverSegVersion.string, "model": modelSummary(),
            "id": project.id, "name": overview.manifest.name,
            "labels": labels, "hasLabels": !labels.isEmpty, "images": images, "imageCount": all.count,
            "labelCount": labels.count,
            "anyAccepted": overview.labels.contains { index in index.accepted.contains { listing.set.contains($0) } },
            "volumes": volumes, "hasVolumes": !volumes.isEmpty,
        ]
        if pageCount > 1 {
            let base = "/projects/\(project.id)?page="
            var pages: [String: Any] = [
                "number": pageNumber, "count": pageCount,
                "first": (pageNumber - 1) * perPage + 1, "last": (pageNumber - 1) * perPage + images.count,
            ]
            if pageNumber > 1 { pages["previousURL"] = base + String(pageNumber - 1) }
            if pageNumber < pageCount { pages["nextURL"] = base + String(pageNumber + 1) }
            values["pages"] = pages
        }
        if let description = overview.manifest.description, !description.isEmpty { values["description"] = description }
        return try page("project", values)
    }

    private func projectCard(_ summary: ProjectSummary) -> [String: Any] {
        [
            "id": summary.id, "name": summary.name, "imageCount": summary.imageCount,
            "labels": summary.labels.joined(separator: ", "), "hasLabels": !summary.labels.isEmpty,
            "labelNames": summary.labels,
        ]
    }

    private func modelSummary() -> [String: Any] {
        let health = health()
        return ["name": health.model.name ?? "", "available": health.model.available, "problem": health.model.problem ?? ""]
    }

    /// Renders `Templates/<name>.html`.
    func page(_ name: String, _ values: [String: Any]) throws -> HTTPResponse {
        guard let root = configuration.templatesRoot,
              let text = try? String(contentsOfFile: root + "/\(name).html", encoding: .utf8) else {
            throw HTTPError.internalError("the page template '\(name)' is missing; run the app from its folder or pass --templates-dir")
        }
        do {
            let template = try MustacheTemplate(string: text)
            var response = HTTPResponse.html(template.render(values))
            response.headers.append(("Cache-Control", "no-cache"))
            return response
        } catch {
            throw HTTPError.internalError("the page template '\(name)' does not parse: \(Self.redactingPaths("\(error)"))")
        }
    }
}
