import Foundation
import Imaging
import Inference
import MicroHTTP
import PNGCodec
import ProjectStore

extension App {
    func addLabelingRoutes(to router: inout Router) {
        let base = "/api/projects/:project/labels/:label"
        router.add("GET", base + "/events") { [self] request, p in
            let (project, label) = try openLabel(p)
            guard let session = request.query["session"], Identifier.isValid(session) else {
                throw HTTPError.badRequest("give a session id as ?session=ID (letters, digits, '.', '_', '-')")
            }
            guard let stream = predictions.subscribe(session: session, project: project, label: label,
                                                     limit: configuration.maxEventStreams) else {
                throw HTTPError(status: 503, message: "too many labeling pages are open (\(configuration.maxEventStreams)); close some tabs and reload")
            }
            let size = try store { try project.context(label: label).includedEntries.count }
            PredictionEvent.hello(contextSize: size, model: predictions.model?.name).send(on: stream)
            return stream.response
        }
        router.add("POST", base + "/images/:image/predict") { [self] request, p in
            let (project, label) = try openLabel(p)
            let image = p["image"] ?? ""
            _ = try store { try project.imageHeader(image) }
            let body: API.PredictRequest = try request.decodeJSON()
            let interactions: Interactions
            do {
                interactions = try body.interactions()
            } catch {
                throw HTTPError.badRequest("each scribble point must be [x, y]")
            }
            try checkCoordinates(interactions, project: project, image: image)
            let service = try requirePredictions()
            var job = PredictionService.Job(
                session: body.session, project: project, label: label, image: image, seq: body.seq,
                interactions: interactions, usePrevious: body.usePrevious ?? false)
            if body.fromProposal == true { job.previousMask = try proposalMask(project: project, label: label, image: image) }
            // While the user works on this image, get the next one ready.
            if interactions.isEmpty, let next = try? nextImage(project: project, label: label, after: image, order: "listed"),
               next != image {
                service.prefetch(project: project, label: label, image: next)
            }
            guard service.submit(job) else {
                throw HTTPError.conflict("open the event stream first: GET \(base.replacingOccurrences(of: ":project", with: project.id).replacingOccurrences(of: ":label", with: label))/events?session=\(body.session)")
            }
            return .json(["seq": body.seq], status: 202)
        }
        router.add("GET", base + "/images/:image/mask.png") { [self] _, p in
            let (project, label) = try openLabel(p)
            guard let png = try store({ try project.maskPNG(label: label, image: p["image"] ?? "") }) else {
                throw HTTPError.notFound("no accepted mask for this image yet")
            }
            return HTTPResponse(status: 200, contentType: "image/png", bytes: png)
        }
        router.add("DELETE", base + "/images/:image/mask.png") { [self] _, p in
            let (project, label) = try openLabel(p)
            try store { try project.unaccept(label: label, image: p["image"] ?? "") }
            announceChange(project: project, label: label, image: p["image"])
            return HTTPResponse(status: 204)
        }
        router.add("POST", base + "/images/:image/accept") { [self] request, p in
            let (project, label) = try openLabel(p)
            let image = p["image"] ?? ""
            let body: API.Accept = try request.decodeJSON()
            if let count = body.interactions, count < 0 {
                throw HTTPError.badRequest("interactions must be 0 or more (the clicks, boxes and scribbles the mask took), not \(count)")
            }
            let mask = try uploadedMask(body.maskPNG, project: project, image: image)
            let entry = try store {
                try project.accept(label: label, image: image, mask: mask,
                                   annotator: body.annotator ?? "", interactions: body.interactions ?? 0)
            }
            let context = try store { try project.context(label: label) }
            announceChange(project: project, label: label, image: image)
            if predictions.model != nil,
               let next = try nextImage(project: project, label: label, after: image, order: "listed") {
                predictions.prefetch(project: project, label: label, image: next)
            }
            struct Accepted: Encodable {
                let contextSize: Int; let version: Int
                /// The label's revision after this accept: the `context` event it causes carries the same.
                let contextRevision: String
            }
            return .json(Accepted(contextSize: context.includedEntries.count, version: entry.version,
                                  contextRevision: ContextRevision(manifest: context).fingerprint))
        }
        router.add("GET", base + "/context") { [self] _, p in
            let (project, label) = try openLabel(p)
            return .json(try store { try project.context(label: label) })
        }
        router.add("PATCH", base + "/context/:image") { [self] request, p in
            let (project, label) = try openLabel(p)
            let body: API.SetIncluded = try request.decodeJSON()
            let entry = try store { try project.setIncluded(label: label, image: p["image"] ?? "", included: body.included) }
            announceChange(project: project, label: label, image: p["image"])
            return .json(entry)
        }
        router.add("DELETE", base + "/context/:image") { [self] _, p in
            let (project, label) = try openLabel(p)
            try store { try project.removeFromContext(label: label, image: p["image"] ?? "") }
            announceChange(project: project, label: label, image: p["image"])
            return HTTPResponse(status: 204)
        }
        router.add("GET", base + "/next") { [self] request, p in
            let (project, label) = try openLabel(p)
            let order = request.query["order"] ?? "listed"
            guard ["listed", "random", "uncertain", "volume"].contains(order) else {
                throw HTTPError.badRequest("order must be listed, random, uncertain or volume")
            }
            struct Next: Encodable { let id: String?; let remaining: Int }
            let candidates = try unlabeled(project: project, label: label)
            let next = try nextImage(project: project, label: label, after: request.query["after"], order: order,
                                     candidates: candidates)
            return .json(Next(id: next, remaining: candidates.count))
        }
        router.add("GET", base + "/export.zip") { [self] request, p in
            let (project, label) = try openLabel(p)
            // An empty archive would download without a word: say why there is nothing instead.
            let withProposals = request.query["proposals"] == "1"
            // The first image with an accepted mask ends the look (a mask whose image is gone is
            // not exported, so the remembered accepted set alone is not enough).
            let accepted = project.acceptedImages(label: label)
            guard try project.imageIDs().contains(where: accepted.contains)
                    || (withProposals && !(try store { try project.proposalIDs(label: label) }).isEmpty) else {
                throw HTTPError.notFound("nothing to export: no image of '\(label)' has an accepted mask yet; accept one first")
            }
            let zip = try store {
                try project.exportZip(label: label, manifest: request.query["manifest"] == "1",
                                      includeProposals: withProposals)
            }
            return HTTPResponse(status: 200, headers: [
                ("Content-Type", "application/zip"),
                ("Content-Disposition", "attachment; filename=\"\(project.id)-\(label)-masks.zip\""),
            ], body: .bytes(zip))
        }
        router.add("POST", base + "/masks/match") { [self] request, p in
            let (project, _) = try openLabel(p)
            let body: API.MatchMasks = try request.decodeJSON()
            let matcher = MaskFileMatcher(imageIDs: project.imageIDs())
            struct Matches: Encodable { let matches: [API.MaskMatch] }
            return .json(Matches(matches: body.files.map { file in
                let image = matcher.image(for: file)
                return API.MaskMatch(file: file, image: image, reason: image == nil ? MaskFileMatcher.noMatch : nil)
            }))
        }
    }

    /// A mask sent as base64 PNG (`maskPNG`), checked against the image's size before it is
    /// decoded: a few bytes of base64 could otherwise declare a mask of billions of pixels.
    func uploadedMask(_ base64: String, project: Project, image: String) throws -> BinaryMask {
        guard let png = Data(base64Encoded: base64).map({ [UInt8]($0) }) else {
            throw HTTPError.badRequest("maskPNG must be a base64-encoded PNG")
        }
        if let declared = try checkPixelLimit(png, what: "the mask") {
            let header = try store { try project.imageHeader(image) }
            guard declared.width == header.width, declared.height == header.height else {
                throw HTTPError(status: 422, message: ProjectStoreError.maskSizeMismatch(
                    image: image, expected: "\(header.width) x \(header.height)",
                    actual: "\(declared.width) x \(declared.height)").description)
            }
        }
        do {
            return try BinaryMask(png: png, limits: PNGLimits(maxPixels: configuration.maxImagePixels))
        } catch {
            throw HTTPError(status: 422, message: "maskPNG is not a readable PNG: \(error)")
        }
    }

    func openLabel(_ parameters: RouteParameters) throws -> (Project, String) {
        let project = try open(parameters)
        let label = parameters["label"] ?? ""
        guard try store({ try project.labels() }).contains(label) else {
            throw HTTPError.notFound("no label '\(label)' in project '\(project.id)'")
        }
        return (project, label)
    }

    func requirePredictions() throws -> PredictionService {
        guard predictions.model != nil else {
            throw HTTPError(status: 503, message: "no model is loaded (\(modelProblem ?? "unknown")); start the app with --weights FILE")
        }
        return predictions
    }

    /// Refuses interactions outside the image with a 400 before they reach the queue.
    func checkCoordinates(_ interactions: Interactions, project: Project, image: String) throws {
        let header = try store { try project.imageHeader(image) }
        do {
            try interactions.validate(imageWidth: header.width, height: header.height)
        } catch let error as PredictorError {
            throw HTTPError.badRequest(error.description)
        }
    }

    /// The images in volume order: each volume's slices (volumes by id) every k-th first, with k
    /// spreading about 8 slices over the volume, then the slices between them in order, so the
    /// first accepts cover the whole volume and the context set sees its range; then the images
    /// that are no volume slices, by name.
    ///
    /// ```swift
    /// App.volumeOrder(index, images: ids)   // 40 slices: 0, 5, 10, ... 35, then 1, 2, 3, 4, 6, ...; then the others
    /// ```
    static func volumeOrder(_ index: VolumeIndex, images: [String]) -> [String] {
        var sequence: [String] = []
        var seen = Set<String>()
        for sidecar in index.volumes.sorted(by: { $0.id < $1.id }) {
            let slices = sidecar.slices.map(\.image)
            let step = max(1, slices.count / 8)
            let coarse = stride(from: 0, to: slices.count, by: step).map { slices[$0] }
            for image in coarse + slices where seen.insert(image).inserted { sequence.append(image) }
        }
        return sequence + images.filter { !seen.contains($0) }
    }

    func unlabeled(project: Project, label: String) throws -> [String] {
        let accepted = project.acceptedImages(label: label)
        return project.imageIDs().filter { !accepted.contains($0) }
    }

    /// The next image without an accepted mask. `listed`: the first after `after` in name order
    /// (wrapping around); `random`: any; `uncertain`: the one whose in-context prediction has the
    /// highest mean binary entropy among up to 24 candidates (following `after` in name order),
    /// since ranking every image would take a prediction each; `volume`: volume by volume
    /// (`volumeOrder`), coarse slices first, continuing after `after`.
    /// `candidates`: the unlabeled images when the caller has them already.
    func nextImage(project: Project, label: String, after: String?, order: String,
                   candidates known: [String]? = nil) throws -> String? {
        let candidates = try known ?? unlabeled(project: project, label: label)
        guard !candidates.isEmpty else { return nil }
        let rotated: [String]
        if let after, let split = candidates.firstIndex(where: { $0 > after }) {
            rotated = Array(candidates[split...] + candidates[..<split])
        } else {
            rotated = candidates
        }
        switch order {
        case "volume":
            let open = Set(candidates)
            let sequence = Self.volumeOrder(project.volumeIndex(), images: project.imageIDs())
            let start = after.flatMap { sequence.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
            let rotatedSequence = sequence[start...] + sequence[..<start]
            return rotatedSequence.first { open.contains($0) && $0 != after } ?? rotated.first
        case "random":
            return rotated.filter { $0 != after }.randomElement() ?? rotated.first
        case "uncertain":
            guard predictions.model != nil else { return rotated.first }
            var best: (id: String, score: Double)?
            // The image the user moves on from is no candidate, unless it is the only one left.
            for id in rotated.filter({ $0 != after }).prefix(24) {
                let result = try predictions.inContextPrediction(project: project, label: label, image: id)
                if best == nil || result.uncertainty > best!.score { best = (id, result.uncertainty) }
            }
            return best?.id ?? rotated.first
        default:
            return rotated.first
        }
    }
}
