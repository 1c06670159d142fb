import Foundation
import Imaging
import Inference
import MicroHTTP
import PNGCodec
import ProjectStore

// The review queue: a label's proposals (from `multiverseg propagate`) and drafts (imported
// masks), listed most uncertain first, accepted as they are or rejected; refining one goes through
// `predict` with `fromProposal` and ends in the ordinary accept.

extension App {
    struct ReviewItem: Encodable {
        let image: String
        let uncertainty: Double
        let stale: Bool
        let draft: Bool
        let tag: String
        /// The context revision it was made from ("" for a draft): the page marks it stale itself
        /// when an accept changes the label's revision.
        let contextRevision: String
        let createdAt: String
        let model: String
        let contextSize: Int
        let importedFrom: String?
    }

    struct ReviewQueue: Encodable {
        let accepted: Int
        let proposed: Int
        let remaining: Int
        let stale: Int
        /// Drafts among the `proposed` (never stale).
        let drafts: Int
        /// How many proposals the uncertainty filter let through (all pages together).
        let shown: Int
        /// Where `items` starts among the `shown` ones (`?offset=`, 0 by default).
        let offset: Int
        let contextRevision: String
        /// The command that makes the stale proposals again from the current context.
        let refreshCommand: String
        /// Stale proposals still queued to be predicted again by this server (`POST .../refresh`).
        let refreshing: Int
        let items: [ReviewItem]
    }

    func addReviewRoutes(to router: inout Router) {
        let base = "/api/projects/:project/labels/:label/proposals"
        router.add("GET", base) { [self] request, p in
            let (project, label) = try openLabel(p)
            let low = try uncertaintyBound(request.query["min-uncertainty"], name: "min-uncertainty")
            let high = try uncertaintyBound(request.query["max-uncertainty"], name: "max-uncertainty")
            let offset = try count(request.query["offset"], name: "offset") ?? 0
            let limit = try count(request.query["limit"], name: "limit")
            let queue = try store { try project.proposalQueue(label: label) }
            let filtered = low == nil && high == nil ? queue.items : queue.items.filter {
                $0.record.uncertainty >= (low ?? -.infinity) && $0.record.uncertainty <= (high ?? .infinity)
            }
            // Only the page asked for is encoded: the page walks 10,000 proposals a page at a time.
            let start = min(offset, filtered.count)
            let end = limit.map { min(filtered.count, start + $0) } ?? filtered.count
            let items = filtered[start..<end].map {
                ReviewItem(image: $0.image, uncertainty: $0.record.uncertainty, stale: $0.stale, draft: $0.record.isDraft,
                           tag: $0.tag, contextRevision: $0.record.contextRevision, createdAt: $0.record.createdAt, model: $0.record.model,
                           contextSize: $0.record.contextSize, importedFrom: $0.record.importedFrom)
            }
            return .json(ReviewQueue(
                accepted: queue.accepted, proposed: queue.proposed, remaining: queue.remaining, stale: queue.stale,
                drafts: queue.drafts,
                shown: filtered.count, offset: start, contextRevision: queue.contextRevision,
                refreshCommand: "multiverseg propagate --project \(project.id) --label \(label)",
                refreshing: predictions.pendingRefresh(project: project, label: label), items: items))
        }
        router.add("POST", base + "/refresh") { [self] _, p in
            let (project, label) = try openLabel(p)
            let service = try requirePredictions()
            let model = try proposalModelIdentity()
            let stale = try store { try project.proposalQueue(label: label) }.items.filter(\.stale).map(\.image)
            let queued = service.refreshProposals(project: project, label: label, images: stale, model: model)
            struct Queued: Encodable { let stale: Int; let queued: Int }
            return .json(Queued(stale: stale.count, queued: queued), status: 202)
        }
        router.add("GET", base + "/:image/mask.png") { [self] _, p in
            let (project, label) = try openLabel(p)
            guard let png = try store({ try project.proposalPNG(label: label, image: p["image"] ?? "") }) else {
                throw HTTPError.notFound("no proposal for this image (reviewed or removed meanwhile?); reload the review queue")
            }
            return HTTPResponse(status: 200, contentType: "image/png", bytes: png)
        }
        router.add("POST", base + "/:image/accept") { [self] request, p in
            let (project, label) = try openLabel(p)
            let image = p["image"] ?? ""
            let body: API.Review = try request.decodeJSON()
            let entry = try store {
                try project.acceptProposal(label: label, image: image, annotator: body.annotator ?? "",
                                           expectedTag: body.tag)
            }
            let context = try store { try project.context(label: label) }
            announceChange(project: project, label: label, image: image)
            struct Accepted: Encodable {
                let contextSize: Int; let version: Int; let interactions: Int
                /// The label's revision now: the page marks older proposals stale without reloading the
                /// queue, and knows the `context` event this accept causes.
                let contextRevision: String
            }
            return .json(Accepted(contextSize: context.includedEntries.count, version: entry.version,
                                  interactions: entry.interactions,
                                  contextRevision: ContextRevision(manifest: context).fingerprint))
        }
        router.add("POST", base + "/:image/draft") { [self] request, p in
            let (project, label) = try openLabel(p)
            let image = p["image"] ?? ""
            let body: API.Draft = try request.decodeJSON()
            let mask = try uploadedMask(body.maskPNG, project: project, image: image)
            let saved = try store {
                try project.saveProposal(label: label, image: image, mask: mask,
                                         record: .draft(fileName: body.fileName ?? image + ".png"))
            }
            guard saved else {
                throw HTTPError.conflict("'\(image)' has an accepted mask already; a draft is for an image nobody accepted")
            }
            return .json(["image": image], status: 201)
        }
        router.add("POST", base + "/:image/reject") { [self] request, p in
            let (project, label) = try openLabel(p)
            let body: API.Review = try request.decodeJSON()
            try store {
                try project.rejectProposal(label: label, image: p["image"] ?? "", annotator: body.annotator ?? "",
                                           expectedTag: body.tag)
            }
            return HTTPResponse(status: 204)
        }
    }

    /// What proposals made by this server record as their model (`ModelSpec.identity`, as
    /// `propagate` names it), so either may skip what the other made. Computed once; reading the
    /// weights file takes a moment.
    func proposalModelIdentity() throws -> String {
        try modelIdentity.withLock { cached in
            if let cached { return cached }
            let identity: String
            do {
                identity = try ModelSpec.identity(name: predictions.model?.name ?? "unknown",
                                                  weightsPath: configuration.weightsPath)
            } catch {
                throw HTTPError.internalError("cannot read the weights file to name the model; restart serve with --weights FILE")
            }
            cached = identity
            return identity
        }
    }

    /// `?min-uncertainty=` / `?max-uncertainty=`: a number of bits in 0...1, or absent.
    func uncertaintyBound(_ text: String?, name: String) throws -> Double? {
        guard let text else { return nil }
        guard let value = Double(text), value.isFinite, (0...1).contains(value) else {
            throw HTTPError.badRequest("\(name) must be a number from 0 to 1 (mean entropy in bits), not '\(text.prefix(32))'")
        }
        return value
    }

    /// `?offset=` / `?limit=`: a count from 0, or absent.
    func count(_ text: String?, name: String) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw HTTPError.badRequest("\(name) must be a whole number from 0, not '\(text.prefix(32))'")
        }
        return value
    }

    /// The label's proposal of `image` as a mask to refine from; 404 when there is none.
    func proposalMask(project: Project, label: String, image: String) throws -> BinaryMask {
        guard let png = try store({ try project.proposalPNG(label: label, image: image) }) else {
            throw HTTPError.notFound("image '\(image)' has no proposal for '\(label)' to refine; reload the review queue")
        }
        let header = try store { try project.imageHeader(image) }
        let mask: BinaryMask
        do {
            mask = try BinaryMask(png: png, limits: PNGLimits(maxPixels: configuration.maxImagePixels))
        } catch {
            throw HTTPError(status: 422, message: "the proposal of '\(image)' is not a readable PNG; run propagate again")
        }
        guard mask.width == header.width, mask.height == header.height else {
            throw HTTPError(status: 422, message: "the proposal of '\(image)' does not have the image's size; run propagate again")
        }
        return mask
    }
}
