import Dispatch
import Foundation

/// Runs `count` independent jobs on `workers` threads. Each worker first makes its own state
/// (a segmenter with its own network: they are not thread-safe), then takes jobs in order until
/// none are left. Results come back in job order; the first error stops the remaining jobs
/// and is rethrown.
///
/// ```swift
/// let dice = try ParallelWorkers.map(count: 20, workers: 2, makeState: { try makeSegmenter() }) { segmenter, seed in
///     try runSeed(seed, segmenter)
/// }
/// ```
public enum ParallelWorkers {
    public static func map<State, Result>(
        count: Int, workers: Int, makeState: () throws -> State, job: (State, Int) throws -> Result
    ) throws -> [Result] {
        guard count > 0 else { return [] }
        let shared = SharedResults<Result>(count: count)
        let threads = max(1, min(workers, count))
        // The closures only run inside concurrentPerform, which returns when all workers are done.
        try withoutActuallyEscaping(makeState) { makeState in
            try withoutActuallyEscaping(job) { job in
                let work = UncheckedBox((makeState, job))
                DispatchQueue.concurrentPerform(iterations: threads) { _ in
                    let (makeState, job) = work.value
                    let state: State
                    do { state = try makeState() } catch { shared.fail(error); return }
                    while let index = shared.nextJob() {
                        do { shared.store(try job(state, index), at: index) } catch { shared.fail(error); return }
                    }
                }
                if let error = shared.error { throw error }
            }
        }
        return shared.results.map { $0! }
    }
}

/// Lets a value whose thread-safety the caller guarantees cross into concurrentPerform.
private final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

private final class SharedResults<Result>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int
    private(set) var results: [Result?]
    private(set) var error: Error?

    init(count: Int) {
        self.count = count
        results = Array(repeating: nil, count: count)
    }

    func nextJob() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard error == nil, next < count else { return nil }
        next += 1
        return next - 1
    }

    func store(_ result: Result, at index: Int) {
        lock.lock()
        results[index] = result
        lock.unlock()
    }

    func fail(_ error: Error) {
        lock.lock()
        if self.error == nil { self.error = error }
        lock.unlock()
    }
}
