import Dispatch
import Synchronization

/// Scratch memory and the thread count the kernels share. Buffers grow to the largest request and
/// are then reused, so a forward pass at a context size seen before allocates nothing.
/// Not thread-safe: one forward pass at a time uses a workspace (the network object owns one).
///
/// ```swift
/// let workspace = KernelWorkspace(threads: 2)
/// conv3x3(..., workspace: workspace)
/// ```
public final class KernelWorkspace {
    /// Threads our own loops (normalisation, pooling, resampling, epilogues) use.
    public let threads: Int
    /// Workers that run im2col + sgemm chunks side by side, each with a single-threaded sgemm so
    /// the chunk stays in one core's cache; 1 when OpenBLAS itself is given the threads instead.
    /// (The direct kernel always uses `threads` workers.)
    public let chunkWorkers: Int
    /// Floats of im2col matrix (or padded band, for the direct kernel) one worker fills before
    /// computing on it (tuned by `multiverseg bench`).
    public var chunkFloats: Int
    /// How 3x3 convolutions are computed (default: `ConvolutionAlgorithm.default`, the fastest
    /// this CPU runs unless MULTIVERSEG_CONVOLUTION says otherwise).
    public var algorithm: ConvolutionAlgorithm

    private var columnBuffers: [UnsafeMutablePointer<Float>] = []
    private var columnCapacity = 0
    private let nextUnit = Atomic<Int>(0)
    private let ranMask = Atomic<Int>(0)
    private var statisticsBuffer: UnsafeMutablePointer<Double>?
    private var statisticsCapacity = 0

    /// A workspace for `threads` threads; the other arguments are tuning and test knobs.
    public init(
        threads: Int = 1, chunkWorkers: Int? = nil, chunkFloats: Int = 96 * 1024,
        algorithm: ConvolutionAlgorithm = .default
    ) {
        precondition(ConvolutionAlgorithm.available.contains(algorithm), "this CPU cannot run \(algorithm)")
        self.algorithm = algorithm
        precondition(threads >= 1, "thread count must be at least 1")
        self.threads = threads
        self.chunkWorkers = max(1, min(threads, chunkWorkers ?? threads))
        self.chunkFloats = chunkFloats
    }

    /// Threads OpenBLAS should use inside one product: all of them when products run one after
    /// another, 1 when our workers run several side by side.
    public var blasThreads: Int { chunkWorkers == 1 ? threads : 1 }

    /// Sets OpenBLAS's (process-wide) thread count for a forward pass about to run here. Called
    /// by each network at the start of its forward pass rather than when it is built, so that
    /// building one network never changes how another runs.
    func claimBLASThreads() {
        if BLAS.threadCount != blasThreads { BLAS.setThreadCount(blasThreads) }
    }

    deinit {
        for buffer in columnBuffers { buffer.deallocate() }
        statisticsBuffer?.deallocate()
    }

    /// The im2col-free kernels that ran with this workspace since `resetKernelsRan()`: the C side
    /// runs the portable ones in place of any the CPU lacks, so the tests check the forced ones ran.
    public var kernelsRan: Set<ConvolutionKernels> {
        let mask = ranMask.load(ordering: .relaxed)
        return Set(ConvolutionKernels.allCases.filter { mask & (1 << Int($0.rawValue)) != 0 })
    }

    public func resetKernelsRan() { ranMask.store(0, ordering: .relaxed) }

    func noteKernelsRan(_ kernels: Int32) { ranMask.bitwiseOr(1 << Int(kernels), ordering: .relaxed) }

    /// Makes sure every worker has `count` floats of im2col space; call before a parallel section.
    func reserveColumns(_ count: Int) {
        if count <= columnCapacity && columnBuffers.count == threads { return }
        for buffer in columnBuffers { buffer.deallocate() }
        let capacity = max(count, columnCapacity)
        columnBuffers = (0..<threads).map { _ in
            UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        }
        columnCapacity = capacity
    }

    /// The im2col space of `worker` (valid after `reserveColumns`).
    func columns(worker: Int) -> UnsafeMutablePointer<Float> { columnBuffers[worker] }

    /// `count` doubles for partial sums (reductions across workers).
    func statistics(_ count: Int) -> UnsafeMutablePointer<Double> {
        if count > statisticsCapacity {
            statisticsBuffer?.deallocate()
            statisticsBuffer = .allocate(capacity: count)
            statisticsCapacity = count
        }
        return statisticsBuffer!
    }

    /// Runs `body(unit, worker)` for every unit in 0..<units on up to `workers` threads (worker
    /// < workers indexes per-worker scratch). Units are handed out one at a time, so on a machine
    /// shared with other work a thread the OS delays holds up only the unit it is on, not a fixed
    /// half of the work.
    func forEachUnit(_ units: Int, workers: Int, _ body: (_ unit: Int, _ worker: Int) -> Void) {
        let workers = min(workers, units)
        if workers <= 1 {
            for unit in 0..<units { body(unit, 0) }
            return
        }
        nextUnit.store(0, ordering: .relaxed)
        parallelFor(workers) { worker in
            while true {
                let unit = nextUnit.wrappingAdd(1, ordering: .relaxed).oldValue
                if unit >= units { break }
                body(unit, worker)
            }
        }
    }

    /// Splits 0..<total into slices for `forEachUnit`: a few per thread, at least `grain` each.
    func sliceCount(_ total: Int, grain: Int = 1) -> Int {
        max(1, min(4 * threads, total / max(1, grain)))
    }

    /// Bytes currently held as scratch.
    public var scratchBytes: Int {
        columnBuffers.count * columnCapacity * MemoryLayout<Float>.stride
            + statisticsCapacity * MemoryLayout<Double>.stride
    }
}

/// Runs `body(worker)` for `worker` in 0..<count, on several threads when count > 1.
@inline(__always)
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 {
        if count == 1 { body(0) }
        return
    }
    // The workers only touch disjoint parts of the buffers the caller hands them, and
    // concurrentPerform returns after the last one, so the closure never outlives this call.
    withoutActuallyEscaping(body) { body in
        let work = UncheckedSendableWork(body: body)
        DispatchQueue.concurrentPerform(iterations: count) { work.body($0) }
    }
}

private struct UncheckedSendableWork: @unchecked Sendable {
    let body: (Int) -> Void
}

/// The `part`-th of `parts` near-equal slices of 0..<total.
@inline(__always)
func slice(_ total: Int, part: Int, of parts: Int) -> Range<Int> {
    let lower = total * part / parts
    let upper = total * (part + 1) / parts
    return lower..<upper
}
