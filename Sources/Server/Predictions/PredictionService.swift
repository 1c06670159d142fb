import Foundation
import Inference
import MicroHTTP
import ProjectStore

/// Runs predictions for the pages, one at a time on a worker thread, and streams the results to
/// each page's event stream.
///
/// It only schedules: requests wait in a `LatestWinsQueue` (a burst of clicks never builds a
/// queue of stale work); when no page is waiting, the worker computes a `PrefetchQueue` image's
/// in-context prediction into the `PredictionCache`; between jobs, busy or not, the
/// `CollaboratorWatcher` looks for context changes written by another app. Images and context
/// sets come from the `ContextCache`; pages hear `PredictionEvent`s.
///
/// ```swift
/// let service = PredictionService(model: model, library: library)
/// let stream = service.subscribe(session: "page-1", project: project, label: "bone")
/// _ = service.submit(PredictionService.Job(session: "page-1", project: project, label: "bone", image: "knee-07",
///                                          seq: 1, interactions: clicks, usePrevious: false))
/// ```
final class PredictionService: @unchecked Sendable {
    struct Job {
        let session: String
        let project: Project
        let label: String
        let image: String
        let seq: Int
        let interactions: Interactions
        let usePrevious: Bool
    }

    private struct Session {
        let label: LabelKey
        let stream: EventStream
        /// The image and logits of the last prediction sent, to refine on request.
        var previous: (image: String, logits: [Float])?
    }

    private struct Prefetch: Equatable {
        let project: Project
        let label: String
        let image: String

        static func == (a: Prefetch, b: Prefetch) -> Bool {
            a.project.id == b.project.id && a.label == b.label && a.image == b.image
        }
    }

    private typealias Ready = (result: PredictionResult, logits: [Float])

    /// Nil when the app runs without weights: pages still get their event stream (and hear of
    /// collaborators' context changes), but nothing is predicted.
    let model: ModelRunner?
    private let library: ProjectLibrary
    private let contexts = ContextCache()
    private let watcher = CollaboratorWatcher()
    // Everything below is guarded by `condition`, which also wakes the worker.
    private let condition = NSCondition()
    private var queue = LatestWinsQueue<Job>()
    private var prefetches = PrefetchQueue<Prefetch>(capacity: 8)
    private var ready = PredictionCache<Ready>(capacity: 64)
    private var sessions: [String: Session] = [:]
    private var stopped = false

    init(model: ModelRunner?, library: ProjectLibrary) {
        self.model = model
        self.library = library
        let thread = Thread { [weak self] in self?.run() }
        thread.name = "multiverseg.predictions"
        thread.start()
    }

    // MARK: Pages

    /// The event stream of a page; a page reconnecting with the same session id replaces its old
    /// stream. Nil when `limit` other pages are open already.
    func subscribe(session: String, project: Project, label: String, limit: Int = .max) -> EventStream? {
        let key = LabelKey(project, label)
        let stream = EventStream()
        let revision = project.contextRevision(label: label)
        condition.lock()
        // Pages that went away leave closed streams behind; forget them (and their logits) here,
        // so the table holds the open pages only, however many came and went.
        for (id, state) in sessions where state.stream.isClosed {
            sessions[id] = nil
            queue.forget(session: id)
        }
        guard sessions.count - (sessions[session] == nil ? 0 : 1) < limit else {
            condition.unlock()
            return nil
        }
        let old = sessions[session]
        sessions[session] = Session(label: key, stream: stream, previous: nil)
        condition.unlock()
        watcher.watch(key, revision: revision)
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
            ? readyKey(project: job.project, label: job.label, image: job.image) : nil
        condition.lock()
        defer { condition.unlock() }
        guard var session = sessions[job.session], !session.stream.isClosed else { return false }
        switch queue.submit(job, seq: job.seq, session: job.session) {
        case .stale:
            PredictionEvent.superseded(image: job.image, seq: job.seq).send(on: session.stream)
            return true
        case let .replacing(replaced, seq):
            PredictionEvent.superseded(image: replaced.image, seq: seq).send(on: session.stream)
        case .queued:
            break
        }
        if let cacheKey, let hit = ready[cacheKey] {
            queue.withdraw(session: job.session)
            _ = queue.answer(seq: job.seq, session: job.session)
            session.previous = (job.image, hit.logits)
            sessions[job.session] = session
            PredictionEvent.prediction(hit.result.answering(seq: job.seq)).send(on: session.stream)
            return true
        }
        condition.signal()
        return true
    }

    /// Asks the worker to precompute the in-context prediction of `image` when it is idle.
    func prefetch(project: Project, label: String, image: String) {
        condition.lock()
        prefetches.add(Prefetch(project: project, label: label, image: image))
        condition.signal()
        condition.unlock()
    }

    /// Tells every page on this label that its context set changed.
    func announceContextChange(project: Project, label: String) {
        let key = LabelKey(project, label)
        let revision = project.contextRevision(label: label)
        watcher.record(key, revision: revision)
        condition.lock()
        let streams = sessions.values.filter { $0.label == key }.map(\.stream)
        condition.unlock()
        for stream in streams {
            PredictionEvent.context(label: label, contextSize: revision.includedCount).send(on: stream)
        }
    }

    /// The in-context prediction of an image without interactions, from the cache or computed now
    /// (on the caller's thread, taking turns with the worker).
    func inContextPrediction(project: Project, label: String, image: String) throws -> PredictionResult {
        try predict(project: project, label: label, image: image, interactions: Interactions(),
                    previous: nil, seq: 0).result
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

    private enum Work {
        case job(Job, stream: EventStream, previous: (image: String, logits: [Float])?)
        case prefetch(Prefetch)
        case watch
        case stop
    }

    private func run() {
        // Collaborators' changes are looked for between jobs, busy or not: while this app's user
        // keeps the worker busy, the pages must still hear of the other app's accepts.
        var lastWatch = Date()
        while true {
            if Date().timeIntervalSince(lastWatch) >= CollaboratorWatcher.interval {
                watchForCollaborators()
                lastWatch = Date()
            }
            switch nextWork(watchBy: lastWatch.addingTimeInterval(CollaboratorWatcher.interval)) {
            case .stop:
                return
            case .watch:
                continue
            case let .job(job, stream, previous):
                run(job, stream: stream, previous: previous)
            case let .prefetch(prefetch):
                _ = try? predict(project: prefetch.project, label: prefetch.label, image: prefetch.image,
                                 interactions: Interactions(), previous: nil, seq: 0)
            }
        }
    }

    /// Waits for a request (first), a prefetch (when none waits), the time to watch, or stop.
    private func nextWork(watchBy deadline: Date) -> Work {
        condition.lock()
        defer { condition.unlock() }
        while !stopped && queue.isEmpty && prefetches.isEmpty {
            if !condition.wait(until: deadline) { break }
        }
        if stopped { return .stop }
        while let next = queue.next() {
            // A page that closed before its turn needs no prediction.
            if let state = sessions[next.session], !state.stream.isClosed {
                return .job(next.job, stream: state.stream, previous: state.previous)
            }
        }
        if let prefetch = prefetches.next() { return .prefetch(prefetch) }
        return .watch
    }

    private func run(_ job: Job, stream: EventStream, previous: (image: String, logits: [Float])?) {
        do {
            let previousLogits = job.usePrevious && previous?.image == job.image ? previous?.logits : nil
            let (result, logits) = try predict(
                project: job.project, label: job.label, image: job.image, interactions: job.interactions,
                previous: previousLogits, seq: job.seq)
            condition.lock()
            defer { condition.unlock() }
            // Sent under the lock, so a cached answer to a newer request cannot slip in between
            // the check and the send.
            if var state = sessions[job.session], state.stream === stream {
                guard queue.answer(seq: job.seq, session: job.session) else {
                    PredictionEvent.superseded(image: job.image, seq: job.seq).send(on: stream)
                    return
                }
                state.previous = (job.image, logits)
                sessions[job.session] = state
            }
            PredictionEvent.prediction(result).send(on: stream)
        } catch {
            let message = (error as? HTTPError)?.message ?? "\(error)"
            PredictionEvent.failed(image: job.image, seq: job.seq, error: message).send(on: stream)
        }
    }

    private func predict(
        project: Project, label: String, image: String, interactions: Interactions, previous: [Float]?, seq: Int
    ) throws -> Ready {
        // The manifest is read once: the ready key and the context set agree on one revision.
        let manifest = Result { try project.context(label: label) }
        let revision = ContextRevision(manifest: try? manifest.get())
        let cacheKey = interactions.isEmpty && previous == nil
            ? PredictionCache<Ready>.Key(label: LabelKey(project, label), image: image, context: revision) : nil
        if let cacheKey {
            condition.lock()
            let hit = ready[cacheKey]
            condition.unlock()
            if let hit { return (hit.result.answering(seq: seq), hit.logits) }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let target = try contexts.greyImage(project: project, image: image)
        guard let model else { throw HTTPError(status: 503, message: "no model is loaded") }
        let prediction = try model.withPredictor { predictor -> Prediction in
            // An unreadable manifest fails here, as reading it did before.
            _ = try manifest.get()
            let context = try contexts.contextSet(project: project, label: label, revision: revision, model: model)
            return try predictor.predict(target, interactions: interactions, context: context,
                                         previousLogits: previous, excludingContextID: image)
        }
        let result = try PredictionResult(prediction, image: image, label: label, seq: seq, latency: clock.now - start)
        if let cacheKey {
            condition.lock()
            ready.insert((result, prediction.lowResolutionLogits), for: cacheKey)
            condition.unlock()
        }
        return (result, prediction.lowResolutionLogits)
    }

    private func readyKey(project: Project, label: String, image: String) -> PredictionCache<Ready>.Key {
        .init(label: LabelKey(project, label), image: image, context: project.contextRevision(label: label))
    }

    /// Tells the pages of labels whose context another app changed.
    private func watchForCollaborators() {
        condition.lock()
        let open = Set(sessions.values.filter { !$0.stream.isClosed }.map(\.label))
        condition.unlock()
        let changed = watcher.changes(among: open) { key in
            (try? library.project(key.project))?.contextRevision(label: key.label)
        }
        for key in changed {
            guard let project = try? library.project(key.project) else { continue }
            announceContextChange(project: project, label: key.label)
        }
    }
}
