import Foundation
import Imaging
import Inference
import ProjectStore
import Synchronization

/// What one `propagate` run will do: the label's context revision it predicts from and the images
/// left to propose for.
public struct PropagationPlan: Sendable {
    public let label: String
    /// The context as read when the plan was made; proposals record its fingerprint.
    public let revision: ContextRevision
    /// Images without an accepted mask in this run's subset and shard.
    public let remaining: [String]
    /// Those of `remaining` still without a proposal from this context revision and model,
    /// cut to the limit: the work.
    public let todo: [String]
    /// Those of `remaining` whose proposal is up to date (skipped).
    public let upToDate: Int
    /// Those of `remaining` skipped because someone reviewed them: a proposal from this context
    /// revision was rejected, or the image has a draft (an imported mask) waiting for review.
    public var reviewed: Int = 0
}

/// What a run did.
public struct PropagationSummary: Sendable, Equatable {
    public var proposed = 0
    /// Images accepted by someone while the run went on: no proposal was written for them.
    public var acceptedMeanwhile = 0
    public var seconds = 0.0
    public var imagesPerSecond: Double { seconds > 0 ? Double(proposed) / seconds : 0 }
}

/// Predicts a label's remaining images from its current context (no interactions) and stores each
/// result as a proposal (`Project.saveProposal`), never as an accepted mask. The context is built
/// the way the app builds it (`ContextSet.update` from the manifest, in its order; the predictor
/// chooses the most similar entries up to `PredictorOptions.contextLimit`). Resumable: an image
/// whose proposal was made from the same context revision by the same model is skipped.
///
/// Each worker thread has its own single-threaded predictor, so a proposal does not depend on how
/// many workers ran (the forward pass of one network is deterministic for a given thread count).
///
/// ```swift
/// let propagator = try Propagator(project: project, label: "head", spec: spec, model: "default.safetensors sha256:…")
/// let plan = try propagator.plan(shard: try Shard.parse("0/4"))
/// let summary = try propagator.run(plan, workers: 2) { done, total in print(done, total) }
/// ```
public final class Propagator: Sendable {
    public let project: Project
    public let label: String
    public let spec: ModelSpec
    /// What proposals record as their model (`ProposalRecord.model`).
    public let model: String
    public let options: PredictorOptions

    public init(project: Project, label: String, spec: ModelSpec, model: String,
                options: PredictorOptions = PredictorOptions()) throws {
        _ = try project.context(label: label)  // an unknown label or unreadable manifest fails here
        self.project = project
        self.label = label
        self.spec = spec
        self.model = model
        self.options = options
    }

    /// The images to propose for: those without an accepted mask (only `images`, when given), in
    /// `shard`, without an up-to-date proposal, a draft or a rejection of a proposal from the
    /// current context revision, at most `limit` of them, sorted by id.
    public func plan(images: [String]? = nil, shard: Shard = .whole, limit: Int? = nil) throws -> PropagationPlan {
        let revision = ContextRevision(manifest: try project.context(label: label))
        guard revision.includedCount > 0 else { throw PropagationError.emptyContext(label: label) }
        let all = project.imageIDs()
        var candidates = all
        if let images {
            let known = Set(all)
            let unknown = images.filter { !known.contains($0) }
            guard unknown.isEmpty else { throw PropagationError.unknownImages(unknown) }
            let wanted = Set(images)
            candidates = all.filter(wanted.contains)
        }
        let accepted = project.acceptedImages(label: label)
        let remaining = candidates.filter { !accepted.contains($0) && shard.contains($0) }
        let fingerprint = revision.fingerprint
        // Only images listed in proposals/ have a record to read: one listing, not a look per image.
        let proposed = Set(try project.proposalIDs(label: label))
        let rejected = try project.rejectedImages(label: label)
        var todo: [String] = []
        var upToDate = 0
        var reviewed = 0
        for image in remaining {
            let record = proposed.contains(image) ? try project.proposal(label: label, image: image) : nil
            if let record, record.contextRevision == fingerprint, record.model == model {
                upToDate += 1
            } else if try record?.isDraft == true
                        || (rejected.contains(image)
                            && project.rejection(label: label, image: image)?.contextRevision == fingerprint) {
                reviewed += 1
            } else {
                todo.append(image)
            }
        }
        if let limit { todo = Array(todo.prefix(max(0, limit))) }
        var plan = PropagationPlan(label: label, revision: revision, remaining: remaining, todo: todo, upToDate: upToDate)
        plan.reviewed = reviewed
        return plan
    }

    /// The label's context set as it is now, prepared for `predictor` (`Predictor.makeContextSet`,
    /// the way the app makes one), and the revision it was built from: read again until the
    /// manifest did not change while the masks were read, so the two agree.
    public func currentContext(for predictor: Predictor) throws -> (set: ContextSet, revision: ContextRevision) {
        for _ in 0..<3 {
            let revision = ContextRevision(manifest: try project.context(label: label))
            var set = predictor.makeContextSet()
            let volumes = project.volumeIndex()
            try set.update(to: revision.includedInOrder, from: [:]) { [project, label] id in
                project.contextEntryData(label: label, image: id, window: revision.window, volumes: volumes)
            }
            guard project.contextRevision(label: label) == revision else { continue }
            guard set.count > 0 else { throw PropagationError.emptyContext(label: label) }
            return (set, revision)
        }
        throw PropagationError.contextKeptChanging(label: label)
    }

    /// Proposes a mask for each image of `plan.todo` with `workers` threads; `progress` sees
    /// (images done, total) after each. The context is read when the run starts (a change since
    /// the plan counts: proposals record the revision they were really made from). Stops at the
    /// first error (what was written stays).
    @discardableResult
    public func run(_ plan: PropagationPlan, workers: Int = 1,
                    progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> PropagationSummary {
        let start = ContinuousClock.now
        guard !plan.todo.isEmpty else { return PropagationSummary() }
        let workerCount = max(1, min(workers, plan.todo.count))
        let predictors = try (0..<workerCount).map { _ in
            PredictorBox(try spec.makePredictor(threads: 1, options: options))
        }
        // Every worker's predictor has the same resolution and filters: one set serves them all.
        let (context, revision) = try currentContext(for: predictors[0].predictor)
        let fingerprint = revision.fingerprint
        let volumes = project.volumeIndex()
        struct Shared {
            var next = 0
            var summary = PropagationSummary()
            var done = 0
            var failure: (any Error)?
        }
        let shared = Mutex(Shared())
        let todo = plan.todo
        DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
            let predictor = predictors[worker].predictor
            while true {
                let index: Int? = shared.withLock { state in
                    guard state.failure == nil, state.next < todo.count else { return nil }
                    defer { state.next += 1 }
                    return state.next
                }
                guard let index else { return }
                let image = todo[index]
                do {
                    // Through the window the context was made under, as the app would show it.
                    let target = try project.networkImage(image, window: revision.window, volumes: volumes)
                    let prediction = try predictor.predict(target, context: context, excludingContextID: image)
                    let record = ProposalRecord(contextRevision: fingerprint, uncertainty: prediction.uncertainty,
                                                model: model, contextSize: prediction.contextIDs.count)
                    let saved = try project.saveProposal(label: label, image: image, mask: prediction.mask, record: record)
                    let (done, total) = shared.withLock { state -> (Int, Int) in
                        if saved { state.summary.proposed += 1 } else { state.summary.acceptedMeanwhile += 1 }
                        state.done += 1
                        return (state.done, todo.count)
                    }
                    progress?(done, total)
                } catch {
                    shared.withLock { if $0.failure == nil { $0.failure = error } }
                    return
                }
            }
        }
        var (summary, failure) = shared.withLock { ($0.summary, $0.failure) }
        if let failure { throw failure }
        let elapsed = ContinuousClock.now - start
        summary.seconds = elapsed.inSeconds
        return summary
    }
}

/// A predictor handed to exactly one worker thread.
private final class PredictorBox: @unchecked Sendable {
    let predictor: Predictor
    init(_ predictor: Predictor) { self.predictor = predictor }
}
