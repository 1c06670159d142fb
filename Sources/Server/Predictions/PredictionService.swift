import Foundation
import Imaging
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
        /// A mask to refine from (a proposal under review): stands in for the previous prediction.
        var previousMask: BinaryMask? = nil
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

    /// Stale proposals of one label to predict again, one image per idle turn of the worker.
    private struct Refresh {
        let project: Project
        let label: String
        let model: String
        var images: [String]
        var done = 0
        var total: Int
    }

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
    private var refreshes: [Refresh] = []
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
        let cacheKey = job.interactions.isEmpty && !job.usePrevious && job.previousMask == nil
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

    /// Queues the stale proposals `images` of a label to be predicted again from its current
    /// context, at the lowest priority: the worker takes one only when no page waits for a
    /// prediction and nothing is to prefetch, so a page's request waits at most for one image.
    /// `model` is what the new records name (`ProposalRecord.model`). Pages on the label hear
    /// `refresh` events with the progress. Returns how many images are queued for the label.
    @discardableResult
    func refreshProposals(project: Project, label: String, images: [String], model: String) -> Int {
        let key = LabelKey(project, label)
        condition.lock()
        defer { condition.unlock() }
        if let index = refreshes.firstIndex(where: { LabelKey($0.project, $0.label) == key }) {
            let known = Set(refreshes[index].images)
            let added = images.filter { !known.contains($0) }
            refreshes[index].images += added
            refreshes[index].total += added.count
            return refreshes[index].images.count
        }
        guard !images.isEmpty else { return 0 }
        refreshes.append(Refresh(project: project, label: label, model: model, images: images, total: images.count))
        condition.signal()
        return images.count
    }

    /// Images still queued for a refresh of this label (for the review page and tests).
    func pendingRefresh(project: Project, label: String) -> Int {
        let key = LabelKey(project, label)
        condition.lock()
        defer { condition.unlock() }
        return refreshes.first { LabelKey($0.project, $0.label) == key }?.images.count ?? 0
    }

    /// Tells every page on this label that its context set changed; `change` names the image
    /// that changed and its state, when one did (`App.announceChange`).
    func announceContextChange(project: Project, label: String, change: App.ImageChange? = nil) {
        let key = LabelKey(project, label)
        let revision = project.contextRevision(label: label)
        watcher.record(key, revision: revision)
        condition.lock()
        let streams = sessions.values.filter { $0.label == key }.map(\.stream)
        condition.unlock()
        for stream in streams {
            PredictionEvent.context(label: label, contextSize: revision.includedCount, revision: revision.fingerprint,
                                    change: change).send(on: stream)
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
        case refresh(project: Project, label: String, image: String, model: String, done: Int, total: Int)
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
            case let .refresh(project, label, image, model, done, total):
                refreshProposal(project: project, label: label, image: image, model: model)
                announce(.refresh(label: label, image: image, done: done, total: total), on: LabelKey(project, label))
            }
        }
    }

    /// Waits for a request (first), a prefetch (when none waits), the time to watch, or stop.
    private func nextWork(watchBy deadline: Date) -> Work {
        condition.lock()
        defer { condition.unlock() }
        while !stopped && queue.isEmpty && prefetches.isEmpty && refreshes.isEmpty {
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
        if !refreshes.isEmpty {
            var refresh = refreshes.removeFirst()
            let image = refresh.images.removeFirst()
            refresh.done += 1
            let work = Work.refresh(project: refresh.project, label: refresh.label, image: image, model: refresh.model,
                                    done: refresh.done, total: refresh.total)
            // Labels take turns, one image each.
            if !refresh.images.isEmpty { refreshes.append(refresh) }
            return work
        }
        return .watch
    }

    private func run(_ job: Job, stream: EventStream, previous: (image: String, logits: [Float])?) {
        do {
            var previousLogits = job.usePrevious && previous?.image == job.image ? previous?.logits : nil
            if let mask = job.previousMask, let model {
                previousLogits = try model.withPredictor { $0.previousLogits(from: mask) }
            }
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

    /// Predicts a stale proposal again from the label's current context, as `propagate` would,
    /// and saves it with the revision read before predicting (a context changed meanwhile leaves
    /// it stale, never wrongly fresh). A proposal reviewed, replaced or made fresh meanwhile, or
    /// a draft, is left alone; failures leave the old proposal.
    private func refreshProposal(project: Project, label: String, image: String, model: String) {
        let current = project.contextRevision(label: label)
        let revision = current.fingerprint
        guard let runner = self.model, let record = try? project.proposal(label: label, image: image),
              !record.isDraft, record.contextRevision != revision || record.model != model,
              !project.isAccepted(label: label, image: image),
              let target = try? contexts.networkImage(project: project, image: image, window: current.window, keep: false)
        else { return }
        guard let prediction = try? runner.withPredictor({ predictor -> Prediction in
            let context = try contexts.contextSet(project: project, label: label, revision: current, model: runner)
            return try predictor.predict(target, context: context, excludingContextID: image)
        }) else { return }
        let fresh = ProposalRecord(contextRevision: revision, uncertainty: prediction.uncertainty, model: model,
                                   contextSize: prediction.contextIDs.count)
        _ = try? project.saveProposal(label: label, image: image, mask: prediction.mask, record: fresh)
    }

    /// Sends `event` to every open page on `key`.
    private func announce(_ event: PredictionEvent, on key: LabelKey) {
        condition.lock()
        let streams = sessions.values.filter { $0.label == key }.map(\.stream)
        condition.unlock()
        for stream in streams { event.send(on: stream) }
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
        let target = try contexts.networkImage(project: project, image: image, window: revision.window)
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
