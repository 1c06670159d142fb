import Foundation
import Imaging
import Inference
import MicroHTTP
import PNGCodec
import ProjectStore

/// Runs predictions for the pages, one at a time on a worker thread, and streams the results to
/// each page's event stream.
///
/// Latest wins: each session (one open labeling page) has at most one pending request; a newer one
/// replaces it and the replaced one is answered with a `superseded` event, so a burst of clicks
/// never builds a queue of stale work. When no page is waiting, the worker precomputes the
/// in-context prediction of the image a page will open next.
final class PredictionService: @unchecked Sendable {
    struct Job {
        let session: String
        let project: Project
        let label: String
        let image: String
        let seq: Int
        let interactions: Interactions
        let interactionCount: Int
        let usePrevious: Bool
    }

    /// What a page is told about one prediction.
    struct Result: Encodable {
        let image: String
        let label: String
        let seq: Int
        let latencyMs: Double
        let contextSize: Int
        let network: String
        /// Mean binary entropy (bits) of the predicted probabilities over the network's R x R
        /// output: 0 when every pixel is certain, 1 when every pixel is a coin flip.
        let uncertainty: Double
        let maskPNG: String
        let cached: Bool

        /// This result as the answer to request `seq`, marked as served from the cache.
        func answering(seq: Int) -> Result {
            Result(image: image, label: label, seq: seq, latencyMs: latencyMs, contextSize: contextSize,
                   network: network, uncertainty: uncertainty, maskPNG: maskPNG, cached: true)
        }
    }

    private struct Session {
        let project: String
        let label: String
        let stream: EventStream
        var previous: (image: String, logits: [Float])?
        /// The highest seq this session has submitted: an older request arriving late (requests
        /// travel on several connections) is answered `superseded` at once.
        var newestSubmitted = Int.min
        /// The highest seq answered with a prediction: a slower, older prediction finishing after
        /// it is answered `superseded`, so predictions reach the page in seq order.
        var newestPredicted = Int.min
    }

    private struct Prefetch {
        let project: Project
        let label: String
        let image: String
    }

    /// Nil when the app runs without weights: pages still get their event stream (and hear of
    /// collaborators' context changes), but nothing is predicted.
    let model: ModelRunner?
    private let condition = NSCondition()
    private var pending: [String: Job] = [:]
    private var arrival: [String] = []
    private var prefetches: [Prefetch] = []
    private var sessions: [String: Session] = [:]
    private var stopped = false
    private var worker: Thread?
    private let contexts = ContextCache()
    /// In-context predictions without interactions, by project/label/image/context signature.
    private var ready: [String: (result: Result, logits: [Float])] = [:]
    private var readyOrder: [String] = []
    private var lastSeenContext: [String: String] = [:]

    init(model: ModelRunner?) {
        self.model = model
        let thread = Thread { [weak self] in self?.run() }
        thread.name = "multiverseg.predictions"
        worker = thread
        thread.start()
    }

    // MARK: Pages

    /// The event stream of a page; a page reconnecting with the same session id replaces its old
    /// stream. Nil when `limit` other pages are open already.
    func subscribe(session: String, project: Project, label: String, limit: Int = .max) -> EventStream? {
        let stream = EventStream()
        let signature = Self.contextSignature(project: project, label: label)
        condition.lock()
        // Pages that went away leave closed streams behind; forget them (and their logits) here,
        // so the table holds the open pages only, however many came and went.
        for (id, state) in sessions where state.stream.isClosed {
            sessions[id] = nil
            if pending.removeValue(forKey: id) != nil { arrival.removeAll { $0 == id } }
        }
        guard sessions.count - (sessions[session] == nil ? 0 : 1) < limit else {
            condition.unlock()
            return nil
        }
        let old = sessions[session]
        var state = Session(project: project.id, label: label, stream: stream, previous: nil)
        // A reconnecting page keeps counting from where it was.
        state.newestSubmitted = old?.newestSubmitted ?? .min
        state.newestPredicted = old?.newestPredicted ?? .min
        sessions[session] = state
        if lastSeenContext["\(project.id)/\(label)"] == nil { lastSeenContext["\(project.id)/\(label)"] = signature }
        condition.unlock()
        old?.stream.close()
        return stream
    }

    /// Sessions remembered, open or not yet forgotten (for tests).
    var sessionCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return sessions.count
    }

    /// Queues a prediction; returns false when the session has no open event stream. A request
    /// without interactions whose in-context prediction is ready is answered at once, without
    /// waiting behind the worker.
    func submit(_ job: Job) -> Bool {
        let cacheKey = job.interactions.isEmpty && !job.usePrevious
            ? Self.readyKey(project: job.project, label: job.label, image: job.image) : nil
        condition.lock()
        defer { condition.unlock() }
        guard var session = sessions[job.session], !session.stream.isClosed else { return false }
        // Latest wins by seq, not by arrival: a request older than one already seen is stale.
        guard job.seq > session.newestSubmitted else {
            Self.sendSuperseded(image: job.image, seq: job.seq, on: session.stream)
            return true
        }
        session.newestSubmitted = job.seq
        if let replaced = pending.removeValue(forKey: job.session) {
            Self.sendSuperseded(image: replaced.image, seq: replaced.seq, on: session.stream)
        } else {
            arrival.append(job.session)
        }
        if let cacheKey, let hit = ready[cacheKey] {
            arrival.removeAll { $0 == job.session }
            session.previous = (job.image, hit.logits)
            session.newestPredicted = job.seq
            sessions[job.session] = session
            session.stream.send(event: "prediction", data: Self.json(hit.result.answering(seq: job.seq)))
            return true
        }
        sessions[job.session] = session
        pending[job.session] = job
        condition.signal()
        return true
    }

    private static func sendSuperseded(image: String, seq: Int, on stream: EventStream) {
        struct Superseded: Encodable { let image: String; let seq: Int }
        stream.send(event: "superseded", data: json(Superseded(image: image, seq: seq)))
    }

    /// Asks the worker to precompute the in-context prediction of `image` when it is idle.
    func prefetch(project: Project, label: String, image: String) {
        condition.lock()
        prefetches.removeAll { $0.project.id == project.id && $0.label == label && $0.image == image }
        prefetches.append(Prefetch(project: project, label: label, image: image))
        if prefetches.count > 8 { prefetches.removeFirst() }
        condition.signal()
        condition.unlock()
    }

    /// Tells every page on this label that its context set changed.
    func announceContextChange(project: Project, label: String) {
        let size = (try? project.context(label: label).includedEntries.count) ?? 0
        condition.lock()
        let key = "\(project.id)/\(label)"
        lastSeenContext[key] = Self.contextSignature(project: project, label: label)
        let streams = sessions.values.filter { $0.project == project.id && $0.label == label }.map(\.stream)
        condition.unlock()
        for stream in streams {
            stream.send(event: "context", data: "{\"label\":\(Self.quoted(label)),\"contextSize\":\(size)}")
        }
    }

    /// The in-context prediction of an image without interactions, from the cache or computed now
    /// (on the caller's thread, taking turns with the worker).
    func inContextPrediction(project: Project, label: String, image: String) throws -> Result {
        try predict(project: project, label: label, image: image, interactions: Interactions(),
                    interactionCount: 0, previous: nil, seq: 0).result
    }

    func stop() {
        condition.lock()
        stopped = true
        let streams = sessions.values.map(\.stream)
        condition.broadcast()
        condition.unlock()
        for stream in streams { stream.close() }
    }

    // MARK: The worker

    private func run() {
        // Collaborators' changes are looked for every 2 s between jobs, busy or not: while this
        // app's user keeps the worker busy, the pages must still hear of the other app's accepts.
        var lastWatch = Date()
        while true {
            if Date().timeIntervalSince(lastWatch) >= 2 {
                watchForCollaborators()
                lastWatch = Date()
            }
            condition.lock()
            while !stopped && arrival.isEmpty && prefetches.isEmpty {
                if !condition.wait(until: lastWatch.addingTimeInterval(2)) { break }
            }
            if stopped {
                condition.unlock()
                return
            }
            if arrival.isEmpty && prefetches.isEmpty {
                condition.unlock()
                continue
            }
            if !arrival.isEmpty {
                let session = arrival.removeFirst()
                let job = pending.removeValue(forKey: session)
                let state = sessions[session]
                condition.unlock()
                // A page that closed before its turn needs no prediction.
                if let job, let state, !state.stream.isClosed {
                    run(job, stream: state.stream, previous: state.previous)
                }
            } else {
                let prefetch = prefetches.removeLast()
                condition.unlock()
                _ = try? predict(project: prefetch.project, label: prefetch.label, image: prefetch.image,
                                 interactions: Interactions(), interactionCount: 0, previous: nil, seq: 0)
            }
        }
    }

    private func run(_ job: Job, stream: EventStream, previous: (image: String, logits: [Float])?) {
        do {
            let previousLogits = job.usePrevious && previous?.image == job.image ? previous?.logits : nil
            let (result, logits) = try predict(
                project: job.project, label: job.label, image: job.image, interactions: job.interactions,
                interactionCount: job.interactionCount, previous: previousLogits, seq: job.seq)
            condition.lock()
            defer { condition.unlock() }
            // Sent under the lock, so a cached answer to a newer request cannot slip in between
            // the check and the send.
            if var state = sessions[job.session], state.stream === stream {
                if state.newestPredicted > job.seq {
                    Self.sendSuperseded(image: job.image, seq: job.seq, on: stream)
                    return
                }
                state.previous = (job.image, logits)
                state.newestPredicted = job.seq
                sessions[job.session] = state
            }
            stream.send(event: "prediction", data: Self.json(result))
        } catch {
            let message = (error as? HTTPError)?.message ?? "\(error)"
            stream.send(event: "failed", data: "{\"image\":\(Self.quoted(job.image)),\"seq\":\(job.seq),\"error\":\(Self.quoted(message))}")
        }
    }

    private func predict(
        project: Project, label: String, image: String, interactions: Interactions, interactionCount: Int,
        previous: [Float]?, seq: Int
    ) throws -> (result: Result, logits: [Float]) {
        let cacheable = interactions.isEmpty && previous == nil
        let key = Self.readyKey(project: project, label: label, image: image)
        if cacheable {
            condition.lock()
            let hit = ready[key]
            condition.unlock()
            if let hit { return (hit.result.answering(seq: seq), hit.logits) }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let target = try contexts.greyImage(project: project, image: image)
        guard let model else { throw HTTPError(status: 503, message: "no model is loaded") }
        let prediction = try model.withPredictor { predictor -> Prediction in
            let context = try contexts.contextSet(project: project, label: label, model: model)
            return try predictor.predict(target, interactions: interactions, context: context,
                                         previousLogits: previous, excludingContextID: image)
        }
        let elapsed = clock.now - start
        let png = try prediction.mask.pngData()
        let result = Result(
            image: image, label: label, seq: seq,
            latencyMs: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15,
            contextSize: prediction.contextIDs.count,
            network: prediction.usedInteractiveNetwork ? "interactive" : "multiverseg",
            uncertainty: Self.uncertainty(prediction.lowResolutionLogits),
            maskPNG: Data(png).base64EncodedString(), cached: false)
        if cacheable {
            condition.lock()
            if ready[key] == nil { readyOrder.append(key) }
            ready[key] = (result, prediction.lowResolutionLogits)
            while readyOrder.count > 64 { ready[readyOrder.removeFirst()] = nil }
            condition.unlock()
        }
        return (result, prediction.lowResolutionLogits)
    }

    /// Cached predictions are keyed by the context they were made with, so a changed context set
    /// (here or by a collaborator) never serves a stale one.
    private static func readyKey(project: Project, label: String, image: String) -> String {
        "\(project.id)/\(label)/\(image)/\(contextSignature(project: project, label: label))"
    }

    /// Notices context changes written by another app on a shared folder and tells the pages.
    private func watchForCollaborators() {
        condition.lock()
        let watched = Array(lastSeenContext.keys)
        let open = Set(sessions.values.filter { !$0.stream.isClosed }.map { "\($0.project)/\($0.label)" })
        condition.unlock()
        for key in watched where open.contains(key) {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let project = try? contexts.project(parts[0]) else { continue }
            let signature = Self.contextSignature(project: project, label: parts[1])
            condition.lock()
            let changed = lastSeenContext[key] != signature
            lastSeenContext[key] = signature
            condition.unlock()
            if changed { announceContextChange(project: project, label: parts[1]) }
        }
    }

    func attach(library: ProjectLibrary) { contexts.library = library }

    // MARK: Helpers

    static func contextSignature(project: Project, label: String) -> String {
        guard let manifest = try? project.context(label: label) else { return "none" }
        return manifest.entries.map { "\($0.id)@\($0.version)\($0.included ? "" : "x")" }.joined(separator: ",")
    }

    static func uncertainty(_ logits: [Float]) -> Double {
        guard !logits.isEmpty else { return 0 }
        var total = 0.0
        for logit in logits {
            let p = 1 / (1 + exp(-Double(logit)))
            if p > 1e-12 && p < 1 - 1e-12 { total -= p * log2(p) + (1 - p) * log2(1 - p) }
        }
        return total / Double(logits.count)
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func quoted(_ text: String) -> String { json([text]).dropFirst().dropLast().description }
}

/// Decoded images and prepared context sets, reused across predictions and refreshed when the
/// project's context manifest changes (here or in a collaborator's app).
final class ContextCache: @unchecked Sendable {
    private let lock = NSLock()
    private var images: [String: GreyImage] = [:]
    private var imageOrder: [String] = []
    private var sets: [String: (signature: [String: Int], set: ContextSet)] = [:]
    var library: ProjectLibrary?

    func project(_ id: String) throws -> Project {
        guard let library else { throw HTTPError.notFound("no project '\(id)'") }
        return try library.project(id)
    }

    /// Decoded images kept at most: a few large scans must not pin gigabytes (a 4000 x 3000
    /// image is 48 MB of floats), nor many small ones thousands of entries.
    let maxCachedImages: Int
    let maxCachedImageBytes: Int
    private var imageBytes = 0

    init(maxCachedImages: Int = 48, maxCachedImageBytes: Int = 256 << 20) {
        self.maxCachedImages = maxCachedImages
        self.maxCachedImageBytes = maxCachedImageBytes
    }

    /// The image as the network sees it: luminance at its original bit depth. `keep: false` reads
    /// it without caching (context entries are prepared once and need not evict the targets).
    func greyImage(project: Project, image: String, keep: Bool = true) throws -> GreyImage {
        let key = "\(project.id)/\(image)"
        lock.lock()
        if let cached = images[key] {
            lock.unlock()
            return cached
        }
        lock.unlock()
        let png = try project.loadImage(image)
        let grey = GreyImage(png)
        guard keep else { return grey }
        lock.lock()
        defer { lock.unlock() }
        if let old = images[key] {
            imageBytes -= old.pixels.count * MemoryLayout<Float>.size
        } else {
            imageOrder.append(key)
        }
        images[key] = grey
        imageBytes += grey.pixels.count * MemoryLayout<Float>.size
        while imageOrder.count > 1
                && (imageOrder.count > maxCachedImages || imageBytes > maxCachedImageBytes) {
            let evicted = imageOrder.removeFirst()
            if let old = images.removeValue(forKey: evicted) { imageBytes -= old.pixels.count * MemoryLayout<Float>.size }
        }
        return grey
    }

    /// Decoded images held, and their bytes (for tests).
    var cachedImages: (count: Int, bytes: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (images.count, imageBytes)
    }

    /// The label's included context entries, prepared at the network's resolution. Only entries
    /// that are new or whose mask changed since the last call are prepared again.
    func contextSet(project: Project, label: String, model: ModelRunner) throws -> ContextSet {
        let key = "\(project.id)/\(label)"
        let manifest = try project.context(label: label)
        let wanted = Dictionary(manifest.includedEntries.map { ($0.id, $0.version) }, uniquingKeysWith: { a, _ in a })
        lock.lock()
        var cached = sets[key] ?? (signature: [:], set: model.makeContextSet())
        lock.unlock()
        if cached.signature == wanted { return cached.set }
        for id in cached.signature.keys where wanted[id] == nil { _ = cached.set.remove(id: id) }
        for (id, version) in wanted where cached.signature[id] != version {
            // An entry whose image or mask went missing or broke on disk (a hand-edited folder)
            // is left out rather than failing every prediction of the label.
            guard let mask = try? project.mask(label: label, image: id),
                  let image = try? greyImage(project: project, image: id, keep: false),
                  mask.width == image.width, mask.height == image.height
            else {
                _ = cached.set.remove(id: id)
                continue
            }
            try cached.set.insert(id: id, image: image, mask: mask)
        }
        cached.signature = wanted
        lock.lock()
        sets[key] = cached
        lock.unlock()
        return cached.set
    }
}
